//! The `ScoringService` gRPC implementation.
//!
//! Scoring is CPU-bound, so it never runs on the async runtime: each call
//! becomes one job on the rayon pool and its result comes back through a
//! oneshot channel. A semaphore caps the jobs queued or running; past the cap
//! calls fail at once with `RESOURCE_EXHAUSTED`, so an overloaded worker
//! answers quickly and callers can back off or try another replica instead
//! of piling up latency.

use std::{
    panic::{self, AssertUnwindSafe},
    sync::Arc,
};

use rayon::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use tokio::sync::{Semaphore, oneshot};
use tonic::{Request, Response, Status};

use crate::{
    model::Model,
    pb::{
        ScoreBatchRequest, ScoreBatchResponse, ScoreRequest, ScoreResponse,
        scoring_service_server::{self, ScoringServiceServer},
    },
    validate,
};

/// Batch items scored per rayon task. One score takes a few microseconds, so
/// splitting finer costs more in task overhead than it gains in parallelism.
const MIN_ITEMS_PER_TASK: usize = 32;

/// Largest request accepted. tonic's 4 MiB default is smaller than a full
/// batch the contract allows (1000 requests of 64 + 64 features), which
/// would then fail with a size error instead of being scored.
const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// Serves `scoring.v1.ScoringService` with one shared model.
#[derive(Debug, Clone)]
pub struct ScoringService {
    model: Arc<Model>,
    in_flight: Arc<Semaphore>,
}

impl ScoringService {
    /// `max_in_flight` is the number of jobs (a batch counts as one) that may
    /// be queued or running at once.
    pub fn new(model: Arc<Model>, max_in_flight: usize) -> Self {
        Self {
            model,
            in_flight: Arc::new(Semaphore::new(max_in_flight)),
        }
    }

    /// Wraps the service for a tonic router.
    pub fn into_server(self) -> ScoringServiceServer<Self> {
        ScoringServiceServer::new(self).max_decoding_message_size(MAX_REQUEST_BYTES)
    }

    /// Runs `job` on the rayon pool and waits for it without blocking the
    /// runtime, or refuses at once if the worker is at capacity.
    async fn offload<T, F>(&self, job: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&Model) -> T + Send + 'static,
    {
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            tracing::debug!("shedding load: in-flight limit reached");
            return Err(Status::resource_exhausted(
                "scoring worker is at its in-flight limit; retry with backoff",
            ));
        };
        let model = Arc::clone(&self.model);
        let (done, result) = oneshot::channel();
        rayon::spawn(move || {
            // A panic in a rayon job aborts the process; contain it to this
            // call instead. Dropping `done` turns it into INTERNAL below.
            let output = panic::catch_unwind(AssertUnwindSafe(|| job(&model)));
            // Released when the CPU work ends, even if the caller hung up, so
            // the limit tracks real load; and before replying, so a caller
            // that heard back can be served again at once.
            drop(permit);
            if let Ok(output) = output {
                // The caller may have gone away; nobody else wants the result.
                let _ = done.send(output);
            }
        });
        result.await.map_err(|_| {
            tracing::error!("scoring job panicked");
            Status::internal("scoring failed unexpectedly")
        })
    }
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

fn invalid(error: validate::Invalid) -> Status {
    tracing::debug!(%error, "rejected invalid request");
    Status::invalid_argument(error.to_string())
}

#[tonic::async_trait]
impl scoring_service_server::ScoringService for ScoringService {
    async fn score(
        &self,
        request: Request<ScoreRequest>,
    ) -> Result<Response<ScoreResponse>, Status> {
        let request = request.into_inner();
        validate::score_request(&request).map_err(invalid)?;
        let response = self.offload(move |model| respond(model, request)).await?;
        Ok(Response::new(response))
    }

    async fn score_batch(
        &self,
        request: Request<ScoreBatchRequest>,
    ) -> Result<Response<ScoreBatchResponse>, Status> {
        let batch = request.into_inner();
        validate::batch_request(&batch).map_err(invalid)?;
        let responses = self
            .offload(move |model| {
                // Indexed collect keeps request order.
                batch
                    .requests
                    .into_par_iter()
                    .with_min_len(MIN_ITEMS_PER_TASK)
                    .map(|request| respond(model, request))
                    .collect()
            })
            .await?;
        Ok(Response::new(ScoreBatchResponse { responses }))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tonic::Code;

    use super::*;
    use crate::pb::scoring_service_server::ScoringService as _;

    fn service(max_in_flight: usize) -> ScoringService {
        ScoringService::new(Arc::new(Model::embedded().unwrap()), max_in_flight)
    }

    fn request(id: &str) -> ScoreRequest {
        ScoreRequest {
            id: id.to_owned(),
            numeric_features: HashMap::from([("amount".to_owned(), 42.0)]),
            categorical_features: HashMap::new(),
        }
    }

    #[tokio::test]
    async fn scores_off_the_runtime() {
        let response = service(4).score(Request::new(request("a"))).await.unwrap();
        let response = response.into_inner();
        assert_eq!(response.id, "a");
        assert!((0.0..=1.0).contains(&response.score));
        assert!(!response.model_version.is_empty());
    }

    #[tokio::test]
    async fn batches_keep_request_order() {
        let requests: Vec<_> = (0..500).map(|i| request(&format!("r{i}"))).collect();
        let batch = ScoreBatchRequest { requests };
        let responses = service(4)
            .score_batch(Request::new(batch))
            .await
            .unwrap()
            .into_inner()
            .responses;
        let ids: Vec<_> = responses.iter().map(|r| r.id.as_str()).collect();
        let expected: Vec<_> = (0..500).map(|i| format!("r{i}")).collect();
        assert_eq!(ids, expected);
    }

    #[tokio::test]
    async fn sheds_load_beyond_the_limit() {
        let service = service(1);
        let busy = Arc::clone(&service.in_flight).try_acquire_owned().unwrap();
        let status = service.score(Request::new(request("a"))).await.unwrap_err();
        assert_eq!(status.code(), Code::ResourceExhausted);

        drop(busy);
        assert!(service.score(Request::new(request("a"))).await.is_ok());
    }

    #[tokio::test]
    async fn rejects_invalid_requests_before_queueing() {
        let service = service(1);
        let _busy = Arc::clone(&service.in_flight).try_acquire_owned().unwrap();
        let status = service.score(Request::new(request(""))).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "id must be 1 to 128 characters, got 0");

        let empty = ScoreBatchRequest { requests: vec![] };
        let status = service.score_batch(Request::new(empty)).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
    }

    #[tokio::test]
    async fn a_panicking_job_becomes_internal() {
        let service = service(1);
        let status = service
            .offload(|_| -> u8 { panic!("boom") })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Internal);
        // The permit came back, so the next call is served.
        assert!(service.score(Request::new(request("a"))).await.is_ok());
    }
}
