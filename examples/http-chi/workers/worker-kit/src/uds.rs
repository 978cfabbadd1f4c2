//! Serving on a Unix domain socket, for a worker that runs as a sidecar next
//! to the orchestrator and shares a volume with it instead of a port.

use std::{
    fs::{self, Permissions},
    future::Future,
    io,
    os::unix::fs::{FileTypeExt, PermissionsExt},
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
    let incoming = UnixListenerStream::new(listener);
    let result = serve_incoming(incoming, addr, model, options, shutdown).await;
    if let Err(error) = fs::remove_file(path) {
        tracing::warn!(path = %path.display(), %error, "cannot remove the socket file");
    }
    result
}

/// Binds `path`, first removing a socket file a killed worker left behind
/// (bind fails on an existing file); any other kind of file is left alone.
pub fn bind(path: &Path) -> io::Result<UnixListener> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => fs::remove_file(path)?,
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
