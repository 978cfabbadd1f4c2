//! The `ScoringService` gRPC implementation.
//!
//! Scoring is CPU-bound, and where it runs depends on its size:
//!
//! * A `Score` call, or a `ScoreBatch` of at most [`INLINE_MAX_ITEMS`]
//!   requests, is scored on the runtime thread that decoded it. It takes a
//!   few microseconds, far less than handing it to another thread and
//!   waking the runtime again when it is done (two cross-thread wakeups, which
//!   on a busy machine cost more than the scoring itself).
//! * A bigger batch becomes one job on the rayon pool, split across its
//!   threads, and its result comes back through a oneshot channel, so the
//!   runtime keeps serving other calls meanwhile.
//!
//! The `MAX_IN_FLIGHT` budget caps the work of both kinds queued or running,
//! weighted by items; past the cap calls fail at once with
//! `RESOURCE_EXHAUSTED`, so an overloaded worker answers quickly and callers
//! can back off or try another replica instead of piling up latency. The
//! transport charges a call before its message is decoded and the service
//! trues the charge up once it knows the items (see [`crate::shed`]).

use std::{
    mem,
    panic::{self, AssertUnwindSafe},
    sync::Arc,
    time::Instant,
};

use rayon::iter::{IndexedParallelIterator, ParallelIterator};
use rayon::slice::ParallelSliceMut;
use tokio::sync::oneshot;
use tonic::{Request, Response, Status};
use tracing::info_span;

use crate::{
    limits, metrics,
    model::Model,
    pb::{
        ScoreBatchRequest, ScoreBatchResponse, ScoreRequest, ScoreResponse,
        scoring_service_server::{self, ScoringServiceServer},
    },
    shed::{Admission, Admitted, Lease, Shed},
    telemetry::{names, rpc::end_decode},
    validate,
};

/// Largest batch scored inline on the runtime thread. A typical request
/// scores in about a microsecond and one with the contract's maximum of
/// features in a few, so 16 stay well inside the ~100 µs a task should run
/// between awaits (tokio's guidance), and the runtime's other calls wait
/// no longer than they would for a rayon round trip.
pub const INLINE_MAX_ITEMS: usize = 16;

/// Batch items scored per rayon task. Scoring walks a block of requests
/// together, so a task needs several blocks to run at full speed, and one
/// item takes about a microsecond: finer splits cost more in task overhead
/// than they gain in parallelism.
const ITEMS_PER_TASK: usize = 64;

/// Serves `scoring.v1.ScoringService` with one shared model.
#[derive(Debug, Clone)]
pub struct ScoringService {
    model: Arc<Model>,
    admission: Admission,
}

impl ScoringService {
    /// `max_in_flight` is the budget of permits for work queued or running
    /// (see [`crate::shed`] for what a call is charged).
    pub fn new(model: Arc<Model>, max_in_flight: usize) -> Self {
        Self {
            model,
            admission: Admission::new(max_in_flight),
        }
    }

    /// [`Self::into_server`] behind the transport's admission stage, which
    /// sheds calls before their messages are decoded.
    pub fn into_shedding_server(self) -> Shed<ScoringServiceServer<Self>> {
        let admission = self.admission.clone();
        Shed::new(self.into_server(), admission)
    }

    /// The lease the transport granted `request`, if it came through it;
    /// [`Admission::settle`] trues its permits up once the items are known.
    fn charged<R>(request: &Request<R>) -> Option<Lease> {
        request
            .extensions()
            .get::<Admitted>()
            .and_then(Admitted::take)
    }

    /// Wraps the service for a tonic router, with message limits derived
    /// from the contract's rules (tonic's 4 MiB default would refuse a full
    /// batch the contract allows): the largest valid request decodes, so a
    /// size error can only mean a request the rules reject anyway.
    pub fn into_server(self) -> ScoringServiceServer<Self> {
        ScoringServiceServer::new(self)
            .max_decoding_message_size(limits::MAX_REQUEST_BYTES)
            .max_encoding_message_size(limits::MAX_RESPONSE_BYTES)
    }

    /// Runs `job` on the rayon pool, holding `lease` until it ends, and
    /// waits for it without blocking the runtime. `job`
    /// returns the reply and what it no longer needs, dropped after the reply
    /// is sent: freeing a big decoded batch is work the caller need not wait for.
    async fn offload<T, D, F>(&self, lease: Lease, job: F) -> Result<T, Status>
    where
        T: Send + 'static,
        D: Send + 'static,
        F: FnOnce(&Model) -> (T, D) + Send + 'static,
    {
        let model = Arc::clone(&self.model);
        let admission = self.admission.clone();
        let (done, result) = oneshot::channel();
        // The call's span, so the job's `score` span is its child.
        let call = tracing::Span::current();
        let queued = (Instant::now(), info_span!(names::QUEUE_SPAN));
        rayon::spawn(move || {
            let (since, queue) = queued;
            drop(queue);
            metrics::record_pool_queue(since.elapsed());
            // A caller that hung up (cancelled, or its deadline passed) while
            // the job queued gets nothing from it: under overload most queued
            // jobs are such, and scoring them starves the calls still waiting.
            if done.is_closed() {
                tracing::debug!("skipped a queued job whose caller hung up");
                return;
            }
            let _score = info_span!(parent: &call, names::SCORE_SPAN).entered();
            // A panic in a rayon job aborts the process; contain it to this
            // call instead. Dropping `done` turns it into INTERNAL below.
            let output = panic::catch_unwind(AssertUnwindSafe(|| job(&model)));
            // Released when the CPU work ends, even if the caller hung up
            // during it, so the limit tracks real load; and before replying,
            // so a caller that heard back can be served again at once.
            admission.finish(lease);
            if let Ok((output, leftovers)) = output {
                // The caller may have gone away; nobody else wants the result.
                let _ = done.send(output);
                drop(leftovers);
            }
        });
        result.await.map_err(|_| panicked())
    }

