import { EXIT } from "../errors.js";
import { readRepoManifest, validate } from "../validate/index.js";
import { stepLine, toJson } from "../validate/report.js";
import { probeTools } from "../validate/toolchains.js";

export async function runValidate(dir: string, opts: { json: boolean; noCache?: boolean }): Promise<number> {
  readRepoManifest(dir);
  if (!opts.json) console.log(`Validating ${dir}`);
  const report = await validate(dir, {
    noCache: opts.noCache,
    onStep: (r) => {
      if (!opts.json) console.log(stepLine(r));
    },
    onNote: (msg) => {
      if (!opts.json) console.log(`  ${msg}`);
    },
  });
  if (opts.json) {
    console.log(toJson(report));
  } else if (!report.ok) {
    const failed = report.steps.find((s) => s.status === "failed")!;
    console.error(`\n${failed.name} failed: ${failed.error}\nlogs: ${report.logs}`);
  } else {
    console.log("All checks passed: contract, Go, Rust and a live smoke test through Go into Rust.");
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
      console.log(`  ${t.version ? "ok  " : t.required && t.name !== "buf" ? "FAIL" : "--  "} ${t.name.padEnd(8)} ${state}`);
      if (!t.version) console.log(`         ${t.hint}`);
    }
  }
  return missing.length ? EXIT.failed : EXIT.ok;
}
