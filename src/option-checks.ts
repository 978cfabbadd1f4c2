import { UsageError } from "./errors.js";
import { flagField } from "./manifest-faults.js";
import { OPTIONS, isOption, needsValue, takesValue } from "./options.js";
import { nearest } from "./suggest.js";

/** What node:util parseArgs reports per argument it read (with `tokens: true`). */
export interface Token {
  kind: string;
  index: number;
  name?: string;
  rawName?: string;
  value?: string;
  inlineValue?: boolean;
}

/**
 * Every option word judged from what the parser read, never from the text of
 * its error: node's messages spell an option as "-y, --yes" or "--name <value>"
 * and say the same thing of a missing value and of a value given to a switch,
 * so rewording them garbled the one line a user reads. parseArgs runs
 * non-strict, and these checks are the strict ones, worded here.
 */
export function checkOptionWords(tokens: readonly Token[], argv: readonly string[]): void {
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined) continue;
    const raw = argv[token.index] ?? "";
    const flag = token.rawName ?? raw;
    // `-y=no` reads as the letters y, =, n, o: the value was meant for the letter before "=".
    const short = /^-([^-=][^=]*)=/.exec(raw);
    if (short) {
      const letter = `-${short[1]!.at(-1)}`;
      if (SHORT.has(letter)) throw new UsageError("option", letter, "it is a switch and takes no value");
    }
    if (!isOption(token.name)) {
      const near = flag.startsWith("--") ? nearest(flag.slice(2), Object.keys(OPTIONS)) : undefined;
      throw new UsageError("option", flag, `unknown option; ${near ? `did you mean --${near}?` : "run with --help to see the options"}`);
    }
    if (!takesValue(token.name)) {
      if (token.value !== undefined) throw new UsageError("option", flag, "it is a switch and takes no value");
      continue;
    }
    if (token.value === undefined) throw new UsageError("option", flag, needsValue(token.name));
    // `--name --yes`: the next word is an option, not the value the user forgot.
    if (!token.inlineValue && token.value.startsWith("-")) {
      const meant = isOptionWord(token.value) ? "" : ` (if ${JSON.stringify(token.value)} is the value, write --${token.name}=${token.value})`;
      throw new UsageError("option", flag, `${needsValue(token.name)}${meant}`);
    }
  }
}

function isOptionWord(word: string): boolean {
  return word === "--" || SHORT.has(word.slice(0, 2)) || isOption(word.replace(/^--/, "").split("=", 1)[0]!);
}

const SHORT: ReadonlySet<string> = new Set(Object.values(OPTIONS).flatMap((o) => ("short" in o ? [`-${o.short}`] : [])));

/**
 * An empty value (`--config ""`, `--ingress=`) is never "not given": a
 * caller's unset shell variable would otherwise silently drop the option,
 * or reach a check that only tests truthiness. One rule for every value option.
 */
export function rejectEmptyValues(values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === "" && isOption(key) && takesValue(key)) throw new UsageError(flagField(`--${key}`), value, needsValue(key));
  }
}

/**
 * Whitespace around a value, or around an entry of a list option, is dropped
 * for every value option alike: lists trimmed their entries while single
 * values reached the schema as typed, so `--deploy " kubernetes"` passed and
 * `--ingress " http"` failed. Trimmed before the empty check, so a value of
 * blanks alone is refused as empty. Whitespace inside a value stays, for the
 * schema to judge ("my app").
 */
export function trimValues(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    const trims = typeof value === "string" && isOption(key) && takesValue(key);
    out[key] = !trims ? value : LIST_OPTIONS.has(key) ? value.split(",").map((entry) => entry.trim()).join(",") : value.trim();
  }
  return out;
}

/**
 * A value option given twice would keep only its last value, silently
 * dropping the first (`--ci github --ci gitlab` means gitlab alone). A list
 * option says how to ask for both. A switch repeated means the same thing
 * twice and loses nothing, so it stays allowed.
 */
export function rejectRepeats(tokens: readonly Token[]): void {
  const seen = new Map<string, string[]>();
  for (const token of tokens) {
    if (token.kind !== "option" || token.name === undefined || !isOption(token.name) || !takesValue(token.name)) continue;
    const values = seen.get(token.name) ?? [];
    values.push(token.value ?? "");
    seen.set(token.name, values);
    if (values.length < 2) continue;
    const flag = `--${token.name}`;
    // Each entry once: the list refuses a repeated entry, so a repeat must not be suggested.
    const entries = [...new Set(values.flatMap((v) => v.split(",")))].join(",");
    const list = LIST_OPTIONS.has(token.name) ? `, with every entry in one comma-separated list: ${flag} ${entries}` : "";
    throw new UsageError(flagField(flag), token.value, `it is given twice (first ${JSON.stringify(values[0])}); give ${flag} once${list}`);
  }
}

/** The comma-separated options: each entry is a value of its own. */
const LIST_OPTIONS: ReadonlySet<string> = new Set(["ci", "deploy", "workers"] satisfies (keyof typeof OPTIONS)[]);
