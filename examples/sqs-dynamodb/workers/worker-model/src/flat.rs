//! The scoring layout: every tree of the ensemble lowered into one array of
//! nodes, built once at load from the validated [`Tree`]s.
//!
//! A tree walk is a chain of dependent loads (node, input, next node), and
//! scoring is mostly tree walks. The layout lets many walks advance side by
//! side with no branch on data, so the core overlaps their loads:
//!
//! * Every test is the same integer comparison, `slot & mask >= threshold`,
//!   and the next node is `left + (test as u32)`: a split's two children are
//!   adjacent.
//! * A request becomes a row of `u64` slots. A number becomes an
//!   order-preserving key, so `x < t` is `key(x) < key(t)`; a category
//!   becomes membership words, one bit per distinct set its feature's splits
//!   test, so set membership is one AND. Missing values have an encoding of
//!   their own that each split sends to its `default_left` side (see
//!   [`Forest::encode_split`]).
//! * A leaf's test always passes and its `left` is itself minus one, so a
//!   walk that stepped past its leaf stays there, and a group of walks can
//!   all take the same number of steps.
//! * Each leaf keeps its root-to-leaf path as `(feature, credit)` pairs, so
//!   Saabas attribution needs only the reached leaves.

use std::collections::HashMap;

use super::{Feature, FeatureKind, Split, SplitTest, Tree};

/// Slots of a missing number: above every key in the slot read by splits
/// that send it right, below every key in the one read by those that send
/// it left; see [`Forest::encode_split`].
pub(super) const MISSING_NUMBER: [u64; 2] = [u64::MAX, 0];
/// Slot word of a missing category: the one bit no set uses.
pub(super) const MISSING_CATEGORY: u64 = 1 << SET_BITS;
/// Set bits per membership word; the top bit marks a missing category.
const SET_BITS: usize = 63;

#[derive(Debug, Clone, Copy)]
pub(super) struct FlatNode {
    /// Split: ANDed with the slot. Leaf: the value's bits (any mask passes).
    pub(super) mask: u64,
    pub(super) threshold: u64,
    /// The first child; the test passing picks the one after it.
    pub(super) left: u32,
    /// The slot read.
    pub(super) slot: u32,
}

/// One step of a root-to-leaf path: `child.value - split.value`, credited to
/// the split's feature.
#[derive(Debug, Clone, Copy)]
pub(super) struct PathStep {
    pub(super) feature: u32,
    pub(super) credit: f64,
}

/// Where a feature's value goes in a row of slots.
#[derive(Debug, Clone, Copy)]
pub(super) struct SlotSpan {
    pub(super) start: usize,
    /// 2 for a number (see [`MISSING_NUMBER`]); for a category, membership
    /// words per category id.
    pub(super) words: usize,
    /// A category's words in `Forest::membership`, by id.
    pub(super) table: usize,
}

#[derive(Debug, Default)]
pub(super) struct Forest {
    pub(super) nodes: Vec<FlatNode>,
    /// Per tree, in file order.
    pub(super) roots: Vec<u32>,
    /// Per tree: steps from the root to its deepest leaf.
    pub(super) depths: Vec<u32>,
    /// `steps[path_start[i]..path_start[i + 1]]` is node `i`'s path if it is
    /// a leaf, and empty otherwise.
    pub(super) path_start: Vec<u32>,
    pub(super) steps: Vec<PathStep>,
    /// Per feature, in file order.
    pub(super) spans: Vec<SlotSpan>,
    /// A row in which every feature is missing.
    pub(super) missing_row: Vec<u64>,
    pub(super) membership: Vec<u64>,
}

/// A node of the lowered tree before it is encoded.
struct Pending {
    source: usize,
    parent: Option<u32>,
    depth: u32,
}

impl Forest {
    pub(super) fn lower(trees: &[Tree], features: &[Feature]) -> Result<Self, String> {
        // Each categorical feature's distinct sets, numbered as first seen.
        let mut sets: Vec<HashMap<&[u64], usize>> = vec![HashMap::new(); features.len()];
        for split in trees
            .iter()
            .flat_map(|t| &t.nodes)
            .filter_map(|n| n.split.as_ref())
        {
            if let SplitTest::InSet(bits) = &split.test {
                let known = &mut sets[split.feature];
                let next = known.len();
                known.entry(&bits[..]).or_insert(next);
            }
        }
        let mut forest = Forest {
            path_start: vec![0],
            ..Forest::default()
        };
        for (feature, sets) in features.iter().zip(&sets) {
            forest.add_span(feature, sets);
        }
        // A model without features still walks (to its leaves), reading slot 0.
        if forest.missing_row.is_empty() {
            forest.missing_row.push(0);
        }
        if u32::try_from(forest.missing_row.len()).is_err() {
            return Err("the model has too many features or category sets to score".into());
        }
        for (t, tree) in trees.iter().enumerate() {
            forest
                .lower_tree(tree, &sets)
                .map_err(|message| format!("tree {t}: {message}"))?;
        }
        Ok(forest)
    }

