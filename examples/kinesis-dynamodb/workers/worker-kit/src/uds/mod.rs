//! Serving on a Unix domain socket, for a worker that runs as a sidecar next
//! to the orchestrator and shares a volume with it instead of a port.

use std::{fs, future::Future, os::unix::fs::MetadataExt, path::Path, sync::Arc};

use tokio_stream::wrappers::UnixListenerStream;

use crate::{
    config::ListenAddr,
    model::Model,
    server::{ServeError, ServeOptions, serve_incoming},
};

mod socket_file;

pub use socket_file::{LIVE_CHECK_TIMEOUT, SOCKET_MODE, bind};

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
    // No TCP keepalive here: the client is a process on this kernel, which
    // closes its end when the process dies, so no peer vanishes unseen as
    // one across a network can. One that hangs with the connection open is
    // still found by the HTTP/2 keepalive `serve_incoming` sets up.
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

#[cfg(test)]
mod tests;
