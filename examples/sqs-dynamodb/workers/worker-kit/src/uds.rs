//! Serving on a Unix domain socket, for a worker that runs as a sidecar next
//! to the orchestrator and shares a volume with it instead of a port.

use std::{
    fs::{self, Permissions},
    future::Future,
    io,
    os::unix::{
        fs::{FileTypeExt, MetadataExt, PermissionsExt},
        net::UnixStream,
    },
    path::Path,
    sync::Arc,
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
    let listener = bind(path).map_err(|source| ServeError::Bind {
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

/// Binds `path`, first removing a socket file a killed worker left behind
/// (bind fails on an existing file). A socket something still accepts on is
/// refused, as a taken TCP port is: removing it would leave that server
/// running but unreachable. Any other kind of file is left alone.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => match UnixStream::connect(path) {
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "another process serves on this socket",
                ));
            }
            // Nothing listens: the file is a dead worker's.
            Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                fs::remove_file(path)?;
            }
            Err(error) => return Err(error),
        },
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the path exists and is not a socket",
            ));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let listener = UnixListener::bind(path)?;
    fs::set_permissions(path, Permissions::from_mode(SOCKET_MODE))?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use std::{os::unix::net::UnixStream, path::PathBuf, time::Duration};

    use tokio::sync::oneshot;

    use super::*;

    fn socket_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("worker-uds-{}-{name}.sock", std::process::id()))
    }

    #[test]
    fn a_socket_another_process_serves_is_not_taken_over() {
        let path = socket_path("live");
        let _ = fs::remove_file(&path);
        let live = std::os::unix::net::UnixListener::bind(&path).unwrap();

        let err = bind(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AddrInUse, "{err}");
        // The first server still owns the path: a client reaches it.
        UnixStream::connect(&path).unwrap();
        live.accept().unwrap();
        drop(live);
        fs::remove_file(&path).unwrap();
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
