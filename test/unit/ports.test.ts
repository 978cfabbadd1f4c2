import { mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RESERVATION_MS, candidateRange, ephemeralRange, freePort, reserve } from "../../src/validate/ports.js";
import { startService, waitFor } from "../../src/validate/processes.js";

const reservations = () => mkdtempSync(join(tmpdir(), "ports-"));

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

  it("returns a port that binds and that neither a listen(0) nor an outgoing connection on this machine can be handed", async () => {
    const [low, high] = ephemeralRange();
    const port = await freePort(reservations());
    expect(port < low || port > high, `${port} inside ${low}-${high}`).toBe(true);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => srv.once("error", reject).listen(port, "127.0.0.1", resolve));
    await new Promise((r) => srv.close(r));
  });

  it("never gives one port to two callers at once, which is what parallel test files and validates are", async () => {
    const dir = reservations();
    const ports = await Promise.all(Array.from({ length: 150 }, () => freePort(dir)));
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("holds a reservation for its lifetime, then lets it be taken over", () => {
    const dir = reservations();
    const now = Date.now();
    expect(reserve(20_001, dir, now)).toBe(true);
    expect(reserve(20_001, dir, now + 1_000)).toBe(false);
    expect(reserve(20_001, dir, now + RESERVATION_MS + 1)).toBe(true);
    expect(reserve(20_001, dir, now + RESERVATION_MS + 2)).toBe(false);
  });

  it("skips a port another caller reserved, and ignores a stale reservation", () => {
    const dir = reservations();
    writeFileSync(join(dir, "20002"), "");
    expect(reserve(20_002, dir)).toBe(false);
    const old = new Date(Date.now() - RESERVATION_MS - 5_000);
    utimesSync(join(dir, "20002"), old, old);
    expect(reserve(20_002, dir)).toBe(true);
  });

  it("still works, by the bind check alone, when the reservations folder cannot be written", async () => {
    const file = join(reservations(), "a-file");
    writeFileSync(file, "");
    const port = await freePort(join(file, "reservations"));
    expect(port).toBeGreaterThan(0);
  });
});

describe("a service that dies while starting", () => {
  it("is reported with the last line it logged, escaped", async () => {
    const log = join(reservations(), "svc.log");
    const svc = startService("orchestrator", "sh", {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? "" },
      log,
      args: ["-c", 'echo starting; printf "listen tcp 127.0.0.1:20003: bind: address already in use\\033[0m\\n" >&2; exit 1'],
    });
    await expect(waitFor("GET /readyz to return 200", svc, async () => false, 10_000)).rejects.toThrow(
      "orchestrator exited before GET /readyz to return 200; its log ends: listen tcp 127.0.0.1:20003: bind: address already in use\\u001b[0m",
    );
  });
});
