#![cfg(unix)] // Sends stop signals with kill(1).

//! End to end: starts the real `scorer` binary on an ephemeral loopback port
//! and talks to it over gRPC, as the orchestrator and Kubernetes would.

mod child;
mod common;

// Every worker crate shares this code; the alias keeps it identical across them.
use scorer as worker;

use std::time::Duration;

use child::Worker;
use tonic::{Code, transport::Channel};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};
use worker_kit::pb::{
    ScoreBatchRequest, ScoreRequest, score_result::Outcome,
    scoring_service_client::ScoringServiceClient,
};

async fn health_status(channel: Channel, service: &str) -> ServingStatus {
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.to_owned(),
        })
        .await
        .expect("health check answers");
    response.into_inner().status()
}

// Multi-threaded: the harness blocks on the child process, and the client
// connection must keep running meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_scoring_health_and_reflection_then_drains_on_sigterm() {
    let mut worker = Worker::start(&[]);
    let channel = worker.channel().await;

    assert_eq!(
        health_status(channel.clone(), "").await,
        ServingStatus::Serving
    );
    assert_eq!(
        health_status(channel.clone(), "scoring.v1.ScoringService").await,
        ServingStatus::Serving
    );

    let cases = common::load();
    let mut scoring = ScoringServiceClient::new(channel.clone());
    let first = scoring
        .score(cases[0].request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, cases[0].expected, "{}", cases[0].name);

    let requests = cases.iter().map(|c| c.request.clone()).collect();
    let batch = scoring
        .score_batch(ScoreBatchRequest {
            requests,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let expected: Vec<_> = cases.iter().map(|c| c.expected.clone()).collect();
    assert_eq!(batch.responses, expected);

    // Per-item results: an invalid request in the middle gets its own error
    // (the message a Score of it alone fails with); the others score.
    let mut requests: Vec<_> = cases.iter().map(|c| c.request.clone()).collect();
    let bad = requests.len() / 2;
    requests.insert(bad, ScoreRequest::default());
    let items = scoring
        .score_batch(ScoreBatchRequest {
            requests,
            item_results: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(items.responses.is_empty());
    assert_eq!(items.results.len(), cases.len() + 1);
    for (i, result) in items.results.into_iter().enumerate() {
        match (i.cmp(&bad), result.outcome) {
            (std::cmp::Ordering::Equal, Some(Outcome::Error(error))) => {
                assert_eq!(error.code, Code::InvalidArgument as i32);
                assert_eq!(error.message, "id: must not be empty");
            }
            (order, Some(Outcome::Response(response))) if order != std::cmp::Ordering::Equal => {
                let case = &cases[if order.is_lt() { i } else { i - 1 }];
                assert_eq!(response, case.expected, "{}", case.name);
            }
            (_, other) => panic!("item {i}: unexpected {other:?}"),
        }
    }

    let invalid = scoring.score(ScoreRequest::default()).await.unwrap_err();
    assert_eq!(invalid.code(), Code::InvalidArgument);
    assert_eq!(invalid.message(), "id: must not be empty");

    let mut services = list_services(channel.clone()).await;
    services.sort();
    for expected in [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "scoring.v1.ScoringService",
    ] {
        assert!(
            services.iter().any(|s| s == expected),
            "{expected} not in {services:?}"
        );
    }

    // A watcher sees NOT_SERVING as soon as shutdown begins.
    let mut watch = HealthClient::new(channel.clone())
        .watch(HealthCheckRequest {
            service: "scoring.v1.ScoringService".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );
    worker.terminate();
    worker.wait_for_log("stop signal received");
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::NotServing
    );

    // Closing the last connection lets the drain finish well before its deadline.
    drop((watch, scoring, channel));
    let (status, logs) = worker.wait(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit status {status}; logs:\n{}",
        logs.join("\n")
    );
    assert!(
        logs.iter().any(|l| l.contains(r#""message":"stopped""#)),
        "{logs:?}"
    );
    assert!(
        !logs.iter().any(|l| l.contains("drain deadline")),
        "{logs:?}"
    );
}

async fn list_services(channel: Channel) -> Vec<String> {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::once(request))
        .await
        .unwrap()
        .into_inner();
    match stream.message().await.unwrap().unwrap().message_response {
        Some(MessageResponse::ListServicesResponse(list)) => {
            list.service.into_iter().map(|s| s.name).collect()
        }
        other => panic!("unexpected reflection response {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_path_overrides_the_embedded_model() {
    let path = std::env::temp_dir().join(format!("worker-test-model-{}.json", std::process::id()));
    let model = worker::model::COMPILED
        .json()
        .replace("card-risk-gbdt-1.0.0", "override-test");
    std::fs::write(&path, model).unwrap();

    let worker = Worker::start(&[("MODEL_PATH", path.to_str().unwrap())]);
    let mut scoring = ScoringServiceClient::new(worker.channel().await);
    let request = common::load().remove(0).request;
    let response = scoring.score(request).await.unwrap().into_inner();
    assert_eq!(response.model_version, "override-test");
    std::fs::remove_file(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_valid_trace_context_is_taken() {
    // The W3C limits: 32 tracestate members with 256-byte keys and values, and
    // 8,192 bytes of baggage; the orchestrator passes on what a message carries.
    let tracestate = (0..32)
        .map(|i| format!("k{i:02}{}={}", "a".repeat(253), "v".repeat(256)))
        .collect::<Vec<_>>()
        .join(",");
    let baggage = format!("a={},b={}", "x".repeat(4094), "y".repeat(4093));
    assert_eq!(baggage.len(), 8192);
    let mut request = tonic::Request::new(common::load().remove(0).request);
    let metadata = request.metadata_mut();
    metadata.insert(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
            .parse()
            .unwrap(),
    );
    metadata.insert("tracestate", tracestate.parse().unwrap());
    metadata.insert("baggage", baggage.parse().unwrap());
    let worker = Worker::start(&[]);
    ScoringServiceClient::new(worker.channel().await)
        .score(request)
        .await
        .expect("a valid trace context fits the worker's header limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_batch_the_contract_allows_is_scored() {
    // 1000 requests with 64 numeric and 64 categorical features: over 4 MiB.
    let request = |i: usize| ScoreRequest {
        id: format!("{i:0>128}"),
        numeric_features: (0..64)
            .map(|f| (format!("numeric_feature_{f:02}"), f as f64))
            .collect(),
        categorical_features: (0..64)
            .map(|f| {
                (
                    format!("categorical_feature_{f:02}"),
                    format!("value_{f:02}"),
                )
            })
            .collect(),
    };
    let requests: Vec<_> = (0..1000).map(request).collect();
    let worker = Worker::start(&[]);
    let responses = ScoringServiceClient::new(worker.channel().await)
        .score_batch(ScoreBatchRequest {
            requests,
            ..Default::default()
        })
        .await
        .expect("a full batch fits the message size limit")
        .into_inner()
        .responses;
    assert_eq!(responses.len(), 1000);
    assert_eq!(responses[999].id, format!("{:0>128}", 999));
}
