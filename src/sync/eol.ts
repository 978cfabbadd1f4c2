/**
 * Line endings are a property of a checkout, not of a file's content: the
 * same generated file is LF in one clone and CRLF in another (core.autocrlf,
 * `eol=crlf` in .gitattributes, an editor's setting, a zip from Windows).
 * Sync compares and merges in LF and writes back in the file's own style, so
 * a CRLF checkout is never mistaken for an edit and never gets mixed endings.
 */
export type LineEnding = "lf" | "crlf";

const CR = 0x0d;
const LF = 0x0a;

/** "crlf" only when every line break is CRLF (a mixed file is left as it is). */
export function lineEnding(content: Buffer): LineEnding {
  let breaks = 0;
  for (let i = content.indexOf(LF); i >= 0; i = content.indexOf(LF, i + 1)) {
    if (i === 0 || content[i - 1] !== CR) return "lf";
    breaks++;
  }
  return breaks > 0 ? "crlf" : "lf";
}

export function toLF(content: Buffer): Buffer {
  return Buffer.from(content.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
}

/** LF → CRLF for a file that has only LF breaks; anything else is returned as is. */
export function toCRLF(content: Buffer): Buffer {
  if (content.includes(CR)) return content;
  return Buffer.from(content.toString("latin1").replace(/\n/g, "\r\n"), "latin1");
}

export function inStyle(content: Buffer, style: LineEnding): Buffer {
  return style === "crlf" ? toCRLF(content) : content;
}

/**
 * The user's file in the generated file's terms: a CRLF file is compared as
 * LF when the generator writes LF (its templates never carry CR).
 */
export function comparable(ours: Buffer, generated: Buffer): { content: Buffer; style: LineEnding } {
  const style = lineEnding(ours);
  if (style === "crlf" && !generated.includes(CR)) return { content: toLF(ours), style };
  return { content: ours, style: "lf" };
}
