//! Trace export over OTLP, configured only by the standard `OTEL_*`
//! environment variables, so the worker is set up like every other
//! OpenTelemetry SDK (and like the orchestrator).
//!
//! Export is on only when `OTEL_EXPORTER_OTLP_ENDPOINT` or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (and `OTEL_SDK_DISABLED` is not
//! `true`, nor `OTEL_TRACES_EXPORTER` `none`). Without it no OpenTelemetry
//! layer is installed: spans are plain `tracing` spans that nothing records.
//! The SDK itself reads the rest: `OTEL_EXPORTER_OTLP_PROTOCOL` (`grpc` or
//! `http/protobuf`, the default), `OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_TRACES_SAMPLER` and `_ARG`,
//! `OTEL_BSP_SCHEDULE_DELAY` and the other batch settings.

use std::{sync::mpsc, thread, time::Duration};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::SpanExporter;
use opentelemetry_sdk::{
    Resource,
    resource::{
        EnvResourceDetector, ResourceDetector, SdkProvidedResourceDetector,
        TelemetryResourceDetector,
    },
    runtime,
    trace::{SdkTracer, SdkTracerProvider, span_processor_with_async_runtime::BatchSpanProcessor},
};

/// How long shutdown waits for the last spans to be sent. The drain budget
/// (`SHUTDOWN_GRACE_SECS`) is spent by then; whatever stops the worker waits
/// 25 s in all, this flush and time to exit included.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(2);

