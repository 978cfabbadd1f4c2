//! The flat layout against a plain tree walk (the reference implementation
//! of the format's rules) on random models and requests: margins and credits
//! must match to the bit, alone and in batches of every block shape.

use std::collections::HashMap;

use super::{file::Checked, *};

/// Reference scoring: one hashed lookup per feature, one walk per tree.
fn reference(
    checked: &Checked,
    numeric: &HashMap<String, f64>,
    categorical: &HashMap<String, String>,
) -> (f64, Vec<f64>) {
    let inputs: Vec<Option<Result<f64, Option<u32>>>> = checked
        .features
        .iter()
        .map(|feature| match &feature.kind {
            FeatureKind::Numeric => numeric.get(&feature.name).map(|&v| Ok(v)),
            FeatureKind::Categorical { vocabulary } => categorical
                .get(&feature.name)
                .map(|v| Err(vocabulary.get(v.as_str()).copied())),
        })
        .collect();
    let mut margin = checked.base_score;
    let mut contributions = vec![0.0; checked.features.len()];
    for tree in &checked.trees {
        let mut index = 0;
        while let Some(split) = &tree.nodes[index].split {
            let go_left = match (inputs[split.feature], &split.test) {
                (None, _) => split.default_left,
                (Some(Ok(value)), SplitTest::LessThan(threshold)) => value < *threshold,
                (Some(Err(Some(id))), SplitTest::InSet(bits)) => {
                    let id = id as usize;
                    bits.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
                }
                (Some(Err(None)), SplitTest::InSet(_)) => false,
                _ => unreachable!("split test does not match feature type"),
            };
            let next = if go_left { split.left } else { split.right };
            contributions[split.feature] += tree.nodes[next].value - tree.nodes[index].value;
            index = next;
        }
        margin += tree.nodes[index].value;
    }
    (margin, contributions)
}

/// The reference ranking: a stable sort, as the format describes it.
fn reference_codes(checked: &Checked, contributions: &[f64]) -> Vec<String> {
    let mut raised: Vec<(usize, f64)> = contributions
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, c)| c > 0.0)
        .collect();
    raised.sort_by(|a, b| b.1.total_cmp(&a.1));
    raised
        .iter()
        .take(MAX_REASON_CODES)
        .map(|&(i, _)| checked.features[i].reason_code.clone())
        .collect()
}

/// xorshift64*: deterministic, so a failure reproduces (the compiled
/// trees' tests draw from it too).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn value(&mut self) -> f64 {
        [0.0, -0.0, 0.5, 1.0, 2.0, -1.0, 0.25, 3.0][self.below(8)]
    }
}

const CATEGORIES: usize = 150;
const THRESHOLDS: [f64; 6] = [0.5, 1.0, 2.0, -1.0, 0.0, -0.0];

/// A random model: shared nodes, unreachable nodes, uneven depths, numeric
/// and categorical splits (some sets wider than one word), credits that tie.
fn random_model(rng: &mut Rng) -> String {
    let features: Vec<FeatureSpec> = (0..6)
        .map(|i| FeatureSpec {
            name: format!("f{i}"),
            kind: if i % 2 == 0 {
                FeatureType::Numeric
            } else {
                FeatureType::Categorical
            },
            reason_code: format!("R{i}"),
        })
        .collect();
    let trees = (0..1 + rng.below(40))
        .map(|_| {
            let n = 1 + rng.below(30);
            (0..n)
                .map(|i| {
                    let mut node = NodeSpec {
                        value: rng.value(),
                        ..NodeSpec::default()
                    };
                    if i + 2 < n && rng.below(10) < 7 {
                        let f = rng.below(features.len());
                        node.feature = Some(f);
                        node.default_left = Some(rng.below(2) == 0);
                        node.left = Some(i + 1 + rng.below(n - i - 1));
                        node.right = Some(i + 1 + rng.below(n - i - 1));
                        if features[f].kind == FeatureType::Numeric {
                            node.threshold = Some(THRESHOLDS[rng.below(THRESHOLDS.len())]);
                        } else {
                            let k = 1 + rng.below(8);
                            let cats = (0..k).map(|_| format!("c{}", rng.below(CATEGORIES)));
                            node.categories = Some(cats.collect());
                        }
                    }
                    node
                })
                .collect()
        })
        .collect();
    let file = ModelFile {
        format_version: 1,
        version: "random".into(),
        link: "logistic".into(),
        base_score: rng.value(),
        features,
        trees,
    };
    serde_json::to_string(&file).unwrap()
}

