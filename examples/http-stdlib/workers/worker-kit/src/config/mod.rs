//! Settings from the environment, parsed once at start.

use std::{
    collections::HashMap, env, net::SocketAddr, num::NonZeroUsize, ops::RangeInclusive,
    path::PathBuf, thread, time::Duration,
};

mod listen;
mod unknown;

pub use listen::{KEEPALIVE_LIMIT_SECS, Keepalive, ListenAddr, UNIX_PREFIX};
pub use unknown::Unknown;

/// One environment variable the worker reads, with its default in the
/// variable's own syntax (empty: computed at start, see [`Config`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub default: &'static str,
}

/// One worker's settings: every variable it reads, rendered per worker from
/// the same table as its README's Configuration section
/// (create-hybrid-backend's `src/render/settings.ts`), so the two cannot
/// disagree; parsing takes every default from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub table: &'static [Setting],
    /// The worker's namespaces: a variable in one that is not a setting is
    /// most likely a typo, which would silently leave a default in force, so
    /// it is logged at start (see [`Config::unknown`]).
    pub owned_prefixes: &'static [&'static str],
    /// Names the worker does not read though they look as if it would, each
    /// with the setting to use instead; set, one stops start-up rather than
    /// be ignored.
    pub retired: &'static [Retired],
}

/// A variable the worker does not read, and the setting that does its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retired {
    pub name: &'static str,
    pub instead: &'static str,
}

impl Settings {
    /// The default of `name`, which must be in the table.
    pub fn default_of(&self, name: &str) -> &'static str {
        self.table
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name} is not in the settings table"))
            .default
    }
}

/// The variables [`Config::from_vars`] reads: a worker's table must list
/// exactly these (each worker's config tests hold it to that).
pub const READ: &[&str] = &[
    "LISTEN_ADDR",
    "MODEL_PATH",
    "CPU_BUDGET",
    "MAX_IN_FLIGHT",
    "SHUTDOWN_GRACE_SECS",
    "KEEPALIVE_INTERVAL_SECS",
    "KEEPALIVE_TIMEOUT_SECS",
    "RUST_LOG",
    "METRICS_ADDR",
];

/// Upper bound on `CPU_BUDGET`; beyond the largest nodes, it only catches
/// typos such as an extra zero or two.
pub const CPU_BUDGET_LIMIT: usize = 1024;

/// In-flight permits per CPU of `CPU_BUDGET` when `MAX_IN_FLIGHT` is unset.
///
/// A permit is a `Score` call or up to 64 batch items (see `crate::shed`);
/// 64 items score in about 100 µs per core, so this keeps the worst queueing
/// delay in the tens of milliseconds (4 full batches per CPU) while leaving
/// enough queued work to keep every core busy. It is the ceiling of the
/// adaptive limit (`crate::shed::limit`), which starts there.
pub const IN_FLIGHT_PER_CPU: usize = 64;
/// Upper bound on `MAX_IN_FLIGHT`; far beyond anything useful, it only
/// catches typos such as an extra zero or two.
pub const MAX_IN_FLIGHT_LIMIT: usize = 1_000_000;

/// Everything the worker reads from its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `LISTEN_ADDR`: where gRPC is served. Port 0 picks a free port.
    pub listen_addr: ListenAddr,
    /// `MODEL_PATH`: a model file to load instead of the embedded one.
    pub model_path: Option<PathBuf>,
    /// `CPU_BUDGET`: the CPUs the worker sizes itself for: its scoring
    /// threads, its async runtime's threads and the default `MAX_IN_FLIGHT`.
    /// Unset, the CPUs it may run on, which without a cgroup CPU quota are
    /// the whole node's: a container without a CPU limit must set it (the
    /// Kubernetes manifests pass the CPU request, rounded up).
    pub cpu_budget: NonZeroUsize,
    /// `MAX_IN_FLIGHT`: the most permits for scoring work queued or running
    /// at once (a `Score` call or up to 64 batch items takes one; see
    /// `crate::shed`), within which an adaptive limit falls under overload;
    /// beyond the limit calls fail fast with `RESOURCE_EXHAUSTED`, before
    /// their message is decoded.
    pub max_in_flight: usize,
    /// `SHUTDOWN_GRACE_SECS`: how long to drain in-flight calls after a stop
    /// signal before exiting anyway.
    pub shutdown_grace: Duration,
    /// `KEEPALIVE_INTERVAL_SECS` and `KEEPALIVE_TIMEOUT_SECS`: when a silent
    /// client connection is pinged, and closed if it does not answer.
    pub keepalive: Keepalive,
    /// `RUST_LOG`: log filter, e.g. `info` or `info,worker_kit=debug`.
    pub log_filter: String,
    /// `METRICS_ADDR`: where Prometheus `/metrics` is served over HTTP, also
    /// when gRPC is on a Unix socket. Port 0 picks a free port.
    pub metrics_addr: SocketAddr,
    /// The set variables in the worker's namespaces that are not settings,
    /// for the caller to log once logging is set up (`RUST_LOG` is read here).
    pub unknown: Vec<Unknown>,
}

