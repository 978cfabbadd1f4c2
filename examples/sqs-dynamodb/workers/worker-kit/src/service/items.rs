//! `ScoreBatch` with `item_results`: every request answered on its own, so
//! one invalid request gets its own error and the rest of the batch scores.
//! The orchestrator sends its coalesced single requests this way, where the
//! requests of a batch belong to different callers.

use std::mem;

use tonic::Status;
use tracing::info_span;

use super::{ScoringService, invalid};
use crate::{
    limits::ITEM_ERROR_MESSAGE_STRING_MAX_LEN as MESSAGE_MAX,
    pb::{ItemError, ScoreBatchResponse, ScoreRequest, ScoreResult, score_result::Outcome},
    shed::Lease,
    telemetry::names,
    validate,
};

impl ScoringService {
    /// Validates the batch's size (a wrong size fails the call, as it has no
    /// item to blame), then each request on its own; scores the valid ones,
    /// charged for those alone, and answers every request in order.
    pub(super) async fn score_items(
        &self,
        charged: Option<Lease>,
        mut requests: Vec<ScoreRequest>,
    ) -> Result<ScoreBatchResponse, Status> {
        let errors: Vec<Option<ItemError>> = info_span!(names::VALIDATE_SPAN).in_scope(|| {
            validate::batch_size(requests.len()).map_err(invalid)?;
            Ok::<_, Status>(
                requests
                    .iter()
                    .map(|r| validate::score_request(r).err().map(item_error))
                    .collect(),
            )
        })?;
        let valid: Vec<ScoreRequest> = requests
            .iter_mut()
            .zip(&errors)
            .filter(|(_, error)| error.is_none())
            .map(|(request, _)| mem::take(request))
            .collect();
        let lease = self.admission.settle(charged, valid.len())?;
        let mut responses = if valid.is_empty() {
            Vec::new()
        } else {
            self.respond_valid(lease, valid).await?
        }
        .into_iter();
        let results = errors
            .into_iter()
            .map(|error| ScoreResult {
                outcome: Some(match error {
                    Some(error) => Outcome::Error(error),
                    None => {
                        Outcome::Response(responses.next().expect("one response per valid request"))
                    }
                }),
            })
            .collect();
        Ok(ScoreBatchResponse {
            responses: Vec::new(),
            results,
        })
    }
}

/// The error entry for an invalid request: the message a `Score` call of it
/// alone would have failed with, cut to the contract's limit.
fn item_error(error: validate::Invalid) -> ItemError {
    tracing::debug!(%error, "rejected invalid batch item");
    let mut message = error.to_string();
    if let Some((cut, _)) = message.char_indices().nth(MESSAGE_MAX) {
        message.truncate(cut);
    }
    ItemError {
        code: tonic::Code::InvalidArgument as i32,
        message,
    }
}
