import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { formatSize } from "../../src/cache/dir.js";
import { COLD_RUN_MIB, existingAncestor, freeBytes, places, usedBytes, type Place } from "./disk-budget.js";
import { planRoom, spillEnv, TMPFS_MAGIC, type RoomFacts } from "./disk-spill.js";
import { RUN_TMP_VAR, removeTree } from "./temp-dirs.js";

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
/** Where a spill goes: the tmpfs every Linux machine mounts. */
const RAM_DIR = "/dev/shm";
const SPILL_PREFIX = "chb-e2e-spill-";

/**
 * vitest globalSetup of the e2e project, after temp-root.ts: makes sure the
 * disk can hold what the run still has to write (COLD_RUN_MIB less what the
 * caches already hold). Where it cannot, the places the run rebuilds anyway
 * move to RAM for the run (disk-spill.ts), which the test workers, started
 * after every globalSetup, inherit through the environment; where RAM cannot
 * take them either, it refuses to start with one line. At the end it prints
 * what each place grew by and the lowest RAM available, and fails the run if
 * a place grew past its budget.
 */
export default function setup(): () => void {
  removeStaleSpills();
  let where = places();
  let before = mapPlaces((p) => usedBytes(where[p]));
  const spillRoot = spillIfShort(where, before);
  if (spillRoot) {
    where = places();
    before = mapPlaces((p) => usedBytes(where[p]));
  }
  let tempPeak = 0;
  let memLow = memAvailable();
  let ownPeak = ownRam();
  const sampler = setInterval(() => {
    tempPeak = Math.max(tempPeak, usedBytes(where.runTemp));
    memLow = Math.min(memLow, memAvailable());
    ownPeak = Math.max(ownPeak, ownRam());
  }, 20_000);
  sampler.unref();
  return () => {
    clearInterval(sampler);
    const grew = mapPlaces((p) => (p === "runTemp" ? tempPeak : Math.max(0, usedBytes(where[p]) - before[p])));
    const lines = PLACES.map((p) => `${LABEL[p]} +${formatSize(grew[p])} (budget ${formatSize(COLD_RUN_MIB[p] * MiB)})`);
    console.log(`[e2e disk] ${lines.join("; ")}; RAM available at its lowest ${formatSize(memLow)} of ${formatSize(meminfo("MemTotal"))}, in use outside tmpfs at most ${formatSize(ownPeak)}`);
    if (spillRoot) removeTree(spillRoot);
    const over = PLACES.filter((p) => grew[p] > COLD_RUN_MIB[p] * MiB);
    if (over.length) {
      // vitest reports an error thrown by a teardown but still exits 0.
      console.error(`[e2e disk] over budget: ${over.map((p) => `${LABEL[p]} grew ${formatSize(grew[p])}, budget ${formatSize(COLD_RUN_MIB[p] * MiB)}`).join("; ")} (test/helpers/disk-budget.ts)`);
      process.exitCode = 1;
    }
  };
}

/** Applies planRoom: returns the spill folder it moved places to, or undefined; throws one line when nothing fits. */
function spillIfShort(where: Record<Place, string>, before: Record<Place, number>): string | undefined {
  const device = mapPlaces((p) => statSync(existingAncestor(where[p])).dev);
  const facts: RoomFacts = {
    need: mapPlaces((p) => Math.max(0, COLD_RUN_MIB[p] * MiB - before[p])),
    device,
    free: new Map(PLACES.map((p) => [device[p], freeBytes(where[p])])),
    at: where,
    ram: ramDisk(),
  };
  const plan = planRoom(facts, PLACES);
  if ("short" in plan) {
    throw new Error(`e2e: not enough room: ${plan.short}`);
  }
  if (plan.spill.length === 0) return undefined;
  const root = mkdtempSync(join(RAM_DIR, `${SPILL_PREFIX}${process.pid}-`));
  const env = spillEnv(plan.spill, root, RUN_TMP_VAR);
  for (const [name, value] of Object.entries(env)) {
    mkdirSync(value, { recursive: true });
    process.env[name] = value;
  }
  console.log(`[e2e disk] the disk is short, so ${plan.spill.map((p) => LABEL[p]).join(", ")} live in RAM (${root}) for this run`);
  return root;
}

function ramDisk(): RoomFacts["ram"] {
  try {
    const s = statfsSync(RAM_DIR);
    if (s.type !== TMPFS_MAGIC) return undefined;
    return { path: RAM_DIR, free: s.bavail * s.bsize, memAvailable: memAvailable() };
  } catch {
    return undefined; // no /dev/shm (not Linux): the disk check alone
  }
}

/** Spill folders of runs that were killed before their teardown: RAM nobody will free otherwise. */
function removeStaleSpills(): void {
  let names: string[];
  try {
    names = readdirSync(RAM_DIR).filter((n) => n.startsWith(SPILL_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(SPILL_PREFIX.length).split("-")[0]);
    if (!alive(pid)) removeTree(join(RAM_DIR, name));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const memAvailable = () => meminfo("MemAvailable");
/** RAM in use that is not a tmpfs's (a spill's) pages: what RUN_RAM_HEADROOM must cover. */
const ownRam = () => meminfo("MemTotal") - meminfo("MemAvailable") - meminfo("Shmem");

/** A /proc/meminfo field in bytes, 0 where there is none. */
function meminfo(field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/meminfo", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function mapPlaces<T>(f: (p: Place) => T): Record<Place, T> {
  return Object.fromEntries(PLACES.map((p) => [p, f(p)])) as Record<Place, T>;
}
