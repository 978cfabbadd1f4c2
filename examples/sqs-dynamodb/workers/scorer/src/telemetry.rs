//! JSON logs on stdout, one object per line, for container log collectors.

use tracing_subscriber::{Layer, filter::Targets, layer::SubscriberExt, util::SubscriberInitExt};

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error(
        "RUST_LOG={filter:?} is not a valid filter (e.g. `info` or `info,tonic=debug`): {source}"
    )]
    Filter {
        filter: String,
        source: tracing_subscriber::filter::ParseError,
    },
    #[error("a global logger is already installed: {0}")]
    AlreadySet(#[from] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber.
///
/// `RUST_LOG` takes `target=level` directives; the span-based syntax of
/// `EnvFilter` is not supported, which keeps regex out of the build.
pub fn init(filter: &str) -> Result<(), TelemetryError> {
    let targets: Targets = filter.parse().map_err(|source| TelemetryError::Filter {
        filter: filter.to_owned(),
        source,
    })?;
    let json = tracing_subscriber::fmt::layer()
        .json()
        // Fields at the top level ({"message":"listening","addr":...}) are
        // easier to query than nested under "fields".
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(std::io::stdout)
        .with_filter(targets);
    tracing_subscriber::registry().with(json).try_init()?;
    Ok(())
}
