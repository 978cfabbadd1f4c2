//! The contract's rules, checked before any scoring work is queued.
//!
//! The limits come from scoring.proto's buf.validate rules (see
//! `build/limits.rs`); the messages are the orchestrator's (protovalidate's
//! rules in plain English: "must not be empty", "must be at most 1 character"),
//! with the field path first and the same choice of which problem to report
//! (the first by field number, list index and map key), so a client sees the
//! same error whether the orchestrator or the worker caught it.

use std::collections::HashMap;

use crate::limits::{
    SCORE_BATCH_REQUEST_REQUESTS_REPEATED_MAX_ITEMS as MAX_BATCH,
    SCORE_BATCH_REQUEST_REQUESTS_REPEATED_MIN_ITEMS as MIN_BATCH,
    SCORE_REQUEST_CATEGORICAL_FEATURES_MAP_KEYS_STRING_MAX_LEN as CATEGORICAL_NAME_MAX,
    SCORE_REQUEST_CATEGORICAL_FEATURES_MAP_KEYS_STRING_MIN_LEN as CATEGORICAL_NAME_MIN,
    SCORE_REQUEST_CATEGORICAL_FEATURES_MAP_MAX_PAIRS as MAX_CATEGORICAL,
    SCORE_REQUEST_CATEGORICAL_FEATURES_MAP_VALUES_STRING_MAX_LEN as CATEGORICAL_VALUE_MAX,
    SCORE_REQUEST_ID_STRING_MAX_LEN as ID_MAX, SCORE_REQUEST_ID_STRING_MIN_LEN as ID_MIN,
    SCORE_REQUEST_NUMERIC_FEATURES_MAP_KEYS_STRING_MAX_LEN as NUMERIC_NAME_MAX,
    SCORE_REQUEST_NUMERIC_FEATURES_MAP_KEYS_STRING_MIN_LEN as NUMERIC_NAME_MIN,
    SCORE_REQUEST_NUMERIC_FEATURES_MAP_MAX_PAIRS as MAX_NUMERIC,
    SCORE_REQUEST_NUMERIC_FEATURES_MAP_VALUES_DOUBLE_FINITE as NUMERIC_FINITE,
};
use crate::pb::{ScoreBatchRequest, ScoreRequest};

mod model;
mod wording;

pub use model::model;
pub use wording::quote_key;
use wording::{at_least, count};

/// A request the contract forbids; it is returned to the caller as
/// `INVALID_ARGUMENT`, so it names the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The field's path, e.g. `requests[3].numeric_features["amount"]`.
    pub field: String,
    /// What the rule wants, e.g. `must be at most 32 characters`.
    pub message: String,
}

fn invalid(field: impl Into<String>, message: String) -> Invalid {
    Invalid {
        field: field.into(),
        message,
    }
}

/// Checks a string's length in characters (Unicode code points, as
/// protovalidate counts them). `what` starts the message: "" for a field's
/// value, "key " for a map's key, which the path alone would not tell apart.
fn length(
    field: impl FnOnce() -> String,
    what: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), Invalid> {
    let chars = value.chars().count();
    if chars < min {
        return Err(invalid(
            field(),
            format!(
                "{what}{}",
                at_least(min, "be at least", "character", "characters")
            ),
        ));
    }
    if chars > max {
        return Err(invalid(
            field(),
            format!(
                "{what}must be at most {}",
                count(max, "character", "characters")
            ),
        ));
    }
    Ok(())
}

/// Checks one request against the contract's rules.
pub fn score_request(request: &ScoreRequest) -> Result<(), Invalid> {
    length(|| "id".to_owned(), "", &request.id, ID_MIN, ID_MAX)?;
    feature_map(
        "numeric_features",
        &request.numeric_features,
        MAX_NUMERIC,
        (NUMERIC_NAME_MIN, NUMERIC_NAME_MAX),
        |value| {
            (NUMERIC_FINITE && !value.is_finite()).then(|| "must be a finite number".to_owned())
        },
    )?;
    feature_map(
        "categorical_features",
        &request.categorical_features,
        MAX_CATEGORICAL,
        (CATEGORICAL_NAME_MIN, CATEGORICAL_NAME_MAX),
        |value| {
            (value.chars().count() > CATEGORICAL_VALUE_MAX).then(|| {
                format!(
                    "must be at most {}",
                    count(CATEGORICAL_VALUE_MAX, "character", "characters")
                )
            })
        },
    )
}

/// Checks a map's size, then each entry's name and value in name order, so
/// the problem reported does not depend on hash map iteration order.
fn feature_map<V>(
    name: &str,
    map: &HashMap<String, V>,
    max_pairs: usize,
    (name_min, name_max): (usize, usize),
    value_problem: impl Fn(&V) -> Option<String>,
) -> Result<(), Invalid> {
    if map.len() > max_pairs {
        return Err(invalid(
            name,
            format!("must have at most {}", count(max_pairs, "entry", "entries")),
        ));
    }
    let path = |key: &str| format!("{name}[{}]", quote_key(key));
    // Sorting costs a few microseconds at most; valid requests, the common
    // case, only need the cheap checks, so look for a problem first.
    let bad = |key: &String, value: &V| {
        !(name_min..=name_max).contains(&key.chars().count()) || value_problem(value).is_some()
    };
    if !map.iter().any(|(k, v)| bad(k, v)) {
        return Ok(());
    }
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        length(|| path(key), "key ", key, name_min, name_max)?;
        if let Some(message) = value_problem(&map[key]) {
            return Err(invalid(path(key), message));
        }
    }
    Ok(())
}

/// Checks a batch's size and every request in it; the first bad one is reported.
pub fn batch_request(batch: &ScoreBatchRequest) -> Result<(), Invalid> {
    batch_size(batch.requests.len())?;
    batch
        .requests
        .iter()
        .enumerate()
        .try_for_each(|(index, request)| {
            score_request(request)
                .map_err(|e| invalid(format!("requests[{index}].{}", e.field), e.message))
        })
}

/// Checks a batch's number of requests.
pub fn batch_size(len: usize) -> Result<(), Invalid> {
    if len < MIN_BATCH {
        return Err(invalid(
            "requests",
            at_least(MIN_BATCH, "have at least", "item", "items"),
        ));
    }
    if len > MAX_BATCH {
        return Err(invalid(
            "requests",
            format!("must have at most {}", count(MAX_BATCH, "item", "items")),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
