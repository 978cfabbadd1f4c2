//! Single-core scoring throughput of the worker's model, for `make bench`:
//! the Rust half of "is the gRPC hop to Rust paying for itself" (the Go half
//! is `orchestrator/internal/benchmodel`, timed by `cmd/loadgen`).
//!
//! ```sh
//! cargo run --release --example scorer_bench_model -- ../testdata/vectors.json 1.0 3
//! ```
//!
//! Arguments: vectors file, seconds per round, rounds. Prints one JSON object:
//! the median over rounds of `single` (one `Model::score` after another) and
//! `batch` (the service's batch path, `service::respond_batch`: a 1000-request
//! batch in, its responses out, on a one-thread rayon pool so it stays on one
//! core, timed from inside the pool: waking the pool's thread is scheduling,
//! not scoring, and on a busy machine it varied the figure by a third; the
//! service pays that hop once per call, inside the per-call cost the gRPC
//! rows of `make bench` measure), with the compiled trees (`compiled` says whether the model was
//! compiled in) and, as `interpreted_*`, with the flat walk.

// Every worker crate shares this code; the alias keeps it identical across them.
use scorer as worker;

use std::{
    collections::HashMap,
    env,
    error::Error,
    fs,
    hint::black_box,
    time::{Duration, Instant},
};

use serde::Deserialize;
use worker::model::{self, Model};
use worker_kit::{
    pb::{ScoreRequest, ScoreResponse},
    service,
};

/// Requests per batch: the contract's maximum, and the size loadgen uses.
const BATCH_SIZE: usize = 1000;

#[derive(Deserialize)]
struct Vectors {
    vectors: Vec<Vector>,
}

#[derive(Deserialize)]
struct Vector {
    request: Features,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Features {
    #[serde(default)]
    numeric_features: HashMap<String, f64>,
    #[serde(default)]
    categorical_features: HashMap<String, String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../testdata/vectors.json".into());
    let seconds: f64 = args.next().map_or(Ok(1.0), |s| s.parse())?;
    let rounds: usize = args.next().map_or(Ok(3), |s| s.parse())?;
    let round = Duration::from_secs_f64(seconds);

    let model = model::embedded()?;
    let vectors: Vectors = serde_json::from_str(&fs::read_to_string(&path)?)?;
    let requests: Vec<ScoreRequest> = (0..BATCH_SIZE)
        .map(|i| {
            let v = &vectors.vectors[i % vectors.vectors.len()].request;
            ScoreRequest {
                id: format!("bench-{i}"),
                numeric_features: v.numeric_features.clone(),
                categorical_features: v.categorical_features.clone(),
            }
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    // The same model scored by its compiled trees (when the binary was built
    // from this model/model.json and it is small enough to compile) and by
    // the flat walk a MODEL_PATH override gets, round by round.
    let compiled = model.is_compiled();
    let interpreted = model::embedded()?.interpreted();

    let mut figures: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        for (m, at) in [(&model, 0), (&interpreted, 2)] {
            let (single, batch) = measure(m, &requests, &pool, round);
            figures[at].push(single);
            figures[at + 1].push(batch);
        }
    }
    let [single, batch, flat_single, flat_batch] = figures.map(median);
    println!(
        "{{\"language\":\"rust\",\"rounds\":{rounds},\"batch_size\":{BATCH_SIZE},\"compiled\":{compiled},\"single_per_s\":{single:.0},\"batch_items_per_s\":{batch:.0},\"interpreted_single_per_s\":{flat_single:.0},\"interpreted_batch_items_per_s\":{flat_batch:.0}}}"
    );
    Ok(())
}

/// `single` (one `Model::score` after another) and `batch` (the service's
/// batch path) items per second of `model` over about `round` each.
fn measure(
    model: &Model,
    requests: &[ScoreRequest],
    pool: &rayon::ThreadPool,
    round: Duration,
) -> (f64, f64) {
    let single = rate(round, || {
        for r in requests {
            black_box(model.score(&r.numeric_features, &r.categorical_features));
        }
        requests.len()
    });
    let batch = pool.install(|| {
        rate(round, || {
            // The service takes the ids out of its decoded batch and frees the
            // rest after replying, so copying the batch (decoding, there) and
            // freeing it are outside the clock. Building and freeing the
            // responses is inside.
            let mut owned = requests.to_vec();
            let started = Instant::now();
            let out: Vec<ScoreResponse> = service::respond_batch(model, &mut owned);
            black_box(out);
            let elapsed = started.elapsed();
            drop(owned);
            (BATCH_SIZE, elapsed)
        })
    });
    (single, batch)
}

/// Items per second of `work` over about `round`. `work` returns how many
/// items it scored and, if it timed itself, the time that counts.
fn rate<T: Timed>(round: Duration, mut work: impl FnMut() -> T) -> f64 {
    let started = Instant::now();
    let (mut items, mut busy) = (0usize, Duration::ZERO);
    while started.elapsed() < round {
        let t = Instant::now();
        let (n, timed) = work().split();
        items += n;
        busy += timed.unwrap_or_else(|| t.elapsed());
    }
    items as f64 / busy.as_secs_f64()
}

trait Timed {
    fn split(self) -> (usize, Option<Duration>);
}

impl Timed for usize {
    fn split(self) -> (usize, Option<Duration>) {
        (self, None)
    }
}

impl Timed for (usize, Duration) {
    fn split(self) -> (usize, Option<Duration>) {
        (self.0, Some(self.1))
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}
