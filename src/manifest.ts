import * as z from "zod";
import { MANIFEST_JSON_SCHEMA } from "./prebuilt.js";
import { UsageError } from "./errors.js";
import { protoKeyPath } from "./proto-key.js";
import { type Origin, faultFor, fromFile, fromFlags, issuePath, unknownKey } from "./manifest-faults.js";
import { GENERATOR_NAME, GENERATOR_VERSION } from "./version.js";
import { MAX_WORKERS, duplicateWorkers, workerName } from "./worker-names.js";
import { generatorVersion } from "./generator-version.js";
import { goModulePathProblem } from "./go-module-path.js";
import { PROJECT_NAME_BOUND, PROJECT_NAME_MAX, PROJECT_NAME_MIN } from "./project-names.js";
import { ACTIONS, BASE_IMAGES, actionPins, baseImages, imagePins } from "./manifest-pins.js";
import { TOOLCHAIN_DEFAULTS } from "./toolchain-defaults.js";
import { isPlainObject } from "./plain-object.js";

export { DIGEST_RE, baseImages } from "./manifest-pins.js";

/**
 * The manifest (`hybrid-backend.json`) is the single source of truth for a
 * generated repo. This one schema validates it, supplies defaults, yields the
 * JSON Schema written beside it, and lists the choices the CLI flags and
 * prompts offer, so none of those can drift from the others.
 */

export const SCHEMA_FILE = ".hybrid-backend/manifest.schema.json";
export const MANIFEST_FILE = "hybrid-backend.json";
export const DEFAULT_WORKERS = [{ name: "scorer", transport: "tcp" as const }];

export const NAME_RULE =
  `use ${PROJECT_NAME_MIN}-${PROJECT_NAME_MAX} characters (so ${PROJECT_NAME_BOUND} fits its limit): lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen`;
const NAME_RE = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;

export const MODULE_RULE =
  "use a Go module path such as example.com/team/app/orchestrator: slash-separated elements of letters, digits, '.', '-', '_' or '~', the first one lowercase with a dot";

export const VERSION_RULE = "use MAJOR.MINOR, for example 1.26";

export const INGRESS = ["http", "sqs", "kinesis"] as const;
export const QUEUE_INGRESS: readonly string[] = ["sqs", "kinesis"];
export const ROUTERS = ["stdlib", "chi"] as const;
export const SINKS = ["none", "dynamodb"] as const;
export const CI_PROVIDERS = ["github", "gitlab"] as const;
/** tcp: the worker is its own Deployment behind a Service; uds: a sidecar in the orchestrator's pod, over a Unix socket. */
export const TRANSPORTS = ["tcp", "uds"] as const;
/** Where `deploy/` targets; a list so another (ECS) can join without a manifest break. */
export const DEPLOY_TARGETS = ["kubernetes"] as const;

export const projectName = z
  .string()
  .max(PROJECT_NAME_MAX, { message: NAME_RULE })
  .regex(NAME_RE, { message: NAME_RULE });

export const goModulePath = z
  .string()
  .max(200)
  .superRefine((path, ctx) => {
    const problem = goModulePathProblem(path);
    if (problem) ctx.addIssue({ code: "custom", message: `${problem}; ${MODULE_RULE}` });
  });

const toolchainVersion = z.string().regex(/^\d+\.\d+$/, { message: VERSION_RULE });
const semver = z.string().regex(/^\d+\.\d+\.\d+$/, { message: "use MAJOR.MINOR.PATCH, for example 1.75.0" });
/**
 * The one Rust release every place installs or builds with: CI's rustup
 * (both providers), the rust image tag of GitLab's jobs and the Dockerfiles,
 * and Cargo's rust-version. A patch release, because rustup given MAJOR.MINOR
 * installs whatever patch is newest that day, so CI and the images could
 * build with different compilers from one manifest.
 */
export const RUST_RULE = "use the exact release MAJOR.MINOR.PATCH (rustc --version prints it), for example 1.95.0";
const rustRelease = z.string().regex(/^\d+\.\d+\.\d+$/, { message: RUST_RULE });

export const REGISTRY_RULE =
  "use an image repository prefix such as ghcr.io/acme/my-app: a registry host, then lowercase path segments";
