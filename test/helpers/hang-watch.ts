import { execFileSync } from "node:child_process";
import type { Result, ResultPromise } from "execa";
import { TestRunner } from "vitest";

/** How long before the test's own timeout a hung child is reported, so the report is not cut off by it. */
const MARGIN_MS = 10_000;

/**
 * When a child run by a test will still be running as the test times out, in
 * ms; undefined outside a test (hooks), where no watch is kept. Derived from
 * the test's own timeout, so vitest's bare "Test timed out" never hides what
 * the child was doing.
 */
export function hangAfterMs(): number | undefined {
  const timeout = TestRunner.getCurrentTest()?.timeout;
  return timeout ? Math.max(timeout - MARGIN_MS, timeout / 2) : undefined;
}

/** One process of a tree, as `ps` printed it, and how deep under the root it sits. */
interface TreeRow {
  pid: number;
  depth: number;
  line: string;
}

/**
 * The processes under root, root first (pid, parent, seconds running, state,
 * kernel wait channel, command line, from one `ps` snapshot): which git or
 * tool a hung run waits on, and, for a process with no child left, on what:
 * do_epoll_wait is an idle event loop (Node waiting on a handle: a pipe a
 * grandchild still holds, a timer), pipe_read / pipe_write a blocking read or
 * write, futex_wait a lock or a thread. A string when ps could not run.
 */
function treeRows(root: number): TreeRow[] | string {
  let rows: { pid: number; ppid: number; line: string }[];
  try {
    rows = execFileSync("ps", ["-e", "-o", "pid=,ppid=,etimes=,stat=,wchan:32=,args="], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const [pid, ppid] = line.trim().split(/\s+/, 2).map(Number);
        return { pid: pid!, ppid: ppid!, line: line.trim() };
      });
  } catch (err) {
    return `(ps failed: ${(err as Error).message})`;
  }
  const tree: TreeRow[] = [];
  const visit = (pid: number, depth: number) => {
    for (const row of rows.filter((r) => r.pid === pid)) tree.push({ pid, depth, line: row.line });
    for (const child of rows.filter((r) => r.ppid === pid)) visit(child.pid, depth + 1);
  };
  visit(root, 0);
  return tree;
}

/** treeRows as text, one indented line a process. */
function format(rows: TreeRow[] | string): string {
  if (typeof rows === "string") return rows;
  return rows.length > 0 ? rows.map((r) => `${"  ".repeat(r.depth)}${r.line}`).join("\n") : "(no process left)";
}

/** The process tree under root as text, for a report. */
export function processTree(root: number): string {
  return format(treeRows(root));
}

/**
 * The child's result, or, if it still runs hangAfterMs() into the test, an
 * error carrying its process tree at that moment and what it printed, after
 * killing that tree (SIGKILL, leaves first).
 */
export async function untilHung<R extends Result>(child: ResultPromise & Promise<R>, what: string, after = hangAfterMs()): Promise<R> {
  let hung: string | undefined;
  const watch =
    after === undefined
      ? undefined
      : setTimeout(() => {
          // One snapshot both reports the tree and names what to kill, leaves first.
          const rows = treeRows(child.pid!);
          hung = format(rows);
          // Without ps, the child at least.
          const pids = typeof rows === "string" ? [child.pid!] : rows.map((r) => r.pid).reverse();
          for (const pid of pids) {
            try {
              process.kill(pid, "SIGKILL");
            } catch {
              /* already gone */
            }
          }
        }, after);
  const result = await child;
  clearTimeout(watch);
  if (hung !== undefined) {
    throw new Error(`${what} still ran after ${after} ms; killed. Its processes then:\n${hung}\nstdout:\n${String(result.stdout)}\nstderr:\n${String(result.stderr)}`);
  }
  return result;
}
