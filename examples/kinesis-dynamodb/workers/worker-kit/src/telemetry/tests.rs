//! The worker's telemetry end to end in one process: a real gRPC call over
//! loopback, spans caught in memory as they end, log lines by a
//! buffer, and `/metrics` read over HTTP.

use std::{
    io::Write,
    sync::{Arc, Mutex, Once},
    time::Duration,
};

use opentelemetry::{
    SpanId, TraceId, Value,
    trace::{SpanKind, TracerProvider as _},
};
use opentelemetry_sdk::{
    error::OTelSdkResult,
    trace::{SdkTracerProvider, SpanData, SpanExporter},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};
use tracing_subscriber::{
    Registry,
    filter::Targets,
    fmt::{FormattedFields, MakeWriter, format::JsonFields},
    registry::{LookupSpan, SpanData as _},
};

use super::{names, subscriber};
use crate::{
    metrics,
    pb::{
        ScoreRequest, scoring_service_client::ScoringServiceClient,
        scoring_service_server::ScoringService as _,
    },
    server::{self, ServeOptions},
};

/// Log lines written to memory.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).expect("log lines are JSON"))
            .collect()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Spans as they end, kept in memory.
///
/// Not the SDK's `InMemorySpanExporter`: that one is behind the SDK's
/// `testing` feature, which also turns on its metrics and logs. As a
/// dev-dependency feature it gave the test build its own copy of the whole
/// OpenTelemetry stack (sdk, otlp, proto, tracing-opentelemetry), so a
/// `cargo build` after `cargo test` compiled that stack a second time.
#[derive(Clone, Debug, Default)]
struct Spans(Arc<Mutex<Vec<SpanData>>>);

impl Spans {
    fn finished(&self) -> Vec<SpanData> {
        self.0.lock().unwrap().clone()
    }
}

impl SpanExporter for Spans {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

/// A subscriber like the worker's, exporting every span as it ends.
///
/// `tracing` caches whether a callsite is enabled once for the whole
/// process, asking the subscriber of the thread that reaches it first. A
/// test running beside this one with no subscriber would cache "never" for
/// the server's spans, and they would be missing here whatever the timing of
/// their export (which is synchronous, as each ends). A bare registry as the
/// global default answers for such threads: a callsite's interest is then
/// never "never", and each thread's own subscriber decides. Installing it
/// (and each test's subscriber) re-asks every callsite already cached.
fn capture() -> (tracing::subscriber::DefaultGuard, Spans, Logs) {
    baseline();
    let exporter = Spans::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let logs = Logs::default();
    let filter: Targets = "info".parse().unwrap();
    let tracer = provider.tracer("test");
    let guard = tracing::subscriber::set_default(subscriber(filter, Some(tracer), logs.clone()));
    (guard, exporter, logs)
}

/// The bare global registry [`capture`] describes, installed once.
fn baseline() {
    static BASELINE: Once = Once::new();
    BASELINE.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry())
            .expect("no other global subscriber in the unit tests");
    });
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

#[test]
fn a_log_line_in_a_span_carries_its_trace_and_span_ids() {
    let (_guard, exporter, logs) = capture();
    tracing::info_span!("work").in_scope(|| tracing::info!("inside"));
    tracing::info!("outside");

    let spans = exporter.finished();
    let span = spans
        .iter()
        .find(|s| s.name == "work")
        .expect("span exported");
    let lines = logs.lines();
    let inside = lines.iter().find(|l| l["message"] == "inside").unwrap();
    assert_eq!(inside["trace_id"], span.span_context.trace_id().to_string());
    assert_eq!(inside["span_id"], span.span_context.span_id().to_string());
    let outside = lines.iter().find(|l| l["message"] == "outside").unwrap();
    assert!(outside.get("trace_id").is_none(), "{outside}");
}

