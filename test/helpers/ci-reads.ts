import { posix } from "node:path";
import type { FileTree } from "../../src/render/index.js";

/**
 * What each CI job's commands read, worked out from the generated files
 * themselves (the Makefile's recipes, the scripts they run, build.rs, the
 * Dockerfiles' COPY lines, the paths the sources open), independently of the
 * job table in src/render/ci-jobs.ts: the test then holds the table's path
 * filters to it. Each rule follows one way a command reaches a file.
 */
export class ReadSet {
  readonly files = new Set<string>();
  constructor(private readonly tree: FileTree) {}

  file(path: string): this {
    const p = posix.normalize(path);
    if (!this.tree.has(p)) throw new Error(`a job reads ${p}, which the generated repo does not have`);
    this.files.add(p);
    return this;
  }

  /** Every file below dir (a build that reads a whole folder: go ./..., cargo, a COPY of a folder). */
  dir(dir: string): this {
    const d = posix.normalize(dir).replace(/\/$/, "");
    const below = [...this.tree.keys()].filter((p) => d === "." || p.startsWith(`${d}/`));
    if (below.length === 0) throw new Error(`a job reads ${d}/, which is empty or missing`);
    for (const p of below) this.files.add(p);
    return this;
  }

  /** A path a command names: a file, or a folder meaning everything below it. */
  path(path: string): this {
    const p = posix.normalize(path).replace(/\/$/, "");
    return this.tree.has(p) ? this.file(p) : this.dir(p);
  }

  /**
   * Test data the sources below dir open by a relative path such as
   * ../../testdata/vectors.json. One `../` (src/ to the crate's own
   * testdata/) stays inside dir, which a crate's job reads whole.
   */
  testdataUsedBy(dir: string): this {
    for (const p of [...this.tree.keys()].filter((f) => f.startsWith(`${dir}/`))) {
      for (const m of this.text(p).matchAll(/(?<![\w-]\/)(?:\.\.\/){2,}(testdata\/[\w./-]+\w)/g)) this.file(m[1]!);
    }
    return this;
  }

  /**
   * A crate of the workspace: its folder, the workspace manifests cargo
   * loads, the crates it depends on by path (followed), and what a build.rs
   * compiles from outside the workspace.
   */
  crate(name: string, seen = new Set<string>()): this {
    if (seen.has(name)) return this;
    seen.add(name);
    this.dir(`workers/${name}`).file("workers/Cargo.toml").file("workers/Cargo.lock");
    const workspace = this.text("workers/Cargo.toml");
    const members = workspace.match(/members\s*=\s*\[([^\]]*)\]/)?.[1] ?? "";
    for (const m of members.matchAll(/"([^"]+)"/g)) this.file(`workers/${m[1]}/Cargo.toml`);
    const own = this.text(`workers/${name}/Cargo.toml`);
    for (const [, dep, path] of workspace.matchAll(/^([\w-]+) = \{ path = "([^"]+)" \}$/gm)) {
      if (new RegExp(`^${dep}(\\.workspace|\\s*=)`, "m").test(own)) this.crate(path!, seen);
    }
    const root = this.text(`workers/${name}/build.rs`).match(/PROTO_ROOT: &str = "([^"]+)"/)?.[1];
    if (root) this.dir(posix.join("workers", name, root));
    return this.testdataUsedBy(`workers/${name}`);
  }

  /**
   * `make TARGET`: the Makefile, then what the recipes of TARGET and its
   * prerequisites run: scripts (followed into what they source and run),
   * folders they cd into to build, test data they name.
   */
  make(target: string): this {
    this.file("Makefile");
    const makefile = this.text("Makefile");
    const seen = new Set<string>();
    const visit = (t: string) => {
      if (seen.has(t)) return;
      seen.add(t);
      const rule = makefile.match(new RegExp(`^${t}:([^\\n#]*)(?:##[^\\n]*)?\\n((?:\\t[^\\n]*\\n?)*)`, "m"));
      if (!rule) throw new Error(`the Makefile has no target ${t}`);
      for (const dep of rule[1]!.trim().split(/\s+/).filter(Boolean)) visit(dep);
      this.commands(rule[2]!);
    };
    visit(target);
    return this;
  }

  /** Shell commands: scripts they run or source, folders they cd into, files under testdata/ they name. */
  commands(text: string, seenScripts = new Set<string>()): this {
    // A script in scripts/ sources its neighbours by its own folder: "$(dirname "${BASH_SOURCE[0]}")/checks.sh".
    const beside = [...text.matchAll(/\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/([\w.-]+\.sh)\b/g)].map((m) => `scripts/${m[1]}`);
    const named = [...text.matchAll(/(?:^|[\s(;&|])(?:\.\/|\.\s+)?(scripts\/[\w.-]+\.sh)\b/g)].map((m) => m[1]!);
    for (const script of [...named, ...beside]) {
      if (seenScripts.has(script)) continue;
      seenScripts.add(script);
      this.file(script).commands(this.text(script), seenScripts);
    }
    for (const m of text.matchAll(/\bcd (orchestrator|workers)\b/g)) {
      this.dir(m[1]!);
      if (m[1] === "workers") for (const w of this.workers()) this.crate(w);
    }
    for (const m of text.matchAll(/(?:^|[\s/"'])(testdata\/[\w./-]+\w)/g)) this.file(m[1]!);
    return this;
  }

  /** `docker build -f DOCKERFILE CONTEXT`: the Dockerfile, the context's .dockerignore, what COPY takes from the context. */
  dockerBuild(dockerfile: string, context: string): this {
    this.file(dockerfile).file(posix.join(context, ".dockerignore"));
    for (const line of this.text(dockerfile).split("\n")) {
      const copy = line.match(/^COPY\s+(?!--from)(.+)$/);
      if (!copy) continue;
      const args = copy[1]!.trim().split(/\s+/).filter((a) => !a.startsWith("--"));
      for (const src of args.slice(0, -1)) this.path(posix.join(context, src));
    }
    return this;
  }

  workers(): string[] {
    return [...this.tree.keys()].flatMap((p) => p.match(/^workers\/([^/]+)\/Cargo\.toml$/)?.[1] ?? []);
  }

  private text(path: string): string {
    const entry = this.tree.get(path);
    if (!entry) throw new Error(`no ${path} in the generated repo`);
    return entry.content.toString("utf8");
  }
}
