import type { Place } from "./disk-budget.js";

const GiB = 1024 ** 3;

/**
 * The places a cold run fills with what it rebuilds anyway (compiled code,
 * fetched linters, generated repos), so they can live in RAM for the run and
 * go with it. The module caches are left out: they are small (1.7 of the
 * 13.0 GiB budget) and worth keeping between runs.
 */
export const SPILLABLE: readonly Place[] = ["cargoTarget", "goBuildCache", "staticcheckCache", "toolCache", "runTemp"];

/**
 * RAM the run itself needs beside a spill. The cold run that spilled 7.5 GiB
 * used at most 1.7 GiB outside tmpfs (MemTotal less MemAvailable and Shmem,
 * sampled every 20 s: the worker's links, go builds, moto, the vitest
 * workers), its lowest MemAvailable 14.5 of 23.5 GiB. Samples that far apart
 * miss the short peaks of a thin-LTO link, so the margin is over three times
 * the figure.
 */
export const RUN_RAM_HEADROOM = 6 * GiB;

/** The variable that moves each place (staticcheck's cache and the tool's are both under XDG_CACHE_HOME). */
export const PLACE_VAR: Record<Place, string> = {
  cargoTarget: "CARGO_TARGET_DIR",
  goBuildCache: "GOCACHE",
  goModCache: "GOMODCACHE",
  cargoRegistry: "CARGO_HOME",
  staticcheckCache: "XDG_CACHE_HOME",
  toolCache: "XDG_CACHE_HOME",
  runTemp: "TMPDIR",
};

/** Linux's statfs magic for tmpfs: a folder whose pages live in RAM (or swap). */
export const TMPFS_MAGIC = 0x01021994;

export interface RoomFacts {
  /** Bytes each place still has to write (its budget less what it holds). */
  need: Record<Place, number>;
  /** The filesystem (st_dev) each place is on. */
  device: Record<Place, number>;
  /** Free bytes per filesystem, for an unprivileged writer. */
  free: ReadonlyMap<number, number>;
  /** Where each place is (or would be made), to name a short filesystem by. */
  at: Record<Place, string>;
  /** A tmpfs the spillable places may move to, if the machine has one. */
  ram?: { path: string; free: number; memAvailable: number };
}

/** Where the run puts its places: all where they are, some spilled to RAM, or neither fits. */
export type RoomPlan = { spill: Place[] } | { short: string };

/**
 * Decides, per filesystem, whether the run fits where its places are; where
 * it does not, moves that filesystem's spillable places to the tmpfs when the
 * rest then fits on the disk and the RAM can hold the spill beside the run's
 * own needs (RUN_RAM_HEADROOM). Pure, so each case is a unit test.
 */
export function planRoom(facts: RoomFacts, places: readonly Place[]): RoomPlan {
  const spill: Place[] = [];
  const shortDisks: string[] = [];
  const shortPlaces: Place[] = [];
  for (const [dev, group] of groupBy(places, (p) => facts.device[p])) {
    const free = facts.free.get(dev) ?? 0;
    const need = sum(group.map((p) => facts.need[p]));
    if (free >= need) continue;
    const kept = group.filter((p) => !SPILLABLE.includes(p));
    const keptNeed = sum(kept.map((p) => facts.need[p]));
    if (facts.ram && free >= keptNeed) {
      spill.push(...group.filter((p) => SPILLABLE.includes(p)));
    } else {
      shortPlaces.push(...group);
      shortDisks.push(`${group.join(", ")} need ${gib(need)} more on the filesystem of ${facts.at[group[0]!]}, ${gib(free)} free`);
    }
  }
  if (shortDisks.length) return { short: `disk: ${shortDisks.join("; ")}; free some, or point ${movers(shortPlaces)} at another disk` };
  if (spill.length === 0) return { spill };
  const ram = facts.ram!;
  const spillNeed = sum(spill.map((p) => facts.need[p]));
  if (spillNeed > ram.free || ram.memAvailable - spillNeed < RUN_RAM_HEADROOM) {
    return {
      short:
        `disk too small for ${spill.join(", ")} (${gib(spillNeed)}), and ${ram.path} cannot take them: ` +
        `${gib(ram.free)} free there, ${gib(ram.memAvailable)} RAM available of which the run keeps ${gib(RUN_RAM_HEADROOM)}; ` +
        `free some, or point ${movers(spill)} at another disk`,
    };
  }
  return { spill };
}

/**
 * The environment that moves the spilled places under root: the variables
 * every tool involved reads (cargo, go, staticcheck and the tool's cache via
 * XDG_CACHE_HOME, the run's temp folder via TMPDIR and runTmpVar).
 */
export function spillEnv(spill: readonly Place[], root: string, runTmpVar: string): Record<string, string> {
  const folder: Partial<Record<Place, string>> = { cargoTarget: "cargo-target", goBuildCache: "go-build", staticcheckCache: "cache", toolCache: "cache", runTemp: "tmp" };
  const env: Record<string, string> = {};
  for (const p of spill) env[PLACE_VAR[p]] = `${root}/${folder[p]}`;
  if (spill.includes("runTemp")) env[runTmpVar] = env.TMPDIR!;
  return env;
}

/** "GOMODCACHE or CARGO_HOME": the variables that would move these places elsewhere. */
function movers(places: readonly Place[]): string {
  const vars = [...new Set(places.map((p) => PLACE_VAR[p]))];
  return vars.length > 1 ? `${vars.slice(0, -1).join(", ")} or ${vars.at(-1)}` : vars[0]!;
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const t of items) out.set(key(t), [...(out.get(key(t)) ?? []), t]);
  return out;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;
