import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";

/**
 * A GitLab-only repo's .gitlab-ci.yml said it had "the same jobs as the GitHub
 * workflow" (and the GitHub one pointed at "the GitLab jobs' rules"): a
 * pipeline that does not exist in the repo. No generated file names a provider
 * the manifest did not choose, outside the places that list every provider
 * (the manifest's schema) or keep the other's folder out of images.
 */
describe("a one-provider repo names no other CI provider", () => {
  const others = { github: /gitlab/i, gitlab: /github(?!\.com|usercontent)/i } as const;
  const listsEvery = new Set([".hybrid-backend/manifest.schema.json", ".dockerignore"]);

  for (const ingress of ["http", "sqs", "kinesis"] as const) {
    for (const provider of ["github", "gitlab"] as const) {
      it(`${ingress}, ${provider} only`, () => {
        const tree = render(
          parseManifest({
            name: "app",
            orchestrator: { module: "example.com/app/orchestrator", ingress },
            workers: [{ name: "scorer", transport: "uds" }, { name: "pricing", transport: "tcp" }],
            ci: { providers: [provider] },
          }),
        );
        const hits: string[] = [];
        for (const [path, file] of tree) {
          if (listsEvery.has(path)) continue;
          file.content
            .toString("utf8")
            .split("\n")
            .forEach((line, i) => {
              if (others[provider].test(line)) hits.push(`${path}:${i + 1}: ${line.trim()}`);
            });
        }
        expect(hits).toEqual([]);
      });
    }
  }
});