    fn add_span(&mut self, feature: &Feature, sets: &HashMap<&[u64], usize>) {
        let start = self.missing_row.len();
        let FeatureKind::Categorical { vocabulary } = &feature.kind else {
            self.missing_row.extend(MISSING_NUMBER);
            self.spans.push(SlotSpan {
                start,
                words: 2,
                table: 0,
            });
            return;
        };
        let words = sets.len().div_ceil(SET_BITS).max(1);
        let table = self.membership.len();
        self.membership.resize(table + vocabulary.len() * words, 0);
        for (bits, &set) in sets {
            for (w, &word) in bits.iter().enumerate() {
                for bit in (0..64).filter(|bit| word & (1 << bit) != 0) {
                    let id = w * 64 + bit;
                    self.membership[table + id * words + set / SET_BITS] |= 1 << (set % SET_BITS);
                }
            }
        }
        self.missing_row.resize(start + words, MISSING_CATEGORY);
        self.spans.push(SlotSpan {
            start,
            words,
            table,
        });
    }

    /// Lays the tree out breadth first, so the two children of every split
    /// get consecutive indices, then encodes each node.
    fn lower_tree(&mut self, tree: &Tree, sets: &[HashMap<&[u64], usize>]) -> Result<(), String> {
        let first = self.nodes.len();
        let mut pending = vec![Pending {
            source: 0,
            parent: None,
            depth: 0,
        }];
        let mut next = 0;
        while let Some(&Pending { source, depth, .. }) = pending.get(next) {
            // The caps bound how far shared nodes unfold (see `caps::measure`).
            if let Some(split) = &tree.nodes[source].split {
                let parent = Some(index(first + next)?);
                // A set test passing means left, so the left child goes second.
                let children = match split.test {
                    SplitTest::LessThan(_) => [split.left, split.right],
                    SplitTest::InSet(_) => [split.right, split.left],
                };
                for source in children {
                    pending.push(Pending {
                        source,
                        parent,
                        depth: depth + 1,
                    });
                }
            }
            next += 1;
        }
        self.roots.push(index(first)?);
        self.depths
            .push(pending.iter().map(|p| p.depth).max().unwrap_or(0));
        index(first + pending.len())?;

        // Children were queued in pairs, in their parents' order, so the
        // first child of the k-th split is node 2k + 1 of this tree.
        let mut splits = 0;
        for (i, p) in pending.iter().enumerate() {
            let node = &tree.nodes[p.source];
            let encoded = match &node.split {
                Some(split) => {
                    let left = index(first + 2 * splits + 1)?;
                    splits += 1;
                    self.encode_split(split, left, sets)
                }
                None => {
                    self.push_path(tree, &pending, first, i);
                    FlatNode {
                        mask: node.value.to_bits(),
                        threshold: 0,
                        left: index(first + i)?.wrapping_sub(1),
                        slot: 0,
                    }
                }
            };
            self.nodes.push(encoded);
            self.path_start.push(index(self.steps.len())?);
        }
        Ok(())
    }

    /// Numeric split: passes (goes right) when `key(x) >= key(t)`, which
    /// is when `x < t` fails. It reads the slot where a missing value is above
    /// every key if missing values go right, and the one where it is below
    /// every key (0; `key(t)` is at least 1) if they go left.
    /// Category split: passes (goes left) when the row's word has the set's
    /// bit, or the missing bit if `default_left`; an unknown category has
    /// no bits, so it goes right.
    fn encode_split(&self, split: &Split, left: u32, sets: &[HashMap<&[u64], usize>]) -> FlatNode {
        let span = self.spans[split.feature];
        let (mask, threshold, slot) = match &split.test {
            SplitTest::LessThan(threshold) => {
                let slot = span.start + usize::from(split.default_left);
                (u64::MAX, number_key(*threshold), slot)
            }
            SplitTest::InSet(bits) => {
                let set = sets[split.feature][&bits[..]];
                let missing = if split.default_left {
                    MISSING_CATEGORY
                } else {
                    0
                };
                let mask = 1 << (set % SET_BITS) | missing;
                (mask, 1, span.start + set / SET_BITS)
            }
        };
        FlatNode {
            mask,
            threshold,
            left,
            // `lower` checked that every slot index fits.
            slot: slot as u32,
        }
    }

    /// Appends the steps from the root to leaf `i` of the tree being lowered.
    fn push_path(&mut self, tree: &Tree, pending: &[Pending], first: usize, i: usize) {
        let start = self.steps.len();
        let mut at = i;
        while let Some(parent) = pending[at].parent {
            let parent = parent as usize - first;
            let split_node = &tree.nodes[pending[parent].source];
            let split = split_node.split.as_ref().expect("a parent is a split");
            self.steps.push(PathStep {
                feature: split.feature as u32,
                // The same subtraction the tree walk does, so credits match.
                credit: tree.nodes[pending[at].source].value - split_node.value,
            });
            at = parent;
        }
        self.steps[start..].reverse();
    }
}

/// Maps a number to a key that sorts as the number does: `x < t` exactly
/// when `key(x) < key(t)`, for every finite `t`. NaN fails `x < t` like
/// +inf does, and -0.0 equals 0.0, so both are mapped to those first.
/// Keys are above 0 and below `u64::MAX`, the two missing values.
pub(super) fn number_key(value: f64) -> u64 {
    // Adding 0.0 turns -0.0 into 0.0 and changes nothing else.
    let value = if value.is_nan() {
        f64::INFINITY
    } else {
        value + 0.0
    };
    let bits = value.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn index(i: usize) -> Result<u32, String> {
    u32::try_from(i).map_err(|_| "the model has too many nodes to score".to_owned())
}
