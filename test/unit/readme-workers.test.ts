import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/manifest.js";
import { render } from "../../src/render/index.js";
import { EXAMPLE_NEW_WORKERS } from "../../src/render/workers.js";
import { MAX_WORKERS } from "../../src/worker-names.js";

/**
 * The README's Workers table gives each worker's address as `make run`
 * (scripts/run.sh) and compose (docker-compose.yml) set it, per transport.
 */
describe.each(["http", "sqs"])("README worker addresses, %s", (ingress) => {
  const tree = render(
    parseManifest({
      name: "risk-api",
      orchestrator: { module: "github.com/acme/risk-api/orchestrator", ingress },
      workers: [{ name: "scorer", transport: "uds" }, { name: "pricing", transport: "tcp" }],
    }),
  );
  const text = (p: string) => tree.get(p)!.content.toString("utf8");
  const readme = text("README.md");
  const run = text("scripts/run.sh");
  const compose = text("docker-compose.yml");

  it.each([
    ["scorer", "SCORER"],
    ["pricing", "PRICING"],
  ])("%s", (name, env) => {
    const row = new RegExp(`^\\| ${name}(?: \\(primary\\))? \\| \`workers/${name}/\` \\| (tcp|uds) \\| (.+?) \\| (.+?) \\| \`WORKER_${env}_ADDR\` \\|`, "m").exec(readme);
    expect(row, `${name}'s row`).not.toBeNull();
    const [, transport, local, composed] = row!;
    const started = new RegExp(`^start_worker ${name} WORKER_${env}_ADDR (\\S+) `, "m").exec(run)![1]!;
    if (transport === "uds") {
      expect(started).toBe(`"unix://$sockets/${name}.sock"`);
      expect(local).toContain(`\`${name}.sock\` in a temp dir`);
    } else {
      expect(local).toBe(`\`${started}\``);
    }
    const dialled = new RegExp(`^ {6}WORKER_${env}_ADDR: (\\S+)$`, "m").exec(compose)![1]!;
    expect(composed).toBe(`\`${dialled}\``);
    // A uds worker serves where the orchestrator dials it; a tcp one on its port, on every interface.
    const service = compose.slice(compose.indexOf(`\n  ${name}:\n`));
    const listen = /^ {6}LISTEN_ADDR: (\S+)$/m.exec(service)![1]!;
    expect(listen).toBe(transport === "uds" ? dialled : `0.0.0.0:${dialled.split(":").at(-1)}`);
  });
});

/** The README's `add worker` example runs as written: it never names a worker the repo has. */
describe("README add worker example", () => {
  const readmeOf = (workers: string[]) =>
    render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, workers: workers.map((name) => ({ name })) }))
      .get("README.md")!
      .content.toString("utf8");
  const offered = (workers: string[]) => /add worker (\w+) /.exec(readmeOf(workers))![1];

  it("offers a name the repo does not have", () => {
    expect(offered(["scorer"])).toBe("pricing");
    expect(offered(["scorer", "pricing"])).toBe("fraud");
    const taken = EXAMPLE_NEW_WORKERS.slice(0, MAX_WORKERS);
    expect(taken).not.toContain(offered([...taken]));
  });

  it("offers only names a worker may have", () => {
    for (const name of EXAMPLE_NEW_WORKERS) expect(() => parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, workers: [{ name }] }), name).not.toThrow();
  });
});

/**
 * The sentence giving the addresses used when nothing sets them names each
 * worker beside its own: a bare list ("a worker's LISTEN_ADDR is 0.0.0.0:50051,
 * 0.0.0.0:50052") left a reader of a two-worker repo to guess which is whose.
 */
describe("README unset worker addresses", () => {
  it.each(["http", "kinesis"])("pairs each address with its worker, %s", (ingress) => {
    const readme = render(
      parseManifest({
        name: "risk-api",
        orchestrator: { module: "example.com/risk-api/orchestrator", ingress },
        workers: [{ name: "scorer" }, { name: "pricing", transport: "uds" }],
      }),
    )
      .get("README.md")!
      .content.toString("utf8")
      .replace(/\s+/g, " ");
    const sentence = /Unset, (.*?), whatever the transport\./.exec(readme)?.[1];
    expect(sentence).toBe(
      "worker scorer's `LISTEN_ADDR` is `0.0.0.0:50051` and the orchestrator's `WORKER_SCORER_ADDR` `127.0.0.1:50051`; " +
        "worker pricing's `LISTEN_ADDR` is `0.0.0.0:50052` and the orchestrator's `WORKER_PRICING_ADDR` `127.0.0.1:50052`",
    );
  });
});

/**
 * What the READMEs say of a worker's connections and metrics port holds for
 * its transport: a sidecar on a Unix socket has no gRPC port to add the
 * metrics offset to and no headless Service to re-resolve, and a repo with
 * no such worker is not told about one.
 */
describe("README transport wording", () => {
  const treeOf = (transport: string) =>
    render(parseManifest({ name: "risk-api", orchestrator: { module: "example.com/risk-api/orchestrator" }, workers: [{ name: "scorer", transport }] }));
  const text = (transport: string, path: string) => treeOf(transport).get(path)!.content.toString("utf8").replace(/\s+/g, " ");

  it("uds: the metrics port comes from the default port, and GOAWAY only costs a reconnect", () => {
    expect(text("uds", "README.md")).toMatch(/a `unix:\/\/` worker's, TCP on its default port plus \d+/);
    const worker = text("uds", "workers/scorer/README.md");
    expect(worker).toMatch(/costs a sidecar's one client only a reconnect to the same socket/);
    expect(worker).not.toMatch(/GOAWAY\) after \d+ seconds, so clients resolve/);
  });

  it("tcp: no word of Unix sockets or sidecars where the repo has none", () => {
    expect(text("tcp", "README.md")).not.toMatch(/a `unix:\/\/` worker's, TCP/);
    expect(text("tcp", "workers/scorer/README.md")).toMatch(/GOAWAY\) after \d+ seconds, so clients resolve the worker's name again/);
    expect(text("tcp", "workers/scorer/README.md")).not.toMatch(/sidecar's one client/);
  });
});
