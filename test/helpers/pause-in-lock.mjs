// Preloaded (node --import) into a `create` run by a test, to hold it inside its lock window: the first rename
// into a folder whose .git already holds the repository lock (create moves .git in, takes the lock, then moves
// the rest) writes $PAUSE_DIR/ready and blocks until $PAUSE_DIR/go exists. Patches node:fs for that one process.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { dirname, join } from "node:path";

const pause = process.env.PAUSE_DIR;
const rename = fs.renameSync;
let paused = false;
fs.renameSync = (from, to) => {
  if (pause && !paused && fs.existsSync(join(dirname(String(to)), ".git", "hybrid-backend.lock"))) {
    paused = true;
    fs.writeFileSync(join(pause, "ready"), "");
    const tick = new Int32Array(new SharedArrayBuffer(4));
    while (!fs.existsSync(join(pause, "go"))) Atomics.wait(tick, 0, 0, 20);
  }
  return rename(from, to);
};
syncBuiltinESMExports();
