//! Settings from the environment, parsed once at start.

use std::{
    env, fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
    thread,
    time::Duration,
};

/// Default gRPC address: every interface, so it works in a container.
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:50051";
/// Default log filter when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info";
/// In-flight scoring jobs allowed per CPU when `MAX_IN_FLIGHT` is unset.
///
/// A single score takes microseconds and a full batch about a millisecond per
/// core, so this keeps the worst queueing delay in the tens of milliseconds
/// while leaving enough queued work to keep every core busy.
pub const IN_FLIGHT_PER_CPU: usize = 64;
/// Upper bound on `MAX_IN_FLIGHT`; far beyond anything useful, it only
/// catches typos such as an extra zero or two.
pub const MAX_IN_FLIGHT_LIMIT: usize = 1_000_000;
/// Default for `SHUTDOWN_GRACE_SECS`. Whatever stops the worker waits longer
/// before SIGKILL (compose's `stop_grace_period` is 25 s), so it exits
/// on its own; keep that true when you change either.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Everything the worker reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `LISTEN_ADDR`: where gRPC is served. Port 0 picks a free port.
    pub listen_addr: ListenAddr,
    /// `MODEL_PATH`: a model file to load instead of the embedded one.
    pub model_path: Option<PathBuf>,
    /// `MAX_IN_FLIGHT`: scoring jobs (a batch is one job) queued or running
    /// at once; beyond it calls fail fast with `RESOURCE_EXHAUSTED`.
    pub max_in_flight: usize,
    /// `SHUTDOWN_GRACE_SECS`: how long to drain in-flight calls after a stop
    /// signal before exiting anyway.
    pub shutdown_grace: Duration,
    /// `RUST_LOG`: log filter, e.g. `info` or `info,scorer=debug`.
    pub log_filter: String,
}

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

/// An environment variable with a value the worker cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the real
    /// environment. Empty values count as unset, as deploy templates often
    /// render an unset variable as an empty string.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

        let listen_addr = match get("LISTEN_ADDR") {
            None => ListenAddr::parse(DEFAULT_LISTEN_ADDR).expect("default address parses"),
            Some(value) => ListenAddr::parse(value.trim()).ok_or_else(|| ConfigError {
                name: "LISTEN_ADDR",
                value,
                reason: "expected IP:PORT, e.g. 0.0.0.0:50051 or [::]:50051, or unix:///absolute/path.sock".into(),
            })?,
        };

        let max_in_flight = match get("MAX_IN_FLIGHT") {
            None => default_max_in_flight(),
            Some(value) => match value.trim().parse::<usize>() {
                Ok(n) if (1..=MAX_IN_FLIGHT_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ConfigError {
                        name: "MAX_IN_FLIGHT",
                        value,
                        reason: format!("expected an integer from 1 to {MAX_IN_FLIGHT_LIMIT}"),
                    });
                }
            },
        };

        let shutdown_grace = match get("SHUTDOWN_GRACE_SECS") {
            None => DEFAULT_SHUTDOWN_GRACE,
            Some(value) => match value.trim().parse::<u64>() {
                Ok(secs) if secs <= 3600 => Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError {
                        name: "SHUTDOWN_GRACE_SECS",
                        value,
                        reason: "expected whole seconds from 0 to 3600".into(),
                    });
                }
            },
        };

        Ok(Self {
            listen_addr,
            model_path: get("MODEL_PATH").map(PathBuf::from),
            max_in_flight,
            shutdown_grace,
            log_filter: get("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned()),
        })
    }
}

fn default_max_in_flight() -> usize {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    cpus * IN_FLIGHT_PER_CPU
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let config = config(&[("MODEL_PATH", ""), ("RUST_LOG", " ")]).unwrap();
        assert_eq!(
            config.listen_addr,
            ListenAddr::Tcp("0.0.0.0:50051".parse().unwrap())
        );
        assert_eq!(config.model_path, None);
        assert!(config.max_in_flight >= IN_FLIGHT_PER_CPU);
        assert_eq!(config.shutdown_grace, DEFAULT_SHUTDOWN_GRACE);
        assert_eq!(config.log_filter, "info");
    }

    #[test]
    fn values_are_read() {
        let config = config(&[
            ("LISTEN_ADDR", "127.0.0.1:0"),
            ("MODEL_PATH", "/models/m.json"),
            ("MAX_IN_FLIGHT", "8"),
            ("SHUTDOWN_GRACE_SECS", "5"),
            ("RUST_LOG", "debug"),
        ])
        .unwrap();
        assert_eq!(
            config.listen_addr,
            ListenAddr::Tcp("127.0.0.1:0".parse().unwrap())
        );
        assert_eq!(config.model_path, Some(PathBuf::from("/models/m.json")));
        assert_eq!(config.max_in_flight, 8);
        assert_eq!(config.shutdown_grace, Duration::from_secs(5));
        assert_eq!(config.log_filter, "debug");
    }

    #[test]
    fn unix_socket_addresses_are_read() {
        let config = config(&[("LISTEN_ADDR", "unix:///run/worker/scorer.sock")]).unwrap();
        let addr = ListenAddr::Unix("/run/worker/scorer.sock".into());
        assert_eq!(config.listen_addr, addr);
        assert_eq!(addr.to_string(), "unix:///run/worker/scorer.sock");
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("LISTEN_ADDR", "localhost"),
            ("LISTEN_ADDR", "unix://relative.sock"),
            ("LISTEN_ADDR", "unix:/tmp/one-slash.sock"),
            ("MAX_IN_FLIGHT", "0"),
            ("MAX_IN_FLIGHT", "-1"),
            ("MAX_IN_FLIGHT", "lots"),
            ("SHUTDOWN_GRACE_SECS", "1.5"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert_eq!(err.name, name);
            assert!(err.to_string().starts_with(&format!("{name}=")), "{err}");
        }
    }
}
