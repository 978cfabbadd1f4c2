//! Loads `testdata/vectors.json`, the shared request/response examples that
//! every implementation of the contract must reproduce exactly.

use std::{collections::HashMap, fs, path::PathBuf};

use serde::Deserialize;
use worker_kit::pb::{ScoreRequest, ScoreResponse};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    request: Request,
    expected: Response,
}

/// `ScoreRequest` in protobuf's JSON mapping; absent fields take defaults.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Request {
    id: String,
    #[serde(default)]
    numeric_features: HashMap<String, f64>,
    #[serde(default)]
    categorical_features: HashMap<String, String>,
}

/// `ScoreResponse` in protobuf's JSON mapping; absent fields take defaults.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Response {
    id: String,
    #[serde(default)]
    score: f64,
    model_version: String,
    #[serde(default)]
    reason_codes: Vec<String>,
}

/// A named request and the response it must get.
pub struct Case {
    pub name: String,
    pub request: ScoreRequest,
    pub expected: ScoreResponse,
}

pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/vectors.json")
}

pub fn raw() -> String {
    let path = path();
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn load() -> Vec<Case> {
    let file: File = serde_json::from_str(&raw()).expect("vectors.json matches the schema");
    file.vectors
        .into_iter()
        .map(|v| Case {
            name: v.name,
            request: ScoreRequest {
                id: v.request.id,
                numeric_features: v.request.numeric_features,
                categorical_features: v.request.categorical_features,
            },
            expected: ScoreResponse {
                id: v.expected.id,
                score: v.expected.score,
                model_version: v.expected.model_version,
                reason_codes: v.expected.reason_codes,
            },
        })
        .collect()
}
