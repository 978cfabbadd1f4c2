//! Under overload the worker sheds calls with `RESOURCE_EXHAUSTED` before
//! decoding them, so refusals come back fast, and the calls it accepts
//! succeed. The server runs in this process with a small `MAX_IN_FLIGHT`:
//! room for two full batches at a time, while 24 callers send four each.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use std::thread;
use tokio::{net::TcpListener, sync::oneshot, task::JoinSet};
use tonic::{Code, transport::Channel};
use worker_kit::{
    model::Model,
    pb::{ScoreBatchRequest, ScoreRequest, scoring_service_client::ScoringServiceClient},
    server::{self, ServeOptions},
    shed::ITEMS_PER_PERMIT,
};

const BATCH: usize = 1000;
const CALLERS: usize = 24;
const CALLS_EACH: usize = 4;

/// The engine's test model; which model serves does not matter here.
fn fixture_model() -> Model {
    Model::from_json(include_str!("../../worker-model/testdata/model.json")).unwrap()
}

/// A full batch of requests shaped like the shared vectors' (every model
/// feature present), ~200 bytes each.
fn full_batch() -> ScoreBatchRequest {
    let numeric = [
        "amount",
        "account_age_days",
        "txn_count_24h",
        "avg_amount_30d",
        "distance_from_home_km",
        "hour_of_day",
    ];
    let categorical = [
        ("country", "US"),
        ("channel", "web"),
        ("merchant_category", "travel"),
    ];
    let requests = (0..BATCH)
        .map(|i| ScoreRequest {
            id: format!("txn-{i:04}"),
            numeric_features: numeric
                .iter()
                .map(|name| ((*name).to_owned(), (i % 97) as f64))
                .collect(),
            categorical_features: categorical
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        })
        .collect();
    ScoreBatchRequest {
        requests,
        ..Default::default()
    }
}

/// Serves on its own runtime and threads, as the worker binary does, so
/// the callers' work does not share them; returns the address and the
/// sender that stops it.
fn start_worker(max_in_flight: usize) -> (String, oneshot::Sender<()>, thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let options = ServeOptions {
        max_in_flight,
        shutdown_grace: Duration::from_secs(1),
        keepalive: worker_kit::config::Keepalive {
            interval: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
        },
    };
    let server = thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            let model = Arc::new(fixture_model());
            let shutdown = async {
                let _ = stopped.await;
            };
            server::serve(listener, model, options, shutdown)
                .await
                .unwrap();
        });
    });
    (addr, stop, server)
}

/// The `q` quantile (0 to 1) of `times`, nearest rank.
fn quantile(mut times: Vec<Duration>, q: f64) -> Duration {
    times.sort();
    let rank = (q * times.len() as f64).ceil() as usize;
    times[rank.clamp(1, times.len()) - 1]
}

