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
