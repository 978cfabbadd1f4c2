import { resolve } from "node:path";
import { answersFault, flagsLayer, merge, originOf, readConfig, resolveName, toManifest, type Layer } from "../answers.js";
import type { ParsedArgs } from "../args.js";
import { EXIT, UsageError } from "../errors.js";
import { human } from "../human.js";
import { rejectBareWordInsideRepo, rejectDefaultFolderInsideRepo } from "../inside-repo.js";
import { shownPath } from "../shown-path.js";
import type { Manifest } from "../manifest.js";
import { render, sortedPaths, type FileTree } from "../render/index.js";
import { withLedger } from "../sync/ledger.js";
import { formatUnconverted } from "../sync/report.js";
import { GENERATOR_NAME, GENERATOR_VERSION } from "../version.js";
import { createProject } from "../write/create.js";
import { preflightTarget } from "../write/target.js";
import { equivalentCommand } from "./equivalent.js";
import { nextSteps } from "./next-steps.js";

export function isInteractive(values: ParsedArgs["values"]): boolean {
  // The flags first: reading process.stdin builds its stream, ~10 ms that --yes need not pay.
  return Boolean(!values.yes && !process.env.CI && !values.json && process.stdin.isTTY && process.stdout.isTTY);
}

export async function runCreate(args: ParsedArgs): Promise<number> {
  const { values } = args;
  if (values["no-git"] && values["git-init"]) {
    throw new UsageError("--git-init", "--git-init --no-git", "the two contradict each other; pass one of them");
  }
  if (values["no-docker"] && values.docker) {
    throw new UsageError("--docker", "--docker --no-docker", "the two contradict each other; pass one of them");
  }
  let dir = args.positionals[0];
  rejectBareWordInsideRepo(dir);
  const layers: Layer[] = [{ answers: flagsLayer(values) }];
  if (values.config !== undefined) layers.unshift({ answers: readConfig(values.config), file: `--config ${values.config}` });
  let answers = merge(...layers.map((layer) => layer.answers));

  // A dry run too: it writes nothing, but it answers what the real run would, a folder it may not write to included.
  const checkTarget = (folder: string) => preflightTarget(resolve(folder));
  if (isInteractive(values)) {
    // What is already known about the folder (and the name taken from it) is
    // checked before the first question, so no answers are lost to it.
    if (dir !== undefined || answers.name !== undefined) {
      const name = resolveName(answers, dir, originOf(layers));
      checkTarget(dir ?? name);
    }
    const fault = answersFault(answers, originOf(layers));
    if (fault) throw fault;
    const { promptAnswers } = await import("../prompts.js");
    const prompted = await promptAnswers(answers, dir, (folder) => problemWith(() => checkTarget(folder)));
    layers.push({ answers: prompted.answers });
    answers = merge(answers, prompted.answers);
    dir = prompted.dir;
  }
  const name = resolveName(answers, dir, originOf(layers));
  if (dir === undefined) rejectDefaultFolderInsideRepo(name);
  dir ??= name;
  const manifest = toManifest(answers, name, originOf(layers));
  // Fail on an unusable target before rendering or writing anything.
  checkTarget(dir);
  let rendered: FileTree | undefined;
  const renderTree = () => (rendered = withLedger(render(manifest), manifest));

  if (values["dry-run"]) {
    const tree = renderTree();
    if (values.json) console.log(JSON.stringify({ dir: resolve(dir), files: sortedPaths(tree) }, null, 2));
    else {
      console.log(human`Would create ${resolve(dir)} with ${tree.size} files:`);
      for (const path of sortedPaths(tree)) console.log(`  ${path}`);
      printSameAgain(values, shownPath(resolve(dir)), manifest);
    }
    return EXIT.ok;
  }

  // Rendered inside createProject, while its `git init` runs.
  const result = await createProject(dir, renderTree, {
    commitMessage: values["no-git"] ? undefined : `Initial commit from ${GENERATOR_NAME} ${GENERATOR_VERSION}`,
    forceGitInit: values["git-init"],
  });
  const shown = shownPath(result.dir, dir);
  if (!values.json) {
    console.log(human`Created ${shown} (${result.files} files${result.committed ? ", initial commit" : ""}).`);
    if (values.verbose && rendered) for (const path of sortedPaths(rendered)) console.log(human`  ${path}`);
    if (result.enclosingRepo !== undefined) {
      const repo = shownPath(result.enclosingRepo);
      console.log(human`Inside the git repository at ${repo}: not initialising a new one; commit when ready (--git-init makes a separate repository).`);
    }
    if (result.notCheckedOut) console.log(formatUnconverted(result.notCheckedOut, NOT_CHECKED_OUT).join("\n"));
    printSameAgain(values, shown, manifest);
  }
  if (values["no-validate"]) {
    if (values.json) {
      const { dir: created, files, committed, enclosingRepo, notCheckedOut } = result;
      console.log(JSON.stringify({ dir: created, files, committed, ...(enclosingRepo ? { enclosingRepo } : {}), ...(notCheckedOut ? { notCheckedOut } : {}), validated: false }));
    }
    else printNextSteps(shown, manifest, false);
    return EXIT.ok;
  }
  const { runValidate } = await import("./validate.js");
  const code = await runValidate(result.dir, { json: Boolean(values.json) });
  if (!values.json && code === EXIT.ok) printNextSteps(shown, manifest, true);
  return code;
}

/** As sync says it (sync/report.ts CHECKOUT_NOTE), for what create wrote. */
const NOT_CHECKED_OUT =
  "git could not convert these to the form it checks out, so create wrote them as generated; fix the filter or the .gitattributes rule, then git checkout -- FILE";

/**
 * The switches that change what a run does, carried into "Same again": without
 * them the line for a `--no-validate --no-git` session validated for minutes
 * and made a commit, and a dry run's line wrote the repo.
 */
const RUN_SWITCHES = ["dry-run", "no-validate", "no-git", "git-init"] as const;

/** After an interactive run, the one-line command that repeats it without prompts. */
function printSameAgain(values: ParsedArgs["values"], dir: string, manifest: Manifest) {
  if (!isInteractive(values)) return;
  const switches = RUN_SWITCHES.filter((name) => values[name]).map((name) => `--${name}`);
  console.log(`Same again without prompts:\n  ${equivalentCommand(dir, manifest, undefined, switches)}`);
}

/** A usage error's line, for a prompt to show and ask again; anything else still fails the run. */
function problemWith(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
}

function printNextSteps(dir: string, manifest: Manifest, validated: boolean) {
  console.log(["", "Next:", ...nextSteps(dir, manifest, validated)].join("\n"));
}
