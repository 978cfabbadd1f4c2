//! Prometheus metrics, served as text on `/metrics` at `METRICS_ADDR`.
//!
//! The `prometheus` crate (the Prometheus client library for Rust, kept by
//! TiKV): one small dependency that also collects the Linux process metrics
//! (`process_cpu_seconds_total`, `process_resident_memory_bytes`, …) the Go
//! orchestrator's client exposes too. The OpenTelemetry metrics SDK with its
//! Prometheus exporter would pull a second metrics pipeline into the build for
//! the same text; `metrics-exporter-prometheus` brings its own HTTP stack and
//! no process metrics.

use std::{
    future::Future,
    sync::{Arc, LazyLock, Mutex, OnceLock},
    time::Duration,
};

use axum::{Router, http::header, routing::get};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder, exponential_buckets,
};
use tokio::{net::TcpListener, sync::Semaphore};
use tracing_appender::non_blocking::ErrorCounter;

use crate::telemetry::names::{self, MetricName};

/// The worker's collectors, in a registry of its own.
struct Metrics {
    registry: Registry,
    call_duration: HistogramVec,
    batch_items: Histogram,
    shed_calls: IntCounterVec,
    shed_duration: HistogramVec,
    in_flight: IntGauge,
    admission_limit: IntGauge,
    pool_queue: Histogram,
    model_info: IntGaugeVec,
    log_lines_dropped: IntCounter,
    connections_refused: IntCounter,
}

/// The log writer's count of lines it dropped, read at each scrape.
static DROPPED_LOG_LINES: OnceLock<Mutex<ErrorCounter>> = OnceLock::new();

fn opts(metric: MetricName) -> Opts {
    Opts::new(metric.name, metric.help)
}

fn histogram(metric: MetricName, buckets: Vec<f64>) -> HistogramOpts {
    HistogramOpts::new(metric.name, metric.help).buckets(buckets)
}

fn register<C: prometheus::core::Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("metric names are unique");
    c
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    // A call takes from tens of microseconds (one score) to tens of
    // milliseconds (a full batch under load): 50 µs to ~1.6 s, doubling.
    let latency = || exponential_buckets(0.000_05, 2.0, 16).expect("valid buckets");
    let registry = Registry::new();
    #[cfg(target_os = "linux")]
    registry
        .register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("process metric names are unique");
    let r = &registry;
    let metrics = Metrics {
        call_duration: register(
            r,
            HistogramVec::new(
                histogram(names::RPC_SERVER_CALL_DURATION_SECONDS, latency()),
                &["rpc_method", "rpc_grpc_status_code"],
            )
            .expect("valid histogram"),
        ),
        batch_items: register(
            r,
            Histogram::with_opts(histogram(
                names::SCORING_BATCH_ITEMS,
                exponential_buckets(1.0, 2.0, 14).expect("valid buckets"),
            ))
            .expect("valid histogram"),
        ),
        shed_calls: register(
            r,
            IntCounterVec::new(opts(names::SCORING_SHED_CALLS_TOTAL), &["rpc_method"])
                .expect("valid counter"),
        ),
        // A refusal should take microseconds (the target is under 1 ms at
        // p99), finer than calls: 10 µs to ~1.3 s, doubling.
        shed_duration: register(
            r,
            HistogramVec::new(
                histogram(
                    names::SCORING_SHED_DURATION_SECONDS,
                    exponential_buckets(0.000_01, 2.0, 18).expect("valid buckets"),
                ),
                &["rpc_method"],
            )
            .expect("valid histogram"),
        ),
        in_flight: register(
            r,
            IntGauge::with_opts(opts(names::SCORING_IN_FLIGHT_CALLS)).expect("valid gauge"),
        ),
        admission_limit: register(
            r,
            IntGauge::with_opts(opts(names::SCORING_ADMISSION_LIMIT)).expect("valid gauge"),
        ),
        pool_queue: register(
            r,
            Histogram::with_opts(histogram(
                names::SCORING_POOL_QUEUE_DURATION_SECONDS,
                latency(),
            ))
            .expect("valid histogram"),
        ),
        model_info: register(
            r,
            IntGaugeVec::new(opts(names::SCORING_MODEL_INFO), &["model_version"])
                .expect("valid gauge"),
        ),
        log_lines_dropped: register(
            r,
            IntCounter::with_opts(opts(names::WORKER_LOG_LINES_DROPPED_TOTAL))
                .expect("valid counter"),
        ),
        connections_refused: register(
            r,
            IntCounter::with_opts(opts(names::WORKER_GRPC_CONNECTIONS_REFUSED_TOTAL))
                .expect("valid counter"),
        ),
        registry,
    };
    // Series exist from the start, so a scrape (and a rate() over it) sees
    // zero rather than nothing before the first call.
    for method in crate::telemetry::rpc::SCORING_METHODS {
        metrics.shed_calls.with_label_values(&[method]);
        metrics.shed_duration.with_label_values(&[method]);
        metrics.call_duration.with_label_values(&[method, "0"]);
    }
    metrics
});

