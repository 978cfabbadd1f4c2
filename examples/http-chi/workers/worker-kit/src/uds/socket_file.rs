//! Putting the socket file in place: one a dead worker left is replaced, one
//! a live server holds is refused, and the socket has its mode before anyone
//! can reach it.

use std::{
    fs::{self, Permissions},
    io,
    os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt},
    path::Path,
    time::Duration,
};

use tokio::net::UnixListener;

/// Owner and group may connect: the orchestrator container shares the
/// socket's group (e.g. through the pod's `fsGroup`), nobody else can.
pub const SOCKET_MODE: u32 = 0o660;

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
