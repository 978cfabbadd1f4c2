/**
 * The versions a new manifest pins for every tool its repo runs: the one source
 * for the templates (through the manifest) and for the tool's own tests and
 * validate, which must run the same releases the generated Makefile and CI do.
 * Its own module, free of build-time defines, so the e2e globalSetup files
 * (which vitest loads without them) can import it through src/validate/linters.ts.
 */
export const TOOLCHAIN_DEFAULTS = {
  go: "1.26",
  rust: "1.95.0",
  buf: "1.75.0",
  govulncheck: "1.9.0",
  cargoDeny: "0.20.2",
  rustup: "1.28.2",
  kubernetes: "1.33",
  staticcheck: "0.8.2",
  moto: "5.2.5",
  grpcurl: "1.9.4",
} as const;