    /// Runs `job` here, on the runtime thread, holding `_lease` as
    /// offloaded jobs do: for work too short to be worth a thread hop.
    fn inline<T>(&self, _lease: Lease, job: impl FnOnce(&Model) -> T) -> Result<T, Status> {
        // No wait here, but the span keeps every call's trace the same shape.
        info_span!(names::QUEUE_SPAN).in_scope(|| ());
        // As on the pool: a panic fails this call, not the connection's task.
        info_span!(names::SCORE_SPAN)
            .in_scope(|| panic::catch_unwind(AssertUnwindSafe(|| job(&self.model))))
            .map_err(|_| panicked())
    }
}

fn panicked() -> Status {
    tracing::error!("scoring job panicked");
    Status::internal("scoring failed unexpectedly")
}

/// Scores one validated request, moving its id into the response.
fn respond(model: &Model, request: ScoreRequest) -> ScoreResponse {
    let scored = model.score(&request.numeric_features, &request.categorical_features);
    ScoreResponse {
        id: request.id,
        score: scored.score,
        model_version: model.version().to_owned(),
        reason_codes: scored.reason_codes,
    }
}

/// Scores a validated batch on the current rayon pool, in request order,
/// moving the ids into the responses: what a `ScoreBatch` above
/// [`INLINE_MAX_ITEMS`] runs (public so the `bench_model` example times
/// exactly this). The requests are left for the caller to drop.
pub fn respond_batch(model: &Model, requests: &mut [ScoreRequest]) -> Vec<ScoreResponse> {
    let mut responses = vec![ScoreResponse::default(); requests.len()];
    requests
        .par_chunks_mut(ITEMS_PER_TASK)
        .zip(responses.par_chunks_mut(ITEMS_PER_TASK))
        .for_each(|(requests, responses)| respond_all(model, requests, responses));
    responses
}

/// Scores `requests` into `responses`, moving the ids over.
fn respond_all(model: &Model, requests: &mut [ScoreRequest], responses: &mut [ScoreResponse]) {
    let features = requests
        .iter()
        .map(|r| (&r.numeric_features, &r.categorical_features));
    let mut out = responses.iter_mut();
    model.score_many(features, |scored| {
        let response = out.next().expect("one response per request");
        response.score = scored.score;
        response.reason_codes = scored.reason_codes;
        response.model_version = model.version().to_owned();
    });
    for (request, response) in requests.iter_mut().zip(responses) {
        response.id = mem::take(&mut request.id);
    }
}

fn invalid(error: validate::Invalid) -> Status {
    tracing::debug!(%error, "rejected invalid request");
    Status::invalid_argument(error.to_string())
}

#[tonic::async_trait]
impl scoring_service_server::ScoringService for ScoringService {
    async fn score(
        &self,
        mut request: Request<ScoreRequest>,
    ) -> Result<Response<ScoreResponse>, Status> {
        end_decode(&mut request);
        let charged = Self::charged(&request);
        let request = request.into_inner();
        info_span!(names::VALIDATE_SPAN)
            .in_scope(|| validate::score_request(&request))
            .map_err(invalid)?;
        let lease = self.admission.settle(charged, 1)?;
        let response = self.inline(lease, |model| respond(model, request))?;
        Ok(Response::new(response))
    }

    async fn score_batch(
        &self,
        mut request: Request<ScoreBatchRequest>,
    ) -> Result<Response<ScoreBatchResponse>, Status> {
        end_decode(&mut request);
        let charged = Self::charged(&request);
        let batch = request.into_inner();
        metrics::record_batch_items(batch.requests.len());
        if batch.item_results {
            return self
                .score_items(charged, batch.requests)
                .await
                .map(Response::new);
        }
        info_span!(names::VALIDATE_SPAN)
            .in_scope(|| validate::batch_request(&batch))
            .map_err(invalid)?;
        let lease = self.admission.settle(charged, batch.requests.len())?;
        let responses = self.respond_valid(lease, batch.requests).await?;
        Ok(Response::new(ScoreBatchResponse {
            responses,
            results: Vec::new(),
        }))
    }
}

impl ScoringService {
    /// Scores validated `requests` in order: inline when few, on the rayon
    /// pool otherwise (see the module's documentation).
    async fn respond_valid(
        &self,
        lease: Lease,
        mut requests: Vec<ScoreRequest>,
    ) -> Result<Vec<ScoreResponse>, Status> {
        if requests.len() <= INLINE_MAX_ITEMS {
            self.inline(lease, |model| {
                let mut responses = vec![ScoreResponse::default(); requests.len()];
                respond_all(model, &mut requests, &mut responses);
                responses
            })
        } else {
            // The decoded requests are freed after the reply is on its way.
            self.offload(lease, move |model| {
                (respond_batch(model, &mut requests), requests)
            })
            .await
        }
    }
}

mod items;
#[cfg(test)]
mod tests;
