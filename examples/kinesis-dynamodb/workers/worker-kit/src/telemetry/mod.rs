//! JSON logs on stdout, one object per line, for container log collectors;
//! spans exported over OTLP when the `OTEL_*` environment asks for it
//! ([`otel`]); and the gRPC layer that gives each call its server span
//! ([`rpc`]).

mod deadline;
mod json;
pub mod names;
pub mod otel;
pub mod rpc;

use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::{Level, Subscriber};
use tracing_subscriber::{
    Layer,
    filter::Targets,
    fmt::{MakeWriter, format::JsonFields},
    layer::SubscriberExt,
    registry::LookupSpan,
    util::SubscriberInitExt,
};

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
    #[error(transparent)]
    Export(#[from] otel::ExportError),
    #[error("a global logger is already installed: {0}")]
    AlreadySet(#[from] tracing_subscriber::util::TryInitError),
}

/// What [`init`] set up that must be shut down at exit.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans not yet exported, within [`otel::FLUSH_TIMEOUT`].
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            otel::shutdown(provider);
        }
    }
}

/// Installs the global subscriber: JSON logs filtered by `filter`, and
/// trace export if configured. Call it inside the tokio runtime.
///
/// `RUST_LOG` takes `target=level` directives; the span-based syntax of
/// `EnvFilter` is not supported, which keeps regex out of the build.
pub fn init(filter: &str) -> Result<Telemetry, TelemetryError> {
    let targets: Targets = filter.parse().map_err(|source| TelemetryError::Filter {
        filter: filter.to_owned(),
        source,
    })?;
    let provider = otel::provider()?;
    let tracer = provider.as_ref().map(otel::tracer);
    subscriber(targets, tracer, std::io::stdout).try_init()?;
    Ok(Telemetry { provider })
}

/// The worker's subscriber, writing logs to `writer`: what [`init`]
/// installs, and what the tests install with an in-memory exporter.
pub fn subscriber<W>(
    log_filter: Targets,
    tracer: Option<SdkTracer>,
    writer: W,
) -> impl Subscriber + for<'a> LookupSpan<'a> + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let format = tracing_subscriber::fmt::format()
        .json()
        // Fields at the top level ({"message":"listening","addr":...}) are
        // easier to query than nested under "fields".
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false);
    let logs = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(json::WithTraceIds(format))
        .with_writer(writer)
        .with_filter(log_filter);
    // Only this crate's spans are exported: the call and its phases, not the
    // HTTP/2 internals of tonic and h2.
    let traces = tracer.map(|tracer| {
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(Targets::new().with_target(env!("CARGO_CRATE_NAME"), Level::INFO))
    });
    tracing_subscriber::registry().with(logs).with(traces)
}

#[cfg(test)]
mod tests;
