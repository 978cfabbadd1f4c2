/**
 * Facts of the workers' gRPC server that its code and the docs both state.
 *
 * maxConnectionAgeSecs: how long a client connection lives before the worker
 * sends GOAWAY, which makes gRPC clients resolve the worker's name again. It
 * bounds how long a replica an autoscaler added behind a headless Service
 * waits for its first call. An HPA adds replicas every 15 s by default, so a
 * 5-minute age left new replicas idle while it kept adding more; grpc-go's
 * DNS resolver re-resolves at most every 30 s (its minimum resolution
 * interval), so a minute costs one reconnect per connection a minute and
 * gives a new replica calls within about that.
 */
export const WORKER_SERVER = { maxConnectionAgeSecs: 60 } as const;

/**
 * HTTP/2 keepalive between the orchestrator and a worker, both ways: the
 * orchestrator's gRPC client pings every worker connection this often and
 * gives up on one unanswered for the timeout (workerclient/client.go), and
 * the worker's defaults for KEEPALIVE_INTERVAL_SECS and
 * KEEPALIVE_TIMEOUT_SECS (its settings table) do the same the other way, so
 * neither end is stricter than the other. A peer that vanished without a
 * FIN or RST (a lost node, a dropped NAT or conntrack entry) is noticed
 * within interval + timeout, instead of when the kernel gives up on it
 * (hours), and the calls and permits it held are freed.
 */
export const GRPC_KEEPALIVE = { intervalSecs: 30, timeoutSecs: 10 } as const;
