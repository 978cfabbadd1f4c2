//! The rules' messages, word for word as the orchestrator's.

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
