//! Serving on a Unix domain socket, for a worker that runs as a sidecar next
//! to the orchestrator and shares a volume with it instead of a port.

use std::{
    fs::{self, Permissions},
    future::Future,
    io,
    os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt},
    path::Path,
    sync::Arc,
    time::Duration,
};

use tokio::net::UnixListener;
use tokio_stream::wrappers::UnixListenerStream;

use crate::{
    config::ListenAddr,
    model::Model,
    server::{ServeError, ServeOptions, serve_incoming},
};

/// Owner and group may connect: the orchestrator container shares the
/// socket's group (e.g. through the pod's `fsGroup`), nobody else can.
pub const SOCKET_MODE: u32 = 0o660;

/// Binds a socket at `path` and serves like [`crate::server::serve`] until
/// `shutdown` resolves; the socket file is removed when serving ends.
pub async fn serve(
    path: &Path,
    model: Arc<Model>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let addr = ListenAddr::Unix(path.to_owned());
    let listener = bind(path).await.map_err(|source| ServeError::Bind {
        addr: addr.clone(),
        source,
    })?;
    let bound = identity(path);
    let incoming = UnixListenerStream::new(listener);
    let result = serve_incoming(incoming, addr, model, options, shutdown).await;
    // Only the file this process bound: a restarted worker may already serve
    // on the path, and removing its socket would leave it unreachable.
    if bound.is_some()
        && identity(path) == bound
        && let Err(error) = fs::remove_file(path)
    {
        tracing::warn!(path = %path.display(), %error, "cannot remove the socket file");
    }
    result
}

/// The device and inode of the file at `path`, which a new bind changes.
fn identity(path: &Path) -> Option<(u64, u64)> {
    fs::symlink_metadata(path)
        .ok()
        .map(|meta| (meta.dev(), meta.ino()))
}

/// How long the check for a live server on an existing socket may take. The
/// connect is non-blocking, so this only bounds the wait for the kernel's
/// answer; a server that has not answered by then is taken as alive.
pub const LIVE_CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Binds `path`, first removing a socket file a killed worker left behind
/// (bind fails on an existing file). A socket something still accepts on is
/// refused, as a taken TCP port is: removing it would leave that server
/// running but unreachable. Any other kind of file is left alone.
pub async fn bind(path: &Path) -> io::Result<UnixListener> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if served(path).await? {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "another process serves on this socket",
                ));
            }
            // Nothing listens: the file is a dead worker's.
            fs::remove_file(path)?;
        }
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the path exists and is not a socket",
            ));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    bind_private(path)
}

/// Whether a process listens on the socket at `path`. Non-blocking: a
/// blocking connect to a server whose accept backlog is full waits until it
/// accepts, which would hang start-up behind a stuck process.
async fn served(path: &Path) -> io::Result<bool> {
    match tokio::time::timeout(LIVE_CHECK_TIMEOUT, tokio::net::UnixStream::connect(path)).await {
        Ok(Ok(_)) => Ok(true),
        Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionRefused => Ok(false),
        // EAGAIN: the backlog is full, so a process listens but does not accept.
        Ok(Err(error)) if error.kind() == io::ErrorKind::WouldBlock => Ok(true),
        Ok(Err(error)) => Err(error),
        Err(_elapsed) => Ok(true),
    }
}

/// Binds a socket that has [`SOCKET_MODE`] from the moment it appears at
/// `path`. `bind(2)` creates the file with the process umask's mode, and a
/// chmod after it leaves a moment in which anyone the umask lets in may
/// connect. Setting the umask for the bind is no fix: it is per process, not
/// per thread, and the runtime's threads and the trace exporter are running
/// by now, so their files would get it too, and so would a bind racing with
/// the restore. So the socket is bound and chmod'ed in a directory only this
/// user may enter (next to `path`: a link cannot cross file systems), then
/// linked into place. A link rather than a rename: it fails instead of
/// replacing a file created at `path` since the check in [`bind`]. The
/// listener keeps serving under the new name: clients reach the socket by
/// its inode, which the link does not change.
fn bind_private(path: &Path) -> io::Result<UnixListener> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a socket path names a file in a directory",
        ));
    };
    // Short: the staged path must fit a socket address (108 bytes on Linux)
    // wherever `path` does.
    let mut private_name = std::ffi::OsString::from(".");
    private_name.push(name);
    private_name.push("~");
    let private = dir.join(private_name);
    // One a worker killed mid-bind left behind.
    match fs::remove_dir_all(&private) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    fs::DirBuilder::new().mode(0o700).create(&private)?;
    let bound = (|| {
        // The umask can only have taken bits away; the mode is exact.
        fs::set_permissions(&private, Permissions::from_mode(0o700))?;
        let staged = private.join("s");
        let listener = UnixListener::bind(&staged)?;
        fs::set_permissions(&staged, Permissions::from_mode(SOCKET_MODE))?;
        fs::hard_link(&staged, path)?;
        Ok(listener)
    })();
    if let Err(error) = fs::remove_dir_all(&private) {
        tracing::warn!(path = %private.display(), %error, "cannot remove the directory the socket was bound in");
    }
    bound
}

#[cfg(test)]
mod tests {
    use std::{
        collections::BTreeSet,
        os::unix::net::UnixStream,
        path::PathBuf,
        sync::atomic::{AtomicBool, Ordering},
    };

    use tokio::sync::oneshot;

    use super::*;

    /// The bytes [`bind_private`]'s staging adds to a path, which the
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
}
