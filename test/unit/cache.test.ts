import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { CLI, runCli, tempDir } from "../helpers/cli.js";
import { fakeToolchain } from "../helpers/fake-toolchain.js";
import { DEFAULT_CAP_BYTES, cacheCap, cacheDir } from "../../src/cache/dir.js";
import { LAST_USED, evict, listEntries, sizeOf, touchEntry } from "../../src/cache/entries.js";
import { UsageError } from "../../src/errors.js";
import { pruneMembers, rustBuildEnv, seedTarget } from "../../src/validate/rust-build.js";

const MiB = 1024 ** 2;

/** A fake entry of `mib` MiB last used `hoursAgo` hours ago. */
function entry(root: string, name: string, mib: number, hoursAgo: number): string {
  const dir = join(root, name);
  mkdirSync(join(dir, "sub"), { recursive: true });
  writeFileSync(join(dir, "sub", "blob"), Buffer.alloc(mib * MiB));
  writeFileSync(join(dir, LAST_USED), "");
  const t = new Date(Date.now() - hoursAgo * 3_600_000);
  utimesSync(join(dir, LAST_USED), t, t);
  return dir;
}

/** A cache folder laid out as validate leaves it, oldest first: buf, a project, moto, rust build, a newer project. */
function fakeCache(): string {
  const root = join(tempDir(), "create-hybrid-backend");
  entry(root, "buf-1.75.0", 3, 50);
  entry(root, "validate/aaaaaaaaaaaaaaaa", 2, 40);
  entry(root, "moto-5.2.5", 4, 30);
  entry(root, "rust-build-0123456789abcdef", 5, 20);
  entry(root, "validate/bbbbbbbbbbbbbbbb", 1, 10);
  return root;
}

