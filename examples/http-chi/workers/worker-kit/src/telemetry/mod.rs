//! JSON logs on stdout, one object per line, for container log collectors;
//! spans exported over OTLP when the `OTEL_*` environment asks for it
//! ([`otel`]); and the gRPC layer that gives each call its server span
//! ([`rpc`]).

mod deadline;
mod json;
pub mod names;
pub mod otel;
pub mod rpc;

use std::sync::Mutex;

use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::{Level, Subscriber};
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::{
    Layer, Registry,
    filter::{FilterExt, Targets, filter_fn},
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

/// Log lines queued for stdout's writer thread at most; past it a line is
/// dropped, and counted (`/metrics`), rather than waited for. A blocked
/// stdout (a full pipe, a stalled log collector) then stalls no runtime
/// thread, which each wrote its lines on, under a lock, while it held
/// calls. At ~300 bytes a line this is ~2.5 MiB; tracing-appender's default
/// (128,000 lines) would let the queue grow to ~40 MiB, four times what the
/// worker takes otherwise.
pub const LOG_QUEUE_LINES: usize = 8_192;

/// The stdout writer's guard: dropping it writes out the queued lines.
/// Global so an exit that skips the normal return ([`flush_logs`]) can too.
static LOG_WRITER: Mutex<Option<WorkerGuard>> = Mutex::new(None);

/// Writes out the log lines still queued (waiting at most a second, as
/// tracing-appender does); later lines are dropped. Call it last, before
/// the process exits.
pub fn flush_logs() {
    let guard = LOG_WRITER.lock().map(|mut held| held.take());
    drop(guard);
}

/// What [`init`] set up that must be shut down at exit.
#[derive(Debug)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans not yet exported, within [`otel::FLUSH_TIMEOUT`], then
    /// the log lines still queued.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            otel::shutdown(provider);
        }
        flush_logs();
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
    let (stdout, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("log-writer")
        .finish(std::io::stdout());
    crate::metrics::count_dropped_log_lines(stdout.error_counter());
    subscriber(targets, tracer, stdout).try_init()?;
    if let Ok(mut held) = LOG_WRITER.lock() {
        *held = Some(guard);
    }
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
    // Events only: a log line takes its trace ids from the OpenTelemetry
    // context (json.rs), never a span's fields. With spans let through too,
    // each call's five spans had their fields formatted into strings no line
    // prints: 3.2 µs a call (release build, one core).
    let logs = tracing_subscriber::fmt::layer()
        .fmt_fields(JsonFields::new())
        .event_format(json::WithTraceIds(format))
        .with_writer(writer)
        .with_filter(log_filter.and(filter_fn(|meta| meta.is_event())))
        .boxed();
    // Only this crate's spans are exported: the call and its phases, not the
    // HTTP/2 internals of tonic and h2. Left out when export is off, not
    // added as `None`: an absent `Option` layer enables every span, which
    // the registry then builds for nobody (1.3 µs a call; disabled, 4 ns).
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![logs];
    if let Some(tracer) = tracer {
        let traces = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(Targets::new().with_target(env!("CARGO_CRATE_NAME"), Level::INFO));
        layers.push(traces.boxed());
    }
    tracing_subscriber::registry().with(layers)
}

#[cfg(test)]
mod tests;
