import { execa } from "execa";

/**
 * The commands a generated repo's docs give: fenced blocks of its READMEs,
 * the command lines of docker-compose.yml's header, the targets `make help`
 * lists. Shared by the e2e test that runs them all.
 */
export interface DocBlock {
  /** File the block is in, relative to the repo. */
  file: string;
  /** The fence's info string split in words: ["sh"], ["sh", "docker"], ["text"]. */
  info: string[];
  text: string;
}

export function fencedBlocks(file: string, md: string): DocBlock[] {
  return [...md.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({ file, info: m[1]!.trim().split(/\s+/).filter(Boolean), text: m[2]! }));
}

/** Shell blocks run; `text` blocks are diagrams; `sh docker` blocks need a Docker engine. */
export const isShell = (b: DocBlock) => b.info[0] === "sh";
export const needsDocker = (b: DocBlock) => b.info.includes("docker");
/** Blocks that need a Kubernetes cluster (```sh cluster): none here; their manifests are built statically. */
export const needsCluster = (b: DocBlock) => b.info.includes("cluster");

/** docker-compose.yml's header: the indented command lines of its leading comment. */
export function composeHeaderCommands(compose: string): string[] {
  const header: string[] = [];
  for (const line of compose.split("\n")) {
    if (!line.startsWith("#")) break;
    const m = /^#\s{3}(\S.*)$/.exec(line);
    if (m) header.push(m[1]!);
  }
  return header;
}

/** `make help`'s lines: "  target   what it does". */
export function helpTargets(help: string): string[] {
  return help
    .split("\n")
    .map((l) => /^\s+([a-z][a-z-]*)\s+\S/.exec(l)?.[1])
    .filter((t): t is string => Boolean(t));
}

/**
 * Run a doc block with bash as a reader would paste it (-e: a failing line
 * fails the block), in its own process group, bounded in time; whatever it
 * left running is killed with the group afterwards, so no server outlives
 * the test. Returns the result with stdout and stderr interleaved.
 */
export async function runBlock(text: string, cwd: string, env: Record<string, string>, timeoutMs: number) {
  const child = execa("bash", ["-eo", "pipefail", "-c", text], {
    cwd,
    env,
    reject: false,
    all: true,
    stdin: "ignore",
    detached: true,
    timeout: timeoutMs,
    killSignal: "SIGTERM",
  });
  try {
    return await child;
  } finally {
    // The group is ours: the bash started above leads it. ESRCH means nothing was left.
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      /* the group has exited */
    }
  }
}
