import { describe, expect, it } from "vitest";
import { containerEnv } from "../../src/validate/pod-env.js";
import { envOf } from "../../src/validate/grace.js";

/**
 * validate reads each container's settings (drains, listeners) as the kubelet
 * sets them: the envFrom ConfigMaps in order, a later one winning a key both
 * hold, then env over all. Read first-wins, a team's per-service override of a
 * key the shared ConfigMap holds too was checked against the shared value.
 */
describe("a container's environment", () => {
  const maps = new Map<string, Record<string, string>>([
    ["shared-telemetry", { OTEL_TRACES_SAMPLER_ARG: "0.01", SHUTDOWN_GRACE_SECS: "20" }],
    ["scorer-config", { SHUTDOWN_GRACE_SECS: "90", LISTEN_ADDR: "0.0.0.0:50051" }],
    ["other", { PORT: "7" }],
  ]);
  const container = {
    name: "scorer",
    envFrom: [{ configMapRef: { name: "shared-telemetry" } }, { configMapRef: { name: "scorer-config" } }],
    env: [
      { name: "LISTEN_ADDR", value: "0.0.0.0:6000" },
      { name: "FROM_KEY", valueFrom: { configMapKeyRef: { name: "other", key: "PORT" } } },
    ],
  };

  it("takes a later envFrom ConfigMap's value over an earlier one's, and env's over both", () => {
    expect(containerEnv(container, maps)).toEqual({ OTEL_TRACES_SAMPLER_ARG: "0.01", SHUTDOWN_GRACE_SECS: "90", LISTEN_ADDR: "0.0.0.0:6000", FROM_KEY: "7" });
  });

  it("is what the grace check reads", () => {
    expect(envOf(container, maps, "SHUTDOWN_GRACE_SECS")).toBe("90");
  });
});
