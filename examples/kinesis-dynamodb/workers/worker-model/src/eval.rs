//! Scoring on the [flat layout](super::flat): the hot path.
//!
//! Rows are scored in blocks, in three passes per block:
//! 1. resolve: each row's request maps become a row of slots;
//! 2. walk: every (tree, row) walk of the block, tree by tree, advanced
//!    [`LANES`] at a time in lockstep and without data-dependent branches, so
//!    the core overlaps the loads of independent walks instead of waiting on
//!    one chain of loads after another;
//! 3. attribute, as each group of walks ends: add each reached leaf's value to
//!    its row's margin and the leaf's path credits to the row's features. For
//!    every row the additions happen in the order a plain walk makes them
//!    (tree order, then path order), which is what keeps scores and reason
//!    codes bit for bit the same.

use std::collections::HashMap;

use super::{
    FeatureKind, MAX_REASON_CODES, Model, Scored,
    flat::{SlotSpan, number_key},
    hash::FixedMap,
    round_score, sigmoid,
};

/// Walks advanced in lockstep: enough independent chains of loads to keep
/// the core busy while each waits on L1, few enough that the compiler keeps
/// a group's state close (measured on the embedded model: 8 beat 4, 16, 32).
const LANES: usize = 8;
/// Rows resolved and walked together: two lane groups per tree when the
/// block is full, and a scratch space that stays in L1.
const BLOCK_ROWS: usize = 16;

/// The raw output of the ensemble before the link function, for tests.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Explained {
    pub(super) margin: f64,
    /// Credit per model feature, in `features` order.
    pub(super) contributions: Vec<f64>,
}

/// One request's feature maps.
pub type Features<'a> = (&'a HashMap<String, f64>, &'a HashMap<String, String>);

