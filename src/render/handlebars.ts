import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type Handlebars from "handlebars";
import HandlebarsRuntime from "handlebars/runtime";
import { PRECOMPILED, type PrecompiledTemplate } from "../prebuilt.js";
import { isPrerelease } from "../generator-version.js";
import { jobPaths, type CiJob } from "./ci-jobs.js";

/** The argument of env.template(): what Handlebars.precompile returned, evaluated. */
type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

/**
 * Our own Handlebars instance: no HTML escaping (we emit Go, Rust, YAML), and
 * strict, so a misspelt variable fails the render instead of printing "".
 */
const hbs = (HandlebarsRuntime as unknown as typeof Handlebars).create();

hbs.registerHelper("eq", (a: unknown, b: unknown) => a === b);
hbs.registerHelper("includes", (list: unknown, item: unknown) =>
  Array.isArray(list) ? list.includes(item) : false,
);

/**
 * Whether this project's Go dependency set is one of those named. The sets
 * (one per ingress, split by router for http) are what scripts/gen-gomod.mjs
 * resolves go.mod and go.sum for.
 */
hbs.registerHelper("goDeps", function (this: unknown, ...args: unknown[]) {
  const options = args.pop() as Handlebars.HelperOptions;
  const { ingress, router } = (options.data.root as { orchestrator: { ingress: string; router: string } }).orchestrator;
  return args.includes(ingress === "http" ? `http-${router}` : ingress);
});

hbs.registerHelper("startsWith", (text: unknown, prefix: unknown) =>
  typeof text === "string" && typeof prefix === "string" && text.startsWith(prefix),
);

/** `owner/action@sha # version` from the pins recorded in the manifest. */
hbs.registerHelper("uses", (name: string, options: Handlebars.HelperOptions) => {
  const pins = (options.data.root as { ci: { actions?: Record<string, { sha: string; version: string }> } }).ci.actions;
  const pin = pins?.[name];
  if (!pin) throw new Error(`no pinned version for action ${name} in ci.actions`);
  return `${name}@${pin.sha} # ${pin.version}`;
});

/** `IMAGE:TAG@sha256:...` from the digests recorded in the manifest; the parts are joined into IMAGE:TAG. */
hbs.registerHelper("image", (...args: unknown[]) => {
  const options = args.pop() as Handlebars.HelperOptions;
  const ref = args.join("");
  const digest = (options.data.root as { images: Record<string, string> }).images[ref];
  if (!digest) throw new Error(`no digest for base image ${ref} in images`);
  return `${ref}@${digest}`;
});

/**
 * GitLab `rules: changes` of a CI job (the parts are joined into its name),
 * from the job table the GitHub path filters come from too.
 */
hbs.registerHelper("gitlabChanges", (...args: unknown[]) => {
  const options = args.pop() as Handlebars.HelperOptions;
  const name = args.join("");
  const job = (options.data.root as { ciJobs: CiJob[] }).ciJobs.find((j) => j.name === name);
  if (!job) throw new Error(`no CI job ${name} in the job table`);
  return jobPaths(job, "gitlab").join(", ");
});

/** A CI job's timeout in minutes, from the job table (the parts are joined into its name). */
hbs.registerHelper("timeout", (...args: unknown[]) => {
  const options = args.pop() as Handlebars.HelperOptions;
  const name = args.join("");
  const minutes = (options.data.root as { ciTimeouts: Record<string, number> }).ciTimeouts[name];
  if (minutes === undefined) throw new Error(`no timeout for CI job ${name} in the job table`);
  return String(minutes);
});

/** A job's path filter for one provider, as a list (`{{#each (jobPaths this "github")}}`). */
hbs.registerHelper("jobPaths", (job: CiJob, provider: "github" | "gitlab") => jobPaths(job, provider));

/**
 * Whether a recorded generator version is a prerelease, which npx cannot
 * fetch (main carries X.Y.Z-dev, never published): the README then names the
 * copy that wrote the repo, as `make sync HYBRID_BACKEND=...` does.
 */
hbs.registerHelper("prerelease", (version: string) => isPrerelease(version));

/** The registry host of an image repository prefix (what `docker login` takes). */
hbs.registerHelper("registryHost", (registry: string) => registry.split("/")[0]);

/**
 * The one-line header of generated config files (where the format has
 * comments): where they come from, and that edits survive a sync. It names
 * `make sync`, which runs the generator release hybrid-backend.json records
 * (templates/root/Makefile.hbs): a bare `npx create-hybrid-backend sync` ran
 * whatever release was newest that day, upgrading the repo as a side effect,
 * and a release written here would change every generated file each release.
 */
