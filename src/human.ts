import { escapeInvisible } from "./errors.js";

/**
 * For lines a person reads (not --json): every interpolated value is spelled
 * as errors spell it (\u plus four hex digits for control and invisible characters), while the
 * template's own text is kept. A folder named with an ESC would otherwise
 * recolour or rewrite the terminal, and a bidi mark reorder the line; the
 * same name in an error is already escaped, so success must match.
 */
export function human(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((line, text, i) => line + text + (i < values.length ? escapeInvisible(String(values[i])) : ""), "");
}

/**
 * A word as the user can paste it back into a shell. One with control or
 * invisible characters is written as bash/zsh ANSI-C quoting ($'...\u001b...'),
 * which shows each as its escape and, pasted, means the same bytes.
 */
export function shellQuote(s: string): string {
  if (/^[\w./@%+=:,-]+$/.test(s)) return s;
  const escaped = escapeInvisible(s);
  if (escaped !== s) return `$'${escapeInvisible(s.replace(/[\\']/g, (c) => `\\${c}`))}'`;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Several lines of text (a failed step's report): each escaped, the line breaks kept. */
export function humanLines(text: string): string {
  return text.split("\n").map(escapeInvisible).join("\n");
}
