//! The model's own strings against the contract's response rules: every
//! response carries the model's `version` and up to three of its
//! `reason_code`s, so a model file is held to those rules when it loads.
//! Scoring cannot mend a response afterwards: a model over them broke the
//! contract in every response it scored, which nothing on the worker saw.

use super::{Invalid, invalid, quote_key, wording::count};
use crate::{
    limits::{
        SCORE_RESPONSE_MODEL_VERSION_STRING_MAX_LEN as VERSION_MAX,
        SCORE_RESPONSE_REASON_CODES_REPEATED_ITEMS_STRING_MAX_LEN as REASON_CODE_MAX,
        SCORE_RESPONSE_REASON_CODES_REPEATED_MAX_ITEMS as REASON_CODES_MAX,
    },
    model::{MAX_REASON_CODES, Model},
};

// The engine's count of reason codes per score is its own constant; the
// contract bounds it.
const _: () = assert!(
    MAX_REASON_CODES <= REASON_CODES_MAX,
    "the model engine reports more reason codes than ScoreResponse.reason_codes allows"
);

/// Checks that every response `model` can produce is within the contract;
/// the error names the model file's field and the response field it fills.
pub fn model(model: &Model) -> Result<(), Invalid> {
    let too_long = |field: String, response_field: &str, max: usize| {
        invalid(
            field,
            format!(
                "must be at most {} (every response carries it as {response_field})",
                count(max, "character", "characters")
            ),
        )
    };
    if model.version().chars().count() > VERSION_MAX {
        return Err(too_long(
            "version".to_owned(),
            "ScoreResponse.model_version",
            VERSION_MAX,
        ));
    }
    for (i, code) in model.feature_reason_codes().enumerate() {
        if code.chars().count() > REASON_CODE_MAX {
            return Err(too_long(
                format!("features[{i}].reason_code {}", quote_key(code)),
                "ScoreResponse.reason_codes",
                REASON_CODE_MAX,
            ));
        }
    }
    Ok(())
}
