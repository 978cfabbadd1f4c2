//! The on-disk model format and its validation into the in-memory [`Model`].
//!
//! Validation is strict and happens once at start, so a bad model file stops
//! the worker with a precise message instead of mis-scoring in production.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{Feature, FeatureKind, FixedMap, Model, Node, Split, SplitTest, Tree, caps};

/// The only `format_version` this worker reads.
pub const FORMAT_VERSION: u32 = 1;

/// The only supported link function.
pub const LOGISTIC_LINK: &str = "logistic";

/// A model file as written on disk; see the [module docs](super) for the rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format_version: u32,
    pub version: String,
    pub link: String,
    pub base_score: f64,
    pub features: Vec<FeatureSpec>,
    pub trees: Vec<Vec<NodeSpec>>,
}

/// One model input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub reason_code: String,
}

/// Which request map a feature is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureType {
    Numeric,
    Categorical,
}

/// A tree node: a leaf when `feature` is absent, a split otherwise.
///
/// Kept flat, with optional fields, so ports to other languages can decode
/// it into one plain struct.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_left: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<usize>,
    pub value: f64,
}

impl ModelFile {
    /// Validates the file and builds the scoring structures.
    pub(super) fn compile(self) -> Result<Model, String> {
        let checked = self.check()?;
        Model::assemble(
            checked.version,
            checked.base_score,
            checked.features,
            &checked.trees,
        )
    }

    /// Validates the file into the trees it describes.
    pub(super) fn check(self) -> Result<Checked, String> {
        if self.format_version != FORMAT_VERSION {
            return Err(format!(
                "format_version {} is not supported (expected {FORMAT_VERSION})",
                self.format_version
            ));
        }
        if self.link != LOGISTIC_LINK {
            return Err(format!(
                "link {:?} is not supported (expected {LOGISTIC_LINK:?})",
                self.link
            ));
        }
        if self.version.trim().is_empty() {
            return Err("version must not be empty".into());
        }
        if !self.base_score.is_finite() {
            return Err("base_score must be finite".into());
        }
        if self.trees.is_empty() {
            return Err("trees must not be empty".into());
        }
        let mut features = compile_features(&self.features)?;
        // Each tree's shape is checked against the caps before the next is
        // compiled, and before lowering builds anything its shape implies.
        let mut total = caps::Shape::default();
        let trees = self
            .trees
            .iter()
            .enumerate()
            .map(|(t, nodes)| {
                let tree = compile_tree(nodes, &self.features, &mut features)
                    .map_err(|message| format!("tree {t}: {message}"))?;
                caps::admit(t, caps::measure(&tree.nodes), &mut total)?;
                Ok(tree)
            })
            .collect::<Result<_, String>>()?;
        Ok(Checked {
            version: self.version,
            base_score: self.base_score,
            features,
            trees,
        })
    }
}

/// A file that passed validation, as trees of [`Node`]s.
#[derive(Debug)]
pub(super) struct Checked {
    pub(super) version: String,
    pub(super) base_score: f64,
    pub(super) features: Vec<Feature>,
    pub(super) trees: Vec<Tree>,
}

fn compile_features(specs: &[FeatureSpec]) -> Result<Vec<Feature>, String> {
    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            if spec.name.is_empty() || !names.insert(spec.name.as_str()) {
                return Err(format!(
                    "feature {i}: name {:?} is empty or repeated",
                    spec.name
                ));
            }
            if spec.reason_code.is_empty() || !codes.insert(spec.reason_code.as_str()) {
                return Err(format!(
                    "feature {i}: reason_code {:?} is empty or repeated",
                    spec.reason_code
                ));
            }
            let kind = match spec.kind {
                FeatureType::Numeric => FeatureKind::Numeric,
                FeatureType::Categorical => FeatureKind::Categorical {
                    vocabulary: FixedMap::default(),
                },
            };
            Ok(Feature {
                name: spec.name.clone(),
                reason_code: spec.reason_code.clone(),
                kind,
            })
        })
        .collect()
}

fn compile_tree(
    specs: &[NodeSpec],
    feature_specs: &[FeatureSpec],
    features: &mut [Feature],
) -> Result<Tree, String> {
    if specs.is_empty() {
        return Err("has no nodes".into());
    }
    let nodes = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            compile_node(i, spec, specs.len(), feature_specs, features)
                .map_err(|message| format!("node {i}: {message}"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Tree { nodes })
}

fn compile_node(
    index: usize,
    spec: &NodeSpec,
    node_count: usize,
    feature_specs: &[FeatureSpec],
    features: &mut [Feature],
) -> Result<Node, String> {
    if !spec.value.is_finite() {
        return Err("value must be finite".into());
    }
    let Some(feature) = spec.feature else {
        let has_split_fields = spec.threshold.is_some()
            || spec.categories.is_some()
            || spec.default_left.is_some()
            || spec.left.is_some()
            || spec.right.is_some();
        if has_split_fields {
            return Err("a leaf (no feature) must have only a value".into());
        }
        return Ok(Node {
            value: spec.value,
            split: None,
        });
    };
    let Some(feature_spec) = feature_specs.get(feature) else {
        return Err(format!("feature {feature} is out of range"));
    };
    let (Some(left), Some(right), Some(default_left)) = (spec.left, spec.right, spec.default_left)
    else {
        return Err("a split needs left, right and default_left".into());
    };
    // Children strictly after their parent: no cycles, so every walk ends.
    for child in [left, right] {
        if child <= index || child >= node_count {
            return Err(format!(
                "child {child} must be after this node and inside the tree"
            ));
        }
    }
    let test = match (
        &mut features[feature].kind,
        spec.threshold,
        &spec.categories,
    ) {
        (FeatureKind::Numeric, Some(threshold), None) if threshold.is_finite() => {
            SplitTest::LessThan(threshold)
        }
        (FeatureKind::Categorical { vocabulary }, None, Some(categories))
            if !categories.is_empty() =>
        {
            SplitTest::InSet(category_bits(vocabulary, categories))
        }
        _ => {
            let (kind, needs) = match feature_spec.kind {
                FeatureType::Numeric => ("numeric", "a finite threshold and no categories"),
                FeatureType::Categorical => {
                    ("categorical", "non-empty categories and no threshold")
                }
            };
            return Err(format!(
                "a split on {kind} feature {:?} needs {needs}",
                feature_spec.name
            ));
        }
    };
    Ok(Node {
        value: spec.value,
        split: Some(Split {
            feature,
            test,
            default_left,
            left,
            right,
        }),
    })
}

/// Interns the categories and returns the membership bitset for this split.
///
/// Bitsets are sized for the vocabulary as it stands when the split is built;
/// ids interned later are simply past the end, which reads as "not in set".
fn category_bits(vocabulary: &mut FixedMap<u32>, categories: &[String]) -> Box<[u64]> {
    let ids: Vec<usize> = categories
        .iter()
        .map(|category| {
            let next = u32::try_from(vocabulary.len()).expect("fewer than 2^32 categories");
            *vocabulary.entry(category.clone()).or_insert(next) as usize
        })
        .collect();
    let mut bits = vec![0u64; vocabulary.len().div_ceil(64)];
    for id in ids {
        bits[id / 64] |= 1 << (id % 64);
    }
    bits.into_boxed_slice()
}
