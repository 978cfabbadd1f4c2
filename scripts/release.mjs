#!/usr/bin/env node
// npm run release -- X.Y.Z      cut release X.Y.Z: CHANGELOG, version, examples, commit, tag vX.Y.Z
// npm run release -- X.Y.Z-dev  open the next cycle on main: version and examples, commit, no tag
//
// Generated repos record package.json's version, so examples/ and the goldens
// are regenerated in the same commit: the tagged tree is exactly what npm
// publishes and what the examples claim. RELEASE_REGENERATE replaces that
// command (the tests use a stub; the real one takes minutes). Nothing is pushed.
import { execFileSync, execSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const REGENERATE = process.env.RELEASE_REGENERATE ?? "npm run examples && npx vitest run --project unit test/golden --update";

function refuse(message) {
  console.error(`release: ${message}`);
  process.exit(2);
}

const git = (...args) => execFileSync("git", args, { encoding: "utf8" }).trim();

// Our own parse rather than src/generator-version.ts's compareSemver: dist/cli.js
// bundles it without exporting it, and this script only compares versions it
// (or a maintainer following it) wrote: MAJOR.MINOR.PATCH with an optional -dev.
const VERSION_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-dev)?$/;
function rank(version) {
  const m = VERSION_RE.exec(version);
  // A release outranks its own -dev prerelease.
  return m && [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ? 0 : 1];
}
function compare(a, b) {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return Math.sign(a[i] - b[i]);
  return 0;
}

/** The Unreleased section's body: from its heading to the next `## `. */
function splitChangelog(text) {
  const start = text.search(/^## Unreleased[ \t]*$/m);
  if (start < 0) return undefined;
  const bodyStart = text.indexOf("\n", start) + 1;
  const next = text.slice(bodyStart).search(/^## /m);
  const bodyEnd = next < 0 ? text.length : bodyStart + next;
  return { head: text.slice(0, bodyStart), body: text.slice(bodyStart, bodyEnd), tail: text.slice(bodyEnd) };
}

const version = process.argv[2];
if (process.argv.length !== 3 || !rank(version)) {
  refuse(`version ${JSON.stringify(version ?? "")} is not allowed; give one MAJOR.MINOR.PATCH (a release) or MAJOR.MINOR.PATCH-dev (the next cycle on main)`);
}
const isRelease = !version.endsWith("-dev");

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const current = rank(pkg.version);
if (!current) refuse(`package.json version ${JSON.stringify(pkg.version)} is not MAJOR.MINOR.PATCH[-dev]; fix it by hand first`);
if (compare(rank(version), current) <= 0) refuse(`version ${version} is not greater than package.json's ${pkg.version}; give a later one`);

const dirty = git("status", "--porcelain");
if (dirty) refuse(`the work tree is not clean (${dirty.split("\n").length} changed paths); commit or remove them first`);

const tag = `v${version}`;
if (isRelease && git("tag", "--list", tag)) refuse(`tag ${tag} exists already; npm refuses to republish a version, give a later one`);

let changelog;
if (isRelease) {
  const text = readFileSync("CHANGELOG.md", "utf8");
  const parts = splitChangelog(text);
  if (!parts) refuse("CHANGELOG.md has no '## Unreleased' heading; add one listing this release's changes");
  if (!parts.body.replace(/<!--[\s\S]*?-->/g, "").trim()) {
    refuse("CHANGELOG.md's Unreleased section is empty; list this release's user-visible changes there first");
  }
  const date = new Date().toISOString().slice(0, 10);
  changelog = `${parts.head}\n## ${version} - ${date}\n${parts.body.replace(/^\n+/, "\n")}${parts.tail}`;
}

pkg.version = version;
writeFileSync("package.json", `${JSON.stringify(pkg, null, 2)}\n`);
if (existsSync("package-lock.json")) {
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
  lock.version = version;
  if (lock.packages?.[""]) lock.packages[""].version = version;
  writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
}
if (changelog) writeFileSync("CHANGELOG.md", changelog);

console.log(`release: regenerating what records the version: ${REGENERATE}`);
execSync(REGENERATE, { stdio: "inherit" });

const paths = ["package.json", "package-lock.json", "CHANGELOG.md", "examples", "test/golden"].filter(
  (p) => existsSync(p) || git("ls-files", "--", p),
);
git("add", "--all", "--", ...paths);
// The regeneration may only touch what records the version; anything else is a fault to look at.
const stray = [git("diff", "--name-only"), git("ls-files", "--others", "--exclude-standard")].filter(Boolean).join("\n");
if (stray) {
  console.error(`release: regeneration changed files outside ${paths.join(", ")}; nothing committed:\n${stray}`);
  process.exit(1);
}
git("commit", "--quiet", "-m", isRelease ? `release ${version}` : `start ${version}: main carries the next release as a prerelease`);
if (isRelease) {
  git("tag", "--annotate", tag, "-m", `create-hybrid-backend ${version}`);
  console.log(`release: committed and tagged ${tag}; publish with:\n  git push --atomic origin HEAD ${tag}`);
  console.log(`then open the next cycle: npm run release -- ${rank(version)[0]}.${rank(version)[1] + 1}.0-dev`);
} else {
  console.log(`release: committed ${version}; push with:\n  git push origin HEAD`);
}
