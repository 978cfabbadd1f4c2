import { basename, resolve, sep } from "node:path";
import { shellQuote } from "./human.js";
import { GENERATOR_NAME, GENERATOR_VERSION } from "./version.js";

/**
 * How the user runs this tool again, for the commands the CLI tells them to
 * run next. Installed (a global install, `npx -p`), the `hybrid-backend`
 * command is on PATH and is how they started this run. Run as `npm create
 * hybrid-backend` or `npx create-hybrid-backend`, nothing of the tool stays
 * on PATH, so a next step saying `hybrid-backend sync` answered "command not
 * found"; there the line names this very release through npx, as the
 * generated README does. Run from a checkout (`node CHECKOUT/dist/cli.js`,
 * as the README tells contributors), the release may not be on the registry
 * at all, so the line names that same script by its absolute path, which
 * works from any folder. Decided by the path the tool was started as
 * (process.argv[1], a bin link's own name: Node does not resolve it).
 */
export function selfCommand(argv1: string = process.argv[1] ?? ""): string {
  if (basename(argv1) === "hybrid-backend") return "hybrid-backend";
  const script = resolve(argv1);
  if (/\.[cm]?js$/.test(script) && !script.split(sep).includes("node_modules")) return `node ${shellQuote(script)}`;
  return `npx ${GENERATOR_NAME}@${GENERATOR_VERSION}`;
}
