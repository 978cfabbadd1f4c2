#![cfg(unix)] // Serves on a Unix socket, stops with kill(1).

//! End to end: the real `scorer` binary holds its operational limits against
//! peers that misbehave: a probe's deadline against a worker that never
//! answers, idle connections on `/metrics`, and a stdout no one reads.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use worker_kit::{config::ListenAddr, metrics, probe};

/// What the process's start and exit may add to a deadline: well above the
/// tens of milliseconds they take, well below the deadline itself.
const SLACK: Duration = Duration::from_millis(400);

// Multi-threaded: the listener accepts on a runtime thread while the test's
// own thread waits for the probe process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_of_a_worker_that_never_answers_fails_within_its_deadline() {
    // A worker too busy to accept: its accept queue is full, so the kernel
    // drops the probe's SYN and completes the connection only on the SYN's
    // retransmission, a second later (Linux's initial RTO), once the queue
    // has room. Then it answers nothing. Connecting takes most of the
    // deadline, and the call must get only what is left of it.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
        queued.push(stream);
    }
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let deadline = Duration::from_millis(1_500);
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_scorer"))
        .args(["--probe", &deadline.as_millis().to_string()])
        .env("LISTEN_ADDR", addr.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("the probe runs");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        took < deadline + SLACK,
        "the probe took {took:?} of a {deadline:?} deadline: {stderr}"
    );
    drop(queued);
}

/// Starts the worker on ephemeral loopback ports; returns it once it serves,
/// with the address of its `/metrics`.
fn start() -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scorer"))
        .env_remove("MODEL_PATH")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .env("METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the worker starts");
    let mut metrics_addr = None;
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.map_while(Result::ok) {
        let event: serde_json::Value = serde_json::from_str(&line).expect("logs are JSON");
        match event["message"].as_str() {
            Some("metrics listening") => metrics_addr = event["addr"].as_str().map(str::to_owned),
            Some("listening") => break,
            _ => {}
        }
    }
    let addr = metrics_addr.expect("the worker logs its metrics address before it serves");
    (Running(child), addr)
}

/// A worker process, killed when the test ends, failed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn idle_metrics_connections_are_closed_and_metrics_still_answer() {
    let (_worker, addr) = start();
    // More than the listener serves at once, each sending nothing.
    let idle: Vec<TcpStream> = (0..metrics::MAX_CONNECTIONS + 2)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    let deadline = Instant::now() + metrics::HEADER_READ_TIMEOUT + SLACK;
    for mut stream in idle {
        let left = deadline.saturating_duration_since(Instant::now());
        stream
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        let mut byte = [0; 1];
        match stream.read(&mut byte) {
            Ok(0) => {}
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("an idle connection was still open past the bound: {other:?}"),
        }
    }
    let mut scrape = TcpStream::connect(&addr).unwrap();
    scrape.set_read_timeout(Some(SLACK)).unwrap();
    scrape
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: worker\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    scrape.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("scoring_in_flight_calls"), "{answer}");
}

// Multi-threaded: the probes block on nothing, but the child's pipe must
// not be read by anyone, this test included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_whose_stdout_no_one_reads_still_answers() {
    let socket = std::env::temp_dir().join(format!("worker-limits-{}.sock", std::process::id()));
    let listen = format!("unix://{}", socket.display());
    // Trace level: hyper and h2 log every frame, so the pipe's buffer
    // (64 KiB on Linux) fills within the first calls.
    let _worker = Running(
        Command::new(env!("CARGO_BIN_EXE_scorer"))
            .env_remove("MODEL_PATH")
            .env("LISTEN_ADDR", &listen)
            .env("METRICS_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the worker starts"),
    );
    let addr = ListenAddr::Unix(socket.clone());
    let call = Duration::from_secs(2);
    let started = Instant::now();
    while probe::check(&addr, call).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the worker never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for i in 0..200 {
        if let Err(error) = probe::check(&addr, call).await {
            panic!("call {i} failed while stdout was full: {error}");
        }
    }
    let _ = std::fs::remove_file(&socket);
}