const REGISTRY_RE = /^[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/;

// Strict at every depth: an unknown or misspelt key anywhere (orchestrator.routr,
// workers[0].transprot) is an error, where zod's plain objects would drop it silently.
const manifestFields = z.strictObject({
    $schema: z.string().default(`./${SCHEMA_FILE}`),
    generator: z
      .strictObject({ name: z.literal(GENERATOR_NAME), version: generatorVersion })
      .default({ name: GENERATOR_NAME, version: GENERATOR_VERSION }),
    name: projectName,
    orchestrator: z.preprocess(
      defaultSink,
      z.strictObject({
        module: goModulePath,
        ingress: z.enum(INGRESS).default("http"),
        router: z.enum(ROUTERS).default("stdlib"),
        sink: z.enum(SINKS).default("none"),
      }),
    ),
    workers: z
      .array(
        z.strictObject({
          name: workerName,
          transport: z.enum(TRANSPORTS).default("tcp"),
        }),
      )
      .min(1, { message: `list 1 to ${MAX_WORKERS} workers; the first one is the primary` })
      .max(MAX_WORKERS, { message: `list 1 to ${MAX_WORKERS} workers; the first one is the primary` })
      .superRefine((workers, ctx) => {
        for (const i of duplicateWorkers(workers)) {
          ctx.addIssue({ code: "custom", path: [i, "name"], message: "give each worker a different name" });
        }
      })
      .default(DEFAULT_WORKERS),
    contract: z
      .strictObject({ package: z.literal("scoring.v1") })
      .default({ package: "scoring.v1" }),
    ci: z
      .strictObject({
        providers: z.array(z.enum(CI_PROVIDERS)).default(["github"]),
        /** Where CI pushes images from the main branch: REGISTRY/orchestrator, REGISTRY/<worker>. */
        registry: z.string().max(200).regex(REGISTRY_RE, { message: REGISTRY_RULE }),
        /** Present exactly when GitHub is a provider (see actionPins). */
        actions: ACTIONS.optional(),
      }),
    docker: z.boolean().default(true),
    deploy: z.array(z.enum(DEPLOY_TARGETS)).default(["kubernetes"]),
    toolchains: z
      .strictObject({
        go: toolchainVersion.default(TOOLCHAIN_DEFAULTS.go),
        rust: rustRelease.default(TOOLCHAIN_DEFAULTS.rust),
        buf: semver.default(TOOLCHAIN_DEFAULTS.buf),
        /** The vulnerability gate's scanners (the audit job): golang.org/x/vuln and cargo-deny. */
        govulncheck: semver.default(TOOLCHAIN_DEFAULTS.govulncheck),
        cargoDeny: semver.default(TOOLCHAIN_DEFAULTS.cargoDeny),
        /** The rustup installer GitLab's Go-image jobs fetch (its sha256 per host is in images). */
        rustup: semver.default(TOOLCHAIN_DEFAULTS.rustup),
        /** The Kubernetes API version deploy/kubernetes is written and validated for (native sidecars need 1.29+). */
        kubernetes: toolchainVersion.default(TOOLCHAIN_DEFAULTS.kubernetes),
        /** The Go linter `make lint` and CI's Go job run (honnef.co/go/tools). */
        staticcheck: semver.default(TOOLCHAIN_DEFAULTS.staticcheck),
        /** The local AWS emulator `make emulator` installs, queue presets only (PyPI moto[server]). */
        moto: semver.default(TOOLCHAIN_DEFAULTS.moto),
        /** The gRPC client the workers' READMEs call them with (github.com/fullstorydev/grpcurl). */
        grpcurl: semver.default(TOOLCHAIN_DEFAULTS.grpcurl),
      })
      .prefault({}),
    images: BASE_IMAGES,
  });

// Rules across fields: the only ones an answer still to come (a prompt) can mend.
const manifestObject = manifestFields.superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.ci.providers.forEach((p, i) => {
      if (seen.has(p)) {
        ctx.addIssue({
          code: "custom",
          path: ["ci", "providers", i],
          message: "list each CI provider once",
        });
      }
      seen.add(p);
    });
    m.deploy.forEach((d, i) => {
      if (m.deploy.indexOf(d) !== i) ctx.addIssue({ code: "custom", path: ["deploy", i], message: "list each deploy target once" });
    });
    if (m.deploy.includes("kubernetes") && !m.docker) {
      ctx.addIssue({
        code: "custom",
        path: ["deploy"],
        message: "kubernetes runs the images the Dockerfiles build; keep Docker, or use deploy none",
      });
    }
    const { ingress, sink, router } = m.orchestrator;
    const queue = QUEUE_INGRESS.includes(ingress);
    if (sink !== "none" && !queue) {
      ctx.addIssue({
        code: "custom",
        path: ["orchestrator", "sink"],
        message: `a results sink needs a queue ingress (${QUEUE_INGRESS.join(" or ")}); with ingress ${ingress} use sink none`,
      });
    }
    if (router !== "stdlib" && queue) {
      ctx.addIssue({
        code: "custom",
        path: ["orchestrator", "router"],
        message: `the router choice applies to the http ingress; with ingress ${ingress} use router stdlib (it serves only health endpoints)`,
      });
    }
    // The Dockerfiles build FROM these and the CI files pull them: none may go unpinned.
    for (const ref of baseImages(m)) {
      if (!m.images[ref]) {
        ctx.addIssue({
          code: "custom",
          path: ["images", ref],
          message: ref.startsWith("static.rust-lang.org/")
            ? `add the sha256 of https://${ref} (sha256sum of the file)`
            : `add the sha256 digest of ${ref} (docker buildx imagetools inspect ${ref})`,
        });
      }
    }
    const last = m.orchestrator.module.split("/").at(-1);
    if (last === "gen" || last === "internal") {
      ctx.addIssue({
        code: "custom",
        path: ["orchestrator", "module"],
        message: `the last element may not be "${last}"; ${MODULE_RULE}`,
      });
    }
  });

