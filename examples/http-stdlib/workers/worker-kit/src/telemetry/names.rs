//! Span and metric names, rendered from create-hybrid-backend's telemetry
//! table (`src/render/telemetry.ts`), the one the orchestrator, the READMEs
//! and `validate`'s smoke are rendered or checked against.

/// Server span of a `Score` call, named like the caller's otelgrpc client span.
pub const SCORE_RPC_SPAN: &str = "scoring.v1.ScoringService/Score";
/// Server span of a `ScoreBatch` call.
pub const SCORE_BATCH_RPC_SPAN: &str = "scoring.v1.ScoringService/ScoreBatch";

// Child spans of each call, in the order a call passes through them.
pub const DECODE_SPAN: &str = "decode";
pub const VALIDATE_SPAN: &str = "validate";
pub const QUEUE_SPAN: &str = "queue";
pub const SCORE_SPAN: &str = "score";

/// A metric served on `/metrics`, with its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricName {
    pub name: &'static str,
    pub help: &'static str,
}

/// histogram by `rpc_method`, `rpc_grpc_status_code`.
pub const RPC_SERVER_CALL_DURATION_SECONDS: MetricName = MetricName {
    name: "rpc_server_call_duration_seconds",
    help: "Each call, decode to response, by gRPC status.",
};
/// histogram.
pub const SCORING_BATCH_ITEMS: MetricName = MetricName {
    name: "scoring_batch_items",
    help: "Items per ScoreBatch call.",
};
/// counter by `rpc_method`.
pub const SCORING_SHED_CALLS_TOTAL: MetricName = MetricName {
    name: "scoring_shed_calls_total",
    help: "Calls answered RESOURCE_EXHAUSTED without being scored.",
};
/// histogram by `rpc_method`.
pub const SCORING_SHED_DURATION_SECONDS: MetricName = MetricName {
    name: "scoring_shed_duration_seconds",
    help: "Time from a shed call's arrival to its RESOURCE_EXHAUSTED answer.",
};
/// gauge.
pub const SCORING_IN_FLIGHT_CALLS: MetricName = MetricName {
    name: "scoring_in_flight_calls",
    help: "Scoring calls queued or running.",
};
/// gauge.
pub const SCORING_ADMISSION_LIMIT: MetricName = MetricName {
    name: "scoring_admission_limit",
    help: "Permits the adaptive admission limit lets be in use now; it falls while calls take longer than unloaded ones.",
};
/// histogram.
pub const SCORING_POOL_QUEUE_DURATION_SECONDS: MetricName = MetricName {
    name: "scoring_pool_queue_duration_seconds",
    help: "Time a call waits for the CPU pool.",
};
/// info by `model_version`.
pub const SCORING_MODEL_INFO: MetricName = MetricName {
    name: "scoring_model_info",
    help: "The loaded model (value 1).",
};
/// counter.
pub const WORKER_GRPC_CONNECTIONS_REFUSED_TOTAL: MetricName = MetricName {
    name: "worker_grpc_connections_refused_total",
    help: "GRPC connections closed on arrival because the worker already held its most (worker_kit::connections::MAX_CONNECTIONS); clients see them reset.",
};
/// counter.
pub const WORKER_LOG_LINES_DROPPED_TOTAL: MetricName = MetricName {
    name: "worker_log_lines_dropped_total",
    help: "Log lines dropped because stdout did not keep up (a full pipe, a stalled collector).",
};
