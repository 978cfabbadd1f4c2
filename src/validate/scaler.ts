import { parseAllDocuments } from "yaml";
import { sqsQueueLength } from "../render/kubernetes.js";
import { SQS_CONCURRENCY } from "../render/settings.js";
import { envOf, type Container } from "./grace.js";

/**
 * Every SQS ScaledObject's queueLength against the backlog its target's replicas can take,
 * in a built overlay. KEDA runs one replica per queueLength messages, visible plus in
 * flight, and one replica holds at most CONCURRENCY receives of up to ten; a queueLength
 * above that leaves every replica saturated while the backlog waits for KEDA to count it
 * twice over. The generated figure is derived from the default CONCURRENCY
 * (render/kubernetes.ts); an overlay that lowers CONCURRENCY without it would pass
 * silently, so validate refuses it. A lower queueLength (scaling out earlier) is a choice.
 */

interface K8sObject {
  kind?: string;
  metadata?: { name?: string };
  data?: Record<string, string>;
  spec?: {
    scaleTargetRef?: { name?: string; kind?: string };
    triggers?: { type?: string; metadata?: Record<string, string> }[];
    template?: { spec?: { containers: Container[] } };
  };
}

/** One line per SQS ScaledObject whose queueLength its target's CONCURRENCY cannot take; none when all fit. */
export function scalerFaults(yaml: string): string[] {
  const objects = parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => o !== null);
  const maps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata?.name ?? "", o.data ?? {}]));
  const faults: string[] = [];
  for (const o of objects.filter((x) => x.kind === "ScaledObject")) {
    const target = o.spec?.scaleTargetRef;
    const deployment = objects.find((d) => d.kind === (target?.kind ?? "Deployment") && d.metadata?.name === target?.name);
    const consumer = deployment?.spec?.template?.spec?.containers.find((c) => c.name === "orchestrator");
    if (!consumer) continue;
    for (const trigger of o.spec?.triggers ?? []) {
      if (trigger.type !== "aws-sqs-queue") continue;
      const raw = envOf(consumer, maps, "CONCURRENCY");
      const concurrency = raw === undefined ? SQS_CONCURRENCY : Number(raw);
      const queueLength = Number(trigger.metadata?.queueLength ?? 5); // KEDA's default
      if (!Number.isInteger(concurrency) || concurrency <= 0) continue; // the orchestrator refuses it at start-up
      const capacity = sqsQueueLength(concurrency);
      if (queueLength > capacity) {
        faults.push(
          `ScaledObject ${o.metadata?.name}: queueLength ${queueLength} is more than the ${capacity} messages a replica takes at once (CONCURRENCY=${raw ?? SQS_CONCURRENCY}); lower it with CONCURRENCY`,
        );
      }
    }
  }
  return faults;
}
