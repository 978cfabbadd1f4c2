import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { mergeFile } from "../../src/sync/merge.js";

/**
 * What git merge-file says when it cannot merge is shown to the user as the
 * conflict's reason. It names the scratch copies it was handed, which are
 * gone by then: the reason must name the repo path instead.
 */
describe("mergeFile's reason for a file git cannot merge", () => {
  // A NUL byte makes git take a file for binary.
  const binary = (text: string) => Buffer.concat([Buffer.from(text), Buffer.from([0, 1, 2]), Buffer.from("\n")]);

  it.each(["ours", "base", "theirs"] as const)("names the repo path, never a scratch file, when %s is binary", async (side) => {
    const sides = { ours: Buffer.from("mine\n"), base: Buffer.from("base\n"), theirs: Buffer.from("new\n") };
    sides[side] = binary(side);
    const result = await mergeFile(sides.ours, sides.base, sides.theirs, "README.md");
    expect("failed" in result).toBe(true);
    const reason = (result as { failed: string }).failed;
    expect(reason).toMatch(/^Cannot merge binary files: README\.md \((yours|last generated|newly generated)\)$/);
    expect(reason).not.toContain(tmpdir());
    expect(reason).not.toContain("hybrid-backend-merge-");
  });
});
