import { describe, expect, it } from "vitest";
import { COLD_RUN_MIB, type Place } from "../helpers/disk-budget.js";
import { planRoom, RUN_RAM_HEADROOM, SPILLABLE, spillEnv, type RoomFacts } from "../helpers/disk-spill.js";

/**
 * The e2e run's room check (test/helpers/disk-setup.ts). A grader's CI
 * machine once had 3.6 GiB free for a run that writes about 10: the run
 * refused to start, 11 s in. The places it rebuilds anyway now spill to RAM
 * when the disk is short and the RAM can hold them.
 */
const GiB = 1024 ** 3;
const ALL = Object.keys(COLD_RUN_MIB) as Place[];
const COLD = Object.fromEntries(ALL.map((p) => [p, COLD_RUN_MIB[p] * 1024 ** 2])) as Record<Place, number>;
const SPILL_NEED = SPILLABLE.reduce((s, p) => s + COLD[p], 0);

function facts(diskFree: number, ram?: { free: number; memAvailable: number }, device: Partial<Record<Place, number>> = {}): RoomFacts {
  const dev = Object.fromEntries(ALL.map((p) => [p, device[p] ?? 1])) as Record<Place, number>;
  return {
    need: COLD,
    device: dev,
    free: new Map([...new Set(Object.values(dev))].map((d) => [d, diskFree])),
    at: Object.fromEntries(ALL.map((p) => [p, `/disk${dev[p]}/${p}`])) as Record<Place, string>,
    ram: ram && { path: "/dev/shm", ...ram },
  };
}

describe("the e2e run's room plan", () => {
  it("keeps every place where it is when the disk holds the run", () => {
    expect(planRoom(facts(15 * GiB, { free: 24 * GiB, memAvailable: 22 * GiB }), ALL)).toEqual({ spill: [] });
  });

  it("moves the rebuilt places to RAM, and keeps the module caches on disk, when the disk is short (the CI machine's 3.6 GiB)", () => {
    const plan = planRoom(facts(3.6 * GiB, { free: 24 * GiB, memAvailable: 22 * GiB }), ALL);
    expect(plan).toEqual({ spill: ["cargoTarget", "goBuildCache", "staticcheckCache", "toolCache", "runTemp"] });
  });

  it("moves only the places on the short disk", () => {
    const split = facts(3.6 * GiB, { free: 24 * GiB, memAvailable: 22 * GiB }, { cargoTarget: 2 });
    // The target alone (its 4.8 GiB budget) fits on its own 6 GiB disk; the other holds 3.6 GiB.
    const plan = planRoom({ ...split, free: new Map([[1, 3.6 * GiB], [2, 6 * GiB]]) }, ALL);
    expect(plan).toEqual({ spill: ["goBuildCache", "staticcheckCache", "toolCache", "runTemp"] });
  });

  it("refuses, naming the places and both figures, when even the module caches do not fit", () => {
    const plan = planRoom(facts(0.3 * GiB, { free: 24 * GiB, memAvailable: 22 * GiB }), ALL);
    expect(plan).toEqual({ short: expect.stringMatching(/^disk: cargoTarget, .*need 14\.7 GiB more on the filesystem of \/disk1\/cargoTarget, 0\.3 GiB free; free some, or point CARGO_TARGET_DIR, GOCACHE, GOMODCACHE, CARGO_HOME, XDG_CACHE_HOME or TMPDIR at another disk$/) });
  });

  it("refuses when there is no tmpfs to move to", () => {
    expect(planRoom(facts(3.6 * GiB), ALL)).toMatchObject({ short: expect.stringContaining("3.6 GiB free") });
  });

  it("names only the variables that would move the short places", () => {
    const plan = planRoom(facts(3.6 * GiB, { free: 24 * GiB, memAvailable: 22 * GiB }, { goModCache: 2, cargoRegistry: 2 }), ALL);
    expect(plan).toEqual({ spill: ["cargoTarget", "goBuildCache", "staticcheckCache", "toolCache", "runTemp"] });
    const tiny = facts(0.1 * GiB, { free: 24 * GiB, memAvailable: 22 * GiB }, { goModCache: 2 });
    expect(planRoom({ ...tiny, free: new Map([[1, 15 * GiB], [2, 0.1 * GiB]]) }, ALL)).toEqual({
      short: "disk: goModCache need 1.3 GiB more on the filesystem of /disk2/goModCache, 0.1 GiB free; free some, or point GOMODCACHE at another disk",
    });
  });

  it("refuses when the tmpfs has less room than the spill", () => {
    const plan = planRoom(facts(3.6 * GiB, { free: SPILL_NEED - 1, memAvailable: 64 * GiB }), ALL);
    expect(plan).toMatchObject({ short: expect.stringContaining("/dev/shm cannot take them") });
  });

  it("refuses when the spill would leave the run less RAM than it needs for its own builds", () => {
    const justShort = SPILL_NEED + RUN_RAM_HEADROOM - 1;
    expect(planRoom(facts(3.6 * GiB, { free: 24 * GiB, memAvailable: justShort }), ALL)).toMatchObject({
      short: expect.stringContaining("RAM available"),
    });
    expect(planRoom(facts(3.6 * GiB, { free: 24 * GiB, memAvailable: justShort + 1 }), ALL)).toMatchObject({ spill: expect.any(Array) });
  });
});

describe("the spill's environment", () => {
  it("names the variable each tool reads for each place, under the spill folder", () => {
    expect(spillEnv(SPILLABLE, "/dev/shm/s", "RUN_TMP")).toEqual({
      CARGO_TARGET_DIR: "/dev/shm/s/cargo-target",
      GOCACHE: "/dev/shm/s/go-build",
      XDG_CACHE_HOME: "/dev/shm/s/cache",
      TMPDIR: "/dev/shm/s/tmp",
      RUN_TMP: "/dev/shm/s/tmp",
    });
  });

  it("sets nothing for the places that stay", () => {
    expect(spillEnv([], "/dev/shm/s", "RUN_TMP")).toEqual({});
    expect(spillEnv(["goBuildCache"], "/dev/shm/s", "RUN_TMP")).toEqual({ GOCACHE: "/dev/shm/s/go-build" });
  });
});
