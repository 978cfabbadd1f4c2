import * as z from "zod";
import { SHARED_CRATES } from "./render/components.js";
import { templateNames } from "./template-names.js";

/**
 * A worker's name becomes a Rust crate and binary, a folder, a Go identifier
 * (capitalised), part of an environment variable (upper-cased), a compose
 * service and a DNS label, so it takes the one shape all of those accept.
 */
export const WORKER_NAME_RULE =
  "use 2-24 characters: lowercase letters and digits, starting with a letter (it names a Rust crate, a compose service and WORKER_<NAME>_ADDR)";
const WORKER_NAME_RE = /^[a-z][a-z0-9]{1,23}$/;

export const MAX_WORKERS = 8;

/**
 * Third-party crates in the workers' Cargo.lock whose names fit the rule: a
 * worker of the same name would clash with them in the lock and in `use`
 * paths. A unit test keeps this list equal to the lock.
 */
export const LOCKED_CRATES = [
  "anyhow", "axum", "base64", "bitflags", "bumpalo", "bytes", "cc", "deranged", "either", "equivalent", "errno", "fastrand",
  "fixedbitset", "fnv", "foldhash", "getrandom", "h2", "hashbrown", "heck", "hex", "http", "httparse",
  "httpdate", "hyper", "indexmap", "itertools", "itoa", "libc", "log", "logos", "matchit", "memchr",
  "miette", "mimalloc", "mime", "mio", "multimap", "opentelemetry", "petgraph", "powerfmt", "prettyplease", "procfs", "prometheus",
  "prost", "protox", "quote", "rand", "rayon", "regex", "rustix", "rustversion", "scopeguard", "serde",
  "shlex", "slab", "smallvec", "socket2", "symlink", "syn", "tempfile", "thiserror", "time", "tokio", "tonic", "tower", "tracing",
  "valuable", "want", "wasi", "wasip2", "zerocopy", "zmij",
] as const;

/** Why each name is reserved; built on first use, since part of it is read from the templates. */
let reserved: Record<string, string> | undefined;
function reservedNames(): Record<string, string> {
  if (reserved) return reserved;
  const fixed = templateNames();
  const table: Record<string, string> = Object.fromEntries([
    // Commands of the orchestrator (cmd/NAME, bin/NAME), then Kubernetes objects and compose services;
    // later entries win, so the message names the most visible clash.
    ...fixed.commands.map((n) => [n, "it names an orchestrator command"]),
    ...fixed.kubernetesObjects.map((n) => [n, "it names another object in deploy/kubernetes"]),
    ...fixed.composeServices.map((n) => [n, "it names another service in docker-compose.yml"]),
    // Folders beside the crates in workers/ and at the repo root, and the alias the crates' code uses.
    ...["target", "worker", "workers", "proto", "testdata", "scripts", "bin", "gen"].map((n) => [n, "it names a generated folder"]),
    // The workspace's shared crates (today's name rule already keeps their hyphen out).
    ...SHARED_CRATES.map((n) => [n, "it names a crate every worker shares"]),
    // Cargo refuses these as package names, or they shadow the standard crates.
    ...["std", "core", "alloc", "test", "self", "super", "crate", "build", "deps", "examples", "incremental"].map((n) => [n, "Cargo reserves it"]),
    ...rustKeywords().map((n) => [n, "it is a Rust keyword"]),
    ...LOCKED_CRATES.map((n) => [n, "a dependency in the workers' Cargo.lock has that name"]),
  ]);
  reserved = table;
  return table;
}

function rustKeywords(): string[] {
  return (
    "as async await break const continue dyn else enum extern false fn for gen if impl in let loop match mod move mut " +
    "pub ref return static struct trait true try type unsafe use where while abstract become box do final macro " +
    "override priv typeof unsized virtual yield"
  ).split(" ");
}

export const workerName = z
  .string()
  .regex(WORKER_NAME_RE, { message: WORKER_NAME_RULE })
  .superRefine((name, ctx) => {
    const why = reservedNames()[name];
    if (why) ctx.addIssue({ code: "custom", message: `"${name}" is reserved (${why}); ${WORKER_NAME_RULE}` });
  });

/** Duplicate names, reported at the second occurrence. */
export function duplicateWorkers(workers: readonly { name: string }[]): number[] {
  const seen = new Set<string>();
  return workers.flatMap((w, i) => {
    const dup = seen.has(w.name);
    seen.add(w.name);
    return dup ? [i] : [];
  });
}
