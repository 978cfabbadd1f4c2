import Handlebars from "handlebars";

/**
 * Our own Handlebars instance: no HTML escaping (we emit Go, Rust, YAML), and
 * strict, so a misspelt variable fails the render instead of printing "".
 */
const hbs = Handlebars.create();

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

/**
 * The one-line header of generated config files (where the format has
 * comments): where they come from, and that edits survive `sync`.
 */
hbs.registerHelper(
  "generatedHeader",
  () => "# Generated from hybrid-backend.json by create-hybrid-backend. Edit freely: `npx create-hybrid-backend sync` merges template updates into your edits.",
);

const cache = new Map<string, Handlebars.TemplateDelegate>();

export function renderTemplate(id: string, source: string, context: object): string {
  let template = cache.get(id);
  if (!template) {
    template = hbs.compile(source, { noEscape: true, strict: true });
    cache.set(id, template);
  }
  try {
    return template(context);
  } catch (err) {
    throw new Error(`template ${id}: ${(err as Error).message}`);
  }
}
