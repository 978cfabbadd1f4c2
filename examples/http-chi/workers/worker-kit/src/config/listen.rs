//! Where and how the worker listens for gRPC clients.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

/// Prefix of a Unix domain socket address, as gRPC clients spell one.
pub const UNIX_PREFIX: &str = "unix://";

/// Where the worker listens: a TCP address, or a Unix domain socket for a
/// sidecar that shares a volume with the orchestrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenAddr {
    Tcp(SocketAddr),
    /// An absolute path, from `unix:///path`.
    Unix(PathBuf),
}

impl ListenAddr {
    /// Parses `IP:PORT` or `unix:///absolute/path`, a path that names a
    /// file: not `/`, nor one ending in `/`, `.` or `..`, each a directory,
    /// where the bind failed after start-up. `None` if it is neither.
    pub fn parse(value: &str) -> Option<Self> {
        match value.strip_prefix(UNIX_PREFIX) {
            Some(path)
                if Path::new(path).is_absolute()
                    && !matches!(path.rsplit('/').next(), Some("" | "." | "..")) =>
            {
                Some(Self::Unix(path.into()))
            }
            Some(_) => None,
            None => value.parse().ok().map(Self::Tcp),
        }
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => addr.fmt(f),
            Self::Unix(path) => write!(f, "{UNIX_PREFIX}{}", path.display()),
        }
    }
}

/// Upper bound on `KEEPALIVE_INTERVAL_SECS` and `KEEPALIVE_TIMEOUT_SECS`: an
/// hour, past which a dead client's permits are held about as long as with no
/// keepalive at all; it only catches typos such as an extra zero or two.
pub const KEEPALIVE_LIMIT_SECS: u64 = 3600;

/// How the worker notices a client that vanished without closing its
/// connection (a lost node, a dropped NAT or conntrack entry), whose calls
/// would otherwise hold their streams and permits until the kernel gives up
/// on the connection, hours later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    /// `KEEPALIVE_INTERVAL_SECS`: how long a connection may stay silent
    /// before the worker sends an HTTP/2 PING (and, on TCP, before the
    /// kernel's first keepalive probe).
    pub interval: Duration,
    /// `KEEPALIVE_TIMEOUT_SECS`: how long a PING may go unanswered before the
    /// connection is closed (on TCP also the gap between keepalive probes).
    pub timeout: Duration,
}
