import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * What validate has running or lying around, so an interrupt can undo it:
 * every child is started in its own process group (execa `detached`), so one
 * signal reaches the tool and everything it spawned (cargo's rustc jobs, go's
 * compilers, a service's children), and the terminal's Ctrl-C reaches only us,
 * which then stops them in order instead of leaving half-dead builds behind.
 */
const groups = new Set<number>();
const temps = new Set<string>();

export function trackGroup(pid: number | undefined): () => void {
  if (pid === undefined) return () => {};
  groups.add(pid);
  return () => groups.delete(pid);
}

/** A fresh temporary folder, removed by an interrupt if not released first. */
export function tempFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.add(dir);
  return dir;
}

/** Removes a temporary folder now. */
export function removeTemp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  temps.delete(dir);
}

let stopping = false;

/** True once a signal arrived: the run's results are moot, only cleanup is left. */
export function interrupted(): boolean {
  return stopping;
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to every tracked process group, SIGKILL to those still there after
 * graceMs, then every temporary folder of the run removed (failure logs too:
 * they would only record the interrupt). Returns how many groups it
 * had to stop.
 */
export async function stopEverything(graceMs = 3_000): Promise<number> {
  const pending = [...groups];
  for (const g of pending) signalGroup(g, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (pending.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const g of pending) if (alive(g)) signalGroup(g, "SIGKILL");
  groups.clear();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  temps.clear();
  return pending.length;
}

const EXIT_CODE: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Until the returned function is called, SIGINT/SIGTERM/SIGHUP stop every
 * child, remove the temporary folders, print `message` once and exit with
 * 128 + the signal number. A second Ctrl-C while stopping is ignored.
 */
export function onInterrupt(message: () => string, before: () => void = () => {}): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    before();
    void stopEverything().finally(() => {
      process.stderr.write(`${message()}\n`);
      process.exit(EXIT_CODE[signal] ?? 130);
    });
  };
  const signals = Object.keys(EXIT_CODE) as NodeJS.Signals[];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
