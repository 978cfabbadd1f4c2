import * as protoLoader from "@grpc/proto-loader";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../paths.js";

/**
 * OTLP's trace export, as the services' exporters speak it: the subset of
 * opentelemetry-proto the receiver reads (proto/otlp-trace.proto, written
 * from the specification's field numbers at this release), loaded with
 * proto-loader so the gRPC and HTTP receivers and the tests' exporters decode
 * and encode with one definition.
 */
export const OTLP_PROTO_VERSION = "v1.11.0";

export const TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";

/** The .proto's folder: src/ in a checkout, dist/ (copied by the build) in the published package. */
export function otlpProtoDir(): string {
  const candidates = [join(PACKAGE_ROOT, "src", "validate", "otlp", "proto"), join(PACKAGE_ROOT, "dist", "otlp-proto")];
  const dir = candidates.find((d) => existsSync(d));
  if (!dir) throw new Error(`the OTLP trace proto is missing (looked in ${candidates.join(", ")})`);
  return dir;
}

let cached: protoLoader.PackageDefinition | undefined;

/**
 * The TraceService definition. Longs as strings (nanosecond timestamps do not
 * fit a double), enums as names, bytes as Buffers (ids become hex).
 */
export function traceServiceDefinition(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync(join(otlpProtoDir(), "otlp-trace.proto"), {
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    oneofs: true,
  });
  return cached;
}

/** The Export method's codec (request decode for the receivers, encode for the tests' exporters). */
export function exportMethod(): protoLoader.MethodDefinition<object, object> {
  const svc = traceServiceDefinition()[TRACE_SERVICE] as protoLoader.ServiceDefinition;
  return svc.Export as protoLoader.MethodDefinition<object, object>;
}
