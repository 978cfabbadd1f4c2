import { escapeInvisible } from "./errors.js";

/**
 * What a person typed on a closed-choice question's line, read against its
 * choices: the answer it stands for, or the one line that says why it is none
 * and what is allowed. Nothing typed is the question's default (or, for a list,
 * the highlighted choice); anything else must be one of the choices: inquirer's
 * own prompts took `maybe` or `ja` for the default and `yse` for yes, and a list
 * ignored what was typed, so `sqs` then Enter answered the highlighted `http`.
 */
export type Typed<T> = { answer: T } | { refused: string };

/** A typed value as the refusal shows it: quoted, each control or invisible character escaped. */
const shown = (typed: string) => escapeInvisible(JSON.stringify(typed.trim()));

/** y, yes, n or no in any case; nothing typed is `fallback`. */
export function readYesNo(typed: string, fallback: boolean): Typed<boolean> {
  const word = typed.trim().toLowerCase();
  if (word === "") return { answer: fallback };
  if (word === "y" || word === "yes") return { answer: true };
  if (word === "n" || word === "no") return { answer: false };
  return { refused: `${shown(typed)} is not an answer: type y, yes, n or no (Enter alone: ${fallback ? "yes" : "no"})` };
}

/**
 * A list's choice: nothing typed is the highlighted one (`highlighted`, an index
 * into `values`); else a value (any case) or its number in the list, from 1.
 */
export function readChoice(typed: string, values: readonly string[], highlighted: number): Typed<number> {
  const word = typed.trim().toLowerCase();
  if (word === "") return { answer: highlighted };
  const byName = values.findIndex((v) => v.toLowerCase() === word);
  if (byName >= 0) return { answer: byName };
  const byNumber = /^[1-9][0-9]*$/.test(word) ? Number(word) - 1 : -1;
  if (byNumber >= 0 && byNumber < values.length) return { answer: byNumber };
  return { refused: `${shown(typed)} is not one of ${values.join(", ")}: pick one with the arrow keys and Enter, or type it` };
}

/**
 * The keys a checkbox list acts on as they are pressed (space picks, a all, i
 * inverts, j/k and digits move): a line of only these is the picks made with them.
 */
const CHECKBOX_KEYS = /^[\saijk0-9]*$/i;

/**
 * A checkbox list's picks: `undefined` when only its keys were pressed (the
 * picks are what they made); else the values typed, comma- or space-separated
 * (any case, `none` for no pick), in the list's order.
 */
export function readPicks(typed: string, values: readonly string[]): Typed<string[] | undefined> {
  if (CHECKBOX_KEYS.test(typed)) return { answer: undefined };
  const words = typed.trim().toLowerCase().split(/[\s,]+/);
  if (words.length === 1 && words[0] === "none") return { answer: [] };
  if (words.every((w) => values.some((v) => v.toLowerCase() === w))) return { answer: values.filter((v) => words.includes(v.toLowerCase())) };
  return { refused: `${shown(typed)} is not a list of ${values.join(", ")}: press space to pick, then Enter (none picked: none), or type them with commas` };
}
