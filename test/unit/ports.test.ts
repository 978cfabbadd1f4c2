import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RESERVATION_MS, candidateRange, ephemeralRange, freePort, releaseReservations, reserve } from "../../src/validate/ports.js";
import { startService, waitFor } from "../../src/validate/processes.js";
import { tempDir } from "../helpers/temp-dirs.js";

const reservations = () => tempDir("ports-");

describe("freePort", () => {
  it("reads the kernel's ephemeral range, and falls back to IANA's where there is none", () => {
    expect(ephemeralRange(() => "32768\t60999\n")).toEqual([32768, 60999]);
    expect(ephemeralRange(() => "garbage")).toEqual([49152, 65535]);
    expect(ephemeralRange(() => "61000 1024")).toEqual([49152, 65535]);
    expect(
      ephemeralRange(() => {
        throw new Error("ENOENT");
      }),
    ).toEqual([49152, 65535]);
  });

  it("picks below the ephemeral range, above it when too little is left, and anywhere when neither has room", () => {
    expect(candidateRange([32768, 60999])).toEqual([10000, 32767]);
    expect(candidateRange([49152, 65535])).toEqual([10000, 49151]);
    expect(candidateRange([10500, 60000])).toEqual([60001, 65535]);
    expect(candidateRange([1024, 65000])).toEqual([10000, 65535]);
  });

  it("returns a port that binds, from where neither a listen(0) nor an outgoing connection on this machine is handed one", async () => {
    const [low, high] = ephemeralRange();
    const [from, to] = candidateRange([low, high]);
    const port = await freePort(reservations());
    expect(port >= from && port <= to, `${port} outside ${from}-${to}`).toBe(true);
    // Only a machine whose ephemeral range leaves no room (say 1024-65535) has candidates inside it.
    if (to < low || from > high) expect(port < low || port > high, `${port} inside ${low}-${high}`).toBe(true);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((r) => srv.close(r));
  });

  it("never gives a reserved port to another caller, though it is free to bind until its service starts", async () => {
    const dir = reservations();
    const samePick = () => 0.5; // every caller's random pick lands on one port
    const first = await freePort(dir, samePick);
    const second = await freePort(dir, samePick);
    expect(second).not.toBe(first);
    expect(await freePort(reservations(), samePick), "another machine's callers (another folder) may pick it").toBe(first);
  });

  it("holds a reservation for its lifetime, then lets it be taken over", () => {
    const dir = reservations();
    const now = Date.now();
    expect(reserve(20_001, dir, now)).toBe(true);
    expect(reserve(20_001, dir, now + 1_000)).toBe(false);
    expect(reserve(20_001, dir, now + RESERVATION_MS + 1)).toBe(true);
    expect(reserve(20_001, dir, now + RESERVATION_MS + 2)).toBe(false);
  });

  it("lets a reservation stamped in the future (a clock stepped back) expire too", () => {
    const dir = reservations();
    const now = Date.now();
    expect(reserve(20_004, dir, now + 2 * RESERVATION_MS)).toBe(true);
    expect(reserve(20_004, dir, now)).toBe(true);
  });

  it("skips a port another caller reserved, and ignores a stale reservation", () => {
    const dir = reservations();
    writeFileSync(join(dir, "20002"), "");
    expect(reserve(20_002, dir)).toBe(false);
    const old = new Date(Date.now() - RESERVATION_MS - 5_000);
    utimesSync(join(dir, "20002"), old, old);
    expect(reserve(20_002, dir)).toBe(true);
  });

  it("takes over at once a reservation whose owner has exited (killed, so it never released it), but not a live owner's", () => {
    const dir = reservations();
    const exited = spawnSync(process.execPath, ["-e", ""]).pid;
    expect(exited).toBeGreaterThan(0);
    writeFileSync(join(dir, "20006"), `${exited}\n`);
    expect(reserve(20_006, dir), "its owner has exited").toBe(true);
    expect(readFileSync(join(dir, "20006"), "utf8"), "now this process's").toBe(`${process.pid}\n`);
    writeFileSync(join(dir, "20007"), `${process.ppid}\n`); // alive: the process that started this one
    expect(reserve(20_007, dir), "its owner is alive").toBe(false);
    writeFileSync(join(dir, "20008"), "not a process id\n");
    expect(reserve(20_008, dir), "no id to check: its stamp decides").toBe(false);
  });

  it("writes its own process id into each reservation it makes", async () => {
    const dir = reservations();
    const port = await freePort(dir);
    expect(readFileSync(join(dir, String(port)), "utf8")).toBe(`${process.pid}\n`);
  });

  it("removes its own reservations, and their folder once empty, leaving other processes' in place", async () => {
    const mine = join(reservations(), "ports");
    await freePort(mine);
    await freePort(mine);
    const shared = join(reservations(), "ports");
    await freePort(shared);
    writeFileSync(join(shared, "20005"), ""); // another process's
    releaseReservations();
    expect(existsSync(mine), "a folder only this process used").toBe(false);
    expect(readdirSync(shared)).toEqual(["20005"]);
  });

  it("still works, by the bind check alone, when the reservations folder cannot be written", async () => {
    const file = join(reservations(), "a-file");
    writeFileSync(file, "");
    const port = await freePort(join(file, "reservations"));
    expect(port).toBeGreaterThan(0);
  });
});

describe("a service that dies while starting", () => {
  const dies = (script: string, log = join(tempDir("svc-"), "svc.log")) =>
    waitFor("GET /readyz to return 200", startService("orchestrator", "sh", { cwd: tmpdir(), env: { PATH: process.env.PATH ?? "" }, log, args: ["-c", script] }), async () => false, 10_000);

  it("is reported with the last line it logged, escaped, whichever stream it came last on", async () => {
    await expect(dies('echo starting; printf "listen tcp 127.0.0.1:20003: bind: address already in use\\033[0m\\n" >&2; exit 1')).rejects.toThrow(
      "orchestrator exited before GET /readyz to return 200; its log ends: listen tcp 127.0.0.1:20003: bind: address already in use\\u001b[0m",
    );
  });

  it("with a panic's own words, not Rust's closing hint", async () => {
    const panic = "printf \"thread 'main' panicked at src/main.rs:9:5:\\nMODEL_PATH: no such file\\nnote: run with \\`RUST_BACKTRACE=1\\` environment variable to display a backtrace\\n\" >&2; exit 101";
    await expect(dies(panic)).rejects.toThrow(/its log ends: MODEL_PATH: no such file$/);
  });

  it("never with an earlier run's line from the same log file", async () => {
    const log = join(tempDir("svc-"), "svc.log");
    writeFileSync(log, "bind: address already in use\n");
    await expect(dies("exit 3", log)).rejects.toThrow(/^orchestrator exited before GET \/readyz to return 200$/);
  });

  it("cut to 300 characters, on a character boundary", async () => {
    await expect(dies(`printf '${"😀".repeat(400)}\\n'; exit 1`)).rejects.toThrow(`its log ends: ${"😀".repeat(300)}…`);
  });
});
