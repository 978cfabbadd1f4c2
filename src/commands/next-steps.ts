import type { Manifest } from "../manifest.js";
import { shellQuote } from "../human.js";
import { CI_FILES } from "../render/ci-jobs.js";
import { besidePath, type SyncConflict } from "../sync/conflicts.js";
import { MODEL_FILE, WORKERS_DIR } from "../render/components.js";
import { workerAddrVar, workerContexts } from "../render/workers.js";
import { selfCommand } from "../self-command.js";

/**
 * What to type after create, for the chosen ingress. Every `make` word here
 * is a target of the generated Makefile (templates/root/Makefile.hbs; the
 * unit tests check each preset against the rendered one). Queue presets need
 * the local AWS emulator running before `run` can start, which `smoke` does
 * on its own but `run` does not.
 */
/** The synthetic load the queue presets' next steps send and wait for, as their README's "Try it locally". */
export const TRY_COUNT = 1000;

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
    // Ending on produce left the user with work sent and no sign of it done: the
    // results go to the sink, not to a terminal, so the last step waits for them.
    const where = m.orchestrator.sink === "dynamodb" ? "in DynamoDB" : "in the orchestrator's log";
    steps.push([`make produce N=${TRY_COUNT}`, `terminal 3: send ${TRY_COUNT} synthetic requests (without N: the test vectors)`]);
    steps.push([`make wait-ready PROCESSED=${TRY_COUNT}`, `until each has its result ${where} (README.md, Try it locally)`]);
  }
  const width = Math.max(...steps.map(([cmd]) => cmd.length));
  return steps.map(([cmd, why]) => (why ? `  ${cmd.padEnd(width)}  # ${why}` : `  ${cmd}`).trimEnd());
}

/**
 * What to type after `add`/`remove`, and how the change is wired. Every
 * `make` word is a target of the generated Makefile (the unit tests run
 * them with `make -n` in a repo changed this way); other lines are notes.
 * `smoke` builds first and, for a queue preset, starts the emulator itself.
 * `kept` are the files the sync left in place though no longer generated
 * (the user edited them): a note says a removed thing is gone only when its
 * files are, and otherwise what the kept ones still do.
 */
