import type { Manifest } from "../manifest.js";
import { shellQuote } from "../human.js";

/**
 * What to type after create, for the chosen ingress. Every `make` word here
 * is a target of the generated Makefile (templates/root/Makefile.hbs; the
 * unit tests check each preset against the rendered one). Queue presets need
 * the local AWS emulator running before `run` can start, which `smoke` does
 * on its own but `run` does not.
 */
export function nextSteps(dir: string, m: Manifest, validated: boolean): string[] {
  const steps: [string, string][] = [];
  if (dir !== ".") steps.push([`cd ${shellQuote(dir)}`, ""]);
  if (!validated) steps.push(["make test smoke", "tests, then every test vector end to end"]);
  if (m.orchestrator.ingress === "http") {
    steps.push(["make run", "every worker and the orchestrator; Ctrl-C stops all"]);
    steps.push(["", 'then, in another terminal, the request under "Try it" in README.md']);
  } else {
    steps.push(["make emulator", "terminal 1: the local AWS emulator (moto)"]);
    steps.push(["make bootstrap run", "terminal 2: create the AWS resources, then run every service"]);
    steps.push(["make produce", "terminal 3: send the test vectors (N=1000 for synthetic load)"]);
  }
  const width = Math.max(...steps.map(([cmd]) => cmd.length));
  return steps.map(([cmd, why]) => (why ? `  ${cmd.padEnd(width)}  # ${why}` : `  ${cmd}`).trimEnd());
}
