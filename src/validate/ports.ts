import { closeSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/*
 * Why not the usual listen(0)-then-close: the port it returns is free only
 * until it is closed. Until the service binds it, the kernel may hand the
 * same port to any process on the machine, for a listen(0) or, far more
 * often, as the source port of an outgoing connection (a load test opens
 * thousands); the service then dies with "address already in use". A clean-
 * clone CI lost a smoke test that way. get-port and portfinder have the same
 * window and only lock ports within one process, while vitest runs e2e files
 * in several. So, after Google's portpicker: pick below the kernel's
 * ephemeral range, where nothing is ever bound implicitly; reserve the pick
 * across processes; then check it binds.
 */

/** Lowest candidate: below it sit well-known defaults (8080, 9090) a developer may be running. */
const LOWEST = 10_000;
/** Enough candidates that a random pick rarely meets a port in use. */
const MIN_CANDIDATES = 1_000;
/**
 * How long a pick stays reserved. Callers may pick a port minutes before its
 * service binds it (the smoke picks the orchestrator's before the workers
 * start), or rebind it after a restart; 22,768 candidates leave room to hold
 * every pick of a whole test run this long.
 */
export const RESERVATION_MS = 10 * 60_000;
const ATTEMPTS = 200;

/**
 * The kernel's ephemeral (implicit-bind) range, inclusive. Linux publishes
 * it; elsewhere (macOS, Windows) IANA's dynamic range 49152–65535 is the default.
 */
export function ephemeralRange(read: () => string = () => readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")): [number, number] {
  try {
    const [low = NaN, high = NaN] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && 0 < low && low <= high && high <= 65_535) return [low, high];
  } catch {
    // not Linux: the IANA default below
  }
  return [49_152, 65_535];
}

/** The ports freePort picks from, inclusive: below the ephemeral range, or above it when too little is left below. */
export function candidateRange([low, high]: [number, number]): [number, number] {
  if (low - LOWEST >= MIN_CANDIDATES) return [LOWEST, low - 1];
  if (65_535 - high >= MIN_CANDIDATES) return [high + 1, 65_535];
  return [LOWEST, 65_535]; // no room outside: bind checks and reservations still apply
}

/**
 * Reserve port for RESERVATION_MS against every other caller on this
 * machine: a file created exclusively, holding this process's id and
 * stamped `now`, or a stale one taken over. False when someone else holds
 * it. Stale is either of:
 * - its owner has exited: a process killed with SIGKILL runs no exit
 *   handler, so only the id it left says its reservations are free;
 * - its stamp is further from `now` than RESERVATION_MS, either way, so a
 *   clock step cannot make one permanent; this also frees a file whose id
 *   cannot be read, or whose owner's id the system has reused.
 * Two processes taking over the same stale file in the same instant could
 * both win; that also needs the same random pick, and is left.
 */
export function reserve(port: number, dir: string, now = Date.now()): boolean {
  const file = join(dir, String(port));
  const claim = (flags: "wx" | "w") => {
    const fd = openSync(file, flags);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    const at = new Date(now);
    utimesSync(file, at, at);
    held(file);
  };
  try {
    claim("wx");
    return true;
  } catch (e) {
    // An unwritable folder (another user's, a read-only temp) leaves only the bind check.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") return true;
  }
  try {
    if (ownerAlive(file) && Math.abs(now - statSync(file).mtimeMs) < RESERVATION_MS) return false;
    claim("w");
  } catch {
    // removed or not ours meanwhile: the bind check decides
  }
  return true;
}

/**
 * Whether the process whose id a reservation holds may still be running:
 * true unless the id reads and signal 0 finds no such process (ESRCH).
 * EPERM means it runs as someone else, so it is alive too.
 */
function ownerAlive(file: string): boolean {
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Reservations this process made: its services go when it does, and so do they. */
const ours = new Set<string>();
let releasedAtExit = false;

function held(file: string): void {
  if (!releasedAtExit) process.once("exit", releaseReservations);
  releasedAtExit = true;
  ours.add(file);
}

/**
 * Removes this process's reservations, and their folder once no other
 * process has one there, so a finished run leaves nothing in the temp
 * folder. Runs at exit; synchronous, as an exit handler must be.
 */
export function releaseReservations(): void {
  const dirs = new Set<string>();
  for (const file of ours) {
    dirs.add(dirname(file));
    try {
      unlinkSync(file);
    } catch {
      // already taken over or removed
    }
  }
  ours.clear();
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      // another process still holds ports there (ENOTEMPTY), or it is gone
    }
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** The kernel's pick: the fallback when every attempt above met a port in use. */
function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Per user, so one user's folder never blocks another's reservations. */
function defaultReservations(): string {
  return join(tmpdir(), `create-hybrid-backend-ports-${process.getuid?.() ?? "user"}`);
}

/**
 * A loopback TCP port that binds now and stays out of every other freePort
 * caller's hands for RESERVATION_MS: bind it within that time. `random`
 * ([0, 1), as Math.random) is for tests.
 */
export async function freePort(dir = defaultReservations(), random: () => number = Math.random): Promise<number> {
  try {
    // One level, not recursive: the temp folder exists, and Node's recursive mkdir spins forever on some refusals (ENOENT under /proc).
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // reserve() then falls back to the bind check alone
  }
  const [from, to] = candidateRange(ephemeralRange());
  for (let i = 0; i < ATTEMPTS; i++) {
    const port = from + Math.floor(random() * (to - from + 1));
    if (reserve(port, dir) && (await bindable(port))) return port;
  }
  // Every pick was taken: the kernel's, which the reservation still guards from our other callers.
  const port = await anyPort();
  reserve(port, dir);
  return port;
}
