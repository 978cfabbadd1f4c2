//! Single-core scoring throughput of the worker's model, for `make bench`:
//! the Rust half of "is the gRPC hop to Rust paying for itself" (the Go half
//! is `orchestrator/internal/benchmodel`, timed by `cmd/loadgen`).
//!
//! ```sh
//! cargo run --release --example bench_model -- ../testdata/vectors.json 1.0 3
//! ```
//!
//! Arguments: vectors file, seconds per round, rounds. Prints one JSON object:
//! the median over rounds of `single` (one `Model::score` after another) and
//! `batch` (the service's batch path: a 1000-request batch through rayon's
//! `with_min_len` split, on a one-thread pool so it stays on one core).

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

use rayon::iter::{IndexedParallelIterator, IntoParallelIterator, ParallelIterator};
use serde::Deserialize;
use worker::{
    model::Model,
    pb::{ScoreRequest, ScoreResponse},
};

/// Requests per batch: the contract's maximum, and the size loadgen uses.
const BATCH_SIZE: usize = 1000;
/// The service's own split size (`service.rs`), so the batch path matches.
const MIN_ITEMS_PER_TASK: usize = 32;

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

    let model = Model::embedded()?;
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

    let mut single = Vec::with_capacity(rounds);
    let mut batch = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        single.push(rate(round, || {
            for r in &requests {
                black_box(model.score(&r.numeric_features, &r.categorical_features));
            }
            requests.len()
        }));
        batch.push(rate(round, || {
            // The service consumes its batch; cloning is set-up, not scoring,
            // so it is outside the clock.
            let owned = requests.clone();
            let started = Instant::now();
            let out: Vec<ScoreResponse> = pool.install(|| {
                owned
                    .into_par_iter()
                    .with_min_len(MIN_ITEMS_PER_TASK)
                    .map(|r| respond(&model, r))
                    .collect()
            });
            black_box(out);
            (BATCH_SIZE, started.elapsed())
        }));
    }
    println!(
        "{{\"language\":\"rust\",\"rounds\":{rounds},\"batch_size\":{BATCH_SIZE},\"single_per_s\":{:.0},\"batch_items_per_s\":{:.0}}}",
        median(single),
        median(batch)
    );
    Ok(())
}

/// What `service::respond` does for one batch item.
fn respond(model: &Model, request: ScoreRequest) -> ScoreResponse {
    let scored = model.score(&request.numeric_features, &request.categorical_features);
    ScoreResponse {
        id: request.id,
        score: scored.score,
        model_version: model.version().to_owned(),
        reason_codes: scored.reason_codes,
    }
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
