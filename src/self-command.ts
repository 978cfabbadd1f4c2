import { basename } from "node:path";
import { GENERATOR_NAME, GENERATOR_VERSION } from "./version.js";

/**
 * How the user runs this tool again, for the commands the CLI tells them to
 * run next. Installed (a global install, `npx -p`), the `hybrid-backend`
 * command is on PATH and is how they started this run. Run as `npm create
 * hybrid-backend` or `npx create-hybrid-backend`, nothing of the tool stays
 * on PATH, so a next step saying `hybrid-backend sync` answered "command not
 * found"; there the line names this very release through npx, as the
 * generated README does. Decided by the name the tool was started under
 * (process.argv[1], a bin link's own name: Node does not resolve it).
 */
export function selfCommand(argv1: string = process.argv[1] ?? ""): string {
  return basename(argv1) === "hybrid-backend" ? "hybrid-backend" : `npx ${GENERATOR_NAME}@${GENERATOR_VERSION}`;
}
