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

/// Words a lower bound of `n`: "must not be empty" for 1, else "must `verb`
/// `n` `many`".
fn at_least(n: usize, verb: &str, one: &str, many: &str) -> String {
    if n == 1 {
        "must not be empty".to_owned()
    } else {
        format!("must {verb} {}", count(n, one, many))
    }
}

/// `n` with its unit, singular for 1.
fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
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

/// How much of a map key a message quotes: the key is there because it broke
/// a rule, perhaps by being megabytes long.
const MAX_KEY_CHARS: usize = 40;

/// Quotes a map key as Go's `strconv.Quote` does (the orchestrator's
/// messages), so control and invisible characters are escaped, cut after
/// [`MAX_KEY_CHARS`] characters with `...`.
pub fn quote_key(key: &str) -> String {
    let mut out = String::from('"');
    for c in key.chars().take(MAX_KEY_CHARS) {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if invisible(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    if key.chars().nth(MAX_KEY_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// Characters Go does not print as themselves: controls, spaces other than
/// U+0020, and the common invisible format characters (std has no Unicode
/// category table for the rest).
fn invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
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

    fn message(result: Result<(), Invalid>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn accepts_a_typical_request() {
        assert_eq!(score_request(&request("txn-1")), Ok(()));
    }

    #[test]
    fn id_length_is_counted_in_characters() {
        assert_eq!(
            message(score_request(&request(""))),
            "id: must not be empty"
        );
        assert_eq!(score_request(&request(&"é".repeat(128))), Ok(()));
        assert_eq!(
            message(score_request(&request(&"é".repeat(129)))),
            "id: must be at most 128 characters"
        );
    }

    #[test]
    fn feature_maps_are_capped() {
        let mut ok = request("a");
        ok.numeric_features = numeric(MAX_NUMERIC);
        ok.categorical_features = (0..MAX_CATEGORICAL)
            .map(|i| (format!("c{i}"), "x".to_owned()))
            .collect();
        assert_eq!(score_request(&ok), Ok(()));

        let mut too_many = ok.clone();
        too_many.numeric_features = numeric(MAX_NUMERIC + 1);
        assert_eq!(
            message(score_request(&too_many)),
            "numeric_features: must have at most 64 entries"
        );

        let mut too_many = ok;
        too_many
            .categorical_features
            .insert("one-more".to_owned(), "x".to_owned());
        assert_eq!(
            message(score_request(&too_many)),
            "categorical_features: must have at most 64 entries"
        );
    }

    #[test]
    fn names_and_values_are_bounded() {
        let mut req = request("a");
        req.numeric_features.insert("n".repeat(33), 1.0);
        req.numeric_features.insert("😀".repeat(32), 1.0);
        assert_eq!(
            message(score_request(&req)),
            format!(
                "numeric_features[\"{}\"]: key must be at most 32 characters",
                "n".repeat(33)
            )
        );

        let mut req = request("a");
        req.categorical_features
            .insert(String::new(), "x".to_owned());
        assert_eq!(
            message(score_request(&req)),
            "categorical_features[\"\"]: key must not be empty"
        );

        let mut req = request("a");
        req.categorical_features
            .insert("country".to_owned(), "v".repeat(65));
        assert_eq!(
            message(score_request(&req)),
            "categorical_features[\"country\"]: must be at most 64 characters"
        );
    }

    #[test]
    fn a_huge_name_is_cut_and_escaped_in_the_message() {
        let mut req = request("a");
        req.categorical_features
            .insert("\u{1b}".repeat(900_000), "x".to_owned());
        assert_eq!(
            message(score_request(&req)),
            format!(
                "categorical_features[\"{}\"...]: key must be at most 32 characters",
                "\\x1b".repeat(40)
            )
        );
    }

    #[test]
    fn quoting_matches_go() {
        assert_eq!(
            quote_key("a\"b\\c\n\u{7f}\u{85}\u{200b}é😀"),
            r#""a\"b\\c\n\x7f\u0085\u200bé😀""#
        );
    }

    #[test]
    fn numeric_values_must_be_finite() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut req = request("a");
            req.numeric_features.insert("zeta".to_owned(), bad);
            req.numeric_features.insert("beta".to_owned(), bad);
            assert_eq!(
                message(score_request(&req)),
                "numeric_features[\"beta\"]: must be a finite number"
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
            ..Default::default()
        };
        assert_eq!(
            message(batch_request(&batch(0))),
            "requests: must not be empty"
        );
        assert_eq!(batch_request(&batch(1)), Ok(()));
        assert_eq!(batch_request(&batch(MAX_BATCH)), Ok(()));
        assert_eq!(
            message(batch_request(&batch(MAX_BATCH + 1))),
            "requests: must have at most 1000 items"
        );
    }

    #[test]
    fn batch_errors_name_the_request() {
        let mut batch = ScoreBatchRequest {
            requests: vec![request("ok"), request("ok"), request("")],
            ..Default::default()
        };
        batch.requests.push(request(""));
        assert_eq!(
            message(batch_request(&batch)),
            "requests[2].id: must not be empty"
        );
    }
}
