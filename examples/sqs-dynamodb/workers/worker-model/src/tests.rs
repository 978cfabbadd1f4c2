use std::collections::HashMap;

use super::*;

/// Two features, two trees; values chosen so every path is easy to check.
///
/// Tree 0 splits on amount < 100 (missing goes right), then on channel.
/// Tree 1 splits on channel in {web, app} (missing goes left).
pub(super) const SMALL: &str = r#"{
  "format_version": 1,
  "version": "test-1",
  "link": "logistic",
  "base_score": -1.0,
  "features": [
    {"name": "amount", "type": "numeric", "reason_code": "AMOUNT_HIGH"},
    {"name": "channel", "type": "categorical", "reason_code": "CHANNEL_RISK"}
  ],
  "trees": [
    [
      {"feature": 0, "threshold": 100.0, "default_left": false, "left": 1, "right": 2, "value": 0.1},
      {"value": -0.2},
      {"feature": 1, "categories": ["web"], "default_left": false, "left": 3, "right": 4, "value": 0.3},
      {"value": 0.9},
      {"value": 0.2}
    ],
    [
      {"feature": 1, "categories": ["web", "app"], "default_left": true, "left": 1, "right": 2, "value": 0.0},
      {"value": 0.5},
      {"value": -0.25}
    ]
  ]
}"#;

fn small() -> Model {
    Model::from_json(SMALL).unwrap()
}

fn features(
    amount: Option<f64>,
    channel: Option<&str>,
) -> (HashMap<String, f64>, HashMap<String, String>) {
    let numeric = amount
        .map(|a| ("amount".to_owned(), a))
        .into_iter()
        .collect();
    let categorical = channel
        .map(|c| ("channel".to_owned(), c.to_owned()))
        .into_iter()
        .collect();
    (numeric, categorical)
}

pub(super) fn explain(
    model: &Model,
    amount: Option<f64>,
    channel: Option<&str>,
) -> eval::Explained {
    let (numeric, categorical) = features(amount, channel);
    model.explain(&numeric, &categorical)
}

#[test]
fn numeric_split_is_strictly_less_than() {
    let model = small();
    // amount < 100 goes left to -0.2; channel missing in tree 1 goes left to 0.5.
    assert_eq!(explain(&model, Some(99.99), None).margin, -1.0 - 0.2 + 0.5);
    // amount == threshold goes right; channel missing in tree 0 goes right (0.2).
    assert_eq!(explain(&model, Some(100.0), None).margin, -1.0 + 0.2 + 0.5);
}

#[test]
fn missing_values_take_the_default_direction() {
    let model = small();
    assert_eq!(explain(&model, None, None).margin, -1.0 + 0.2 + 0.5);
}

#[test]
fn categorical_split_tests_membership() {
    let model = small();
    assert_eq!(
        explain(&model, Some(500.0), Some("web")).margin,
        -1.0 + 0.9 + 0.5
    );
    assert_eq!(
        explain(&model, Some(500.0), Some("app")).margin,
        -1.0 + 0.2 + 0.5
    );
    assert_eq!(
        explain(&model, Some(500.0), Some("pos")).margin,
        -1.0 + 0.2 - 0.25
    );
}

#[test]
fn unknown_categories_are_present_but_in_no_set() {
    let model = small();
    // Missing would go left in tree 1; an unseen value must go right instead.
    let unknown = explain(&model, Some(500.0), Some("carrier-pigeon"));
    assert_eq!(unknown.margin, -1.0 + 0.2 - 0.25);
    // Matching is exact and case-sensitive.
    assert_eq!(
        explain(&model, Some(500.0), Some("WEB")).margin,
        unknown.margin
    );
}

#[test]
fn features_in_the_wrong_map_or_unknown_are_ignored() {
    let model = small();
    let numeric = HashMap::from([("channel".to_owned(), 1.0), ("other".to_owned(), 5.0)]);
    let categorical = HashMap::from([("amount".to_owned(), "500".to_owned())]);
    assert_eq!(
        model.explain(&numeric, &categorical),
        explain(&model, None, None)
    );
}

#[test]
fn contributions_follow_the_path() {
    let model = small();
    let explained = explain(&model, Some(500.0), Some("web"));
    // Tree 0: amount 0.1 -> 0.3 (+0.2), channel 0.3 -> 0.9 (+0.6).
    // Tree 1: channel 0.0 -> 0.5 (+0.5).
    assert_eq!(
        explained.contributions,
        vec![0.3 - 0.1, (0.9 - 0.3) + (0.5 - 0.0)]
    );
    // Saabas identity: bias (base + root values) plus credits is the margin.
    let bias = -1.0 + 0.1 + 0.0;
    let total: f64 = bias + explained.contributions.iter().sum::<f64>();
    assert!((total - explained.margin).abs() < 1e-12);
}

#[test]
fn score_is_the_rounded_logistic_of_the_margin() {
    let model = small();
    let (numeric, categorical) = features(Some(500.0), Some("web"));
    let scored = model.score(&numeric, &categorical);
    // margin 0.4: 1 / (1 + e^-0.4) = 0.598687660112452...
    assert_eq!(scored.score, 0.598688);
    assert_eq!(scored.reason_codes, vec!["CHANNEL_RISK", "AMOUNT_HIGH"]);
}