impl Model {
    /// Scores each request in order and hands each result to `emit`.
    ///
    /// Cheaper per request than [`Model::score`] once there are several:
    /// their tree walks overlap, and scratch space is allocated once.
    pub fn score_many<'a>(
        &self,
        requests: impl IntoIterator<Item = Features<'a>>,
        mut emit: impl FnMut(Scored),
    ) {
        self.explain_each(requests, |margin, contributions| {
            emit(Scored {
                score: round_score(sigmoid(margin)),
                reason_codes: self.reason_codes(contributions),
            });
        });
    }

    #[cfg(test)]
    pub(super) fn explain(
        &self,
        numeric: &HashMap<String, f64>,
        categorical: &HashMap<String, String>,
    ) -> Explained {
        let mut explained = None;
        self.explain_each([(numeric, categorical)], |margin, contributions| {
            explained = Some(Explained {
                margin,
                contributions: contributions.to_vec(),
            });
        });
        explained.expect("one row in, one row out")
    }

    fn explain_each<'a>(
        &self,
        rows: impl IntoIterator<Item = Features<'a>>,
        mut emit: impl FnMut(f64, &[f64]),
    ) {
        let mut rows = rows.into_iter();
        // A lone request gets scratch space for one row, not a block.
        let block = rows
            .size_hint()
            .1
            .unwrap_or(BLOCK_ROWS)
            .clamp(1, BLOCK_ROWS);
        let stride = self.forest.missing_row.len();
        let width = self.features.len();
        let mut slots = vec![0; block * stride];
        let mut margins = vec![0.0; block];
        let mut contributions = vec![0.0; block * width];
        loop {
            let mut n = 0;
            for (numeric, categorical) in rows.by_ref().take(block) {
                self.resolve(numeric, categorical, &mut slots[n * stride..][..stride]);
                n += 1;
            }
            if n == 0 {
                return;
            }
            margins[..n].fill(self.base_score);
            contributions[..n * width].fill(0.0);
            self.walk(&slots[..n * stride], &mut margins[..n], &mut contributions);
            for (row, &margin) in margins[..n].iter().enumerate() {
                emit(margin, &contributions[row * width..][..width]);
            }
        }
    }

    /// Fills one row's slots. Each request map is either walked once against
    /// the model's name table or, when it has more entries than the model has
    /// features, probed once per model feature: whichever hashes less. With
    /// the compiled model, the first way goes through generated `match`es
    /// instead of the tables (see `codegen`).
    fn resolve(
        &self,
        numeric: &HashMap<String, f64>,
        categorical: &HashMap<String, String>,
        slots: &mut [u64],
    ) {
        let forest = &self.forest;
        slots.copy_from_slice(&forest.missing_row);
        let features = &self.features;
        if let Some(compiled) = self.compiled
            && compiled.resolves()
            && numeric.len() <= features.len()
            && categorical.len() <= features.len()
        {
            compiled.resolve_row(numeric, categorical, slots);
            return;
        }
        let spans = &forest.spans;
        if numeric.len() <= features.len() {
            for (name, &value) in numeric {
                if let Some(&i) = self.names.get(name.as_str())
                    && let FeatureKind::Numeric = features[i as usize].kind
                {
                    slots[spans[i as usize].start..][..2].fill(number_key(value));
                }
            }
        } else {
            for (feature, span) in features.iter().zip(spans) {
                if let FeatureKind::Numeric = feature.kind
                    && let Some(&value) = numeric.get(&feature.name)
                {
                    slots[span.start..][..2].fill(number_key(value));
                }
            }
        }
        if categorical.len() <= features.len() {
            for (name, value) in categorical {
                if let Some(&i) = self.names.get(name.as_str())
                    && let FeatureKind::Categorical { vocabulary } = &features[i as usize].kind
                {
                    self.set_category(vocabulary, spans[i as usize], value, slots);
                }
            }
        } else {
            for (feature, &span) in features.iter().zip(spans) {
                if let FeatureKind::Categorical { vocabulary } = &feature.kind
                    && let Some(value) = categorical.get(&feature.name)
                {
                    self.set_category(vocabulary, span, value, slots);
                }
            }
        }
    }

    /// A category no split mentions is present but in no set: no bits.
    fn set_category(
        &self,
        vocabulary: &FixedMap<u32>,
        span: SlotSpan,
        value: &str,
        slots: &mut [u64],
    ) {
        let words = &mut slots[span.start..][..span.words];
        match vocabulary.get(value) {
            Some(&id) => {
                let table = span.table + id as usize * span.words;
                words.copy_from_slice(&self.forest.membership[table..][..span.words]);
            }
            None => words.fill(0),
        }
    }

    /// Walks every tree for every row of the block and adds what each walk
    /// reached to its row's margin and credits.
    ///
    /// Walks go tree-major (all rows of tree 0, then tree 1, ...), so a lane
    /// group shares one tree's nodes when the block is large and spans
    /// several trees when it is a lone row. After each group its leaves are
    /// added in lane order, which for every row is tree order; interleaving
    /// rows also interleaves their chains of additions, which would
    /// otherwise wait on each other one feature at a time.
    fn walk(&self, slots: &[u64], margins: &mut [f64], contributions: &mut [f64]) {
        let forest = &self.forest;
        let rows = margins.len();
        let stride = slots.len() / rows;
        let width = self.features.len();
        if let Some(compiled) = self.compiled {
            // The compiled trees read the same slots and make the same
            // additions, one row at a time (see `codegen`).
            for (row, margin) in margins.iter_mut().enumerate() {
                compiled.score_row(
                    &slots[row * stride..][..stride],
                    margin,
                    &mut contributions[row * width..][..width],
                );
            }
            return;
        }
        let (mut tree, mut row) = (0, 0);
        while tree < forest.roots.len() {
            // Unused lanes walk tree 0 for row 0 and are ignored: cheaper
            // than a loop of variable length, which would not be unrolled.
            let mut at = [forest.roots[0]; LANES];
            let mut base = [0; LANES];
            let mut lane_row = [0; LANES];
            let mut depth = 0;
            let mut used = 0;
            while used < LANES && tree < forest.roots.len() {
                at[used] = forest.roots[tree];
                base[used] = row * stride;
                lane_row[used] = row;
                depth = depth.max(forest.depths[tree]);
                used += 1;
                row += 1;
                if row == rows {
                    (row, tree) = (0, tree + 1);
                }
            }
            // Leaves point to themselves, so walks that end early just wait.
            for _ in 0..depth {
                for (at, &base) in at.iter_mut().zip(&base) {
                    *at = self.step(*at, slots, base);
                }
            }
            for (&leaf, &row) in at.iter().zip(&lane_row).take(used) {
                let leaf = leaf as usize;
                margins[row] += f64::from_bits(forest.nodes[leaf].mask);
                let credits = &mut contributions[row * width..][..width];
                let path = forest.path_start[leaf] as usize..forest.path_start[leaf + 1] as usize;
                for step in &forest.steps[path] {
                    credits[step.feature as usize] += step.credit;
                }
            }
        }
    }

    /// One step of a walk: one test, the same for every kind of node, and
    /// no branch on data (see the [layout](super::flat)).
    #[inline(always)]
    fn step(&self, at: u32, slots: &[u64], base: usize) -> u32 {
        let node = self.forest.nodes[at as usize];
        let passed = (slots[base + node.slot as usize] & node.mask) >= node.threshold;
        node.left.wrapping_add(u32::from(passed))
    }

    /// The reason codes of the features with the most positive credit.
    ///
    /// Equivalent to a stable sort by credit, highest first, then taking
    /// [`MAX_REASON_CODES`], without allocating: a candidate moves ahead of a
    /// kept feature only on strictly higher credit, so ties keep file order.
    pub(super) fn reason_codes(&self, contributions: &[f64]) -> Vec<String> {
        let mut top = [(0, 0.0); MAX_REASON_CODES];
        let mut kept = 0;
        for (index, &credit) in contributions.iter().enumerate() {
            if credit <= 0.0 || credit.is_nan() {
                continue;
            }
            let mut at = kept;
            while at > 0 && top[at - 1].1 < credit {
                at -= 1;
            }
            if at < MAX_REASON_CODES {
                kept = (kept + 1).min(MAX_REASON_CODES);
                top.copy_within(at..kept - 1, at + 1);
                top[at] = (index, credit);
            }
        }
        top[..kept]
            .iter()
            .map(|&(index, _)| self.features[index].reason_code.clone())
            .collect()
    }
}
