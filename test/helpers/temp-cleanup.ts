import { afterAll } from "vitest";
import { removeTempDirs } from "./temp-dirs.js";

// vitest setupFile: registered before the file's own hooks, so with the
// default "stack" order it runs after them, once the file's services and
// builds have stopped using its folders.
// Its own timeout: a file's vi.setConfig comes after this registration, and
// removing a dozen generated projects took over the default 10 s on a busy
// machine (repo-lock, create-git), failing files whose tests all passed.
afterAll(() => {
  removeTempDirs();
}, 120_000);
