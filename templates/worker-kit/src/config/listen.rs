//! Where and how the worker listens for gRPC clients.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
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
    /// Parses `IP:PORT` or `unix:///absolute/path`; `None` if it is neither.
    pub fn parse(value: &str) -> Option<Self> {
        match value.strip_prefix(UNIX_PREFIX) {
            Some(path) if Path::new(path).is_absolute() => Some(Self::Unix(path.into())),
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
