/**
 * The workspace's Cargo.lock for any set of workers. The template lock is
 * what cargo wrote for a one-member workspace whose member is `scorer`; every
 * member has the same dependencies, so each worker gets a copy of that entry
 * under its own name. `cargo build --locked` compares the text, so the
 * entries stay in cargo's order: sorted by name (byte order), then version.
 */
export const TEMPLATE_MEMBER = "scorer";

const SEPARATOR = "\n[[package]]\n";

export function workspaceLock(template: string, members: readonly string[], version: string): string {
  const [header, ...sourced] = template.split(SEPARATOR);
  // A workspace crate (a worker or a shared crate) has no source; its version is the workspace's.
  const blocks = sourced.map((b) => (/^source = /m.test(b) ? b : b.replace(/^version = "[^"]*"$/m, `version = "${version}"`)));
  const isMember = (b: string) => b.startsWith(`name = "${TEMPLATE_MEMBER}"\n`) && !/^source = /m.test(b);
  const member = blocks.find(isMember);
  if (header === undefined || !member) throw new Error(`the template Cargo.lock has no workspace member "${TEMPLATE_MEMBER}"`);
  const deps = blocks.filter((b) => !isMember(b));
  const taken = new Set(deps.map(nameOf));
  const added = members.map((name) => {
    // A worker named like a dependency would make two packages of one name.
    if (taken.has(name)) throw new Error(`worker "${name}" has the name of a dependency in Cargo.lock`);
    return member.replace(`name = "${TEMPLATE_MEMBER}"`, `name = "${name}"`);
  });
  // Stable sort: equal names (two versions of one crate) keep cargo's order.
  const all = [...deps, ...added].sort((a, b) => compare(nameOf(a), nameOf(b)));
  return [header, ...all].join(SEPARATOR);
}

/** Package names in a Cargo.lock, in file order. */
export function lockPackages(lock: string): string[] {
  return lock.split(SEPARATOR).slice(1).map(nameOf);
}

function nameOf(block: string): string {
  const m = /^name = "([^"]+)"/.exec(block);
  if (!m) throw new Error(`Cargo.lock entry without a name: ${block.slice(0, 40)}`);
  return m[1]!;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
