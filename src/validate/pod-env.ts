/** A container as far as its environment goes. */
export interface EnvSource {
  envFrom?: { configMapRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string; key: string } } }[];
}

/**
 * A container's environment as the kubelet builds it from a built overlay's
 * ConfigMaps (by name): each envFrom ConfigMap in order, a later one winning
 * a key both hold, then env, which wins over them all (a configMapKeyRef
 * resolved). Secrets and the downward API are not read: nothing validate
 * checks comes from them.
 */
export function containerEnv(c: EnvSource, maps: Map<string, Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) if (from.configMapRef) Object.assign(env, maps.get(from.configMapRef.name));
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.configMapKeyRef;
    const value = e.value ?? (ref ? maps.get(ref.name)?.[ref.key] : undefined);
    if (value !== undefined) env[e.name] = value;
  }
  return env;
}

/** The ConfigMaps of a built overlay's objects, by name. */
export function configMaps(objects: { kind?: string; metadata?: { name?: string }; data?: Record<string, string> }[]): Map<string, Record<string, string>> {
  return new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata?.name ?? "", o.data ?? {}]));
}
