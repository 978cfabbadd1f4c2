//! Gradient-boosted tree ensemble with a logistic link and per-feature
//! reason codes.
//!
//! # Model file format (`format_version` 1)
//!
//! One JSON object. The worker embeds `model/model.json` at compile time and
//! `MODEL_PATH` replaces it at start. `examples/train` writes it; any other
//! implementation (the orchestrator's Go port, for one) must follow these rules
//! exactly to reproduce scores bit for bit.
//!
//! ```json
//! {
//!   "format_version": 1,
//!   "version": "card-risk-gbdt-1.0.0",
//!   "link": "logistic",
//!   "base_score": -2.5,
//!   "features": [
//!     {"name": "amount",  "type": "numeric",     "reason_code": "AMOUNT_HIGH"},
//!     {"name": "country", "type": "categorical", "reason_code": "COUNTRY_RISK"}
//!   ],
//!   "trees": [
//!     [
//!       {"feature": 0, "threshold": 250.5, "default_left": true, "left": 1, "right": 2, "value": 0.01},
//!       {"value": -0.02},
//!       {"feature": 1, "categories": ["NG", "RU"], "default_left": false, "left": 3, "right": 4, "value": 0.05},
//!       {"value": 0.12},
//!       {"value": 0.0}
//!     ]
//!   ]
//! }
//! ```
//!
//! * `features`: the inputs, in a fixed order; nodes refer to them by index.
//!   A `numeric` feature is read from the request's `numeric_features` map and
//!   a `categorical` one from `categorical_features`, by `name`; anything else
//!   in the request is ignored. `reason_code`s are unique.
//! * `trees`: each tree is an array of nodes, the root first. A node with a
//!   `feature` is a split; any other node is a leaf and has only `value`.
//!   A split's `left` and `right` index nodes of the same tree, and always
//!   point forward (greater than the split's own index), so a walk ends.
//! * Numeric split (has `threshold`): go left iff `value < threshold`.
//! * Categorical split (has `categories`): go left iff the value is one of
//!   `categories` (exact, case-sensitive match); any other value goes right.
//! * A feature absent from the request takes the split's `default_left` side.
//! * `value` on every node is the tree's output had it stopped there
//!   (log-odds); leaves' values are what the tree contributes.
//! * Size: depth, nodes per tree and in all, root-to-leaf path steps and
//!   file bytes are capped (the `MODEL_MAX_*` constants, defined and
//!   explained in one place, `caps.rs`); a file over a cap is refused with a
//!   message naming it.
//!
//! Scoring: `margin = base_score`, then for each tree in file order add the
//! value of the leaf the request reaches. `score = 1 / (1 + exp(-margin))`,
//! rounded half away from zero to 6 decimal places (`round(p * 1e6) / 1e6`).
//! The rounding keeps outputs identical across platforms and languages: math
//! libraries may disagree in the last bit of `exp`, which only shows when a
//! probability lies within about 1e-16 of a rounding boundary.
//!
//! Reason codes use Saabas path attribution: each step from a split to its
//! child credits `child.value - split.value` to the split's feature. The
//! features with a total credit strictly above zero are ranked by credit,
//! highest first (ties: earlier in `features` first), and the `reason_code`s
//! of the first three are reported. Credits are summed in tree order, then
//! path order, so every implementation gets the same floats.

mod caps;
mod codegen;
mod eval;
mod file;
mod flat;
mod hash;

use std::{collections::HashMap, io, path::Path};

pub use caps::{
    MODEL_MAX_DEPTH, MODEL_MAX_FILE_BYTES, MODEL_MAX_NODES, MODEL_MAX_PATH_STEPS,
    MODEL_MAX_TREE_NODES,
};
pub use codegen::Compiled;
pub use eval::Features;
pub use file::{FeatureSpec, FeatureType, ModelFile, NodeSpec};

use flat::Forest;
use hash::FixedMap;

/// At most this many reason codes are returned per score.
pub const MAX_REASON_CODES: usize = 3;

/// A loaded, validated model ready to score. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Model {
    version: String,
    base_score: f64,
    features: Vec<Feature>,
    /// Feature index by name, for resolving requests.
    names: FixedMap<u32>,
    forest: Forest,
    /// The worker's compiled trees, when this model is the one they were
    /// compiled from; `None`: the flat walk scores it.
    compiled: Option<&'static Compiled>,
}

/// The model's verdict on one set of features.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// Probability in `[0, 1]`, rounded to 6 decimal places.
    pub score: f64,
    /// Reason codes of the features that raised the score most, strongest first.
    pub reason_codes: Vec<String>,
}

/// Why a model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read model file {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("model file is not valid JSON for format_version 1: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("invalid model: {0}")]
    Invalid(String),
}

#[derive(Debug)]
struct Feature {
    name: String,
    reason_code: String,
    kind: FeatureKind,
}

