import * as grpc from "@grpc/grpc-js";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { gunzipSync } from "node:zlib";
import { exportMethod, traceServiceDefinition, TRACE_SERVICE } from "./protos.js";
import { flattenExport, type ExportRequest, type SpanRecord } from "./spans.js";

/** The largest export body the HTTP receiver reads (a smoke's spans are a few KiB). */
const MAX_BODY_BYTES = 16 << 20;

/**
 * An OTLP trace receiver on loopback for validate's smoke: the services export
 * to it over gRPC or HTTP/protobuf, and the smoke reads what arrived. Written
 * here rather than running a Collector because it is two small endpoints over
 * protos we already load, and it keeps validate free of a Docker or binary
 * download.
 */
export interface OtlpReceiver {
  /** host:port of the gRPC receiver (OTEL_EXPORTER_OTLP_ENDPOINT=http://<grpc>). */
  grpcAddr: string;
  /** host:port of the HTTP receiver (POST /v1/traces). */
  httpAddr: string;
  /** Every span received so far, in arrival order. */
  spans(): SpanRecord[];
  /** Export requests refused (undecodable bodies, wrong content type), for the failure message. */
  errors(): string[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: SpanRecord[] = [];
  const errors: string[] = [];
  const method = exportMethod();

  const grpcServer = new grpc.Server();
  const pkg = grpc.loadPackageDefinition(traceServiceDefinition());
  const svc = TRACE_SERVICE.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], pkg) as grpc.ServiceClientConstructor;
  grpcServer.addService(svc.service, {
    Export: (call: grpc.ServerUnaryCall<ExportRequest, object>, cb: grpc.sendUnaryData<object>) => {
      received.push(...flattenExport(call.request));
      cb(null, {});
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );

  const httpServer = createServer(async (req, res) => {
    const reply = (status: number, msg?: string) => {
      if (msg) errors.push(msg);
      res.writeHead(status, { "content-type": status === 200 ? "application/x-protobuf" : "text/plain" }).end(msg ?? "");
    };
    if (req.method !== "POST" || req.url?.split("?")[0] !== "/v1/traces") return reply(404, `${req.method} ${req.url}: not an OTLP traces endpoint`);
    const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
    if (type !== "application/x-protobuf") return reply(415, `POST /v1/traces with content-type ${JSON.stringify(type)}: only application/x-protobuf is read`);
    try {
      let body = await readBody(req);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      received.push(...flattenExport(method.requestDeserialize(body) as ExportRequest));
      reply(200);
    } catch (e) {
      reply(400, `POST /v1/traces: ${(e as Error).message}`);
    }
  });
  const httpPort = await listen(httpServer);

  return {
    grpcAddr: `127.0.0.1:${grpcPort}`,
    httpAddr: `127.0.0.1:${httpPort}`,
    spans: () => [...received],
    errors: () => [...errors],
    close: async () => {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      // The smoke is over and its exporters have stopped: nothing is left to drain, and a
      // graceful tryShutdown waits on sessions whose peers are gone.
      grpcServer.forceShutdown();
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      if (a && typeof a === "object") resolve(a.port);
      else reject(new Error("the OTLP HTTP receiver has no port"));
    });
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