#[test]
fn rounding_is_half_away_from_zero_and_bounded() {
    assert_eq!(round_score(0.123_456_5), 0.123_457);
    assert_eq!(round_score(0.123_456_49), 0.123_456);
    assert_eq!(round_score(sigmoid(-800.0)), 0.0);
    assert_eq!(round_score(sigmoid(800.0)), 1.0);
}

#[test]
fn reason_codes_rank_positive_credit_only() {
    let model = small();
    // Every step lowers the score: amount 0.1 -> -0.2, channel 0.0 -> -0.25.
    let (numeric, categorical) = features(Some(10.0), Some("pos"));
    assert!(model.score(&numeric, &categorical).reason_codes.is_empty());

    // Top three, strongest first, ties in feature order, non-positive dropped.
    let model = reason_model();
    assert_eq!(
        model.reason_codes(&[0.1, 0.3, 0.0, 0.3, -0.5, 0.2]),
        vec!["B", "D", "F"]
    );
    assert!(
        model
            .reason_codes(&[0.0, -0.1, 0.0, 0.0, 0.0, 0.0])
            .is_empty()
    );
}

fn reason_model() -> Model {
    let features: Vec<String> = ["A", "B", "C", "D", "E", "F"]
        .iter()
        .map(|code| format!(r#"{{"name":"{code}","type":"numeric","reason_code":"{code}"}}"#))
        .collect();
    Model::from_json(&format!(
        r#"{{"format_version":1,"version":"v","link":"logistic","base_score":0,
            "features":[{}],"trees":[[{{"value":0}}]]}}"#,
        features.join(",")
    ))
    .unwrap()
}

#[test]
fn invalid_files_are_rejected_with_a_reason() {
    let cases = [
        (
            SMALL.replace(r#""format_version": 1"#, r#""format_version": 2"#),
            "format_version 2",
        ),
        (SMALL.replace(r#""logistic""#, r#""identity""#), "link"),
        (
            SMALL.replace(
                r#""left": 1, "right": 2, "value": 0.1"#,
                r#""left": 0, "right": 2, "value": 0.1"#,
            ),
            "tree 0: node 0: child 0",
        ),
        (
            SMALL.replace(r#""right": 4"#, r#""right": 9"#),
            "tree 0: node 2: child 9",
        ),
        (
            SMALL.replace(r#""threshold": 100.0"#, r#""categories": ["x"]"#),
            "needs a finite threshold",
        ),
        (
            SMALL.replace(r#""categories": ["web"]"#, r#""threshold": 1.0"#),
            "needs non-empty categories",
        ),
        (
            SMALL.replace(r#""categories": ["web"]"#, r#""categories": []"#),
            "needs non-empty categories",
        ),
        (
            SMALL.replace(
                r#""feature": 1, "categories": ["web"]"#,
                r#""feature": 7, "categories": ["web"]"#,
            ),
            "feature 7 is out of range",
        ),
        (
            SMALL.replace(r#"{"value": 0.9}"#, r#"{"value": 0.9, "left": 1}"#),
            "only a value",
        ),
        (
            SMALL.replace("CHANNEL_RISK", "AMOUNT_HIGH"),
            "reason_code \"AMOUNT_HIGH\"",
        ),
        (
            SMALL.replace(r#""base_score": -1.0"#, r#""base_score": -1.0, "extra": 1"#),
            "unknown field",
        ),
        (
            SMALL.replace(r#""default_left": false, "left": 1"#, r#""left": 1"#),
            "default_left",
        ),
    ];
    for (json, expected) in cases {
        let error = Model::from_json(&json).unwrap_err().to_string();
        assert!(error.contains(expected), "{expected:?} not in {error:?}");
    }
}

#[test]
fn embedded_model_is_the_card_risk_model() {
    let model = Model::embedded(&crate::fixture::COMPILED).unwrap();
    assert!(model.version().starts_with("card-risk"));
    assert!((60..=100).contains(&model.tree_count()));
    let names: Vec<_> = model.feature_names().collect();
    for expected in [
        "amount",
        "account_age_days",
        "country",
        "channel",
        "merchant_category",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(EMBEDDED_MODEL_JSON.len() < 250 * 1024);
}

#[test]
fn embedded_model_ranks_obvious_risk_above_obvious_safety() {
    let model = Model::embedded(&crate::fixture::COMPILED).unwrap();
    let safe = model.score(
        &HashMap::from([
            ("amount".to_owned(), 25.0),
            ("avg_amount_30d".to_owned(), 30.0),
            ("account_age_days".to_owned(), 2000.0),
            ("distance_from_home_km".to_owned(), 3.0),
        ]),
        &HashMap::from([("merchant_category".to_owned(), "grocery".to_owned())]),
    );
    let risky = model.score(
        &HashMap::from([
            ("amount".to_owned(), 2500.0),
            ("avg_amount_30d".to_owned(), 40.0),
            ("account_age_days".to_owned(), 2.0),
            ("txn_count_24h".to_owned(), 15.0),
            ("distance_from_home_km".to_owned(), 4000.0),
        ]),
        &HashMap::from([("merchant_category".to_owned(), "digital_goods".to_owned())]),
    );
    assert!(
        risky.score > 0.5 && safe.score < 0.05,
        "{risky:?} vs {safe:?}"
    );
    assert_eq!(risky.reason_codes.len(), MAX_REASON_CODES);
}
