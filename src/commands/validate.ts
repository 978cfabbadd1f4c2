import { formatSize } from "../cache/dir.js";
import { EXIT } from "../errors.js";
import { human, humanLines, shellQuote } from "../human.js";
import { readRepoManifest, validate } from "../validate/index.js";
import { interrupted, onInterrupt } from "../validate/lifecycle.js";
import { liveDisplay, plainDisplay, silentDisplay, type Display } from "../validate/progress.js";
import { toJson } from "../validate/report.js";
import { probeTools } from "../validate/toolchains.js";
import { selfCommand } from "../self-command.js";

/** The live block on a terminal, a line per command in a log, nothing with --json. */
function chooseDisplay(json: boolean): Display {
  if (json) return silentDisplay();
  if (process.stdout.isTTY && !process.env.CI) return liveDisplay(process.stdout);
  return plainDisplay((line) => console.log(line));
}

export async function runValidate(dir: string, opts: { json: boolean; noCache?: boolean }): Promise<number> {
  await readRepoManifest(dir);
  if (!opts.json) console.log(human`Validating ${dir}`);
  const display = chooseDisplay(opts.json);
  // Ctrl-C: stop every build and service, remove the temporary folders, say how to resume.
  const release = onInterrupt(
    () => `\ninterrupted: stopped every build and service validate started; run \`${selfCommand()} validate ${shellQuote(dir)}\` to check it later`,
    () => display.stop(),
  );
  let report;
  try {
    report = await validate(dir, {
      noCache: opts.noCache,
      activity: display,
      onStep: (r) => display.stepDone(r),
      onNote: (msg) => display.note(msg),
      onEvict: (e) =>
        display.note(`cache: removed ${e.removed.length} least recently used ${e.removed.length === 1 ? "entry" : "entries"} to stay under the size cap (now ${formatSize(e.bytes)}; see \`${selfCommand()} cache info\`)`),
    });
  } finally {
    display.stop();
    release();
  }
  // The signal handler is stopping everything and will exit 130: report nothing.
  if (interrupted()) return new Promise<number>(() => {});
  if (opts.json) {
    console.log(toJson(report));
  } else if (!report.ok) {
    const failed = report.steps.find((s) => s.status === "failed")!;
    // The repo stays as written (create keeps it too): say how to check it again, as Ctrl-C does.
    const again = `next: once it is fixed, \`${selfCommand()} validate ${shellQuote(dir)}\` checks again (a check that passed is not rerun while its inputs are unchanged)`;
    console.error(`\n${failed.name} failed: ${humanLines(failed.error ?? "")}\n${human`logs: ${report.logs}`}\n${human`${again}`}`);
  } else {
    // Name what actually ran: a step with nothing to check here (no CI, no deploy target) was skipped.
    const ran = report.steps.filter((s) => s.status === "passed" && s.name !== "doctor" && s.name !== "smoke").map((s) => s.name);
    console.log(`All checks passed: ${ran.join(", ")} and a live smoke test through Go into Rust.`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

export async function runDoctor(opts: { json: boolean }): Promise<number> {
  const tools = await probeTools();
  const missing = tools.filter((t) => t.required && !t.version && t.name !== "buf");
  if (opts.json) {
    console.log(JSON.stringify({ ok: missing.length === 0, tools }, null, 2));
  } else {
    for (const t of tools) {
      const state = t.version ?? (t.name === "buf" ? "not yet fetched" : "MISSING");
      console.log(`  ${t.version ? "ok  " : t.required && t.name !== "buf" ? "FAIL" : "--  "} ${t.name.padEnd(8)} ${human`${state}`}`);
      if (!t.version) console.log(`         ${t.hint}`);
    }
  }
  return missing.length ? EXIT.failed : EXIT.ok;
}
