//! The compiled trees against the flat walk they were generated from, on the
//! embedded model: every test vector and random requests (missing, unknown,
//! mistyped and extra features, non-finite numbers) must give the same
//! margin, credits, score and reason codes to the bit.

use std::{collections::HashMap, fs};

use super::{Model, ModelFile, eval::Explained, oracle_tests::Rng};

type Request = (HashMap<String, f64>, HashMap<String, String>);

fn interpreted() -> Model {
    Model::embedded(&crate::fixture::COMPILED)
        .unwrap()
        .interpreted()
}

/// Values around every threshold the model tests, and categories from every
/// set it tests, so random requests reach every leaf.
fn random_request(rng: &mut Rng, model: &Model, seen: &[(String, f64, String)]) -> Request {
    let mut numeric = HashMap::new();
    let mut categorical = HashMap::new();
    // A name one byte off a model feature's, to catch a match on length or
    // prefix alone in the compiled resolve.
    let names: Vec<&str> = model.feature_names().collect();
    let mut near = names[rng.below(names.len())].to_owned();
    let last = near.pop().map_or('x', |c| if c == 'x' { 'y' } else { 'x' });
    near.push(last);
    for name in names
        .iter()
        .copied()
        .chain(["unknown_feature", near.as_str()])
    {
        let (_, number, category) = &seen[rng.below(seen.len())];
        let numbers = [
            *number,
            number + 1.0,
            number * 0.5,
            -number,
            f64::NAN,
            f64::INFINITY,
        ];
        match rng.below(5) {
            0 => {}
            1 => {
                numeric.insert(name.to_owned(), numbers[rng.below(numbers.len())]);
            }
            2 => {
                categorical.insert(name.to_owned(), format!("never-seen-{}", rng.below(3)));
            }
            _ => {
                numeric.insert(name.to_owned(), numbers[rng.below(numbers.len())]);
                categorical.insert(name.to_owned(), category.clone());
            }
        }
    }
    (numeric, categorical)
}

fn vectors() -> Vec<Request> {
    let text = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors.json"
    ))
    .unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let request = &v["request"];
            let numeric = serde_json::from_value(request["numericFeatures"].clone());
            let categorical = serde_json::from_value(request["categoricalFeatures"].clone());
            (numeric.unwrap_or_default(), categorical.unwrap_or_default())
        })
        .collect()
}

/// Every threshold and category the embedded model's splits test.
fn split_values() -> Vec<(String, f64, String)> {
    let file: ModelFile = serde_json::from_str(super::EMBEDDED_MODEL_JSON).unwrap();
    let nodes = file.trees.into_iter().flatten();
    nodes
        .flat_map(|node| {
            let threshold = node.threshold.unwrap_or(0.0);
            let categories = node.categories.unwrap_or_else(|| vec![String::new()]);
            categories
                .into_iter()
                .map(move |c| (String::new(), threshold, c))
        })
        .collect()
}

fn bits(explained: &Explained) -> (u64, Vec<u64>) {
    let credits = explained.contributions.iter().map(|c| c.to_bits());
    (explained.margin.to_bits(), credits.collect())
}

#[test]
fn the_embedded_model_is_compiled_and_other_models_are_not() {
    assert!(
        Model::embedded(&crate::fixture::COMPILED)
            .unwrap()
            .is_compiled()
    );
    let reformatted = format!("{}\n", super::EMBEDDED_MODEL_JSON.trim_end());
    assert!(
        !Model::from_json(&format!("{reformatted} "))
            .unwrap()
            .is_compiled()
    );
}

#[test]
fn compiled_trees_match_the_flat_walk() {
    let compiled = Model::embedded(&crate::fixture::COMPILED).unwrap();
    let flat = interpreted();
    let mut requests = vectors();
    assert!(!requests.is_empty());
    // Numbers and categories as the vectors use them, to mix and perturb.
    let seen: Vec<(String, f64, String)> = requests
        .iter()
        .flat_map(|(n, c)| {
            let category = c.values().next().cloned().unwrap_or_default();
            n.iter()
                .map(move |(k, &v)| (k.clone(), v, category.clone()))
        })
        .chain(split_values())
        .collect();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    requests.extend((0..20_000).map(|_| random_request(&mut rng, &flat, &seen)));
    requests.push((HashMap::new(), HashMap::new()));
    for (numeric, categorical) in &requests {
        assert_eq!(
            bits(&compiled.explain(numeric, categorical)),
            bits(&flat.explain(numeric, categorical)),
            "{numeric:?} {categorical:?}"
        );
    }
    // Batches, whose rows are walked in blocks by the interpreter.
    let batch = || requests.iter().map(|(n, c)| (n, c));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    compiled.score_many(batch(), |s| a.push(s));
    flat.score_many(batch(), |s| b.push(s));
    assert_eq!(a, b);
}
