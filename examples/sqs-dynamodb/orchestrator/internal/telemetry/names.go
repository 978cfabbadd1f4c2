package telemetry

// The orchestrator's metric names, rendered from create-hybrid-backend's src/render/telemetry.ts:
// the table the README lists and validate's smoke checks, so code, docs and checks agree.
const (
	// MessagingProcessDurationSeconds is a histogram: time to handle one SQS message, receive to delete.
	MessagingProcessDurationSeconds = "messaging_process_duration_seconds"

	// MessagingBatchMessageCount is a histogram: messages per SQS receive.
	MessagingBatchMessageCount = "messaging_batch_message_count"

	// OrchestratorMessagesProcessedTotal is a counter: requests scored and stored, each once: when its result is first written to the results table (a redelivery of a stored request counts in orchestrator_messages_stored_before_total instead).
	OrchestratorMessagesProcessedTotal = "orchestrator_messages_processed_total"

	// OrchestratorMessagesStoredBeforeTotal is a counter: redelivered requests scored again whose result an earlier delivery had stored: the stored result stands, nothing is written.
	OrchestratorMessagesStoredBeforeTotal = "orchestrator_messages_stored_before_total"

	// OrchestratorMessagesFailedTotal is a counter: requests whose handling failed and will be tried again.
	OrchestratorMessagesFailedTotal = "orchestrator_messages_failed_total"

	// OrchestratorRetriesTotal is a counter: retries of worker and sink calls after transient failures.
	OrchestratorRetriesTotal = "orchestrator_retries_total"

	// OrchestratorThrottledCallsTotal is a counter: AWS calls throttled (SQS receives, results table writes), each tried again after a backoff: routine under load, so logged at DEBUG only, and a sustained rate calls for more capacity.
	OrchestratorThrottledCallsTotal = "orchestrator_throttled_calls_total"

	// OrchestratorMessagesDeadLetteredTotal is a counter: poison messages dead-lettered.
	OrchestratorMessagesDeadLetteredTotal = "orchestrator_messages_dead_lettered_total"

	// OrchestratorConflictsTotal is a counter: requests whose id was already stored for a different request.
	OrchestratorConflictsTotal = "orchestrator_conflicts_total"

	// OrchestratorCanariesTotal is a counter: known-valid Score calls (canaries) sent when records failed alone and nothing else scored, by outcome: scored (the worker works, so the records are poison once they fail alone again) or failed (the worker itself is suspected, and the records are held).
	OrchestratorCanariesTotal = "orchestrator_canaries_total"

	// OrchestratorMessageAgeSeconds is a histogram: each SQS message's age when received (now − its SentTimestamp): how far consuming is behind the queue.
	OrchestratorMessageAgeSeconds = "orchestrator_message_age_seconds"

	// OrchestratorAcknowledgeFailuresTotal is a counter: SQS messages an acknowledgement failed for, by call: DeleteMessageBatch (stored but left undeleted after its retries, so redelivered; the stored result makes that a no-op) or ChangeMessageVisibilityBatch (an extension or release failed, so a message in hand may reappear to another consumer); logged too, and /readyz answers 503 naming the call once it keeps failing.
	OrchestratorAcknowledgeFailuresTotal = "orchestrator_acknowledge_failures_total"

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
	{MessagingProcessDurationSeconds, "time to handle one SQS message, receive to delete", []string{"messaging_system", "messaging_destination_name", "outcome"}},
	{MessagingBatchMessageCount, "messages per SQS receive", []string{"messaging_system", "messaging_destination_name"}},
	{OrchestratorMessagesProcessedTotal, "requests scored and stored, each once: when its result is first written to the results table (a redelivery of a stored request counts in orchestrator_messages_stored_before_total instead)", []string{}},
	{OrchestratorMessagesStoredBeforeTotal, "redelivered requests scored again whose result an earlier delivery had stored: the stored result stands, nothing is written", []string{}},
	{OrchestratorMessagesFailedTotal, "requests whose handling failed and will be tried again", []string{}},
	{OrchestratorRetriesTotal, "retries of worker and sink calls after transient failures", []string{}},
	{OrchestratorThrottledCallsTotal, "AWS calls throttled (SQS receives, results table writes), each tried again after a backoff: routine under load, so logged at DEBUG only, and a sustained rate calls for more capacity", []string{}},
	{OrchestratorMessagesDeadLetteredTotal, "poison messages dead-lettered", []string{}},
	{OrchestratorConflictsTotal, "requests whose id was already stored for a different request", []string{}},
	{OrchestratorCanariesTotal, "known-valid Score calls (canaries) sent when records failed alone and nothing else scored, by outcome: scored (the worker works, so the records are poison once they fail alone again) or failed (the worker itself is suspected, and the records are held)", []string{"outcome"}},
	{OrchestratorMessageAgeSeconds, "each SQS message's age when received (now − its SentTimestamp): how far consuming is behind the queue", []string{"messaging_destination_name"}},
	{OrchestratorAcknowledgeFailuresTotal, "SQS messages an acknowledgement failed for, by call: DeleteMessageBatch (stored but left undeleted after its retries, so redelivered; the stored result makes that a no-op) or ChangeMessageVisibilityBatch (an extension or release failed, so a message in hand may reappear to another consumer); logged too, and /readyz answers 503 naming the call once it keeps failing", []string{"call"}},
	{RPCClientCallDurationSeconds, "each call to a worker, retries included, by gRPC status", []string{"worker", "rpc_method", "rpc_grpc_status_code"}},
	{OrchestratorWorkerRetriesTotal, "worker calls tried again after a transient failure", []string{"worker"}},
	{OrchestratorWorkerBatchItems, "requests per ScoreBatch call to a worker", []string{"worker"}},
	{OrchestratorCoalescedBatchSize, "single requests per call the coalescer made to a worker (1: sent alone, no call was in flight)", []string{"worker"}},
}
