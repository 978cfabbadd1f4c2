import { INGRESS, type Manifest } from "../manifest.js";
import { orchestratorSettings } from "./settings.js";
import type { WorkerContext } from "./workers.js";

/** A setting that only the orchestrator of another ingress reads, and which ingresses read it. */
export interface ForeignSetting {
  name: string;
  ingresses: string;
}

/**
 * The settings of this generator's other ingresses that this repo's orchestrator does not
 * read, from the settings table itself (orchestratorSettings rendered for each other
 * ingress), so the orchestrator's warning of one set by mistake (config/unknown.go) cannot
 * miss a name the table gains. The sink and workers are this repo's, so only what the ingress
 * decides differs.
 */
export function foreignSettings(m: Manifest, workers: readonly WorkerContext[]): ForeignSetting[] {
  const own = new Set(orchestratorSettings(m, workers).settings.map((s) => s.name));
  const readers = new Map<string, string[]>();
  for (const ingress of INGRESS.filter((i) => i !== m.orchestrator.ingress)) {
    for (const s of orchestratorSettings({ ...m, orchestrator: { ...m.orchestrator, ingress } }, workers).settings) {
      if (!own.has(s.name)) readers.set(s.name, [...(readers.get(s.name) ?? []), ingress]);
    }
  }
  return [...readers].map(([name, ingresses]) => ({ name, ingresses: ingresses.join(" or ") }));
}
