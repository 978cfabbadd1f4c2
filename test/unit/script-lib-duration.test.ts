import { execa } from "execa";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dirs.js";

/**
 * make run waits for the orchestrator's drain after SIGTERM, reading SHUTDOWN_TIMEOUT with
 * lib.sh's duration_secs. It must take exactly what the orchestrator takes (Go's
 * time.ParseDuration), in whole seconds rounded up: it once refused "µs", leaving the default
 * grace. The answers are Go's own, computed here, for a table of edge cases and for random
 * strings made of pieces of valid and invalid durations; the shell side runs under every awk
 * on this machine (macOS ships the one true awk, Debian mawk, others gawk).
 */
const LIB = resolve("templates/root/scripts/lib.sh");

const TABLE = [
  ...["0", "-0", "+0", "00", "0s", "", "-", "+", ".", "s", "1", "10", "1 s", " 1s", "1s ", "1s\n", "1S", "1sec", "1h1h", "1e3s", "0x10s", "１s"],
  ...["10s", "1m30s", "500ms", "1.5s", ".5s", "1.s", ".s", "-.s", "1..5s", "1.5.5s", "+2m", "-2m", "-0.5s", "-1.5s", "--1s", "+-1s"],
  ...["1ns", "999999999ns", "1000000000ns", "1000000001ns", "1us", "1µs", "1μs", "1.5µs", "1.5μs", "1\xb5s", "1µ", "1μ", "1ms", "999.9999999ms"],
  ...["1h", "1h2m3.5s", "3h0m0.000000001s", "1m0.9999999999s", "1.0000000001s", "1.000000001s", "1.99999999999999999999999999s"],
  ...["0.1234567890123456789h", "0.00001234567890123456789h", "0.0000000000000000000000000001h", "000000000000000000000000000001s"],
  ...["9223372036854775807ns", "9223372036854775808ns", "-9223372036854775808ns", "-9223372036854775809ns", "9223372036854775808000000000ns"],
  ...["9223372036854775.807us", "2562047h", "2562048h", "2562047h47m16.854775807s", "2562047h47m16.854775808s", "-2562047h47m16.854775808s"],
  ...["153722867m", "153722868m", "9223372036s", "9223372037s", "9223372036s854775807ns", "9223372036s854775808ns"],
];
const PIECES = ["0", "1", "7", "59", "00", ".", ".5", "9223372036854775807", "922337203685477580", "h", "m", "s", "ms", "us", "µs", "μs", "ns", "x", " ", "-", "+", "é"];

/** Strings of 1 to 6 random pieces, the same every run. */
function randomInputs(n: number): string[] {
  let seed = 42;
  const next = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
  return Array.from({ length: n }, () => Array.from({ length: 1 + next(6) }, () => PIECES[next(PIECES.length)]).join(""));
}

/** Go's answer for each input: time.ParseDuration in seconds and in milliseconds, each rounded up, or "refused". */
async function goAnswers(inputs: string[]): Promise<string[]> {
  const dir = tempDir("chb-duration-");
  writeFileSync(
    join(dir, "main.go"),
    `package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

func main() {
	var inputs []string
	if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil {
		panic(err)
	}
	for _, s := range inputs {
		d, err := time.ParseDuration(s)
		if err != nil {
			fmt.Println("refused")
			continue
		}
		secs, ms := d/time.Second, d/time.Millisecond
		if d%time.Second > 0 {
			secs++
		}
		if d%time.Millisecond > 0 {
			ms++
		}
		fmt.Println(int64(secs), int64(ms))
	}
}
`,
  );
  const r = await execa("go", ["run", "main.go"], { cwd: dir, input: JSON.stringify(inputs) });
  return r.stdout.split("\n");
}

/** duration_secs's and duration_ms's answers for each input, with AWK as awk. */
async function shellAnswers(awk: string, inputs: string[]): Promise<string[]> {
  const bin = join(tempDir("chb-awk-"), "bin");
  mkdirSync(bin);
  symlinkSync(awk, join(bin, "awk"));
  // PATH is set inside the script: bash may read ~/.bashrc first (it does when stdin is a socket).
  const r = await execa("bash", ["-c", `PATH=${bin}:$PATH\n. ${LIB}\nfor d in "$@"; do if s=$(duration_secs "$d") && ms=$(duration_ms "$d"); then echo "$s $ms"; else echo refused; fi; done`, "-", ...inputs], {
    stdin: "ignore",
    // A UTF-8 locale, where gawk would count characters, not bytes, unless duration_secs says otherwise.
    env: { LC_ALL: "C.UTF-8" },
  });
  return r.stdout.split("\n");
}

const AWKS = ["/usr/bin/mawk", "/usr/bin/gawk", "/usr/bin/original-awk", "/usr/bin/busybox"].filter((a) => existsSync(a));

describe("scripts/lib.sh duration_secs (and duration_ms, make bench's) reads a duration as the orchestrator does (time.ParseDuration)", () => {
  const inputs = [...TABLE, ...randomInputs(600)];

  it("has awks to run under", () => {
    expect(AWKS.length).toBeGreaterThan(0);
  });

  it.each(AWKS)("%s: the same answer as Go for every input", async (awk) => {
    const want = await goAnswers(inputs);
    expect(want.length).toBe(inputs.length);
    // Both kinds are exercised: the table has accepted and refused inputs near every limit.
    expect(want.filter((w) => w === "refused").length).toBeGreaterThan(50);
    expect(want.filter((w) => w !== "refused").length).toBeGreaterThan(50);
    const got = await shellAnswers(awk, inputs);
    const wrong = inputs.map((input, i) => ({ input, got: got[i], want: want[i] })).filter((a) => a.got !== a.want);
    expect(wrong).toEqual([]);
  }, 120_000);
});