/// gRPC status code of a call shed for load (`RESOURCE_EXHAUSTED`).
const RESOURCE_EXHAUSTED: i32 = 8;

/// Records one finished scoring call, `elapsed` from its arrival at the
/// server's outermost layer to its answer. A shed call's time is also the
/// worker's own share of what a refused client waits: what the client sees
/// beyond it is queueing in the client and on the connection.
pub fn record_call(method: &'static str, grpc_status: i32, elapsed: Duration) {
    let m = &*METRICS;
    let status = grpc_status.to_string();
    m.call_duration
        .with_label_values(&[method, status.as_str()])
        .observe(elapsed.as_secs_f64());
    if grpc_status == RESOURCE_EXHAUSTED {
        m.shed_calls.with_label_values(&[method]).inc();
        m.shed_duration
            .with_label_values(&[method])
            .observe(elapsed.as_secs_f64());
    }
}

/// Records the size of one `ScoreBatch` call.
pub fn record_batch_items(items: usize) {
    METRICS.batch_items.observe(items as f64);
}

/// Records a gRPC connection closed for the cap (`crate::connections`).
pub fn record_connection_refused() {
    METRICS.connections_refused.inc();
}

/// Records how long a job waited for the CPU pool.
pub fn record_pool_queue(waited: Duration) {
    METRICS.pool_queue.observe(waited.as_secs_f64());
}

/// Records the adaptive admission limit, in permits.
pub fn set_admission_limit(permits: usize) {
    METRICS
        .admission_limit
        .set(i64::try_from(permits).unwrap_or(i64::MAX));
}

/// Marks the model being served (value 1, the version as a label).
pub fn set_model(version: &str) {
    METRICS.model_info.reset();
    METRICS.model_info.with_label_values(&[version]).set(1);
}

/// A scoring call counted in the in-flight gauge until dropped, so a call
/// the client cancels is counted out too.
#[derive(Debug)]
pub struct InFlight(());

impl InFlight {
    pub fn start() -> Self {
        METRICS.in_flight.inc();
        Self(())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        METRICS.in_flight.dec();
    }
}

/// Counts on `/metrics` the lines the log writer dropped rather than block on a full stdout.
pub fn count_dropped_log_lines(dropped: ErrorCounter) {
    let _ = DROPPED_LOG_LINES.set(Mutex::new(dropped));
}

/// The current metrics in the Prometheus text format.
pub fn render() -> String {
    if let Some(dropped) = DROPPED_LOG_LINES.get() {
        // Under the lock, so two scrapes at once do not both add the same lines.
        if let Ok(dropped) = dropped.lock() {
            let total = u64::try_from(dropped.dropped_lines()).unwrap_or(u64::MAX);
            let counter = &METRICS.log_lines_dropped;
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&METRICS.registry.gather(), &mut out)
        .expect("text encoding into memory cannot fail");
    String::from_utf8(out).expect("the text format is UTF-8")
}

/// How long a `/metrics` connection may take to send a request's headers, and
/// stay idle between requests (hyper's header read timer starts when the
/// connection waits for a request). A scraper sends its headers at once, so
/// this only ends connections that send nothing, or trickle bytes, to hold the
/// listener (slowloris); Prometheus reconnects on its next scrape.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(3);

/// `/metrics` connections served at once. A worker is scraped by a
/// Prometheus or two and an occasional curl; a connection beyond this is
/// closed at once, so idle ones cannot take memory and tasks without bound.
pub const MAX_CONNECTIONS: usize = 8;

/// Serves `GET /metrics` on `listener` until `shutdown` resolves.
///
/// hyper's own HTTP/1 connection builder rather than `axum::serve`, which
/// sets no header read timeout and no connection limit: a client that
/// opened connections and sent nothing held each of them forever.
pub async fn serve(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(|| async { ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], render()) }),
    );
    let service = TowerToHyperService::new(app);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // A connection reset before it was accepted, or out of file
                // descriptors for now: neither stops the listener.
                Err(error) => {
                    tracing::debug!(%error, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        tokio::spawn(async move {
            // Its end (a timeout, a reset) is the client's business.
            let _ = connection.await;
            drop(slot);
        });
    }
}