/// A random request: missing, unknown, mistyped and extra features, values
/// on thresholds, non-finite numbers (only the service rejects those).
fn random_request(rng: &mut Rng) -> (HashMap<String, f64>, HashMap<String, String>) {
    let mut numeric = HashMap::new();
    let mut categorical = HashMap::new();
    let extra = if rng.below(4) == 0 { 20 } else { 0 };
    for i in 0..6 + extra {
        match rng.below(4) {
            0 => {}
            1 => {
                let values = [
                    THRESHOLDS[rng.below(THRESHOLDS.len())],
                    rng.value(),
                    f64::NAN,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                ];
                numeric.insert(format!("f{i}"), values[rng.below(values.len())]);
            }
            _ => {
                let category = format!("c{}", rng.below(CATEGORIES + 10));
                categorical.insert(format!("f{i}"), category);
            }
        }
    }
    (numeric, categorical)
}

fn bits(xs: &[f64]) -> Vec<u64> {
    xs.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn flat_scoring_matches_the_reference_walk() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let embedded = EMBEDDED_MODEL_JSON.to_owned();
    let models = std::iter::once(embedded).chain((0..60).map(|_| random_model(&mut rng)));
    for json in models.collect::<Vec<_>>() {
        let model = Model::from_json(&json).unwrap();
        let checked = serde_json::from_str::<ModelFile>(&json)
            .unwrap()
            .check()
            .unwrap();
        let requests: Vec<_> = (0..40).map(|_| random_request(&mut rng)).collect();
        let mut expected = Vec::new();
        for (numeric, categorical) in &requests {
            let (margin, contributions) = reference(&checked, numeric, categorical);
            let explained = model.explain(numeric, categorical);
            assert_eq!(explained.margin.to_bits(), margin.to_bits(), "{json}");
            assert_eq!(
                bits(&explained.contributions),
                bits(&contributions),
                "{json}"
            );
            let scored = model.score(numeric, categorical);
            assert_eq!(
                scored.reason_codes,
                reference_codes(&checked, &contributions)
            );
            expected.push(scored);
        }
        // Batches that end before, on and after block and lane boundaries.
        for len in [1, 2, 15, 16, 17, 33, 40] {
            let mut got = Vec::new();
            let batch = requests[..len].iter().map(|(n, c)| (n, c));
            model.score_many(batch, |scored| got.push(scored));
            assert_eq!(got, expected[..len], "{len} requests");
        }
    }
}

#[test]
fn shared_nodes_cannot_unfold_without_bound() {
    // Every split sends both ways to the next split: 2^40 paths to the end.
    let nodes: Vec<String> = (0..40)
        .map(|i| {
            format!(r#"{{"feature":0,"threshold":1.0,"default_left":true,"left":{0},"right":{0},"value":0}}"#, i + 1)
        })
        .chain([r#"{"value":1}"#.to_owned()])
        .collect();
    let json = format!(
        r#"{{"format_version":1,"version":"v","link":"logistic","base_score":0,
            "features":[{{"name":"a","type":"numeric","reason_code":"A"}}],"trees":[[{}]]}}"#,
        nodes.join(",")
    );
    let error = Model::from_json(&json).unwrap_err().to_string();
    assert!(
        error.contains("tree 0 has 2199023255551 nodes; the limit is 65536 (MODEL_MAX_TREE_NODES)"),
        "{error}"
    );
}

#[test]
fn category_bitsets_handle_large_vocabularies() {
    let categories: Vec<String> = (0..150).map(|i| format!("\"c{i}\"")).collect();
    let json = tests::SMALL.replace(r#"["web", "app"]"#, &format!("[{}]", categories.join(",")));
    let model = Model::from_json(&json).unwrap();
    // An id past the first word of the file's bitset.
    let FeatureKind::Categorical { vocabulary } = &model.features[1].kind else {
        panic!("channel is categorical");
    };
    assert_eq!(vocabulary["c149"], 150);
    assert_eq!(
        tests::explain(&model, Some(500.0), Some("c149")).margin,
        -1.0 + 0.2 + 0.5
    );
    assert_eq!(
        tests::explain(&model, Some(500.0), Some("c150")).margin,
        -1.0 + 0.2 - 0.25
    );
}
