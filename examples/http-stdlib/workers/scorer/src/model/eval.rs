//! Tree traversal and Saabas attribution: the hot path.

use std::collections::HashMap;

use super::{Feature, FeatureKind, Model, SplitTest, Tree};

/// A request's features resolved against the model, one slot per model
/// feature, so tree walks index an array instead of hashing strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Input {
    Missing,
    Number(f64),
    /// `None` is a category no split mentions: present, but in no set.
    Category(Option<u32>),
}

/// The raw output of the ensemble before the link function.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Explained {
    pub(super) margin: f64,
    /// Credit per model feature, in `features` order.
    pub(super) contributions: Vec<f64>,
}

impl Model {
    pub(super) fn explain(
        &self,
        numeric: &HashMap<String, f64>,
        categorical: &HashMap<String, String>,
    ) -> Explained {
        let inputs: Vec<Input> = self
            .features
            .iter()
            .map(|feature| feature.resolve(numeric, categorical))
            .collect();
        self.explain_inputs(&inputs)
    }

    pub(super) fn explain_inputs(&self, inputs: &[Input]) -> Explained {
        let mut margin = self.base_score;
        let mut contributions = vec![0.0; self.features.len()];
        for tree in &self.trees {
            margin += tree.walk(inputs, &mut contributions);
        }
        Explained {
            margin,
            contributions,
        }
    }
}

impl Feature {
    fn resolve(
        &self,
        numeric: &HashMap<String, f64>,
        categorical: &HashMap<String, String>,
    ) -> Input {
        match &self.kind {
            FeatureKind::Numeric => numeric
                .get(&self.name)
                .map_or(Input::Missing, |&value| Input::Number(value)),
            FeatureKind::Categorical { vocabulary } => {
                categorical.get(&self.name).map_or(Input::Missing, |value| {
                    Input::Category(vocabulary.get(value).copied())
                })
            }
        }
    }
}

impl Tree {
    /// Returns the reached leaf's value and credits each step on the way.
    fn walk(&self, inputs: &[Input], contributions: &mut [f64]) -> f64 {
        let mut index = 0;
        loop {
            let node = &self.nodes[index];
            let Some(split) = &node.split else {
                return node.value;
            };
            let go_left = match (inputs[split.feature], &split.test) {
                (Input::Missing, _) => split.default_left,
                (Input::Number(value), SplitTest::LessThan(threshold)) => value < *threshold,
                (Input::Category(Some(id)), SplitTest::InSet(bits)) => contains(bits, id),
                (Input::Category(None), SplitTest::InSet(_)) => false,
                // Loading guarantees a split's test matches its feature's type.
                (Input::Number(_), SplitTest::InSet(_))
                | (Input::Category(_), SplitTest::LessThan(_)) => {
                    unreachable!("split test does not match feature type")
                }
            };
            let next = if go_left { split.left } else { split.right };
            contributions[split.feature] += self.nodes[next].value - node.value;
            index = next;
        }
    }
}

fn contains(bits: &[u64], id: u32) -> bool {
    let id = id as usize;
    bits.get(id / 64)
        .is_some_and(|word| word & (1 << (id % 64)) != 0)
}
