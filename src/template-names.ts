import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEMPLATE_NAMES } from "./prebuilt.js";

/**
 * The fixed names the templates give things a worker's name would sit
 * beside: compose services, Kubernetes objects and the orchestrator's
 * commands. Read from the templates themselves, so a service or object added
 * there is reserved for workers with no second list to keep in step.
 */

/** Service keys written literally (not from a {{...}} expression) under `services:` in a compose template. */
export function literalServices(source: string): string[] {
  const out: string[] = [];
  let inServices = false;
  for (const line of source.split("\n")) {
    if (/^[A-Za-z{]/.test(line)) inServices = line.startsWith("services:") || (inServices && line.startsWith("{{"));
    const key = inServices ? /^ {2}([A-Za-z0-9][A-Za-z0-9_.-]*):\s*$/.exec(line) : null;
    if (key) out.push(key[1]!);
  }
  return out;
}

/** metadata.name and configMapGenerator names written literally in a Kubernetes template. */
export function literalObjectNames(source: string): string[] {
  return [...source.matchAll(/^ {2}(?:- )?name: ([a-z0-9][a-z0-9.-]*)\s*$/gm)].map((m) => m[1]!);
}

export interface TemplateNames {
  composeServices: string[];
  kubernetesObjects: string[];
  commands: string[];
}

let cached: TemplateNames | undefined;

/** The names, as the build read them (see prebuild.ts) or, under vitest, read now. */
export function templateNames(): TemplateNames {
  cached ??= TEMPLATE_NAMES ?? templateNamesIn(templatesDir());
  return cached;
}

/** The names the templates under dir give things. */
export function templateNamesIn(dir: string): TemplateNames {
  const kube = join(dir, "deploy", "kubernetes");
  return {
    composeServices: literalServices(readFileSync(join(dir, "root", "docker-compose.yml.hbs"), "utf8")),
    kubernetesObjects: [
      ...new Set(
        (readdirSync(kube, { recursive: true }) as string[])
          .filter((p) => p.endsWith(".hbs"))
          .flatMap((p) => literalObjectNames(readFileSync(join(kube, p), "utf8"))),
      ),
    ],
    commands: readdirSync(join(dir, "go-orchestrator", "cmd")).sort(),
  };
}

/**
 * paths.ts finds templates/ when it is imported, which the build's prebuild
 * script (run outside the package) cannot do; so the walk happens here, and
 * only when a name is checked without the build's list.
 */
function templatesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "templates", "root", "docker-compose.yml.hbs"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the create-hybrid-backend templates");
    dir = parent;
  }
  return join(dir, "templates");
}