/// Why trace export could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up OTLP trace export (check OTEL_EXPORTER_OTLP_*): {0}")]
pub struct ExportError(#[from] opentelemetry_otlp::ExporterBuildError);

/// Whether the `OTEL_*` variables (read through `var`) ask for trace export.
pub fn export_enabled(var: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
    let is =
        |name: &str, value: &str| var(name).is_some_and(|v| v.trim().eq_ignore_ascii_case(value));
    (set("OTEL_EXPORTER_OTLP_ENDPOINT") || set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        && !is("OTEL_SDK_DISABLED", "true")
        && !is("OTEL_TRACES_EXPORTER", "none")
}

/// The tracer provider exporting to the configured endpoint, or `None` if
/// export is off. Call it inside the tokio runtime: the batch processor runs
/// on it, which the async HTTP and gRPC clients need.
pub fn provider() -> Result<Option<SdkTracerProvider>, ExportError> {
    if !export_enabled(|name| std::env::var(name).ok()) {
        return Ok(None);
    }
    // The protocol comes from OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL.
    let exporter = SpanExporter::builder().build()?;
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
    Ok(Some(
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(resource())
            .build(),
    ))
}

/// The spans' resource, named as the specification orders it (and as the
/// orchestrator's SDK does): `OTEL_SERVICE_NAME`, else a `service.name` entry
/// of `OTEL_RESOURCE_ATTRIBUTES`, else the worker's name.
///
/// Not `Resource::builder()`: its resource attributes override
/// `OTEL_SERVICE_NAME`, and unnamed it says `unknown_service`.
fn resource() -> Resource {
    let detectors: [Box<dyn ResourceDetector>; 2] = [
        Box::new(TelemetryResourceDetector),
        Box::new(EnvResourceDetector::new()),
    ];
    let resource = Resource::builder_empty()
        .with_service_name(env!("CARGO_PKG_NAME"))
        .with_detectors(&detectors);
    // Given OTEL_SERVICE_NAME (the SDK ignores an empty one), this detector
    // returns it; without, it would replace the worker's name by
    // `unknown_service`.
    if std::env::var("OTEL_SERVICE_NAME").is_ok_and(|name| !name.is_empty()) {
        resource
            .with_detector(Box::new(SdkProvidedResourceDetector))
            .build()
    } else {
        resource.build()
    }
}

/// The tracer the `tracing` layer records spans with.
pub fn tracer(provider: &SdkTracerProvider) -> SdkTracer {
    provider.tracer(env!("CARGO_PKG_NAME"))
}

/// Sends the spans still queued, waiting at most [`FLUSH_TIMEOUT`]. Call it
/// while the runtime still runs: the batch processor's task does the sending.
pub fn shutdown(provider: SdkTracerProvider) {
    // The SDK's shutdown blocks until the exporter gives up (its own timeout
    // is 10 s), so it runs on a helper thread that is abandoned if slow.
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(provider.shutdown());
    });
    match finished.recv_timeout(FLUSH_TIMEOUT) {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "could not flush traces"),
        Err(_) => tracing::warn!(
            timeout_secs = FLUSH_TIMEOUT.as_secs_f64(),
            "trace flush timed out; unsent spans are dropped"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use opentelemetry::Key;

    use super::*;

    /// Set in the child process that [`resource_in_this_process`] runs in.
    const CHILD: &str = "WORKER_OTEL_RESOURCE_TEST_CHILD";
    /// Starts the child's line that reports the resource.
    const REPORT: &str = "resource: ";

    /// The `service.name` and `deployment.environment` of the resource built
    /// with `vars` (and no other `OTEL_SERVICE_NAME` or
    /// `OTEL_RESOURCE_ATTRIBUTES`) set. The detectors read the process
    /// environment, which tests running in parallel must not change, so the
    /// resource is built in a child: this test binary running only
    /// [`resource_in_this_process`].
    fn resource_under(vars: &[(&str, &str)]) -> String {
        let path = concat!(module_path!(), "::resource_in_this_process");
        // Test names leave out the crate's name.
        let (_, test) = path.split_once("::").expect("a path in the crate");
        let out = Command::new(std::env::current_exe().expect("the test binary"))
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env_remove("OTEL_SERVICE_NAME")
            .env_remove("OTEL_RESOURCE_ATTRIBUTES")
            .env(CHILD, "1")
            .envs(vars.iter().copied())
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{test} failed: {stdout}");
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(REPORT))
            .unwrap_or_else(|| panic!("{test} reported no resource: {stdout}"))
            .to_owned()
    }

    /// Reports the resource when run by [`resource_under`]; on its own, a no-op.
    #[test]
    fn resource_in_this_process() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        let resource = resource();
        let value = |key: &'static str| resource.get(&Key::new(key)).map(|v| v.to_string());
        // On a line of its own: the harness's own output shares the stream.
        println!(
            "\n{REPORT}{} {}",
            value("service.name").unwrap_or_default(),
            value("deployment.environment").unwrap_or_default()
        );
    }

    #[test]
    fn service_name_follows_the_specification() {
        let worker = env!("CARGO_PKG_NAME");
        let attributes = (
            "OTEL_RESOURCE_ATTRIBUTES",
            "deployment.environment=dev, service.name = from-attributes",
        );
        let cases: [(&[(&str, &str)], String); 5] = [
            (&[], format!("{worker} ")),
            (&[("OTEL_SERVICE_NAME", "named")], "named ".into()),
            (&[attributes], "from-attributes dev".into()),
            (
                &[attributes, ("OTEL_SERVICE_NAME", "named")],
                "named dev".into(),
            ),
            (
                &[attributes, ("OTEL_SERVICE_NAME", "")],
                "from-attributes dev".into(),
            ),
        ];
        for (vars, want) in cases {
            assert_eq!(resource_under(vars), want, "with {vars:?}");
        }
    }

    fn enabled(vars: &[(&str, &str)]) -> bool {
        export_enabled(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn export_needs_an_endpoint() {
        assert!(!enabled(&[]));
        assert!(!enabled(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]));
        assert!(!enabled(&[("OTEL_SERVICE_NAME", "scorer")]));
        assert!(enabled(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318")]));
        assert!(enabled(&[(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "http://c:4317"
        )]));
    }

    #[test]
    fn export_can_be_switched_off() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318");
        assert!(!enabled(&[endpoint, ("OTEL_SDK_DISABLED", "TRUE")]));
        assert!(!enabled(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]));
        assert!(enabled(&[endpoint, ("OTEL_SDK_DISABLED", "false")]));
    }
}
