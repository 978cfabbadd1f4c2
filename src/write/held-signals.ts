/**
 * Ctrl-C / SIGTERM recorded instead of acted on while the repo is changed:
 * acted on (exit 130 / 143) at the next checkpoint, one turn of the event
 * loop, where synchronous work has let the signal's listener run; undo, if
 * given, runs first. While a hold is on, other listeners that would exit on
 * a signal (the repository lock's, repo-lock.ts) leave it to the holder:
 * signalsHeld() says so. Asked explicitly, not read from the number of
 * listeners: libraries (execa's signal-exit) add listeners of their own.
 */
let holds = 0;

export function signalsHeld(): boolean {
  return holds > 0;
}

export function holdSignals(): { checkpoint(undo?: () => void): Promise<void>; release(): void } {
  let signal: NodeJS.Signals | undefined;
  let released = false;
  const onSignal = (s: NodeJS.Signals) => {
    signal ??= s;
  };
  holds++;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    async checkpoint(undo) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!signal) return;
      undo?.();
      process.exit(signal === "SIGINT" ? 130 : 143);
    },
    release() {
      if (released) return;
      released = true;
      holds--;
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}
