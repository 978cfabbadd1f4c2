#![cfg(unix)] // Sends stop signals with kill(1).

//! End to end: how the real `scorer` binary stops on SIGTERM and SIGINT
//! while a connection holds its drain open.

mod child;

use std::time::Duration;

use child::Worker;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_do_not_block_shutdown_past_the_grace_period() {
    let mut worker = Worker::start(&[("SHUTDOWN_GRACE_SECS", "1")]);
    let channel = worker.channel().await;
    let _watch = HealthClient::new(channel)
        .watch(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    worker.terminate();
    worker.wait_for_log("drain deadline passed; dropping remaining connections");
    let (status, _) = worker.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
}

/// A worker whose drain lasts its whole grace period: a health `Watch`
/// stream holds it open.
async fn draining(first: &str) -> (Worker, impl Sized) {
    let mut worker = Worker::start(&[("SHUTDOWN_GRACE_SECS", "30")]);
    let watch = HealthClient::new(worker.channel().await)
        .watch(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    worker.signal(first);
    worker.wait_for_log("shutting down: health NOT_SERVING, draining calls");
    (worker, watch)
}

fn exits_at_once_saying_why(worker: Worker, signal_number: i32) {
    // Well within the 30 s drain.
    let (status, logs) = worker.wait(Duration::from_secs(10));
    assert_eq!(
        status.code(),
        Some(128 + signal_number),
        "exit status {status}"
    );
    let said = logs
        .iter()
        .filter(|line| line.contains("second stop signal"))
        .count();
    assert_eq!(said, 1, "one line says why; logs:\n{}", logs.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_stops_the_worker_without_waiting_for_the_drain() {
    let (worker, _watch) = draining("TERM").await;
    worker.signal("TERM");
    exits_at_once_saying_why(worker, 15);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_after_ctrl_c_is_the_same_request_and_a_second_ctrl_c_stops_at_once() {
    // A terminal's SIGINT, then the SIGTERM a supervisor sends on it.
    let (mut worker, _watch) = draining("INT").await;
    worker.signal("TERM");
    worker.wait_for_log("SIGTERM after SIGINT: the same request to stop; still draining");
    worker.signal("INT");
    exits_at_once_saying_why(worker, 2);
}
