import { UsageError } from "./errors.js";
import { OPTIONS, isOption, needsValue, takesValue } from "./options.js";

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
 * An empty value (`--config ""`, `--ingress=`) is never "not given": a
 * caller's unset shell variable would otherwise silently drop the option,
 * or reach a check that only tests truthiness. One rule for every value option.
 */
export function rejectEmptyValues(values: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === "" && isOption(key) && takesValue(key)) throw new UsageError(`--${key}`, value, needsValue(key));
  }
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
    const list = LIST_OPTIONS.has(token.name) ? `, with every entry in one comma-separated list: ${flag} ${values.join(",")}` : "";
    throw new UsageError(flag, token.value, `it is given twice (first ${JSON.stringify(values[0])}); give ${flag} once${list}`);
  }
}

const LIST_OPTIONS: ReadonlySet<string> = new Set(["ci", "deploy"] satisfies (keyof typeof OPTIONS)[]);
