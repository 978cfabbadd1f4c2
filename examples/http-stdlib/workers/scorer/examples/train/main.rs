//! Fits the card-payment risk model and writes `model/model.json`.
//!
//! ```sh
//! cargo run --release --example scorer_train
//! cargo run --example scorer_vectors   # then refresh ../../testdata/vectors.json
//! ```
//!
//! The data are synthetic, drawn from a known risk function with a fixed
//! seed, so the output is reproducible. Replace `data.rs` with real labelled
//! payments to train a real model; the file format stays the same.

mod data;
mod gbdt;

// Every worker crate shares this code; the alias keeps it identical across them.
use scorer as worker;

use std::{collections::HashMap, error::Error, fs, path::Path};

use data::{CATEGORICAL, NUMERIC, Rng, Sample};
use gbdt::{Column, ColumnKind, MISSING, Params};
use worker::model::{FeatureSpec, FeatureType, Model, ModelFile};

const SEED: u64 = 20_260_101;
const SAMPLES: usize = 40_000;
const HOLDOUT_FRACTION: f64 = 0.2;
const MAX_BINS: usize = 48;
const MODEL_VERSION: &str = "card-risk-gbdt-1.0.0";
const PARAMS: Params = Params {
    trees: 80,
    max_depth: 4,
    learning_rate: 0.1,
    lambda: 1.0,
    min_child_hessian: 5.0,
    category_smoothing: 10.0,
};

