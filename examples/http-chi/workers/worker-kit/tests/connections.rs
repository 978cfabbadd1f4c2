//! The real gRPC server over real TCP against peers that connect and send
//! nothing: each is closed once the keepalive timeout passes without its
//! HTTP/2 preface, ones beyond the connection cap are closed at once,
//! counted and warned of once, and a client that speaks gRPC is still served.

use std::{
    io,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{io::AsyncReadExt, net::TcpStream, sync::oneshot, time::timeout};
use worker_kit::{
    config::{Keepalive, ListenAddr},
    connections::MAX_CONNECTIONS,
    metrics,
    model::Model,
    probe,
    server::{self, ServeOptions},
};

/// The preface's deadline is the keepalive timeout: long enough for the
/// test to open all its connections before the first is closed.
const KEEPALIVE: Keepalive = Keepalive {
    interval: Duration::from_secs(3),
    timeout: Duration::from_secs(3),
};
/// Connections opened past the cap, each refused.
const OVER: usize = 3;

/// Log output kept for the test to read.
struct Log(Arc<Mutex<Vec<u8>>>);

impl io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// For the scheduler of a busy machine.
const SLACK: Duration = Duration::from_millis(750);

/// Whether the server closed `stream` within `within`; what it sent before
/// (its SETTINGS, which it writes at once) is read and dropped.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut sent = Vec::new();
    match timeout(within, stream.read_to_end(&mut sent)).await {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => error.kind() == io::ErrorKind::ConnectionReset,
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_capped_and_closed_and_calls_still_served() {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let writer = Arc::clone(&logs);
    // Global: the server logs from the runtime's other threads.
    tracing_subscriber::fmt()
        .with_writer(move || Log(Arc::clone(&writer)))
        .init();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let model = Model::from_json(include_str!("../../worker-model/testdata/model.json")).unwrap();
    let options = ServeOptions {
        max_in_flight: 4,
        shutdown_grace: Duration::from_secs(1),
        keepalive: KEEPALIVE,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(server::serve(listener, Arc::new(model), options, async {
        let _ = stopped.await;
    }));

    let mut silent = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    // Each is due to close a timeout after it was accepted, the last by then.
    let deadline = Instant::now() + KEEPALIVE.timeout + SLACK;
    for _ in 0..OVER {
        let mut over = TcpStream::connect(addr).await.unwrap();
        assert!(
            closed_within(&mut over, KEEPALIVE.timeout / 3).await,
            "a connection beyond the cap of {MAX_CONNECTIONS} was kept"
        );
    }
    // Each counted, so a cap too low for the clients shows on /metrics; one
    // warning for them all, so a reconnect loop does not flood the log.
    let metrics = metrics::render();
    let counted = format!("\nworker_grpc_connections_refused_total {OVER}\n");
    assert!(metrics.contains(&counted), "{metrics}");
    let logs = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    assert_eq!(
        logs.matches("connection limit reached").count(),
        1,
        "{logs}"
    );
    for stream in &mut silent {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            closed_within(stream, left).await,
            "a connection that sent no preface was open past {:?}",
            KEEPALIVE.timeout + SLACK
        );
    }
    probe::check(&ListenAddr::Tcp(addr), Duration::from_secs(5))
        .await
        .expect("the server still answers a health check");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