#[test]
fn spans_are_made_for_the_exporter_alone() {
    baseline();
    // Export off: a call's spans cost nothing, as no layer wants them. Asked
    // of the subscriber alone, as the worker's only one: the macros here
    // would also ask the baseline, which wants every callsite.
    let off = tracing::Dispatch::new(subscriber("info".parse().unwrap(), None, Logs::default()));
    for span in [tracing::info_span!("rpc"), tracing::warn_span!("rpc")] {
        let metadata = span.metadata().expect("a span from a macro has metadata");
        assert!(off.register_callsite(metadata).is_never(), "{metadata:?}");
    }
    // Export on: made, but the log layer formats no fields it never prints.
    let provider = SdkTracerProvider::builder().build();
    let tracer = provider.tracer("test");
    let on = tracing::Dispatch::new(subscriber(
        "info".parse().unwrap(),
        Some(tracer),
        Logs::default(),
    ));
    tracing::dispatcher::with_default(&on, || {
        let span = tracing::info_span!("rpc", rpc.method = "Score");
        let id = span.id().expect("an exported span is made");
        let registry = on.downcast_ref::<Registry>().expect("a registry beneath");
        let data = registry.span_data(&id).expect("the span is live");
        let formatted = data
            .extensions()
            .get::<FormattedFields<JsonFields>>()
            .is_some();
        assert!(!formatted, "the log layer formatted the span's fields");
    });
}

/// GETs `/metrics` with a bare HTTP/1.1 request and returns the body.
async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").unwrap().1.to_owned()
}

/// The `_count` of the call histogram for OK `Score` calls.
fn ok_score_calls(text: &str) -> u64 {
    let series = format!(
        "{}_count{{rpc_grpc_status_code=\"0\",rpc_method=\"Score\"}} ",
        names::RPC_SERVER_CALL_DURATION_SECONDS.name
    );
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test] // One thread: the subscriber set for this test sees the server too.
async fn a_call_continues_the_callers_trace_and_is_counted() {
    let (_guard, exporter, _logs) = capture();
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = metrics_listener.local_addr().unwrap();
    tokio::spawn(metrics::serve(metrics_listener, std::future::pending()));
    let before = ok_score_calls(&scrape(metrics_addr).await);

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ServeOptions {
        max_in_flight: 4,
        shutdown_grace: Duration::from_secs(1),
        keepalive: crate::config::Keepalive {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        },
    };
    let model = Arc::new(crate::fixture_model());
    // A test beside this one with no subscriber reaching the service's spans
    // first, as the service's own tests do: that must not hide them here.
    let untraced = crate::service::ScoringService::new(Arc::clone(&model), 4);
    std::thread::spawn(move || {
        let request = tonic::Request::new(ScoreRequest {
            id: "untraced".into(),
            ..Default::default()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(untraced.score(request)).unwrap();
    })
    .join()
    .unwrap();
    let server = tokio::spawn(server::serve(listener, model, options, async {
        let _ = stopped.await;
    }));

    let caller_trace = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
    let caller_span = SpanId::from_hex("00f067aa0ba902b7").unwrap();
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = ScoringServiceClient::new(channel);
    let mut request = tonic::Request::new(ScoreRequest {
        id: "traced".into(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{caller_trace}-{caller_span}-01")
            .parse()
            .unwrap(),
    );
    client.score(request).await.unwrap();
    drop(client);
    let _ = stop.send(());
    server.await.unwrap().unwrap();

    let spans = exporter.finished();
    let named = |name: &str| spans.iter().find(|s| s.name == name);
    let call = named(names::SCORE_RPC_SPAN).expect("server span exported");
    assert_eq!(call.span_kind, SpanKind::Server);
    assert_eq!(call.span_context.trace_id(), caller_trace);
    assert_eq!(call.parent_span_id, caller_span);
    assert_eq!(attribute(call, "rpc.system"), Some(&Value::from("grpc")));
    assert_eq!(attribute(call, "rpc.method"), Some(&Value::from("Score")));
    assert_eq!(
        attribute(call, "rpc.grpc.status_code"),
        Some(&Value::I64(0))
    );
    for phase in [
        names::DECODE_SPAN,
        names::VALIDATE_SPAN,
        names::QUEUE_SPAN,
        names::SCORE_SPAN,
    ] {
        let span = named(phase).unwrap_or_else(|| panic!("no {phase} span"));
        assert_eq!(span.parent_span_id, call.span_context.span_id(), "{phase}");
        assert_eq!(span.span_context.trace_id(), caller_trace, "{phase}");
    }

    let text = scrape(metrics_addr).await;
    assert!(ok_score_calls(&text) > before, "{text}");
    assert!(text.contains(names::SCORING_MODEL_INFO.name), "{text}");
}
