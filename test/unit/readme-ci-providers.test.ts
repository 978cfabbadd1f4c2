import { describe, expect, it } from "vitest";
import { CI_PROVIDERS, parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/** The README's CI section spoke of "both providers" in a repo with one pipeline. */
describe("the README's CI section counts the providers the repo has", () => {
  const readme = (providers: string[]) =>
    render(parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress: "sqs" }, ci: { providers } }))
      .get("README.md")!
      .content.toString("utf8")
      .replace(/\s+/g, " ");

  it.each(CI_PROVIDERS)("%s alone: no second provider is mentioned", (provider) => {
    const text = readme([provider]);
    expect(text).toContain("run only when a file they read changes");
    expect(text).not.toContain("both providers");
  });

  it("both: says they list the same files", () => {
    expect(readme([...CI_PROVIDERS])).toContain("(both providers list the same files)");
  });
});

/**
 * A GitLab-only user read "main" and "Pull-request pipelines": the README's CI
 * wording is the providers' own, and its branch is the one the CI files name
 * (GitHub's workflow `main` by name, GitLab's `$CI_DEFAULT_BRANCH`).
 */
describe("the README's CI section speaks each provider's terms", () => {
  const repo = (providers: string[]) => render(parseManifest({ name: "app", orchestrator: { module: "example.com/app/orchestrator", ingress: "sqs" }, ci: { providers } }));
  const ciSection = (providers: string[]) => {
    const text = repo(providers).get("README.md")!.content.toString("utf8");
    return text.slice(text.indexOf("## CI\n"), text.indexOf("\n## ", text.indexOf("## CI\n") + 1)).replace(/\s+/g, " ");
  };
  const file = (providers: string[], path: string) => repo(providers).get(path)!.content.toString("utf8");

  it("GitLab alone: merge requests and the default branch, as .gitlab-ci.yml reads them", () => {
    const text = ciSection(["gitlab"]);
    expect(text).toContain("on a merge request all but audit");
    expect(text).toContain("Merge-request pipelines cancel the run they replace; those on the default branch never do.");
    expect(text).toContain("a push to the default branch only");
    expect(text).not.toMatch(/\bmain\b|pull[- ]request/i);
    const ci = file(["gitlab"], ".gitlab-ci.yml");
    expect(ci).toContain("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH");
    expect(ci).not.toMatch(/\bmain\b/);
  });

  it("GitHub alone: pull requests and main, the branch its workflow names", () => {
    const text = ciSection(["github"]);
    expect(text).toContain("on a pull request all but audit");
    expect(text).toContain("Pull-request runs cancel the run they replace; those on `main` never do.");
    expect(text).not.toMatch(/merge request|default branch/i);
    expect(file(["github"], ".github/workflows/ci.yml")).toMatch(/branches: \[main\]/);
  });

  it("both: names each provider's terms", () => {
    const text = ciSection(["github", "gitlab"]);
    expect(text).toContain("on a pull or merge request all but audit");
    expect(text).toContain("while on `main` (on GitLab, the default branch) every job runs");
  });
});

/**
 * A GitLab-only repo's publish job stopped with "publish needs REGISTRY_USER
 * and REGISTRY_PASSWORD" while its README named neither, nor where the
 * registry (a registry.example.com placeholder) is set: every credential a CI
 * file reads that the team must provide is named in the README's CI section.
 */
describe("the README's CI section names the credentials publish needs", () => {
  const cases = ["example.com/app/orchestrator", "gitlab.com/acme/app/orchestrator", "github.com/acme/app/orchestrator"].flatMap((module) =>
    [["github"], ["gitlab"], ["github", "gitlab"]].map((providers) => [module, providers] as const),
  );
  it.each(cases)("%s, %j", (module, providers) => {
    const tree = render(parseManifest({ name: "app", orchestrator: { module }, ci: { providers: [...providers] } }));
    const text = (path: string) => tree.get(path)?.content.toString("utf8") ?? "";
    const readme = text("README.md");
    const ci = readme.slice(readme.indexOf("## CI\n"), readme.indexOf("\n## ", readme.indexOf("## CI\n") + 1));
    const needed = new Set<string>();
    for (const [, name] of text(".github/workflows/ci.yml").matchAll(/secrets\.([A-Z_]+)/g)) if (name !== "GITHUB_TOKEN") needed.add(name!);
    const gitlab = text(".gitlab-ci.yml");
    // Variables the job reads that no line of the file itself sets.
    for (const name of ["REGISTRY_USER", "REGISTRY_PASSWORD"]) if (gitlab.includes(`\${${name}`) && !new RegExp(`^\\s+${name}: `, "m").test(gitlab)) needed.add(name);
    expect(ci).toContain("`ci.registry` in `hybrid-backend.json`");
    for (const name of needed) expect(ci, name).toContain(`\`${name}\``);
    if (module.startsWith("example.com/")) expect(ci).toContain("a placeholder");
  });
});
