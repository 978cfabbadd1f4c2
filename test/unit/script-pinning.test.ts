import { execa } from "execa";
import { availableParallelism } from "node:os";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const PINNING = resolve("templates/root/scripts/pinning.sh");

/** plan_pinning CORES in bash (with PATH set first, if given): each prefix and the pinning text. */
async function plan(cores: number, path?: string) {
  const r = await execa("bash", [
    "-c",
    `. ${PINNING}
${path ? `PATH=${path}` : ""}
plan_pinning ${cores}
echo "pin_worker=\${pin_worker[*]}"
echo "pin_orchestrator=\${pin_orchestrator[*]}"
echo "pin_loadgen=\${pin_loadgen[*]}"
echo "pin_model=\${pin_model[*]}"
echo "pinning=$pinning"`,
  ]);
  return Object.fromEntries(r.stdout.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])) as Record<string, string>;
}

describe("scripts/pinning.sh plan_pinning (BENCH_PIN=1)", () => {
  it("gives loadgen and the orchestrator a core each and the worker the rest on 3+ cores", async () => {
    expect(await plan(8)).toEqual({
      pin_worker: "taskset -c 0-5",
      pin_orchestrator: "taskset -c 6",
      pin_loadgen: "taskset -c 7",
      pin_model: "taskset -c 0",
      pinning: "pinned: worker cores 0-5, orchestrator core 6, loadgen core 7",
    });
    expect((await plan(3)).pin_worker).toBe("taskset -c 0-0");
  });

  it("keeps loadgen off the services' core on 2 cores", async () => {
    expect(await plan(2)).toEqual({
      pin_worker: "taskset -c 0",
      pin_orchestrator: "taskset -c 0",
      pin_loadgen: "taskset -c 1",
      pin_model: "taskset -c 0",
      pinning: "pinned: worker and orchestrator core 0 (shared: 2 cores), loadgen core 1",
    });
  });

  it("pins nothing, and says why, on one core or without taskset", async () => {
    const none = { pin_worker: "", pin_orchestrator: "", pin_loadgen: "", pin_model: "" };
    expect(await plan(1)).toEqual({ ...none, pinning: "not pinned: BENCH_PIN=1 needs 2 cores (services, loadgen), this machine has 1" });
    // The script's PATH has no taskset.
    expect(await plan(8, "/nonexistent")).toEqual({ ...none, pinning: "not pinned: BENCH_PIN=1 needs taskset (util-linux)" });
  });

  it("holds each process to its cores on this machine", async () => {
    const cores = availableParallelism();
    const p = await plan(cores);
    expect(p.pinning?.startsWith("pinned"), p.pinning).toBe(cores >= 2);
    for (const [name, want] of [["pin_loadgen", String(cores - 1)], ["pin_worker", cores >= 3 ? `0-${cores - 3}` : "0"]] as const) {
      if (!p[name]) continue;
      const [cmd, ...args] = p[name].split(" ");
      const r = await execa(cmd!, [...args, "grep", "Cpus_allowed_list", "/proc/self/status"]);
      expect(r.stdout.split(/\s+/)[1], name).toBe(want === "0-0" ? "0" : want);
    }
  });
});
