import type { Manifest } from "../manifest.js";

/**
 * Which template tree lands where in the generated repo, and which generated
 * paths exist only for some choices. One table, so adding a component or an
 * option touches one place.
 */
export interface Component {
  /** Folder under templates/. */
  source: string;
  /** Folder in the generated repo ("" = root). */
  target: string;
}

export const COMPONENTS: readonly Component[] = [
  { source: "root", target: "" },
  { source: "proto", target: "proto" },
  { source: "go-orchestrator", target: "orchestrator" },
  { source: "rust-worker", target: "worker" },
  { source: "ci", target: "" },
];

const DOCKER_FILES = /(^|\/)(Dockerfile|docker-compose\.yml|\.dockerignore)$/;

/**
 * Orchestrator folders that exist only for some ingresses. Everything not
 * listed is shared (config, worker client, server, main).
 */
const BY_INGRESS: [RegExp, (ingress: string) => boolean][] = [
  [/^orchestrator\/(internal\/httpapi|cmd\/smoke)\//, (i) => i === "http"],
  [/^orchestrator\/internal\/sqsconsumer\//, (i) => i === "sqs"],
  [/^orchestrator\/internal\/kinesisconsumer\//, (i) => i === "kinesis"],
  [/^orchestrator\/(internal\/(results|awsenv|ops|pipeline)|cmd\/(bootstrap|produce))\//, (i) => i !== "http"],
];

/** Whether a generated path belongs in the repo for this manifest. */
export function includes(path: string, m: Manifest): boolean {
  if (DOCKER_FILES.test(path)) return m.docker;
  if (path.startsWith(".github/")) return m.ci.providers.includes("github");
  const rule = BY_INGRESS.find(([re]) => re.test(path));
  return rule ? rule[1](m.orchestrator.ingress) : true;
}

/**
 * npm drops `.gitignore` (and mangles other dotfiles) from published
 * packages, so templates spell a leading dot as `dot-`.
 */
export function targetName(segment: string): string {
  return segment.startsWith("dot-") ? `.${segment.slice(4)}` : segment;
}
