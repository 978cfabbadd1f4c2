import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SERVING = 1;

/**
 * grpc.health.v1.Health/Check with a hand-rolled codec: the request is one
 * string field and the reply one enum field, so loading health.proto (which
 * the generated repo does not ship) would be more machinery than the wire
 * format itself.
 */
export function healthCheck(addr: string, service = "", deadlineMs = 1000): Promise<number> {
  const client = new grpc.Client(addr, grpc.credentials.createInsecure());
  const encode = (name: string) => {
    const bytes = Buffer.from(name, "utf8");
    return bytes.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, bytes.length]), bytes]);
  };
  const decode = (buf: Buffer) => (buf.length >= 2 && buf[0] === 0x08 ? buf[1]! : 0);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      encode,
      decode,
      service,
      { deadline: Date.now() + deadlineMs },
      (err, status) => {
        client.close();
        if (err) reject(err);
        else resolve(status ?? 0);
      },
    );
  });
}

export interface ScoringClient {
  score(req: object): Promise<Record<string, unknown>>;
  scoreBatch(req: object): Promise<{ responses?: Record<string, unknown>[] }>;
  close(): void;
}

/**
 * The contract without its buf.validate rules. protobufjs (under
 * proto-loader) cannot parse the message-literal options of protovalidate's
 * validate.proto; a client needs only the messages' shape, and the rules are
 * the servers' to enforce.
 */
export function withoutRules(proto: string): string {
  return proto
    .replace(/^import "buf\/validate\/validate\.proto";\n/m, "")
    .replace(/\s*\[[^\]]*\(buf\.validate\.[^\]]*\]/g, "");
}

/** A ScoringService client built from the generated repo's own .proto. */
export function scoringClient(repo: string, addr: string): ScoringClient {
  const source = readFileSync(join(repo, "proto", "scoring", "v1", "scoring.proto"), "utf8");
  const dir = mkdtempSync(join(tmpdir(), "hybrid-backend-proto-"));
  let def: protoLoader.PackageDefinition;
  try {
    const file = join(dir, "scoring.proto");
    writeFileSync(file, withoutRules(source));
    def = protoLoader.loadSync(file, { longs: String, enums: String, defaults: false, arrays: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    scoring: { v1: { ScoringService: grpc.ServiceClientConstructor } };
  };
  const client = new pkg.scoring.v1.ScoringService(addr, grpc.credentials.createInsecure()) as grpc.Client &
    Record<string, (req: object, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (e: Error | null, r: unknown) => void) => void>;
  const call = <T>(method: string, req: object) =>
    new Promise<T>((resolve, reject) =>
      client[method]!(req, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err, res) =>
        err ? reject(err) : resolve(res as T),
      ),
    );
  return {
    score: (req) => call("Score", req),
    scoreBatch: (req) => call("ScoreBatch", req),
    close: () => client.close(),
  };
}
