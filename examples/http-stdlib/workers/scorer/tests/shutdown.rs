#![cfg(unix)] // Sends stop signals with kill(1).

//! End to end: how the real `scorer` binary stops on SIGTERM and SIGINT
//! while a connection holds its drain open.

mod child;

use std::{
    io::Write,
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::Duration,
};

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

// The stop-signal rule (worker-kit's run.rs, `stop_requested`): the first
// SIGTERM or SIGINT starts the drain, a later SIGINT exits at once, a later
// SIGTERM lets the drain finish.

/// A worker draining after `first`, its drain held open by a health `Watch`
/// stream (for up to its 30 s grace) until the stream is dropped.
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

fn exits_at_once_saying_why(worker: Worker) {
    // Well within the 30 s drain.
    let (status, logs) = worker.wait(Duration::from_secs(10));
    assert_eq!(status.code(), Some(128 + 2), "exit status {status}");
    let said = logs
        .iter()
        .filter(|line| line.contains("SIGINT again: exiting now"))
        .count();
    assert_eq!(said, 1, "one line says why; logs:\n{}", logs.join("\n"));
}

/// Sends SIGTERM to a worker draining after `first`, then lets the drain end:
/// the worker must still be draining when it does, and exit 0.
async fn a_later_sigterm_lets_the_drain_finish(first: &str) {
    let (mut worker, watch) = draining(first).await;
    worker.signal("TERM");
    worker.wait_for_log("SIGTERM again: the same request to stop; still draining");
    drop(watch);
    let (status, logs) = worker.wait(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}");
    assert!(
        !logs
            .iter()
            .any(|line| line.contains("drain deadline passed")),
        "the drain finished, not its deadline; logs:\n{}",
        logs.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_then_sigterm_lets_the_drain_finish() {
    a_later_sigterm_lets_the_drain_finish("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_then_sigterm_lets_the_drain_finish() {
    a_later_sigterm_lets_the_drain_finish("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_then_ctrl_c_exits_at_once() {
    let (worker, _watch) = draining("INT").await;
    worker.signal("INT");
    exits_at_once_saying_why(worker);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_then_ctrl_c_exits_at_once() {
    let (worker, _watch) = draining("TERM").await;
    worker.signal("INT");
    exits_at_once_saying_why(worker);
}

/// A stop signal that comes while the model loads is kept: the worker drains
/// as soon as it serves and exits 0. Before the handlers were installed
/// first, it killed the worker there, and to a container's PID 1 it was
/// dropped, so the worker served on until SIGKILL.
#[test]
fn a_stop_signal_during_start_up_is_not_lost() {
    // The model comes through a FIFO, so loading it waits for this test.
    let fifo = std::env::temp_dir().join(format!("worker-start-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let child = Command::new(env!("CARGO_BIN_EXE_scorer"))
        .env("MODEL_PATH", &fifo)
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let (done, exited) = mpsc::channel();
    thread::spawn(move || done.send(child.wait_with_output()));
    // Opening a FIFO to write waits until the worker opens it to read.
    let mut model = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    let kill = |signal: &str| Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(kill("-TERM").success());
    // The worker, if the signal killed it, is no longer reading.
    let _ = model.write_all(include_bytes!("../model/model.json"));
    drop(model);
    std::fs::remove_file(&fifo).unwrap();
    let Ok(output) = exited.recv_timeout(Duration::from_secs(30)) else {
        let _ = kill("-KILL");
        panic!("the worker served on after a SIGTERM during start-up");
    };
    let output = output.unwrap();
    let (status, logs) = (output.status, String::from_utf8_lossy(&output.stdout));
    assert!(status.success(), "exit status {status}; logs:\n{logs}");
    assert!(logs.contains("stop signal received"), "{logs}");
}
