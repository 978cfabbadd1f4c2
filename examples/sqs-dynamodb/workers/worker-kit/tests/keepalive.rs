//! A client that vanishes without closing its connection (a lost node, a
//! dropped NAT or conntrack entry) must not hold it, and its calls' streams
//! and permits, until the kernel gives up hours later. Peers that speak raw
//! HTTP/2 over real TCP to the real server, with the keepalive short: one
//! that never answers the server's PINGs is disconnected within interval +
//! timeout, one that answers stays connected well past that.

use std::{
    io,
    sync::Arc,
    thread,
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    time::timeout,
};
use worker_kit::{
    config::Keepalive,
    model::Model,
    server::{self, ServeOptions},
};

/// KEEPALIVE_INTERVAL_SECS=1 and KEEPALIVE_TIMEOUT_SECS=1: the least the
/// settings allow.
const KEEPALIVE: Keepalive = Keepalive {
    interval: Duration::from_secs(1),
    timeout: Duration::from_secs(1),
};
/// For the scheduler of a busy machine, on top of interval + timeout.
const SLACK: Duration = Duration::from_millis(750);

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const ACK: u8 = 0x1;

struct Frame {
    kind: u8,
    flags: u8,
    payload: Vec<u8>,
}

/// The next frame, or `None` once the server has closed the connection.
async fn read_frame(stream: &mut TcpStream) -> Option<Frame> {
    let closed = |error: io::Error| match error.kind() {
        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset => None,
        _ => panic!("reading from the server: {error}"),
    };
    let mut head = [0u8; 9];
    if let Err(error) = stream.read_exact(&mut head).await {
        return closed(error);
    }
    let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
    let mut payload = vec![0; len];
    if let Err(error) = stream.read_exact(&mut payload).await {
        return closed(error);
    }
    Some(Frame {
        kind: head[3],
        flags: head[4],
        payload,
    })
}

/// A frame on the connection (stream 0).
async fn write_frame(stream: &mut TcpStream, kind: u8, flags: u8, payload: &[u8]) {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], kind, flags, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    stream.write_all(&frame).await.unwrap();
}

/// Connects and completes the HTTP/2 handshake: the client preface and
/// SETTINGS, the server's SETTINGS acknowledged and ours acknowledged by it.
async fn handshake(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(PREFACE).await.unwrap();
    write_frame(&mut stream, SETTINGS, 0, &[]).await;
    let (mut theirs, mut ours) = (false, false);
    while !(theirs && ours) {
        let frame = read_frame(&mut stream)
            .await
            .expect("the server closed the connection during the handshake");
        if frame.kind == SETTINGS && frame.flags & ACK == 0 {
            write_frame(&mut stream, SETTINGS, ACK, &[]).await;
            theirs = true;
        } else if frame.kind == SETTINGS {
            ours = true;
        }
    }
    stream
}

/// Serves on its own runtime, as the worker binary does; returns the address
/// and the sender that stops it.
fn start_worker() -> (
    std::net::SocketAddr,
    oneshot::Sender<()>,
    thread::JoinHandle<()>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ServeOptions {
        max_in_flight: 4,
        shutdown_grace: Duration::from_secs(1),
        keepalive: KEEPALIVE,
    };
    let server = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            let model = Model::from_json(include_str!("../../worker-model/testdata/model.json"));
            let shutdown = async {
                let _ = stopped.await;
            };
            server::serve(listener, Arc::new(model.unwrap()), options, shutdown)
                .await
                .unwrap();
        });
    });
    (addr, stop, server)
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_disconnected() {
    let (addr, stop, server) = start_worker();
    let mut stream = handshake(addr).await;
    let idle = Instant::now();
    let limit = KEEPALIVE.interval + KEEPALIVE.timeout + SLACK;
    let mut pings = 0;
    let closed = timeout(limit, async {
        while let Some(frame) = read_frame(&mut stream).await {
            pings += usize::from(frame.kind == PING && frame.flags & ACK == 0);
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the connection is still open {:?} after the handshake; interval + timeout is {:?}",
        idle.elapsed(),
        KEEPALIVE.interval + KEEPALIVE.timeout,
    );
    assert!(pings > 0, "closed without a keepalive PING first");
    let _ = stop.send(());
    server.join().unwrap();
}

#[tokio::test]
async fn a_peer_that_answers_pings_stays_connected() {
    let (addr, stop, server) = start_worker();
    let mut stream = handshake(addr).await;
    #[cfg(target_os = "linux")]
    on_linux::assert_tcp_keepalive(addr.port(), stream.local_addr().unwrap().port()).await;
    let stay = 2 * (KEEPALIVE.interval + KEEPALIVE.timeout);
    let mut pings = 0;
    let open = timeout(stay, async {
        while let Some(frame) = read_frame(&mut stream).await {
            if frame.kind == PING && frame.flags & ACK == 0 {
                write_frame(&mut stream, PING, ACK, &frame.payload).await;
                pings += 1;
            }
        }
    })
    .await;
    assert!(
        open.is_err(),
        "the server closed a connection that answered its PINGs"
    );
    assert!(pings > 1, "{pings} keepalive PINGs in {stay:?}");
    let _ = stop.send(());
    server.join().unwrap();
}

#[cfg(target_os = "linux")]
mod on_linux {
    use std::time::Duration;

    /// The server's end of the connection from port `client` has the
    /// kernel's keepalive timer running: `/proc/net/tcp` reports timer 2 for
    /// it (0 for none), once what the server sent has been acknowledged.
    pub async fn assert_tcp_keepalive(server: u16, client: u16) {
        let ports = (format!(":{server:04X}"), format!(":{client:04X}"));
        let mut timer = String::new();
        for _ in 0..50 {
            let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
            let line = table.lines().find(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                fields.len() > 5 && fields[1].ends_with(&ports.0) && fields[2].ends_with(&ports.1)
            });
            timer = line
                .expect("the server's socket is not in /proc/net/tcp")
                .split_whitespace()
                .nth(5)
                .unwrap()
                .to_owned();
            if timer.starts_with("02:") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the server's socket has no TCP keepalive timer (tr:tm->when {timer})");
    }
}
