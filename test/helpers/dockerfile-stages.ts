/**
 * Which of the Go module's commands each stage of orchestrator/Dockerfile
 * holds in /usr/local/bin: read from its `go build -o` lines and the
 * `COPY --from` lines that carry their output on. Enough of the Dockerfile
 * syntax for the generated file (one go build per RUN, continued lines).
 */
export type Stages = { names: string[]; final: string; commands: Map<string, string[]> };

export function dockerfileStages(dockerfile: string): Stages {
  const lines = dockerfile.replace(/\\\n\s*/g, " ").split("\n");
  const built = new Map<string, { path: string; command: string }[]>();
  const commands = new Map<string, string[]>();
  const names: string[] = [];
  let stage = "";
  for (const line of lines) {
    const from = /^FROM (\S+)(?: AS (\S+))?/.exec(line);
    if (from) {
      stage = from[2] ?? `#${names.length}`;
      names.push(stage);
      // A stage FROM another starts with what that one built.
      built.set(stage, [...(built.get(from[1]!) ?? [])]);
      commands.set(stage, []);
      continue;
    }
    const build = /go build .*-o (\S+) (\.\/cmd\/\S+(?: \.\/cmd\/\S+)*)/.exec(line);
    if (build) {
      const [out, pkgs] = [build[1]!, build[2]!.split(" ")];
      for (const pkg of pkgs) {
        const command = pkg.slice("./cmd/".length);
        built.get(stage)!.push({ path: out.endsWith("/") ? out + command : out, command });
      }
      continue;
    }
    const copy = /^COPY --from=(\S+) (?:--chown=\S+ )?(\S+) (\S+)$/.exec(line);
    if (copy && copy[3]!.startsWith("/usr/local/bin/")) {
      const src = copy[2]!;
      for (const b of built.get(copy[1]!) ?? []) if (b.path === src || (src.endsWith("/") && b.path.startsWith(src))) commands.get(stage)!.push(b.command);
    }
  }
  return { names, final: stage, commands };
}