/// An environment variable with a value the worker cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?}: {reason}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env(settings: &Settings) -> Result<Self, ConfigError> {
        Self::from_vars(
            settings,
            env::vars_os().map(|(name, value)| {
                (
                    name.to_string_lossy().into_owned(),
                    value.to_string_lossy().into_owned(),
                )
            }),
        )
    }

    /// Reads settings from `vars` (name, value pairs), so tests need not
    /// touch the real environment. Empty values count as unset, as deploy
    /// templates often render an unset variable as an empty string; a value
    /// with whitespace around it (or only whitespace) is refused, as the
    /// orchestrator and the scripts' checks refuse it.
    pub fn from_vars(
        settings: &Settings,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .collect();
        unknown::reject_retired(settings, &vars)?;
        let get = |name: &'static str| -> Option<String> {
            debug_assert!(READ.contains(&name), "{name} is not in READ");
            let default = settings.default_of(name);
            vars.get(name)
                .cloned()
                .or_else(|| (!default.is_empty()).then(|| default.to_owned()))
        };
        let invalid = |name: &'static str, value: String, reason: String| ConfigError {
            name: name.to_owned(),
            value,
            reason,
        };
        for setting in settings.table {
            if let Some(value) = vars.get(setting.name)
                && value.trim() != value
            {
                let reason = "expected the value without whitespace around it".to_owned();
                return Err(invalid(setting.name, value.clone(), reason));
            }
        }

        let value = get("LISTEN_ADDR").unwrap_or_default();
        let listen_addr = ListenAddr::parse(&value).ok_or_else(|| {
            invalid(
                "LISTEN_ADDR",
                value.clone(),
                format!(
                    "expected IP:PORT, e.g. {}, or unix:///absolute/path.sock",
                    settings.default_of("LISTEN_ADDR")
                ),
            )
        })?;
        // A directory there could never be bound: say so now, naming the setting.
        if let ListenAddr::Unix(path) = &listen_addr
            && path.is_dir()
        {
            let reason = "names a directory; expected the path of a socket file".to_owned();
            return Err(invalid("LISTEN_ADDR", value, reason));
        }

        let cpu_budget = match get("CPU_BUDGET") {
            None => thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            Some(value) => match value.parse::<NonZeroUsize>() {
                Ok(n) if n.get() <= CPU_BUDGET_LIMIT => n,
                _ => {
                    let reason =
                        format!("expected whole CPUs from 1 to {CPU_BUDGET_LIMIT}, e.g. 2");
                    return Err(invalid("CPU_BUDGET", value, reason));
                }
            },
        };

        let max_in_flight = match get("MAX_IN_FLIGHT") {
            None => cpu_budget.get() * IN_FLIGHT_PER_CPU,
            Some(value) => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_IN_FLIGHT_LIMIT).contains(&n) => n,
                _ => {
                    let reason = format!("expected an integer from 1 to {MAX_IN_FLIGHT_LIMIT}");
                    return Err(invalid("MAX_IN_FLIGHT", value, reason));
                }
            },
        };

        // Whole seconds within `range`; each of these has a default.
        let seconds = |name: &'static str, range: RangeInclusive<u64>| {
            let value = get(name).unwrap_or_default();
            match value.parse::<u64>() {
                Ok(secs) if range.contains(&secs) => Ok(Duration::from_secs(secs)),
                _ => {
                    let (low, high) = range.into_inner();
                    let reason = format!("expected whole seconds from {low} to {high}");
                    Err(invalid(name, value, reason))
                }
            }
        };
        let shutdown_grace = seconds("SHUTDOWN_GRACE_SECS", 0..=3600)?;
        let keepalive = Keepalive {
            interval: seconds("KEEPALIVE_INTERVAL_SECS", 1..=KEEPALIVE_LIMIT_SECS)?,
            timeout: seconds("KEEPALIVE_TIMEOUT_SECS", 1..=KEEPALIVE_LIMIT_SECS)?,
        };

        let value = get("METRICS_ADDR").unwrap_or_default();
        let metrics_addr: SocketAddr = value.parse().map_err(|_| {
            let reason = format!(
                "expected IP:PORT, e.g. {} or 127.0.0.1:0",
                settings.default_of("METRICS_ADDR")
            );
            invalid("METRICS_ADDR", value.clone(), reason)
        })?;
        // Else the second bind failed, naming LISTEN_ADDR's address (exit 1). The port whatever
        // the hosts, as the scripts' check (run.sh's claim) and the orchestrator's like rule
        // compare: two specific addresses could share it, which no deployment here needs.
        if let ListenAddr::Tcp(listen) = listen_addr
            && listen.port() != 0
            && listen.port() == metrics_addr.port()
        {
            let reason = format!("takes LISTEN_ADDR's port ({listen}); expected another, or 0");
            return Err(invalid("METRICS_ADDR", value, reason));
        }

        Ok(Self {
            listen_addr,
            metrics_addr,
            model_path: get("MODEL_PATH").map(PathBuf::from),
            cpu_budget,
            max_in_flight,
            shutdown_grace,
            keepalive,
            log_filter: get("RUST_LOG").unwrap_or_default(),
            unknown: unknown::unknown(settings, &vars),
        })
    }
}

#[cfg(test)]
mod rule_examples;
#[cfg(test)]
mod tests;
