//! Request limits from the contract, checked before any scoring work is queued.

use crate::pb::{ScoreBatchRequest, ScoreRequest};

/// Longest accepted `id`, in Unicode code points (Go: `utf8.RuneCountInString`).
pub const MAX_ID_CHARS: usize = 128;
/// Most entries accepted in each feature map.
pub const MAX_FEATURES: usize = 64;
/// Most requests accepted in one batch.
pub const MAX_BATCH: usize = 1000;

/// A request the contract forbids; the message is returned to the caller as
/// `INVALID_ARGUMENT`, so it names the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    #[error("id must be 1 to {MAX_ID_CHARS} characters, got {0}")]
    IdLength(usize),
    #[error("numeric_features has {0} entries, at most {MAX_FEATURES} are allowed")]
    TooManyNumeric(usize),
    #[error("categorical_features has {0} entries, at most {MAX_FEATURES} are allowed")]
    TooManyCategorical(usize),
    #[error("numeric_features[{name:?}] must be a finite number, got {value}")]
    NotFinite { name: String, value: f64 },
    #[error("requests must hold 1 to {MAX_BATCH} requests, got {0}")]
    BatchSize(usize),
    #[error("requests[{index}]: {source}")]
    InBatch {
        index: usize,
        #[source]
        source: Box<Invalid>,
    },
}

/// Checks one request against the contract's limits.
pub fn score_request(request: &ScoreRequest) -> Result<(), Invalid> {
    let id_chars = request.id.chars().count();
    if !(1..=MAX_ID_CHARS).contains(&id_chars) {
        return Err(Invalid::IdLength(id_chars));
    }
    if request.numeric_features.len() > MAX_FEATURES {
        return Err(Invalid::TooManyNumeric(request.numeric_features.len()));
    }
    if request.categorical_features.len() > MAX_FEATURES {
        return Err(Invalid::TooManyCategorical(
            request.categorical_features.len(),
        ));
    }
    // Report the smallest offending name so the message does not depend on
    // hash map iteration order.
    let not_finite = request
        .numeric_features
        .iter()
        .filter(|(_, value)| !value.is_finite())
        .min_by(|a, b| a.0.cmp(b.0));
    if let Some((name, &value)) = not_finite {
        return Err(Invalid::NotFinite {
            name: name.clone(),
            value,
        });
    }
    Ok(())
}

/// Checks a batch's size and every request in it; the first bad one is reported.
pub fn batch_request(batch: &ScoreBatchRequest) -> Result<(), Invalid> {
    let len = batch.requests.len();
    if !(1..=MAX_BATCH).contains(&len) {
        return Err(Invalid::BatchSize(len));
    }
    batch
        .requests
        .iter()
        .enumerate()
        .try_for_each(|(index, request)| {
            score_request(request).map_err(|source| Invalid::InBatch {
                index,
                source: Box::new(source),
            })
        })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn request(id: &str) -> ScoreRequest {
        ScoreRequest {
            id: id.to_owned(),
            numeric_features: HashMap::from([("amount".to_owned(), 12.5)]),
            categorical_features: HashMap::from([("channel".to_owned(), "web".to_owned())]),
        }
    }

    fn numeric(n: usize) -> HashMap<String, f64> {
        (0..n).map(|i| (format!("f{i}"), 1.0)).collect()
    }

    #[test]
    fn accepts_a_typical_request() {
        assert_eq!(score_request(&request("txn-1")), Ok(()));
    }

    #[test]
    fn id_length_is_counted_in_characters() {
        assert_eq!(score_request(&request("")), Err(Invalid::IdLength(0)));
        assert_eq!(score_request(&request(&"é".repeat(128))), Ok(()));
        assert_eq!(
            score_request(&request(&"é".repeat(129))),
            Err(Invalid::IdLength(129))
        );
    }

    #[test]
    fn feature_maps_are_capped() {
        let mut ok = request("a");
        ok.numeric_features = numeric(MAX_FEATURES);
        ok.categorical_features = (0..MAX_FEATURES)
            .map(|i| (format!("c{i}"), "x".to_owned()))
            .collect();
        assert_eq!(score_request(&ok), Ok(()));

        let mut too_many = ok.clone();
        too_many.numeric_features = numeric(MAX_FEATURES + 1);
        assert_eq!(
            score_request(&too_many),
            Err(Invalid::TooManyNumeric(MAX_FEATURES + 1))
        );

        let mut too_many = ok;
        too_many
            .categorical_features
            .insert("one-more".to_owned(), "x".to_owned());
        assert_eq!(
            score_request(&too_many),
            Err(Invalid::TooManyCategorical(MAX_FEATURES + 1))
        );
    }

    #[test]
    fn numeric_values_must_be_finite() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut req = request("a");
            req.numeric_features.insert("zeta".to_owned(), bad);
            req.numeric_features.insert("beta".to_owned(), bad);
            let err = score_request(&req).unwrap_err();
            assert!(
                matches!(&err, Invalid::NotFinite { name, .. } if name == "beta"),
                "{err}"
            );
        }
        let mut extreme = request("a");
        extreme
            .numeric_features
            .insert("amount".to_owned(), -f64::MAX);
        assert_eq!(score_request(&extreme), Ok(()));
    }

    #[test]
    fn batch_size_is_bounded() {
        let batch = |n| ScoreBatchRequest {
            requests: (0..n).map(|i| request(&format!("r{i}"))).collect(),
        };
        assert_eq!(batch_request(&batch(0)), Err(Invalid::BatchSize(0)));
        assert_eq!(batch_request(&batch(1)), Ok(()));
        assert_eq!(batch_request(&batch(MAX_BATCH)), Ok(()));
        assert_eq!(
            batch_request(&batch(MAX_BATCH + 1)),
            Err(Invalid::BatchSize(MAX_BATCH + 1))
        );
    }

    #[test]
    fn batch_errors_name_the_request() {
        let mut batch = ScoreBatchRequest {
            requests: vec![request("ok"), request("ok"), request("")],
        };
        batch.requests.push(request(""));
        let err = batch_request(&batch).unwrap_err();
        assert_eq!(
            err.to_string(),
            "requests[2]: id must be 1 to 128 characters, got 0"
        );
    }
}
