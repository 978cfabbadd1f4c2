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
 * Where the AWS rule lets the orchestrator connect: every address of each IP
 * family, as AWS endpoints have none fixed (and the cluster's own ranges are
 * not known here), but never the addresses that hand out credentials. Both
 * families, or a dual-stack or IPv6 cluster's pods (EKS gives them IPv6
 * addresses, and dual-stack endpoints answer on both) could not reach AWS at
 * all; each family leaves out its own link-local range and AWS's own
 * addresses for the instance metadata service (the node's role) and EKS Pod
 * Identity's agent, so a pod cannot take the node's credentials, and IRSA's
 * token, exchanged with STS over 443, stays its only way to AWS credentials.
 * IPv4 has both in its link-local range (169.254.169.254, 169.254.170.23);
 * IPv6 has them outside it, at fd00:ec2::254 and fd00:ec2::23.
 */
export const AWS_EGRESS_BLOCKS = [
  { family: "IPv4", cidr: "0.0.0.0/0", except: ["169.254.0.0/16"] },
  { family: "IPv6", cidr: "::/0", except: ["fe80::/10", "fd00:ec2::254/128", "fd00:ec2::23/128"] },
] as const;

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
    aws: {
      port: AWS_API_PORT,
      blocks: AWS_EGRESS_BLOCKS,
      /** For prose: every excepted range, both families. */
      exceptList: AWS_EGRESS_BLOCKS.flatMap((b) => b.except).join(", "),
    },
  };
}
