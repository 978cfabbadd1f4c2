import { execa } from "execa";

/** Whether git is on PATH; generation works without it, just uncommitted. */
export async function hasGit(): Promise<boolean> {
  try {
    await execa("git", ["--version"]);
    return true;
  } catch {
    return false;
  }
}

/**
 * `git init` plus an initial commit. A machine without a configured identity
 * (fresh CI runners, containers) still gets its commit, under a neutral name
 * that the user can amend.
 */
export async function initialCommit(dir: string, message: string): Promise<void> {
  const git = (args: string[]) => execa("git", args, { cwd: dir });
  await git(["init", "-q", "-b", "main"]);
  await git(["add", "-A"]);
  const identity = await configured(dir);
  const fallback = identity
    ? []
    : ["-c", "user.name=create-hybrid-backend", "-c", "user.email=create-hybrid-backend@localhost"];
  await execa("git", [...fallback, "commit", "-q", "--no-verify", "-m", message], { cwd: dir });
}

async function configured(dir: string): Promise<boolean> {
  try {
    const name = await execa("git", ["config", "user.name"], { cwd: dir });
    const email = await execa("git", ["config", "user.email"], { cwd: dir });
    return name.stdout.trim() !== "" && email.stdout.trim() !== "";
  } catch {
    return false;
  }
}
