import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The environment a stand-in service wrote down (`env > .env-NAME`) when the script under test started it. */
export function envOf(dir: string, service: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(dir, `.env-${service}`), "utf8").split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
