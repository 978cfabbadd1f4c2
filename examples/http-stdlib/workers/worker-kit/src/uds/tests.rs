//! The socket file's life: bound at the longest path the orchestrator
//! accepts, never taken from a live server, private from the start, and left
//! alone when a successor has replaced it.

use std::{
    collections::BTreeSet,
    io,
    os::unix::net::UnixStream,
    path::PathBuf,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use tokio::sync::oneshot;

use super::*;

/// The bytes [`bind`]'s staging adds to a path, which the
/// orchestrator's config leaves room for (its internal/config/addrs.go).
const STAGING_EXTRA: usize = 4;

#[tokio::test]
async fn the_longest_path_the_orchestrator_accepts_binds_and_one_byte_more_does_not() {
    // The longest path a socket address holds here, found as std finds it.
    let fits = |n: usize| std::os::unix::net::SocketAddr::from_pathname("s".repeat(n)).is_ok();
    let sun_path_max = (1..4096).take_while(|&n| fits(n)).last().unwrap();
    let dir = std::env::temp_dir().join(format!("uds-long-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let at_length = |n: usize| {
        let stem = n - dir.as_os_str().len() - "/.sock".len();
        dir.join(format!("{}.sock", "s".repeat(stem)))
    };
    let longest = at_length(sun_path_max - STAGING_EXTRA);
    let listener = bind(&longest).await.unwrap_or_else(|error| {
        panic!(
            "the orchestrator accepts {} bytes: {error}",
            longest.as_os_str().len()
        )
    });
    drop(listener);
    // The orchestrator's limit is exact, not merely safe: a byte more cannot bind.
    let over = at_length(sun_path_max - STAGING_EXTRA + 1);
    assert!(bind(&over).await.is_err());
    fs::remove_dir_all(&dir).unwrap();
}

fn socket_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("worker-uds-{}-{name}.sock", std::process::id()))
}

#[tokio::test]
async fn a_socket_another_process_serves_is_not_taken_over() {
    let path = socket_path("live");
    let _ = fs::remove_file(&path);
    let live = std::os::unix::net::UnixListener::bind(&path).unwrap();

    let err = bind(&path).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
    // The first server still owns the path: a client reaches it.
    UnixStream::connect(&path).unwrap();
    live.accept().unwrap();
    drop(live);
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_server_that_accepts_nothing_is_refused_without_waiting_for_it() {
    let path = socket_path("backlog");
    let _ = fs::remove_file(&path);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Alive but stuck: it never accepts, and its backlog is full.
    let (_server, _queued) = runtime.block_on(async {
        let socket = tokio::net::UnixSocket::new_stream().unwrap();
        socket.bind(&path).unwrap();
        let server = socket.listen(1).unwrap();
        let mut queued = Vec::new();
        loop {
            match tokio::net::UnixStream::connect(&path).await {
                Ok(stream) => queued.push(stream),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("{error}"),
            }
            assert!(queued.len() < 64, "the backlog never filled");
        }
        (server, queued)
    });
    // On a thread of its own: a bind that blocks must fail the test, not hang it.
    let (done, finished) = std::sync::mpsc::channel();
    let handle = runtime.handle().clone();
    std::thread::spawn({
        let path = path.clone();
        move || done.send(handle.block_on(bind(&path)).map(drop))
    });
    let result = finished
        .recv_timeout(LIVE_CHECK_TIMEOUT + Duration::from_secs(4))
        .expect("bind returns while the other server is stuck");
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::AddrInUse);
    assert!(path.exists(), "the live server's socket was removed");
    fs::remove_file(&path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_has_its_mode_from_the_moment_it_appears() {
    let path = socket_path("mode");
    let _ = fs::remove_file(&path);
    // Watches the path from another thread for any mode it ever has.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = std::thread::spawn({
        let (path, stop) = (path.clone(), Arc::clone(&stop));
        move || {
            let mut modes = BTreeSet::new();
            while !stop.load(Ordering::Relaxed) {
                if let Ok(meta) = fs::symlink_metadata(&path) {
                    modes.insert(meta.mode() & 0o777);
                }
            }
            modes
        }
    });
    for _ in 0..2000 {
        drop(bind(&path).await.unwrap());
        fs::remove_file(&path).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let modes = watcher.join().unwrap();
    let octal: Vec<String> = modes.iter().map(|mode| format!("{mode:o}")).collect();
    assert!(!modes.is_empty(), "the watcher never saw the socket");
    assert_eq!(
        modes,
        BTreeSet::from([SOCKET_MODE]),
        "modes seen: {octal:?}"
    );
    let name = path.file_name().unwrap().to_string_lossy();
    let private = path.with_file_name(format!(".{name}~"));
    assert!(!private.exists(), "{} is left behind", private.display());
}

#[tokio::test]
async fn shutdown_leaves_a_socket_its_successor_bound() {
    let path = socket_path("successor");
    let _ = fs::remove_file(&path);
    let options = ServeOptions {
        max_in_flight: 4,
        shutdown_grace: Duration::from_secs(1),
        keepalive: crate::config::Keepalive {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        },
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn({
        let path = path.clone();
        let model = Arc::new(crate::fixture_model());
        async move {
            serve(&path, model, options, async {
                let _ = stopped.await;
            })
            .await
        }
    });
    for _ in 0..100 {
        if path.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A restarted worker replaces the socket while this one drains.
    fs::remove_file(&path).unwrap();
    let successor = std::os::unix::net::UnixListener::bind(&path).unwrap();

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(path.exists(), "the successor's socket file was removed");
    UnixStream::connect(&path).unwrap();
    drop(successor);
    fs::remove_file(&path).unwrap();
}
