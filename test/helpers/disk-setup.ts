import { statSync } from "node:fs";
import { formatSize } from "../../src/cache/dir.js";
import { COLD_RUN_MIB, existingAncestor, freeBytes, places, usedBytes, type Place } from "./disk-budget.js";

const MiB = 1024 ** 2;
const PLACES = Object.keys(COLD_RUN_MIB) as Place[];
const LABEL: Record<Place, string> = {
  cargoTarget: "shared cargo target",
  goBuildCache: "Go build cache",
  goModCache: "Go module cache",
  cargoRegistry: "cargo registry",
  staticcheckCache: "staticcheck cache",
  toolCache: "tool cache",
  runTemp: "run temp folder (peak)",
};

/**
 * vitest globalSetup of the e2e project, after temp-root.ts: refuses to start
 * when the disk cannot hold what the run still has to write (COLD_RUN_MIB
 * less what the caches already hold), and at the end prints what each place
 * grew by and fails the run if one grew past its budget.
 */
export default function setup(): () => void {
  const where = places();
  const before = mapPlaces((p) => usedBytes(where[p]));
  checkRoom(where, before);
  let tempPeak = 0;
  const sampler = setInterval(() => (tempPeak = Math.max(tempPeak, usedBytes(where.runTemp))), 20_000);
  sampler.unref();
  return () => {
    clearInterval(sampler);
    const grew = mapPlaces((p) => (p === "runTemp" ? tempPeak : Math.max(0, usedBytes(where[p]) - before[p])));
    const lines = PLACES.map((p) => `${LABEL[p]} +${formatSize(grew[p])} (budget ${formatSize(COLD_RUN_MIB[p] * MiB)})`);
    console.log(`[e2e disk] ${lines.join("; ")}`);
    const over = PLACES.filter((p) => grew[p] > COLD_RUN_MIB[p] * MiB);
    if (over.length) {
      // vitest reports an error thrown by a teardown but still exits 0.
      console.error(`[e2e disk] over budget: ${over.map((p) => `${LABEL[p]} grew ${formatSize(grew[p])}, budget ${formatSize(COLD_RUN_MIB[p] * MiB)}`).join("; ")} (test/helpers/disk-budget.ts)`);
      process.exitCode = 1;
    }
  };
}

function mapPlaces(f: (p: Place) => number): Record<Place, number> {
  return Object.fromEntries(PLACES.map((p) => [p, f(p)])) as Record<Place, number>;
}

/** Throws one line per short filesystem: what it must hold, what it has. */
function checkRoom(where: Record<Place, string>, before: Record<Place, number>): void {
  const byDevice = new Map<number, { places: Place[]; need: number; path: string }>();
  for (const p of PLACES) {
    const dev = statSync(existingAncestor(where[p])).dev;
    const group = byDevice.get(dev) ?? { places: [], need: 0, path: where[p] };
    group.places.push(p);
    group.need += Math.max(0, COLD_RUN_MIB[p] * MiB - before[p]);
    byDevice.set(dev, group);
  }
  for (const { places: ps, need, path } of byDevice.values()) {
    const free = freeBytes(path);
    if (free < need) {
      throw new Error(
        `e2e: not enough disk: ${ps.map((p) => LABEL[p]).join(", ")} need about ${formatSize(need)} more on the filesystem of ${path}, ${formatSize(free)} free; free some, or point CARGO_TARGET_DIR, GOCACHE, XDG_CACHE_HOME or TMPDIR at another disk`,
      );
    }
  }
}