export function changeSteps(verb: "add" | "remove", kind: "worker" | "ci", value: string, m: Manifest, dir: string, conflicts: SyncConflict[] = [], kept: string[] = [], before?: Manifest): string[] {
  const steps: [string, string][] = [];
  if (dir !== ".") steps.push([`cd ${shellQuote(dir)}`, ""]);
  steps.push(...conflictSteps(conflicts));
  if (kind === "worker") {
    const worker = workerContexts(m).find((w) => w.name === value);
    if (verb === "add" && worker) {
      // Only a routed worker gets the smoke's vectors: under a queue ingress the
      // consumer calls the primary alone, so saying "into each" would promise a
      // check of the new worker that smoke never makes.
      const primary = workerContexts(m).find((w) => w.primary)!.name;
      const why = worker.routed
        ? `build and test every worker, ${value} too, then send every test vector through the orchestrator into each`
        : `build and test every worker, ${value} too, then send every test vector through the orchestrator into ${primary}, the primary: nothing sends ${value} work until you route it (README.md, Workers)`;
      steps.push(["make test smoke", why]);
      const addr = worker.transport === "uds" ? `a Unix socket, ${value}.sock, under make run` : `127.0.0.1:${worker.port}`;
      const route = m.orchestrator.ingress === "http" ? `, and serves it at POST /v1/workers/${value}/score` : "";
      steps.push(["", `${value}'s code is in ${WORKERS_DIR}/${value}/; the orchestrator dials it at ${worker.env} (${addr})${route}`]);
      // The render is the manifest's alone: a new worker gets the model create ships, not the
      // primary's as the team may have changed it, and the shared vectors hold one model's answers.
      steps.push(["", modelNote(value, primary)]);
    } else {
      steps.push(["make test smoke", `rebuild and test the workers left: ${m.workers.map((w) => w.name).join(", ")}`]);
      // The primary's role passes to the first worker left, silently otherwise: from now on
      // its model answers what the removed one's did.
      if (before?.workers[0]?.name === value) steps.push(["", promotedNote(value, m)]);
      // Its config warns of a WORKER_ name that is not a setting and make run refuses one (a typo guard): a leftover one is not harmless.
      steps.push(["", `the orchestrator no longer dials ${value} and warns at start while ${workerAddrVar(value)} is set, and make run refuses it: unset it wherever you set it (a shell, CI, your infrastructure)`]);
      const left = kept.filter((path) => path.startsWith(`${WORKERS_DIR}/${value}/`));
      if (left.length > 0) {
        const folder = `${WORKERS_DIR}/${value}/`;
        steps.push(["", `${folder} still holds ${left.length === 1 ? "the file" : `the ${left.length} files`} you edited (kept, above), outside the Cargo workspace: nothing builds ${left.length === 1 ? "it" : "them"}; delete ${folder} once you no longer need ${left.length === 1 ? "it" : "them"}`]);
      }
    }
  } else {
    const file = CI_FILES[value as keyof typeof CI_FILES];
    if (verb === "add") steps.push(["", `commit ${file}: ${value} runs the pipeline on the next push`]);
    else if (kept.includes(file)) steps.push(["", `${file} is still there (you edited it, so it was kept): ${value} runs it on the next push until you delete it`]);
    else steps.push(["", `${file} is gone: ${value} runs no pipeline for this repo on the next push`]);
  }
  const width = Math.max(...steps.map(([cmd]) => cmd.length));
  return steps.map(([cmd, why]) => (cmd ? (why ? `  ${cmd.padEnd(width)}  # ${why}` : `  ${cmd}`) : `  ${why}`).trimEnd());
}

/** Which model an added worker scores with, where its own goes, and what checks it (README.md, Workers). */
function modelNote(added: string, primary: string): string {
  const file = `${WORKERS_DIR}/${added}/${MODEL_FILE}`;
  return `${added} scores with the model create ships (${file}), not ${primary}'s if you changed that: put ${added}'s own model in ${file} (how: ${WORKERS_DIR}/${added}/README.md under Changing the model); make test checks every worker against testdata/vectors.json, one model's answers (README.md, Workers)`;
}

/** What a worker promoted to primary by a removal now answers (README.md, Workers). */
function promotedNote(removed: string, m: Manifest): string {
  const primary = m.workers[0]!.name;
  const answers =
    m.orchestrator.ingress === "http"
      ? "POST /v1/score and /v1/score/batch"
      : `every message from the ${m.orchestrator.ingress === "sqs" ? "queue" : "stream"}`;
  return `${removed} was the primary: ${primary}, the first worker left, is the primary now and answers ${answers}, scored by its own model (${WORKERS_DIR}/${primary}/model/); reorder "workers" in hybrid-backend.json and sync to choose another`;
}

/**
 * The change is recorded (hybrid-backend.json and the other files are
 * written) but a conflicted file holds markers or has its new render beside
 * it: building now would build them. So resolving comes first, each file
 * named, then the check that says none is left (the same one CI runs; it
 * exits 3 until then, as every later sync does), then the change's own steps.
 */
function conflictSteps(conflicts: SyncConflict[]): [string, string][] {
  if (conflicts.length === 0) return [];
  const steps: [string, string][] = conflicts.map(({ path, beside }) => [
    "",
    beside
      ? `resolve ${path}: take what you need from ${besidePath(path)} into it, then delete ${besidePath(path)}`
      : `resolve ${path}: edit the <<<<<<< ======= >>>>>>> blocks down to the lines you want`,
  ]);
  steps.push([`${selfCommand()} sync --check`, "exits 0 once no conflict is left; then commit"]);
  return steps;
}
