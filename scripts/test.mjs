// `npm test`'s runner: vitest's unit and e2e projects as two processes at once.
// One `vitest run` ran them one after the other: vitest 4 puts the files of a
// project without file parallelism (e2e) in a group of their own, and groups
// run in turn, that one last (groupSpecs in vitest's node API), so the unit
// project's minutes came before the e2e chain instead of beside it. Beside it
// they fill the e2e cases' waits on services and emulators. The e2e project's
// output streams as it comes; the unit project's is held and printed whole
// when it ends, so the two never interleave. Arguments (`npm test -- FILE`)
// go to one plain `vitest run`, as before. Exit: the first failure's code.
import { spawn } from "node:child_process";

const vitest = (args, capture) =>
  new Promise((resolve) => {
    const child = spawn("npx", ["vitest", "run", ...args], { stdio: ["ignore", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"] });
    const chunks = [];
    if (capture) {
      child.stdout.on("data", (c) => chunks.push(c));
      child.stderr.on("data", (c) => chunks.push(c));
    }
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output: Buffer.concat(chunks) }));
  });

const extra = process.argv.slice(2);
if (extra.length > 0) {
  process.exitCode = (await vitest(extra, false)).code;
} else {
  const unit = vitest(["--project", "unit"], true).then((r) => {
    process.stdout.write(r.output);
    return r;
  });
  const results = await Promise.all([vitest(["--project", "e2e"], false), unit]);
  process.exitCode = results.find((r) => r.code !== 0)?.code ?? 0;
}
