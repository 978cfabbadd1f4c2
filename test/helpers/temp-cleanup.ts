import { afterAll } from "vitest";
import { removeTempDirs } from "./temp-dirs.js";

// vitest setupFile: registered before the file's own hooks, so with the
// default "stack" order it runs after them, once the file's services and
// builds have stopped using its folders.
afterAll(() => {
  removeTempDirs();
});
