package telemetry

// The orchestrator's metric names, rendered from create-hybrid-backend's src/render/telemetry.ts:
// the table the README lists and validate's smoke checks, so code, docs and checks agree.
const (
	// HTTPServerRequestDurationSeconds is a histogram: time from request to response, per route.
	HTTPServerRequestDurationSeconds = "http_server_request_duration_seconds"

	// OrchestratorAdmissionLimitBytes is a gauge: request body bytes the scoring routes admit at once now: an adaptive limit within MAX_IN_FLIGHT_BYTES that falls while requests take over three times their unloaded time per 4 KiB of body, and by a tenth for each call the worker refuses for load.
	OrchestratorAdmissionLimitBytes = "orchestrator_admission_limit_bytes"

	// RPCClientCallDurationSeconds is a histogram: each call to a worker, retries included, by gRPC status.
	RPCClientCallDurationSeconds = "rpc_client_call_duration_seconds"

	// OrchestratorWorkerRetriesTotal is a counter: worker calls tried again after a transient failure.
	OrchestratorWorkerRetriesTotal = "orchestrator_worker_retries_total"

	// OrchestratorWorkerBatchItems is a histogram: requests per ScoreBatch call to a worker.
	OrchestratorWorkerBatchItems = "orchestrator_worker_batch_items"

	// OrchestratorCoalescedBatchSize is a histogram: single requests per call the coalescer made to a worker (1: sent alone, no call was in flight).
	OrchestratorCoalescedBatchSize = "orchestrator_coalesced_batch_size"

	// RPCScore and RPCScoreBatch are the worker's methods as spans and metrics name them.
	RPCScore = "scoring.v1.ScoringService/Score"

	RPCScoreBatch = "scoring.v1.ScoringService/ScoreBatch"

	// CoalesceSpan names the span around a coalesced ScoreBatch call.
	CoalesceSpan = "coalesce"

	// CanarySpan names the span around a queue consumer's isolation canary.
	CanarySpan = "canary"
)

// docs is each metric's help text and label names, from the same table.
var docs = []doc{
	{HTTPServerRequestDurationSeconds, "time from request to response, per route", []string{"http_request_method", "http_route", "http_response_status_code"}},
	{OrchestratorAdmissionLimitBytes, "request body bytes the scoring routes admit at once now: an adaptive limit within MAX_IN_FLIGHT_BYTES that falls while requests take over three times their unloaded time per 4 KiB of body, and by a tenth for each call the worker refuses for load", []string{}},
	{RPCClientCallDurationSeconds, "each call to a worker, retries included, by gRPC status", []string{"worker", "rpc_method", "rpc_grpc_status_code"}},
	{OrchestratorWorkerRetriesTotal, "worker calls tried again after a transient failure", []string{"worker"}},
	{OrchestratorWorkerBatchItems, "requests per ScoreBatch call to a worker", []string{"worker"}},
	{OrchestratorCoalescedBatchSize, "single requests per call the coalescer made to a worker (1: sent alone, no call was in flight)", []string{"worker"}},
}
