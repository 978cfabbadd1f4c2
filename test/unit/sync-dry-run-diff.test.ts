import { execa } from "execa";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { FileEntry } from "../../src/render/index.js";
import { describeChanges } from "../../src/sync/diff.js";
import type { FileAction } from "../../src/sync/plan.js";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * `sync --dry-run` (and `add worker --dry-run`) print the diff sync would
 * apply. It used to write every copy 0644, so each changed script's header
 * claimed mode 100644 and `git apply` warned "has type 100755, expected
 * 100644"; and a new file's header read `diff --git b/PATH b/PATH`. Here the
 * diff of a changed script, a new script, a changed file and a removed one
 * must carry their modes and git's own headers, and apply without a word.
 */
const entry = (text: string, mode = 0o644): FileEntry => ({ content: Buffer.from(text), mode });

const before = new Map<string, FileEntry>([
  ["scripts/run.sh", entry("#!/usr/bin/env bash\necho one\n", 0o755)],
  ["Makefile", entry("all:\n\techo one\n")],
  ["old.txt", entry("gone\n")],
]);
const actions: FileAction[] = [
  { path: "scripts/run.sh", status: "updated", write: entry("#!/usr/bin/env bash\necho two\n", 0o755) },
  { path: "scripts/new.sh", status: "added", write: entry("#!/usr/bin/env bash\necho new\n", 0o755) },
  { path: "Makefile", status: "updated", write: entry("all:\n\techo two\n") },
  { path: "old.txt", status: "removed", remove: true },
];

describe("the dry-run diff", () => {
  it("keeps each file's mode and git's a/ b/ headers, and applies cleanly", async () => {
    const diff = await describeChanges(actions, (p) => before.get(p));
    expect(diff).toContain("diff --git a/scripts/run.sh b/scripts/run.sh\nindex ");
    expect(diff).toMatch(/^index \w+\.\.\w+ 100755\n--- a\/scripts\/run\.sh$/m);
    expect(diff).toContain("diff --git a/scripts/new.sh b/scripts/new.sh\nnew file mode 100755\n");
    expect(diff).toContain("diff --git a/old.txt b/old.txt\ndeleted file mode 100644\n");
    expect(diff).not.toMatch(/^diff --git ([ab])\/\S+ \1\//m);

    const repo = tempDir("chb-dry-diff-");
    for (const [path, e] of before) {
      mkdirSync(join(repo, path, ".."), { recursive: true });
      writeFileSync(join(repo, path), e.content);
      chmodSync(join(repo, path), e.mode);
    }
    await execa("git", ["init", "-q"], { cwd: repo });
    const apply = await execa("git", ["apply", "--check", "-"], { cwd: repo, input: `${diff}\n`, reject: false, all: true });
    expect(apply.exitCode, apply.all).toBe(0);
    expect(apply.all).toBe("");
  });
});
