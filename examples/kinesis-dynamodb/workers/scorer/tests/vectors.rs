//! The worker reproduces `testdata/vectors.json` exactly, one call at a time
//! and as one batch. If the model changed on purpose, regenerate the file
//! with `cargo run --example scorer_vectors`.

mod common;

// Every worker crate shares this code; the alias keeps it identical across them.
use scorer as worker;

use std::{collections::HashSet, sync::Arc};

use tonic::Request;
use worker_kit::{
    pb::{ScoreBatchRequest, scoring_service_server::ScoringService as _},
    service::ScoringService,
};

fn service() -> ScoringService {
    ScoringService::new(Arc::new(worker::model::embedded().unwrap()), 64)
}

#[tokio::test]
async fn every_vector_scores_exactly_as_expected() {
    let service = service();
    for case in common::load() {
        let response = service
            .score(Request::new(case.request))
            .await
            .unwrap_or_else(|status| panic!("{}: {status}", case.name))
            .into_inner();
        assert_eq!(response, case.expected, "{}", case.name);
    }
}

#[tokio::test]
async fn all_vectors_as_one_batch_keep_order() {
    let cases = common::load();
    let requests = cases.iter().map(|c| c.request.clone()).collect();
    let responses = service()
        .score_batch(Request::new(ScoreBatchRequest {
            requests,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .responses;
    let expected: Vec<_> = cases.into_iter().map(|c| c.expected).collect();
    assert_eq!(responses, expected);
}

#[test]
fn vectors_cover_the_edge_cases() {
    let cases = common::load();
    assert!(cases.len() >= 8, "only {} vectors", cases.len());
    let names: HashSet<_> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "vector names must be unique");

    let has = |pred: &dyn Fn(&common::Case) -> bool| cases.iter().any(pred);
    assert!(has(
        &|c| c.request.numeric_features.is_empty() && c.request.categorical_features.is_empty()
    ));
    assert!(has(&|c| !c.request.id.is_ascii()));
    assert!(has(&|c| c.expected.reason_codes.is_empty()));
    assert!(has(&|c| c.expected.reason_codes.len() == 3));
    assert!(has(&|c| c.expected.score > 0.5));
    assert!(has(&|c| c.expected.score < 0.01));
    assert!(has(&|c| c
        .request
        .numeric_features
        .values()
        .any(|v| *v < 0.0)));
    assert!(has(&|c| c
        .request
        .numeric_features
        .values()
        .any(|v| *v >= 1e9)));
}

/// proto3 JSON leaves out fields at their default value; other
/// implementations compare against this file, so it must be canonical.
#[test]
fn vectors_use_canonical_protojson() {
    let file: serde_json::Value = serde_json::from_str(&common::raw()).unwrap();
    for vector in file["vectors"].as_array().unwrap() {
        let expected = &vector["expected"];
        let request = &vector["request"];
        assert_ne!(expected.get("score"), Some(&serde_json::json!(0)));
        assert_ne!(expected.get("reasonCodes"), Some(&serde_json::json!([])));
        assert_ne!(request.get("numericFeatures"), Some(&serde_json::json!({})));
        assert_ne!(
            request.get("categoricalFeatures"),
            Some(&serde_json::json!({}))
        );
        for key in [
            "model_version",
            "reason_codes",
            "numeric_features",
            "categorical_features",
        ] {
            assert!(
                expected.get(key).is_none() && request.get(key).is_none(),
                "{key}"
            );
        }
    }
}
