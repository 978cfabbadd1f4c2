import { ensurePythonTool } from "./cache.js";
import { freePort } from "./ports.js";
import { startService, stopGracefully, waitFor, type Service } from "./processes.js";

/**
 * moto_server of RELEASE (the repo's toolchains.moto, which its `make emulator`
 * installs too), once into the tool's cache (see ensurePythonTool).
 */
export function ensureMoto(release: string, note: (msg: string) => void): Promise<string> {
  return ensurePythonTool(`moto[server]==${release}`, "moto_server", note);
}

export interface Moto {
  endpoint: string;
  service: Service;
  stop(): Promise<void>;
}

/** moto_server on a free loopback port, ready to answer. */
export async function startMoto(bin: string, log: string): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const service = startService("moto", bin, { cwd: process.cwd(), env: process.env as Record<string, string>, log, args: ["-H", "127.0.0.1", "-p", String(port)] });
  await waitFor("moto to answer", service, async () => (await fetch(`${endpoint}/moto-api/`)).ok, 30_000);
  return { endpoint, service, stop: () => stopGracefully(service, 10_000, { allowSignalExit: true }) };
}

/** The environment every generated queue binary reads (the SDK's own variables). */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  };
}