fn median(times: Vec<Duration>) -> Duration {
    quantile(times, 0.5)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_shed_fast_and_accepted_calls_succeed() {
    // Two full batches' worth of permits.
    let (addr, stop, server) = start_worker(2 * BATCH.div_ceil(ITEMS_PER_PERMIT));
    let batch = full_batch();

    // Unloaded: one call at a time, for comparison.
    let channel = Channel::from_shared(addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = ScoringServiceClient::new(channel);
    let mut unloaded = Vec::new();
    for _ in 0..CALLS_EACH * 2 {
        let start = Instant::now();
        client.score_batch(batch.clone()).await.unwrap();
        unloaded.push(start.elapsed());
    }

    let overload = Instant::now();
    let mut callers = JoinSet::new();
    for _ in 0..CALLERS {
        // A connection per caller, as separate clients would have.
        let channel = Channel::from_shared(addr.clone())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = ScoringServiceClient::new(channel);
        let batch = batch.clone();
        callers.spawn(async move {
            let mut results = Vec::new();
            for _ in 0..CALLS_EACH {
                let start = Instant::now();
                let result = client.score_batch(batch.clone()).await;
                let result = result.map(|r| r.into_inner().responses.len());
                results.push((result.map_err(|s| s.code()), start.elapsed()));
            }
            results
        });
    }
    let (mut accepted, mut shed) = (Vec::new(), Vec::new());
    while let Some(results) = callers.join_next().await {
        for (result, elapsed) in results.unwrap() {
            match result {
                Ok(responses) => {
                    assert_eq!(responses, BATCH);
                    accepted.push(elapsed);
                }
                Err(Code::ResourceExhausted) => shed.push(elapsed),
                Err(code) => panic!("a call ended with {code:?}, not OK or RESOURCE_EXHAUSTED"),
            }
        }
    }
    let elapsed = overload.elapsed();
    eprintln!(
        "unloaded p99 {:?}; under overload: {} accepted (p50 {:?}, p99 {:?}, {:.0} items/s), \
         {} shed (p50 {:?}, p99 {:?})",
        quantile(unloaded, 0.99),
        accepted.len(),
        median(accepted.clone()),
        quantile(accepted.clone(), 0.99),
        (accepted.len() * BATCH) as f64 / elapsed.as_secs_f64(),
        shed.len(),
        median(shed.clone()),
        quantile(shed.clone(), 0.99),
    );
    assert!(!shed.is_empty(), "nothing was shed");
    assert!(!accepted.is_empty(), "nothing was accepted");

    // The worker times each refusal itself, from the call's arrival to its
    // answer: one observation per shed call, each no longer than the
    // caller's own wait, which adds the client and the connection.
    let text = worker_kit::metrics::render();
    let count = sample(
        &text,
        "scoring_shed_duration_seconds_count{rpc_method=\"ScoreBatch\"}",
    );
    let sum = sample(
        &text,
        "scoring_shed_duration_seconds_sum{rpc_method=\"ScoreBatch\"}",
    );
    assert_eq!(count, shed.len() as f64, "shed calls the worker timed");
    assert!(
        sum > 0.0 && sum <= shed.iter().map(Duration::as_secs_f64).sum::<f64>(),
        "worker-side shed time {sum}s exceeds what the callers waited"
    );
    // A refusal costs no decoding or scoring, so the worker answers it sooner
    // than it serves a call. Compared on the worker's own clock: what the
    // callers see adds queueing in their clients and connections, which on
    // a busy machine is most of both waits (a CI run saw a shed median of
    // 179 ms against 166 ms for accepted calls, client-side). And by
    // medians, read from the histograms' buckets against the claim (the
    // shed median at its bucket's top, the served one at its bucket's
    // bottom): a mean follows its tail, where a few refusals that wait out a
    // busy machine's scheduler slices outweigh all the others. Ten runs
    // beside a cargo build: shed medians under 20 µs but means up to 750 µs,
    // served medians from 1.6 ms.
    let shed_median = histogram_median(
        &text,
        worker_kit::telemetry::names::SCORING_SHED_DURATION_SECONDS.name,
        &[("rpc_method", "ScoreBatch")],
    );
    let served_median = histogram_median(
        &text,
        worker_kit::telemetry::names::RPC_SERVER_CALL_DURATION_SECONDS.name,
        &[("rpc_method", "ScoreBatch"), ("rpc_grpc_status_code", "0")],
    );
    assert!(
        shed_median.end <= served_median.start,
        "shedding (median in {shed_median:?} s) is not faster than serving \
         (median in {served_median:?} s), worker-side",
    );

    let _ = stop.send(());
    server.join().unwrap();
}

/// The bucket (between two `le` bounds, in seconds) that holds the median
/// of the histogram `name`'s series with `labels` (in any order) in the
/// Prometheus text `text`.
fn histogram_median(text: &str, name: &str, labels: &[(&str, &str)]) -> std::ops::Range<f64> {
    let prefix = format!("{name}_bucket{{");
    // (upper bound, cumulative count), in the order written: ascending.
    let buckets: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|line| {
            let (set, value) = line.strip_prefix(&prefix)?.split_once("} ")?;
            let pairs: Vec<&str> = set.split(',').collect();
            let has = |(k, v): &(&str, &str)| pairs.contains(&format!("{k}=\"{v}\"").as_str());
            if !labels.iter().all(has) {
                return None;
            }
            let le = pairs.iter().find_map(|p| p.strip_prefix("le=\""))?;
            let le = le.trim_end_matches('"');
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, value.trim().parse().ok()?))
        })
        .collect();
    let total = buckets
        .last()
        .unwrap_or_else(|| panic!("{name} {labels:?} not in /metrics:\n{text}"))
        .1;
    let rank = (total / 2.0).ceil().max(1.0);
    let at = buckets.iter().position(|&(_, n)| n >= rank).unwrap();
    let start = if at == 0 { 0.0 } else { buckets[at - 1].0 };
    start..buckets[at].0
}

/// The value of the sample `series` (name and labels as written) in the
/// Prometheus text `text`.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} not in /metrics:\n{text}"))
}
