/**
 * Where the generated pods may connect (their egress NetworkPolicies), from
 * the same figures their settings use: the OTLP endpoint the ConfigMaps set,
 * each worker's gRPC port, the AWS APIs a queue preset calls.
 */

/** The cluster's DNS: the kube-dns (CoreDNS) pods in kube-system, by the label kubeadm, EKS and GKE give them. */
export const KUBE_DNS = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" }, port: 53 } as const;

/** AWS APIs (SQS, Kinesis, DynamoDB, and STS for IRSA's token exchange): HTTPS only. */
export const AWS_API_PORT = 443;

/**
 * What the AWS rule leaves out of "anywhere": link-local addresses. No AWS API
 * is there, but the instance metadata service (169.254.169.254: the node's
 * role) and EKS Pod Identity's agent (169.254.170.23) are, so a pod cannot
 * take the node's credentials, and IRSA's token, exchanged with STS over 443,
 * stays its only way to AWS credentials.
 */
export const LINK_LOCAL_CIDR = "169.254.0.0/16";

/** Every address: AWS endpoints have none fixed (the cluster's own ranges are not known here). */
export const ANY_IPV4 = "0.0.0.0/0";

export interface CollectorEgress {
  namespace: string;
  port: number;
}

/**
 * The namespace and port a pod's OTLP export goes to, read from the endpoint
 * its ConfigMap sets (http://SERVICE.NAMESPACE.svc:PORT), so the policy opens
 * exactly what the settings use.
 */
export function collectorEgress(endpoint: string): CollectorEgress {
  const url = new URL(endpoint);
  const [, namespace, svc] = url.hostname.split(".");
  if (svc !== "svc" || !namespace || !url.port) throw new Error(`OTLP endpoint ${endpoint}: not SERVICE.NAMESPACE.svc:PORT, so no NetworkPolicy can name its namespace`);
  return { namespace, port: Number(url.port) };
}

/** What the templates see as `k8s.egress`. */
export function egressContext(otlpEndpoint: string) {
  return {
    dns: KUBE_DNS,
    collector: collectorEgress(otlpEndpoint),
    aws: { port: AWS_API_PORT, cidr: ANY_IPV4, except: [LINK_LOCAL_CIDR] },
  };
}