#[derive(Debug)]
enum FeatureKind {
    Numeric,
    /// Maps every category any split mentions to a dense id, so splits can
    /// test membership with a bitset instead of string comparisons.
    Categorical {
        vocabulary: FixedMap<u32>,
    },
}

/// A validated tree as the file describes it, before [`Forest`] lowers it.
#[derive(Debug)]
struct Tree {
    nodes: Vec<Node>,
}

#[derive(Debug)]
struct Node {
    value: f64,
    split: Option<Split>,
}

#[derive(Debug)]
struct Split {
    feature: usize,
    test: SplitTest,
    default_left: bool,
    left: usize,
    right: usize,
}

#[derive(Debug)]
enum SplitTest {
    LessThan(f64),
    /// Bit `i` is set when category id `i` goes left.
    InSet(Box<[u64]>),
}

impl Model {
    /// The model a worker's `build.rs` compiled into the binary, scored by
    /// its compiled trees.
    pub fn embedded(compiled: &'static Compiled) -> Result<Self, LoadError> {
        Self::from_json_with(compiled.json(), compiled)
    }

    /// Reads and validates a model file, scored by the flat walk.
    pub fn from_path(path: &Path) -> Result<Self, LoadError> {
        Self::from_json(&caps::read(path)?)
    }

    /// [`Self::from_path`], scored by `compiled` when the file is the model
    /// those trees were compiled from (see [`Self::from_json_with`]).
    pub fn from_path_with(path: &Path, compiled: &'static Compiled) -> Result<Self, LoadError> {
        Self::from_json_with(&caps::read(path)?, compiled)
    }

    /// Parses and validates a model from its JSON text, scored by the flat walk.
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        caps::admit_file(text.len() as u64).map_err(LoadError::Invalid)?;
        let file: ModelFile = serde_json::from_str(text)?;
        file.compile().map_err(LoadError::Invalid)
    }

    /// Parses and validates a model, scored by `compiled` when the text is
    /// the model those trees were compiled from, byte for byte (a
    /// `MODEL_PATH` holding a copy of the shipped model), by the flat walk
    /// otherwise.
    pub fn from_json_with(text: &str, compiled: &'static Compiled) -> Result<Self, LoadError> {
        let mut model = Self::from_json(text)?;
        model.compiled = compiled.stands_for(text).then_some(compiled);
        Ok(model)
    }

    /// Whether scoring runs the trees compiled into the binary (the model is
    /// `model/model.json` byte for byte) rather than interpreting the file.
    pub fn is_compiled(&self) -> bool {
        self.compiled.is_some()
    }

    /// The same model scored by the flat walk, as a `MODEL_PATH` override
    /// is: for benchmarks and tests that compare the two.
    pub fn interpreted(mut self) -> Self {
        self.compiled = None;
        self
    }

    /// The `version` string from the model file, echoed in every response.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Number of trees in the ensemble.
    pub fn tree_count(&self) -> usize {
        self.forest.roots.len()
    }

    /// Names of the features the model reads, in file order.
    pub fn feature_names(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(|f| f.name.as_str())
    }

    /// The reason codes a score may report, in file order.
    pub fn feature_reason_codes(&self) -> impl Iterator<Item = &str> {
        self.features.iter().map(|f| f.reason_code.as_str())
    }

    /// Scores one request's features. Features the model does not know are
    /// ignored; features it knows but are absent count as missing.
    pub fn score(
        &self,
        numeric: &HashMap<String, f64>,
        categorical: &HashMap<String, String>,
    ) -> Scored {
        let mut scored = None;
        self.score_many([(numeric, categorical)], |s| scored = Some(s));
        scored.expect("one request in, one score out")
    }

    /// Builds the scoring layout from a validated file.
    fn assemble(
        version: String,
        base_score: f64,
        features: Vec<Feature>,
        trees: &[Tree],
    ) -> Result<Self, String> {
        let forest = Forest::lower(trees, &features)?;
        let names = (0u32..)
            .zip(&features)
            .map(|(i, feature)| (feature.name.clone(), i))
            .collect();
        Ok(Self {
            version,
            base_score,
            features,
            names,
            forest,
            compiled: None,
        })
    }
}

fn sigmoid(margin: f64) -> f64 {
    1.0 / (1.0 + (-margin).exp())
}

fn round_score(probability: f64) -> f64 {
    (probability * 1e6).round() / 1e6
}

/// The engine's own test model, compiled by `build.rs` as a worker compiles its own.
#[cfg(test)]
mod fixture {
    use crate::Compiled;

    include!(concat!(env!("OUT_DIR"), "/compiled_fixture.rs"));
}

#[cfg(test)]
const EMBEDDED_MODEL_JSON: &str = include_str!("../testdata/model.json");

#[cfg(test)]
mod compiled_tests;
#[cfg(test)]
mod oracle_tests;
#[cfg(test)]
mod tests;
