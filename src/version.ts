// Injected from package.json by scripts/build.mjs and vitest.config.ts, so the
// version lives in one place.
declare const __GENERATOR_VERSION__: string;

export const GENERATOR_NAME = "create-hybrid-backend";
export const GENERATOR_VERSION: string = __GENERATOR_VERSION__;