hbs.registerHelper("generatedHeader", () => "# Generated from hybrid-backend.json by create-hybrid-backend. Edit freely: `make sync` merges template updates into your edits.");

/**
 * How every template is compiled, at run time or by the build (prebuild.ts).
 * knownHelpersOnly, with every helper registered above (and the built-ins)
 * as known, so keep this below the last registerHelper: Handlebars compiles
 * `{{name}}` as a plain lookup instead of first asking at run time whether a
 * helper of that name exists, and a template calling an unregistered helper
 * with arguments fails the build (which compiles every template) rather than
 * a user's render; a bare `{{name}}` stays a lookup, which strict mode fails
 * at render if nothing has that name. It also made the bundled templates 4%
 * smaller (1,102 -> 1,057 kB) and rendering them about a tenth faster
 * (renderTemplate's share of CPU profiles of create, 8 runs each).
 */
export const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
  knownHelpers: Object.fromEntries(Object.keys(hbs.helpers).map((name) => [name, true])),
} as const;

/** What a precompiled spec is checked against: the exact source it came from. */
export function templateHash(source: string): string {
  return createHash("sha1").update(source).digest("hex");
}

let precompiled: Readonly<Record<string, PrecompiledTemplate>> = PRECOMPILED;
/** Compiled templates by id and source hash (render may read another templates folder). */
const cache = new Map<string, Handlebars.TemplateDelegate>();
const stats = { precompiled: 0, compiled: 0 };

/** Render from these specs instead of the built-in table (tests compare both paths). */
export function usePrecompiled(specs: Readonly<Record<string, PrecompiledTemplate>>): void {
  precompiled = specs;
  cache.clear();
  stats.precompiled = stats.compiled = 0;
}

/** How many templates came from precompiled specs and how many were compiled here. */
export function templateStats(): { precompiled: number; compiled: number } {
  return { ...stats };
}

/** The ids of the templates that can render without their source (the published package ships none). */
export function precompiledIds(): string[] {
  return Object.keys(precompiled);
}

/**
 * Templates run on Handlebars' runtime alone, as the bundle's come
 * precompiled: the full build (compiler, parser, source-map) was bundled
 * and evaluated on every create only to be unused. It is loaded here, from
 * node_modules, when a template must be compiled after all (a checkout's
 * template edited since its build, tests); the published package, whose
 * templates ship compiled only, never does, and does not carry it. Its
 * spec runs on the same runtime as a precompiled one.
 */
let compiler: typeof Handlebars | undefined;
function compiledSpec(source: string): TemplateSpecification {
  compiler ??= createRequire(import.meta.url)("handlebars") as typeof Handlebars;
  return new Function(`return ${compiler.precompile(source, { ...COMPILE_OPTIONS })}`)() as TemplateSpecification;
}

/** source undefined: the template ships compiled only (see template-files.ts), so its spec is used unchecked. */
function templateFor(id: string, source: string | undefined): Handlebars.TemplateDelegate {
  const hash = source === undefined ? undefined : templateHash(source);
  const key = `${id}\0${hash ?? "compiled only"}`;
  let template = cache.get(key);
  if (template) return template;
  const built = precompiled[id];
  if (built && (hash === undefined || built.hash === hash)) {
    template = hbs.template(built.spec as TemplateSpecification);
    stats.precompiled++;
  } else {
    if (source === undefined) throw new Error(`template ${id}: neither its source nor its compiled form is here`);
    template = hbs.template(compiledSpec(source));
    stats.compiled++;
  }
  cache.set(key, template);
  return template;
}

/** What a template includes as `{{> name}}`, by name (see partialName in template-files.ts). */
export type Partials = Readonly<Record<string, Handlebars.TemplateDelegate>>;

/** The partials of one component, each compiled (or taken precompiled) as any template is. */
export function partialTemplates(partials: readonly { name: string; id: string; source: string | undefined }[]): Partials {
  return Object.fromEntries(partials.map(({ name, id, source }) => [name, templateFor(id, source)]));
}

export function renderTemplate(id: string, source: string | undefined, context: object, partials: Partials = {}): string {
  const template = templateFor(id, source);
  try {
    return template(context, { partials });
  } catch (err) {
    throw new Error(`template ${id}: ${(err as Error).message}`);
  }
}
