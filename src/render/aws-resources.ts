import type { Manifest } from "../manifest.js";

/**
 * What `make bootstrap` (cmd/bootstrap) creates for a queue preset, in words:
 * one phrase for the Makefile's help, the README's Commands row and its Try it
 * comment, which had drifted apart ("the queue and tables" with one table; "the
 * stream" without its lease and dead-letter tables). Undefined for http.
 */
export function awsResources(m: Manifest): string | undefined {
  const { ingress, sink } = m.orchestrator;
  if (ingress === "http") return undefined;
  const own = ingress === "sqs" ? ["the queue", "its dead-letter queue"] : ["the stream", "the lease table", "the dead-letter table"];
  const all = sink === "dynamodb" ? [...own, "the results table"] : own;
  return `${all.slice(0, -1).join(", ")} and ${all.at(-1)}`;
}
