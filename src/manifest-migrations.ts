import { compareSemver } from "./generator-version.js";
import { MANIFEST_FILE, parseManifest, type Manifest } from "./manifest.js";
import type { Origin } from "./manifest-faults.js";
import { pinnedRustReleases, rustImage } from "./manifest-pins.js";
import { GENERATOR_VERSION } from "./version.js";

/**
 * A manifest recorded by an older release is brought to this release's
 * schema when a repo's records are read (sync, add/remove, validate, and
 * the ledger's copy a merge base is re-rendered from), so upgrading the
 * tool never leaves a team unable to sync. Each step says what it changed
 * and why, for sync's report; sync then writes the migrated manifest.
 * Only recorded manifests: what a user types (flags, create --config) is
 * checked against the schema as it stands, and refused with its rule.
 */

export interface MigrationNotice {
  field: string;
  /** Absent when the field was not recorded at all and the schema's default was taken. */
  from?: string;
  /** The field was deleted by hand: a release no older than this one wrote the manifest. */
  deleted?: boolean;
  to: string;
  why: string;
}

interface Migration {
  /** The last generator version that wrote the old form; a manifest recorded by a later one is left to the schema. */
  upTo: string;
  migrate(manifest: Record<string, unknown>): { manifest: Record<string, unknown>; notice: MigrationNotice } | undefined;
}

const MIGRATIONS: readonly Migration[] = [{ upTo: "0.1.0", migrate: exactRustRelease }];

/**
 * toolchains.rust was MAJOR.MINOR until it had to name an exact release
 * (e11df82). What "1.95" built with then: the images, pinned by digest, and
 * CI's rustup, which installs the newest patch of the minor that day. The
 * digest the older release pinned for rust:1.95-bookworm is the index of
 * rust:1.95.0-bookworm, so the images were built with 1.95.0, the patch
 * this tool's version table holds for 1.95: that is the release taken, and
 * the team's digest moves to the new image reference with it. A minor the
 * table does not know becomes its first release, MINOR.0, the one patch
 * that surely exists; its image needs a digest recorded for that tag, which
 * the schema then asks for by name.
 */
function exactRustRelease(manifest: Record<string, unknown>) {
  const toolchains = manifest.toolchains as Record<string, unknown> | undefined;
  const minor = toolchains?.rust;
  if (typeof minor !== "string" || !/^\d+\.\d+$/.test(minor)) return undefined;
  const images = isObject(manifest.images) ? { ...manifest.images } : undefined;
  const pinned = images?.[rustImage(minor)];
  const known = pinnedRustReleases(minor);
  // A digest the team recorded themselves names a patch this tool cannot tell: theirs stays under the old tag.
  const match = pinned === undefined ? known.at(-1) : known.find((k) => k.digest === pinned);
  const release = match?.release ?? known.at(-1)?.release ?? `${minor}.0`;
  if (images && match && pinned !== undefined) {
    delete images[rustImage(minor)];
    images[rustImage(release)] = pinned;
  }
  const exact = "an exact release, so CI's rustup installs the compiler the images build with";
  const why = match
    ? `${exact}; ${release} is the ${minor} release this tool pins${pinned ? `, and the image digest recorded for ${minor} is ${release}'s` : ""}`
    : `${exact}; this tool knows no digest for the patch you recorded under ${rustImage(minor)}, so set the release you build with and its ${rustImage(release)} digest in images`;
  return {
    manifest: { ...manifest, toolchains: { ...toolchains, rust: release }, ...(images ? { images } : {}) },
    notice: { field: "toolchains.rust", from: minor, to: release, why },
  };
}

/** The migrations a recorded manifest needs, applied in order; the input as it is when none applies. */
export function migrateRecorded(input: unknown): { input: unknown; notices: MigrationNotice[] } {
  if (!isObject(input)) return { input, notices: [] };
  const version = isObject(input.generator) ? input.generator.version : undefined;
  let manifest = input;
  const notices: MigrationNotice[] = [];
  for (const step of MIGRATIONS) {
    // A version that is not semver is left for the schema to refuse with its rule.
    if (version !== undefined && (typeof version !== "string" || !((compareSemver(version, step.upTo) ?? 1) <= 0))) continue;
    const done = step.migrate(manifest);
    if (!done) continue;
    manifest = done.manifest;
    notices.push(done.notice);
  }
  return { input: manifest, notices };
}

/** A repo's recorded manifest, migrated, parsed, and what the migration changed. */
export function parseRecordedManifest(input: unknown, origin: Origin | string = MANIFEST_FILE): { manifest: Manifest; notices: MigrationNotice[] } {
  const { input: migrated, notices } = migrateRecorded(input);
  const manifest = parseManifest(migrated, origin);
  const version = isObject(migrated) && isObject(migrated.generator) ? migrated.generator.version : undefined;
  // This release, or a later one, records every field: one missing was deleted by hand.
  const deleted = typeof version === "string" && (compareSemver(version, GENERATOR_VERSION) ?? -1) >= 0;
  return { manifest, notices: [...notices, ...defaultsTaken(migrated, manifest, [], deleted)] };
}

/**
 * A field a later release added reaches an older manifest as the schema's
 * default, and sync writes it: said here, whatever the field, so no release
 * has to remember a migration step for it. The team may have pinned another
 * value in a file the older release hard-coded it in, which now reads the field.
 */
export const DEFAULT_TAKEN = "this release records it and the one that wrote yours did not, so its default is taken";

/** Said of a field deleted from a manifest this release (or a later one) wrote, where DEFAULT_TAKEN would blame an older release. */
export const DEFAULT_RESTORED = "so its default is taken; if you deleted it by mistake, restore it (git show HEAD:hybrid-backend.json has it) and sync again";

function defaultsTaken(input: unknown, parsed: unknown, at: string[] = [], deleted = false): MigrationNotice[] {
  if (!isObject(input) || !isObject(parsed)) return [];
  return Object.entries(parsed).flatMap(([key, value]) => {
    if (value === undefined) return [];
    if (key in input) return defaultsTaken(input[key], value, [...at, key], deleted);
    const to = typeof value === "string" ? value : JSON.stringify(value);
    const field = [...at, key].join(".");
    if (deleted) return [{ field, to, deleted, why: `absent from ${MANIFEST_FILE}, which this release ${GENERATOR_VERSION} wrote, ${DEFAULT_RESTORED}` }];
    const why = `${DEFAULT_TAKEN}; if you pinned another value in a file that now reads this field, set it here`;
    return [{ field, to, why }];
  });
}

/** One line per change, for sync's report. */
export function formatMigrations(notices: MigrationNotice[], dryRun: boolean): string[] {
  return notices.map((n) =>
    n.deleted
      ? `  ${dryRun ? "would record" : "recorded"} ${n.field} "${n.to}" in ${MANIFEST_FILE}: ${n.why}`
      : n.from === undefined
      ? // Not "added": the report's file column says that of a file.
        `  ${dryRun ? "would record" : "recorded"} ${n.field} "${n.to}" in ${MANIFEST_FILE}, a new field: ${n.why}`
      : `  ${dryRun ? "would change" : "changed"} ${n.field} in ${MANIFEST_FILE} from "${n.from}" to "${n.to}": ${n.why}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
