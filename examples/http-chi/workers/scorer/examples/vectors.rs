//! Regenerates `../../testdata/vectors.json`, the cross-language contract
//! tests: each vector is a `ScoreRequest` and the `ScoreResponse` the current
//! model must give, in protobuf's canonical JSON mapping.
//!
//! ```sh
//! cargo run --example scorer_vectors
//! ```
//!
//! Run it after retraining; `tests/vectors.rs` fails until you do.

// Every worker crate shares this code; the alias keeps it identical across them.
use scorer as worker;

use std::{collections::BTreeMap, error::Error, fs, path::Path};

use serde::{Serialize, Serializer};
use worker::model;

struct Case {
    name: &'static str,
    id: String,
    numeric: Vec<(&'static str, f64)>,
    categorical: Vec<(&'static str, &'static str)>,
}

fn cases() -> Vec<Case> {
    let case = |name, id: &str, numeric, categorical| Case {
        name,
        id: id.to_owned(),
        numeric,
        categorical,
    };
    let typical_numeric = vec![
        ("amount", 54.2),
        ("account_age_days", 820.0),
        ("txn_count_24h", 3.0),
        ("avg_amount_30d", 61.75),
        ("distance_from_home_km", 12.5),
        ("hour_of_day", 14.0),
    ];
    vec![
        case(
            "typical low risk: regular grocery purchase at a terminal",
            "txn-0001",
            vec![
                ("amount", 23.4),
                ("account_age_days", 1460.0),
                ("txn_count_24h", 2.0),
                ("avg_amount_30d", 31.2),
                ("distance_from_home_km", 4.2),
                ("hour_of_day", 10.0),
            ],
            vec![
                ("country", "US"),
                ("channel", "pos"),
                ("merchant_category", "grocery"),
            ],
        ),
        case(
            "typical high risk: new account, night-time digital goods far from home",
            "txn-0002",
            vec![
                ("amount", 1899.99),
                ("account_age_days", 3.0),
                ("txn_count_24h", 14.0),
                ("avg_amount_30d", 42.5),
                ("distance_from_home_km", 5200.0),
                ("hour_of_day", 3.0),
            ],
            vec![
                ("country", "NG"),
                ("channel", "web"),
                ("merchant_category", "digital_goods"),
            ],
        ),
        case(
            "medium risk: large electronics order on the web",
            "txn-0003",
            vec![
                ("amount", 649.0),
                ("account_age_days", 95.0),
                ("txn_count_24h", 5.0),
                ("avg_amount_30d", 120.0),
                ("distance_from_home_km", 35.0),
                ("hour_of_day", 21.0),
            ],
            vec![
                ("country", "BR"),
                ("channel", "web"),
                ("merchant_category", "electronics"),
            ],
        ),
        case(
            "missing features: only amount and channel sent",
            "txn-0004",
            vec![("amount", 120.0)],
            vec![("channel", "app")],
        ),
        case(
            "unknown categorical values: never seen in training",
            "txn-0005",
            typical_numeric.clone(),
            vec![
                ("country", "ZZ"),
                ("channel", "kiosk"),
                ("merchant_category", "space_tourism"),
            ],
        ),
        case(
            "zero values for every numeric feature",
            "txn-0006",
            vec![
                ("amount", 0.0),
                ("account_age_days", 0.0),
                ("txn_count_24h", 0.0),
                ("avg_amount_30d", 0.0),
                ("distance_from_home_km", 0.0),
                ("hour_of_day", 0.0),
            ],
            vec![
                ("country", "GB"),
                ("channel", "pos"),
                ("merchant_category", "fuel"),
            ],
        ),
        case(
            "extreme values: huge amount, velocity and distance",
            "txn-0007",
            vec![
                ("amount", 1e12),
                ("account_age_days", 36500.0),
                ("txn_count_24h", 1e6),
                ("avg_amount_30d", 1e9),
                ("distance_from_home_km", 40075.0),
                ("hour_of_day", 23.0),
            ],
            vec![
                ("country", "RU"),
                ("channel", "web"),
                ("merchant_category", "gambling"),
            ],
        ),
        case(
            "negative values: refunds and corrupt inputs are scored, not rejected",
            "txn-0008",
            vec![
                ("amount", -250.0),
                ("account_age_days", -1.0),
                ("txn_count_24h", -3.0),
                ("avg_amount_30d", -0.5),
                ("distance_from_home_km", -10.0),
                ("hour_of_day", -1.0),
            ],
            vec![
                ("country", "DE"),
                ("channel", "app"),
                ("merchant_category", "travel"),
            ],
        ),
        case(
            "unicode id is echoed unchanged",
            "заказ-42/支払い/🚀/ß",
            typical_numeric.clone(),
            vec![
                ("country", "FR"),
                ("channel", "app"),
                ("merchant_category", "restaurants"),
            ],
        ),
        case(
            "empty feature maps: every feature missing",
            "txn-0010",
            vec![],
            vec![],
        ),
        case(
            "unknown feature names and features in the wrong map are ignored",
            "txn-0011",
            vec![
                ("amount", 54.2),
                ("device_risk_score", 0.99),
                ("country", 1.0),
            ],
            vec![("device_os", "android"), ("account_age_days", "820")],
        ),
        case(
            "longest allowed id (128 characters)",
            &"x".repeat(128),
            typical_numeric,
            vec![
                ("country", "CA"),
                ("channel", "pos"),
                ("merchant_category", "pharmacy"),
            ],
        ),
    ]
}

/// Numbers as protojson prints them: integral values without a fraction
/// (`1250`, not `1250.0`), everything else shortest round-trip.
struct Number(f64);

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.0;
        if value.fract() == 0.0 && value.abs() < 2f64.powi(53) {
            serializer.serialize_i64(value as i64)
        } else {
            serializer.serialize_f64(value)
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    id: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    numeric_features: BTreeMap<&'static str, Number>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    categorical_features: BTreeMap<&'static str, &'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    id: String,
    // proto3 JSON omits fields holding their default value.
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<Number>,
    model_version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    reason_codes: Vec<String>,
}

#[derive(Serialize)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Serialize)]
struct Vector {
    name: &'static str,
    request: Request,
    expected: Response,
}

fn main() -> Result<(), Box<dyn Error>> {
    let model = model::embedded()?;
    let vectors: Vec<Vector> = cases()
        .into_iter()
        .map(|case| {
            let numeric = case
                .numeric
                .iter()
                .map(|&(k, v)| (k.to_owned(), v))
                .collect();
            let categorical = case
                .categorical
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let scored = model.score(&numeric, &categorical);
            Vector {
                name: case.name,
                request: Request {
                    id: case.id.clone(),
                    numeric_features: case
                        .numeric
                        .into_iter()
                        .map(|(k, v)| (k, Number(v)))
                        .collect(),
                    categorical_features: case.categorical.into_iter().collect(),
                },
                expected: Response {
                    id: case.id,
                    score: (scored.score != 0.0).then_some(Number(scored.score)),
                    model_version: model.version().to_owned(),
                    reason_codes: scored.reason_codes,
                },
            }
        })
        .collect();

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors.json");
    let count = vectors.len();
    let mut json = serde_json::to_string_pretty(&File { vectors })?;
    json.push('\n');
    // go test's cache knows the files a test opened by size and mtime: leaving the same bytes
    // untouched keeps the cached results of the orchestrator's vector tests.
    if fs::read_to_string(&path).is_ok_and(|old| old == json) {
        println!("unchanged: {count} vectors in {}", path.display());
    } else {
        fs::write(&path, json)?;
        println!("wrote {count} vectors to {}", path.display());
    }
    Ok(())
}
