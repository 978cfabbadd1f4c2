import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { hangAfterMs, processTree, untilHung } from "../helpers/hang-watch.js";

describe("untilHung: a hung child fails its test with what it was doing", () => {
  it("kills a child still running at the watch, grandchildren too, and reports its tree and output", async () => {
    // A shell that prints, then waits on a grandchild that never ends.
    const child = execa("sh", ["-c", "echo started; sleep 300 & wait"], { reject: false, stdin: "ignore" });
    const started = Date.now();
    const error = await untilHung(child, "the sleeper", 1_500).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^the sleeper still ran after 1500 ms; killed/);
    expect(error?.message).toMatch(/sleep 300/);
    // Each process with what it waits on in the kernel: the grandchild sleeping.
    if (process.platform === "linux") expect(error?.message).toMatch(/ \S*nanosleep\S* +sleep 300/);
    expect(error?.message).toMatch(/stdout:\nstarted/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(processTree(child.pid!)).toBe("(no process left)");
  });

  it("returns the result of a child that ends in time", async () => {
    const result = await untilHung(execa("sh", ["-c", "echo done"], { reject: false }), "quick", 10_000);
    expect(result.stdout).toBe("done");
  });

  it("watches until shortly before the test's own timeout", { timeout: 42_000 }, () => {
    expect(hangAfterMs()).toBe(32_000);
  });
});
