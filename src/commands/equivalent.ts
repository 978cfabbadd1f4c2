import type { Manifest } from "../manifest.js";
import { shellQuote } from "../human.js";
import { DEFAULT_WORKERS, defaultModule } from "../manifest.js";
import { selfCommand } from "../self-command.js";

/**
 * The one-line, prompt-free command that reproduces an interactive run. It
 * starts the tool the way this run was started (selfCommand): `npm create
 * hybrid-backend@latest` failed from a checkout or a tarball (a release not on
 * the registry) and, once published, could run another release than the one
 * that asked the questions.
 */
export function equivalentCommand(dir: string, m: Manifest, self: string = selfCommand(), switches: readonly string[] = []): string {
  const flags: string[] = ["--yes"];
  if (m.orchestrator.module !== defaultModule(m.name)) flags.push(`--module ${m.orchestrator.module}`);
  const { ingress, router, sink } = m.orchestrator;
  flags.push(`--ingress ${ingress}`, ingress === "http" ? `--router ${router}` : `--sink ${sink}`);
  flags.push(`--ci ${m.ci.providers.length ? m.ci.providers.join(",") : "none"}`);
  if (!m.docker) flags.push("--no-docker");
  if (!m.deploy.length) flags.push("--deploy none");
  const names = m.workers.map((w) => w.name).join(",");
  if (names !== DEFAULT_WORKERS.map((w) => w.name).join(",")) flags.push(`--workers ${names}`);
  // Only when every worker shares one transport; per-worker choices live in hybrid-backend.json.
  const transports = new Set(m.workers.map((w) => w.transport));
  if (transports.size === 1 && !transports.has("tcp")) flags.push(`--transport ${[...transports][0]}`);
  const nameFlag = dir.split("/").at(-1) === m.name ? "" : ` --name ${m.name}`;
  return `${self} ${shellQuote(dir)} ${[...flags, ...switches].join(" ")}${nameFlag}`;
}