const withDefaults = (input: unknown) => imagePins(defaultDeploy(actionPins(defaultRegistry(input))));
export const manifestSchema = z.preprocess(withDefaults, manifestObject);
const fieldsSchema = z.preprocess(withDefaults, manifestFields);

/**
 * Kubernetes runs the images the Dockerfiles build: without Docker
 * (`--no-docker`) the deploy targets default to none, and asking for both
 * is an error (the schema's rule below).
 */
function defaultDeploy(input: unknown): unknown {
  if (input === null || typeof input !== "object" || "deploy" in input) return input;
  return (input as { docker?: unknown }).docker === false ? { ...input, deploy: [] } : input;
}

/**
 * The image registry defaults to the code host's own: ghcr.io for a
 * github.com module, the GitLab registry for gitlab.com, else registry.HOST
 * (a self-hosted GitLab's convention; edit it in hybrid-backend.json and sync). Derived here so one rule serves CLI, config and sync.
 */
function defaultRegistry(input: unknown): unknown {
  if (input === null || typeof input !== "object") return input;
  const m = input as { name?: unknown; orchestrator?: { module?: unknown }; ci?: unknown };
  // Only an absent ci takes the defaults: a null is a value, and the schema refuses it.
  const ci = m.ci === undefined ? {} : m.ci;
  if (!isPlainObject(ci) || "registry" in ci) return input;
  const name = typeof m.name === "string" ? m.name : "app";
  const module = typeof m.orchestrator?.module === "string" ? m.orchestrator.module : "";
  return { ...m, ci: { ...ci, registry: derivedRegistry(name, module) } };
}

/** The registry a project of this name and module path gets unless ci.registry is set (the README says which it has). */
export function derivedRegistry(name: string, module: string): string {
  const [host, rawOwner] = module.toLowerCase().split("/");
  // Image paths allow less than module paths (no ~, no leading punctuation).
  const owner = rawOwner?.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return host === "github.com" && owner ? `ghcr.io/${owner}/${name}`
    : host === "gitlab.com" && owner ? `registry.gitlab.com/${owner}/${name}`
    : host && owner ? `registry.${host}/${owner}/${name}`
    : `registry.example.com/${name}`;
}

/**
 * A queue pipeline exists to land results somewhere, so its sink defaults to
 * DynamoDB; HTTP answers the caller directly, so its sink defaults to none.
 */
function defaultSink(input: unknown): unknown {
  if (input === null || typeof input !== "object" || "sink" in input) return input;
  const ingress = (input as { ingress?: unknown }).ingress;
  return typeof ingress === "string" && QUEUE_INGRESS.includes(ingress) ? { ...input, sink: "dynamodb" } : input;
}

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestInput = z.input<typeof manifestObject>;

export function defaultModule(name: string): string {
  return `example.com/${name}/orchestrator`;
}

/**
 * Parse unknown input into a manifest, or throw a one-line UsageError naming
 * the field where it was written: pass the file's name (MANIFEST_FILE) or an
 * Origin that tells a --config file's values from the flags'.
 */
export function parseManifest(input: unknown, origin: Origin | string = fromFlags): Manifest {
  const from = typeof origin === "string" ? fromFile(origin) : origin;
  const proto = protoKeyPath(input);
  if (proto) throw unknownKey(proto, ["__proto__"], from, manifestJsonSchema());
  const result = manifestSchema.safeParse(input);
  if (result.success) return result.data;
  throw faultFor(result.error.issues[0]!, input, from, manifestJsonSchema());
}

/**
 * The first fault in partial answers that no answer still to come can mend: a
 * rule on one field, broken at a path `given` says the answers supply. Rules
 * across fields are left to the full parse, since a prompt may yet satisfy
 * them. Lets an interactive run refuse a bad flag before its first question.
 */
export function givenFault(
  input: unknown,
  given: (path: readonly PropertyKey[]) => boolean,
  origin: Origin,
  /** Also the rules across fields, where all the fields they read are known (a prompt choosing among choices). */
  acrossFields = false,
): UsageError | undefined {
  const proto = protoKeyPath(input);
  if (proto) return unknownKey(proto, ["__proto__"], origin, manifestJsonSchema());
  const issue = (acrossFields ? manifestSchema : fieldsSchema).safeParse(input).error?.issues.find((i) => given(issuePath(i)));
  return issue && faultFor(issue, input, origin, manifestJsonSchema());
}

export function manifestJsonSchema(): object {
  // The build computes it once (prebuild.ts); under vitest it is derived here.
  return MANIFEST_JSON_SCHEMA ?? z.toJSONSchema(manifestObject, { io: "input" });
}