describe("cache entries", () => {
  it("lists whole entries, least recently used first, with kind and size", () => {
    const root = fakeCache();
    const entries = listEntries(root);
    expect(entries.map((e) => [e.name, e.kind, Math.round(e.bytes / MiB)])).toEqual([
      ["buf-1.75.0", "tool", 3],
      ["validate/aaaaaaaaaaaaaaaa", "project", 2],
      ["moto-5.2.5", "python", 4],
      ["rust-build-0123456789abcdef", "rust-build", 5],
      ["validate/bbbbbbbbbbbbbbbb", "project", 1],
    ]);
  });

  it("evicts least recently used entries until the cache fits the cap", () => {
    const root = fakeCache();
    const { removed, bytes } = evict(8 * MiB, new Set(), root);
    expect(removed.map((e) => e.name)).toEqual(["buf-1.75.0", "validate/aaaaaaaaaaaaaaaa", "moto-5.2.5"]);
    expect(bytes).toBeLessThanOrEqual(8 * MiB);
    expect(listEntries(root).map((e) => e.name)).toEqual(["rust-build-0123456789abcdef", "validate/bbbbbbbbbbbbbbbb"]);
  });

  it("does nothing under the cap, and never evicts what this run used", () => {
    const root = fakeCache();
    expect(evict(15 * MiB + 4096, new Set(), root).removed).toEqual([]);
    const keep = new Set([join(root, "buf-1.75.0")]);
    const { removed } = evict(0, keep, root);
    expect(removed.map((e) => e.name)).toEqual(["validate/aaaaaaaaaaaaaaaa", "moto-5.2.5", "rust-build-0123456789abcdef", "validate/bbbbbbbbbbbbbbbb"]);
    expect(listEntries(root).map((e) => e.name)).toEqual(["buf-1.75.0"]);
  });

  it("leaves an entry another run used within the in-use window, even over the cap", () => {
    const root = fakeCache();
    entry(root, "rust-build-fedcba9876543210", 6, 0.5); // another validate's cold build, half an hour in
    const { removed } = evict(0, new Set(), root);
    expect(removed.map((e) => e.name)).not.toContain("rust-build-fedcba9876543210");
    expect(listEntries(root).map((e) => e.name)).toEqual(["rust-build-fedcba9876543210"]);
  });

  it("deletes the entries of repos that are gone, under the cap and however recent, and keeps the rest", () => {
    const root = fakeCache();
    const alive = tempDir();
    const gone = join(tempDir(), "deleted-repo");
    const label = (name: string, repo: string) => writeFileSync(join(root, name, ".label"), repo);
    label("validate/aaaaaaaaaaaaaaaa", alive);
    label("validate/bbbbbbbbbbbbbbbb", gone); // used 10 h ago
    entry(root, "validate/cccccccccccccccc", 1, 0.1);
    label("validate/cccccccccccccccc", gone); // used minutes ago: still waste
    entry(root, "validate/dddddddddddddddd", 1, 0.1);
    label("validate/dddddddddddddddd", gone); // this run's own: stays
    const { removed } = evict(1024 * MiB, new Set([join(root, "validate/dddddddddddddddd")]), root);
    expect(removed.map((e) => e.name).sort()).toEqual(["validate/bbbbbbbbbbbbbbbb", "validate/cccccccccccccccc"]);
    expect(listEntries(root).map((e) => e.name)).toEqual(["buf-1.75.0", "validate/aaaaaaaaaaaaaaaa", "moto-5.2.5", "rust-build-0123456789abcdef", "validate/dddddddddddddddd"]);
  });

  it("measures a cache whose files vanish meanwhile (another run evicting or building)", () => {
    const root = fakeCache();
    expect(sizeOf(join(root, "moto-5.2.5", "gone"))).toBe(0);
    rmSync(join(root, "moto-5.2.5"), { recursive: true });
    expect(listEntries(root).map((e) => e.name)).not.toContain("moto-5.2.5");
  });

  it("touching an entry makes it the most recently used", () => {
    const root = fakeCache();
    touchEntry(join(root, "buf-1.75.0"), "label");
    expect(listEntries(root).at(-1)).toMatchObject({ name: "buf-1.75.0", label: "label" });
  });

  it("reads the cap from HYBRID_BACKEND_CACHE_MAX", () => {
    expect(cacheCap({})).toBe(DEFAULT_CAP_BYTES);
    expect(cacheCap({ HYBRID_BACKEND_CACHE_MAX: "500MiB" })).toBe(500 * MiB);
    expect(cacheCap({ HYBRID_BACKEND_CACHE_MAX: "1.5G" })).toBe(1.5 * 1024 * MiB);
    expect(cacheCap({ HYBRID_BACKEND_CACHE_MAX: "0" })).toBe(0);
    expect(() => cacheCap({ HYBRID_BACKEND_CACHE_MAX: "lots" })).toThrow(UsageError);
    expect(() => cacheCap({ HYBRID_BACKEND_CACHE_MAX: "-1G" })).toThrow(/HYBRID_BACKEND_CACHE_MAX: "-1G" is not valid/);
  });

  it("lives under XDG_CACHE_HOME when set", () => {
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = "/x/cache";
    try {
      expect(cacheDir()).toBe("/x/cache/create-hybrid-backend");
      // A relative one is ignored, as the XDG spec says: it named a folder under
      // whatever the current one was, a generated repo's among them.
      for (const relative of ["cache", "./cache", "~/cache"]) {
        process.env.XDG_CACHE_HOME = relative;
        expect(cacheDir()).toBe(join(homedir(), ".cache", "create-hybrid-backend"));
      }
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});

describe("the shared Rust build folder", () => {
  const withEnv = (vars: Record<string, string | undefined>, fn: () => void) => {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    Object.assign(process.env, vars);
    for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
    try {
      fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  const repo = (lock: string) => {
    const dir = tempDir();
    mkdirSync(join(dir, "workers"));
    writeFileSync(join(dir, "workers", "Cargo.lock"), lock);
    return dir;
  };
  const tools = ["go go1.26.8", "cargo cargo 1.95.0", "rustfmt rustfmt 1.8.0", "clippy clippy 0.1.95"];

  it("is one folder per toolchain and Cargo.lock, in the tool's cache", () => {
    withEnv({ XDG_CACHE_HOME: tempDir(), CARGO_TARGET_DIR: undefined, CARGO_BUILD_TARGET_DIR: undefined, CARGO_BUILD_BUILD_DIR: undefined }, () => {
      expect(rustBuildEnv({ dir: repo("lock 1"), toolVersions: tools }).CARGO_INCREMENTAL).toBe("0");
      const a = rustBuildEnv({ dir: repo("lock 1"), toolVersions: tools }).CARGO_BUILD_BUILD_DIR!;
      const b = rustBuildEnv({ dir: repo("lock 1"), toolVersions: tools }).CARGO_BUILD_BUILD_DIR!;
      const c = rustBuildEnv({ dir: repo("lock 2"), toolVersions: tools }).CARGO_BUILD_BUILD_DIR!;
      const d = rustBuildEnv({ dir: repo("lock 1"), toolVersions: ["go go1.26.8", "cargo cargo 1.96.0"] }).CARGO_BUILD_BUILD_DIR!;
      expect(a).toBe(b);
      expect(new Set([a, c, d]).size).toBe(3);
      expect(a.startsWith(join(cacheDir(), "rust-build-"))).toBe(true);
      expect(existsSync(join(a, LAST_USED))).toBe(true);
    });
  });

  it("loses the repo's own crates after a run and keeps the shared dependencies", () => {
    const dir = tempDir();
    const files = [
      "debug/deps/libscorer-0af627fba2d06b26.rlib",
      "debug/deps/scorer-126cf7ef398faf22",
      "debug/deps/scorer-126cf7ef398faf22.d",
      "debug/deps/grpc-5d403cc5952f0044",
      "debug/deps/my_worker-4d6350a312dad393",
      "debug/.fingerprint/scorer-172377e704db08c4/bin-scorer",
      "debug/.fingerprint/my-worker-32e22d5a8dbd5e70/lib",
      "debug/build/scorer-42734f3a19d11839/output",
      "debug/incremental/scorer-1anc478d3xvzk/s-x/dep-graph.bin",
      "debug/examples/vectors-4da03a7b0d6da4d7",
      "debug/deps/libtokio-5052a53827468635.rlib",
      "debug/deps/libscorer_derive-56962b852df7073f.rlib",
      "debug/.fingerprint/tokio-5052a53827468635/lib",
      "debug/build/prost-build-0123456789abcdef/output",
    ];
    for (const f of files) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), "");
    }
    pruneMembers(dir, [
      { name: "scorer", targets: [{ name: "scorer" }, { name: "grpc" }, { name: "vectors" }] },
      { name: "my-worker", targets: [{ name: "my-worker" }] },
    ]);
    const left = (sub: string) => (existsSync(join(dir, "debug", sub)) ? readdirSync(join(dir, "debug", sub)).sort() : []);
    expect(left("deps")).toEqual(["libscorer_derive-56962b852df7073f.rlib", "libtokio-5052a53827468635.rlib"]);
    expect(left(".fingerprint")).toEqual(["tokio-5052a53827468635"]);
    expect(left("build")).toEqual(["prost-build-0123456789abcdef"]);
    expect(left("incremental")).toEqual([]);
    expect(left("examples")).toEqual([]);
  });

  // Cargo trusts a unit whose outputs are newer than its inputs: a copy stamped now would be
  // as fresh, but one older than a source it lists would be rebuilt, so the stamps travel too.
  it("seeds the repo's target with the shared dependencies, timestamps kept, the repo's own files untouched", () => {
    const shared = tempDir();
    const target = tempDir();
    const old = new Date(Date.now() - 86_400_000);
    for (const f of ["debug/deps/libtokio-5052a53827468635.rlib", "debug/build/libc-0123456789abcdef/output", "debug/.fingerprint/tokio-5052a53827468635/lib-tokio"]) {
      mkdirSync(join(shared, f, ".."), { recursive: true });
      writeFileSync(join(shared, f), "shared");
      utimesSync(join(shared, f), old, old);
    }
    mkdirSync(join(target, "debug", "deps"), { recursive: true });
    writeFileSync(join(target, "debug", "deps", "libtokio-5052a53827468635.rlib"), "the repo's");
    seedTarget(shared, target);
    expect(readFileSync(join(target, "debug/deps/libtokio-5052a53827468635.rlib"), "utf8")).toBe("the repo's");
    for (const f of ["debug/build/libc-0123456789abcdef/output", "debug/.fingerprint/tokio-5052a53827468635/lib-tokio"]) {
      expect(readFileSync(join(target, f), "utf8"), f).toBe("shared");
      expect(statSync(join(target, f)).mtimeMs, f).toBe(statSync(join(shared, f)).mtimeMs);
    }
    expect(existsSync(join(shared, "debug/deps/libtokio-5052a53827468635.rlib"))).toBe(true);
  });

  it("is left to the user when CARGO_TARGET_DIR or a build-dir is set", () => {
    for (const v of ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR", "CARGO_BUILD_BUILD_DIR"]) {
      withEnv({ XDG_CACHE_HOME: tempDir(), CARGO_TARGET_DIR: undefined, [v]: "/somewhere" }, () => {
        expect(rustBuildEnv({ dir: repo("lock"), toolVersions: tools })).toEqual({});
      });
    }
  });
});

describe("hybrid-backend cache", { timeout: 120_000 }, () => {
  it("info names where the cache lives, its size and each entry; --json the same as data", async () => {
    const root = fakeCache();
    const env = { XDG_CACHE_HOME: join(root, "..") };
    const text = await runCli(["cache", "info"], process.cwd(), env);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Cache: ${root}`);
    expect(text.stdout).toMatch(/Size: +15\.0 MiB in 5 entries; cap 2\.0 GiB \(HYBRID_BACKEND_CACHE_MAX\)/);
    expect(text.stdout).toMatch(/rust-build +5\.0 MiB +\d{4}-\d\d-\d\d \d\d:\d\d +rust-build-0123456789abcdef/);
    const json = await runCli(["cache", "info", "--json"], process.cwd(), env);
    const info = JSON.parse(json.stdout) as { dir: string; bytes: number; entries: { name: string; kind: string; bytes: number; lastUsed: string }[] };
    expect(info.dir).toBe(root);
    expect(info.entries.map((e) => e.name)).toEqual(listEntries(root).map((e) => e.name));
    expect(info.bytes).toBe(info.entries.reduce((s, e) => s + e.bytes, 0));
  });

  it("clean removes every entry", async () => {
    const root = fakeCache();
    const r = await runCli(["cache", "clean"], process.cwd(), { XDG_CACHE_HOME: join(root, "..") });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`Removed 5 entries (15.0 MiB) from ${root}`);
    expect(existsSync(root)).toBe(false);
  });

  it("rejects an unknown action and a bad cap with one line and exit 2", async () => {
    const bad = await runCli(["cache", "purge"], process.cwd(), { XDG_CACHE_HOME: tempDir() });
    expect([bad.exitCode, bad.stderr.trim()]).toEqual([2, 'error: cache: "purge" is not valid; use: cache info | cache clean']);
    const cap = await runCli(["cache", "info"], process.cwd(), { XDG_CACHE_HOME: tempDir(), HYBRID_BACKEND_CACHE_MAX: "2 lots" });
    expect(cap.exitCode).toBe(2);
    expect(cap.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("validate enforces the cap afterwards, keeping what it used", async () => {
    const fake = fakeToolchain();
    const root = join(fake.cache, "create-hybrid-backend");
    entry(root, "buf-1.74.0", 3, 50);
    entry(root, "validate/aaaaaaaaaaaaaaaa", 2, 40);
    entry(root, "moto-5.2.5", 4, 30);
    const app = join(tempDir(), "app");
    expect((await runCli([app, "--yes", "--no-validate", "--no-git", "--ci", "none", "--deploy", "none"], process.cwd())).exitCode).toBe(0);
    const r = await execa(process.execPath, [CLI, "validate", app], { env: { ...fake.env, CI: "1", HYBRID_BACKEND_CACHE_MAX: "3MiB" }, reject: false, stdin: "ignore" });
    expect(r.stdout).toMatch(/^ {2}cache: removed 3 least recently used entries to stay under the size cap \(now .*\)/m);
    // The run's own entries stay: this repo's verdict folder and the shared Rust build folder.
    const left = listEntries(root);
    expect(left.map((e) => e.kind).sort()).toEqual(["project", "rust-build"]);
    const project = left.find((e) => e.kind === "project")!;
    expect(project.label).toBe(app);
    // Of the Go commands built, only the one the HTTP smoke runs is kept.
    expect(readdirSync(join(project.path, "bin"))).toEqual(["orchestrator"]);
    expect(readdirSync(root).sort()).toEqual([left.find((e) => e.kind === "rust-build")!.name, "validate"]);
  });
});
