import * as z from "zod";

/**
 * What the manifest pins outside the code: the GitHub Actions the workflow
 * uses (by commit) and the base images (by digest), with their defaults.
 * Kept apart from manifest.ts, which holds the project's own choices.
 */

/**
 * GitHub Actions the generated workflow uses, pinned to a commit (a moved tag
 * cannot change CI); the tag is kept for people. Bump both here, then sync.
 */
const actionPin = z.strictObject({
  sha: z.string().regex(/^[0-9a-f]{40}$/, { message: "use the full 40-character commit SHA of the release" }),
  version: z.string().regex(/^v\d+(\.\d+){0,2}$/, { message: "use the release tag, for example v5.0.0" }),
});
const pin = (sha: string, version: string) => actionPin.default({ sha, version });
export const ACTIONS = z
  .strictObject({
    "actions/checkout": pin("08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    "actions/setup-go": pin("44694675825211faa026b3c33043df3e48a5fa00", "v6.0.0"),
    "dorny/paths-filter": pin("de90cc6fb38fc0963ad72b210f1f284cd68cea36", "v3.0.2"),
    "Swatinem/rust-cache": pin("98c8021b550208e191a6a3145459bfc9fb29c4c0", "v2.8.0"),
    // Image build, push and attestation (the images and publish jobs).
    "docker/setup-buildx-action": pin("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/build-push-action": pin("53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
    "docker/login-action": pin("4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    "actions/attest": pin("1e69f48acb82d1966a394da916b4c1698aa569d6", "v4.2.2"),
  });

/**
 * Base images, pinned by the digest of their multi-arch index so a moved tag
 * cannot change a build; the tag is kept for people and for Dependabot or
 * Renovate. Keyed by the reference the templates derive from toolchains, so
 * bumping toolchains.go or toolchains.rust needs the new image's digest here
 * too (`docker buildx imagetools inspect IMAGE:TAG` prints it).
 */
export const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
export const BASE_IMAGES = z
  .record(z.string().min(1), z.string().regex(DIGEST_RE, { message: "use sha256: and the 64 hex digits of the image index" }))
  .describe(
    "Base image digests by reference (IMAGE:TAG -> sha256:...). The defaults were taken in November 2026 from " +
      "docker-library/repo-info (golang:1.26-bookworm, Go 1.26.8) and from public repositories that pin the same index " +
      "(rust:1.95-bookworm, gcr.io/distroless/*-debian12:nonroot); the generator's build machine cannot reach the registries, " +
      "so check them with `docker buildx imagetools inspect` before you rely on them.",
  )
  .default({
    "golang:1.26-bookworm": "sha256:9fdc884aacc3bec89b20ffc69f4bb369c78210e3e4f600387b5128b12c199f81",
    "rust:1.95-bookworm": "sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1",
    "gcr.io/distroless/static-debian12:nonroot": "sha256:f5b485ea962d9bd1186b2f6b3a061191539b905b82ec395de78cbfae51f20e35",
    "gcr.io/distroless/cc-debian12:nonroot": "sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f",
  });

/** The base images the templates use, derived from the toolchains; each needs a digest in `images`. */
export function baseImages(m: { toolchains: { go: string; rust: string } }): string[] {
  return [
    `golang:${m.toolchains.go}-bookworm`,
    `rust:${m.toolchains.rust}-bookworm`,
    "gcr.io/distroless/static-debian12:nonroot",
    "gcr.io/distroless/cc-debian12:nonroot",
  ];
}

/**
 * The GitHub Actions pins belong to the GitHub workflow: a repo without it
 * records none (nothing would use them), and adding GitHub later
 * (`add ci github`, or the provider in the file) brings the defaults back,
 * while pins already recorded are kept as the team bumped them.
 */
export function actionPins(input: unknown): unknown {
  if (input === null || typeof input !== "object") return input;
  const m = input as { ci?: unknown };
  const ci = (m.ci ?? {}) as Record<string, unknown>;
  if (typeof ci !== "object") return input;
  const providers = ci.providers === undefined ? ["github"] : ci.providers;
  const github = Array.isArray(providers) && providers.includes("github");
  if (github) return "actions" in ci ? input : { ...m, ci: { ...ci, actions: {} } };
  if (!("actions" in ci)) return input;
  const { actions: _dropped, ...rest } = ci;
  return { ...m, ci: rest };
}