fn main() -> Result<(), Box<dyn Error>> {
    let mut rng = Rng::new(SEED);
    let samples: Vec<Sample> = (0..SAMPLES).map(|_| data::sample(&mut rng)).collect();
    let train_rows = (SAMPLES as f64 * (1.0 - HOLDOUT_FRACTION)) as usize;
    let labels: Vec<f64> = samples
        .iter()
        .map(|s| f64::from(u8::from(s.fraud)))
        .collect();

    let columns = bin_columns(&samples[..train_rows], &samples);
    let base_rate = labels[..train_rows].iter().sum::<f64>() / train_rows as f64;
    let base_score = gbdt::round6((base_rate / (1.0 - base_rate)).ln());

    let mut margins = vec![base_score; SAMPLES];
    let mut trees = Vec::with_capacity(PARAMS.trees);
    for _ in 0..PARAMS.trees {
        let probabilities: Vec<f64> = margins.iter().map(|&m| sigmoid(m)).collect();
        let grad: Vec<f64> = probabilities
            .iter()
            .zip(&labels)
            .map(|(p, y)| p - y)
            .collect();
        let hess: Vec<f64> = probabilities
            .iter()
            .map(|p| (p * (1.0 - p)).max(1e-12))
            .collect();
        let tree = gbdt::fit_tree(&PARAMS, &columns, (0..train_rows).collect(), &grad, &hess);
        for (row, margin) in margins.iter_mut().enumerate() {
            *margin += tree.predict(&columns, row);
        }
        trees.push(tree.nodes);
    }

    let file = ModelFile {
        format_version: 1,
        version: MODEL_VERSION.to_owned(),
        link: "logistic".to_owned(),
        base_score,
        features: feature_specs(),
        trees,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("model/model.json");
    let text = render(&file)?;
    // build.rs compiles the trees from this file, and cargo reruns it when the file's mtime
    // moves: rewriting the same bytes (the fit is seeded) would rebuild the crate for nothing.
    let unchanged = fs::read_to_string(&path).is_ok_and(|old| old == text);
    if !unchanged {
        fs::write(&path, &text)?;
    }

    let model = Model::from_json(&text)?;
    check_file_matches_fit(&model, &samples, &margins);
    let holdout = train_rows..SAMPLES;
    let true_logits: Vec<f64> = samples.iter().map(|s| s.true_logit).collect();
    println!(
        "{} {} ({} bytes, {} trees)\nbase rate {:.4}; holdout ({} rows): log loss {:.4} (base {:.4}), AUC {:.4} (ground truth {:.4})",
        if unchanged { "unchanged:" } else { "wrote" },
        path.display(),
        text.len(),
        model.tree_count(),
        base_rate,
        holdout.len(),
        log_loss(&margins[holdout.clone()], &labels[holdout.clone()]),
        log_loss(&vec![base_score; holdout.len()], &labels[holdout.clone()]),
        auc(&margins[holdout.clone()], &labels[holdout.clone()]),
        auc(&true_logits[holdout.clone()], &labels[holdout]),
    );
    Ok(())
}

/// Bins every row with cut points learned from the training rows only.
fn bin_columns(train: &[Sample], all: &[Sample]) -> Vec<Column> {
    let numeric = (0..NUMERIC.len()).map(|f| {
        let seen: Vec<f64> = train.iter().filter_map(|s| s.numeric[f]).collect();
        let cuts = gbdt::cut_points(&seen, MAX_BINS);
        let bins = all
            .iter()
            .map(|s| s.numeric[f].map_or(MISSING, |v| gbdt::bin_of(v, &cuts)))
            .collect();
        Column {
            bins,
            kind: ColumnKind::Numeric { cuts },
        }
    });
    let categorical = CATEGORICAL.iter().enumerate().map(|(f, feature)| {
        let bins = all
            .iter()
            .map(|s| s.categorical[f].map_or(MISSING, |c| c as u16))
            .collect();
        let names = feature.categories.iter().map(|c| c.0.to_owned()).collect();
        Column {
            bins,
            kind: ColumnKind::Categorical { names },
        }
    });
    numeric.chain(categorical).collect()
}

fn feature_specs() -> Vec<FeatureSpec> {
    let numeric = NUMERIC
        .iter()
        .map(|(name, code)| (name, code, FeatureType::Numeric));
    let categorical = CATEGORICAL
        .iter()
        .map(|f| (&f.name, &f.reason_code, FeatureType::Categorical));
    numeric
        .chain(categorical)
        .map(|(name, code, kind)| FeatureSpec {
            name: (*name).to_owned(),
            kind,
            reason_code: (*code).to_owned(),
        })
        .collect()
}

/// Pretty at the top, one line per feature and per tree: readable, diffable,
/// and about half the size of fully indented JSON.
fn render(file: &ModelFile) -> Result<String, serde_json::Error> {
    let lines = |items: Vec<String>| items.join(",\n    ");
    let features = file
        .features
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let trees = file
        .trees
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    Ok(format!(
        "{{\n  \"format_version\": {},\n  \"version\": {},\n  \"link\": {},\n  \"base_score\": {},\n  \"features\": [\n    {}\n  ],\n  \"trees\": [\n    {}\n  ]\n}}\n",
        file.format_version,
        serde_json::to_string(&file.version)?,
        serde_json::to_string(&file.link)?,
        serde_json::to_string(&file.base_score)?,
        lines(features),
        lines(trees),
    ))
}

/// The worker must reproduce the fit exactly: same trees, same summation order.
fn check_file_matches_fit(model: &Model, samples: &[Sample], margins: &[f64]) {
    for (sample, &margin) in samples.iter().zip(margins) {
        let numeric: HashMap<String, f64> = NUMERIC
            .iter()
            .zip(sample.numeric)
            .filter_map(|((name, _), v)| Some(((*name).to_owned(), v?)))
            .collect();
        let categorical: HashMap<String, String> = CATEGORICAL
            .iter()
            .zip(sample.categorical)
            .filter_map(|(feature, c)| {
                Some((feature.name.to_owned(), feature.categories[c?].0.to_owned()))
            })
            .collect();
        let expected = (sigmoid(margin) * 1e6).round() / 1e6;
        let scored = model.score(&numeric, &categorical);
        assert_eq!(scored.score, expected, "model file disagrees with the fit");
    }
}

fn sigmoid(margin: f64) -> f64 {
    1.0 / (1.0 + (-margin).exp())
}

fn log_loss(margins: &[f64], labels: &[f64]) -> f64 {
    let total: f64 = margins
        .iter()
        .zip(labels)
        .map(|(&m, &y)| {
            let p = sigmoid(m).clamp(1e-15, 1.0 - 1e-15);
            -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
        })
        .sum();
    total / margins.len() as f64
}

/// Area under the ROC curve by ranks (Mann-Whitney U); ties share ranks.
fn auc(margins: &[f64], labels: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..margins.len()).collect();
    order.sort_by(|&a, &b| margins[a].total_cmp(&margins[b]));
    let (mut rank_sum, mut positives, mut i) = (0.0, 0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j < order.len() && margins[order[j]] == margins[order[i]] {
            j += 1;
        }
        let average_rank = (i + j + 1) as f64 / 2.0;
        for &row in &order[i..j] {
            if labels[row] > 0.5 {
                rank_sum += average_rank;
                positives += 1.0;
            }
        }
        i = j;
    }
    let negatives = margins.len() as f64 - positives;
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}
