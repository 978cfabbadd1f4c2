//! A small, exact-on-bins gradient-boosting fitter for logistic loss, in the
//! style of XGBoost and LightGBM: second-order leaf weights with L2
//! regularisation, learned default directions for missing values, and
//! categorical splits found by ordering categories by gradient ratio.
//!
//! Every split is expressed over bins, and numeric bin edges are the exact
//! thresholds written to the file, so the fitted ensemble and the file score
//! identically.

// Every worker crate shares this code; the alias keeps it identical across them.
use scorer as worker;

use worker::model::NodeSpec;

/// Column value for a missing input.
pub const MISSING: u16 = u16::MAX;

pub struct Params {
    pub trees: usize,
    pub max_depth: usize,
    pub learning_rate: f64,
    pub lambda: f64,
    pub min_child_hessian: f64,
    /// Pseudo-count in the gradient ratio that orders categories, so rare
    /// categories do not look extreme by chance.
    pub category_smoothing: f64,
}

/// One input column, already binned.
pub struct Column {
    /// Bin per row (a numeric bin index or a category index), or [`MISSING`].
    pub bins: Vec<u16>,
    pub kind: ColumnKind,
}

pub enum ColumnKind {
    /// `cuts` ascending; bin `b` holds values in `[cuts[b-1], cuts[b])`.
    Numeric {
        cuts: Vec<f64>,
    },
    Categorical {
        names: Vec<String>,
    },
}

impl Column {
    fn bin_count(&self) -> usize {
        match &self.kind {
            ColumnKind::Numeric { cuts } => cuts.len() + 1,
            ColumnKind::Categorical { names } => names.len(),
        }
    }
}

/// A fitted tree as written to the file, plus its routing over bins.
pub struct FittedTree {
    pub nodes: Vec<NodeSpec>,
    routes: Vec<Option<Route>>,
}

struct Route {
    column: usize,
    /// `goes_left[bin]`.
    goes_left: Vec<bool>,
    default_left: bool,
    left: usize,
    right: usize,
}

impl FittedTree {
    /// The value of the leaf `row` reaches.
    pub fn predict(&self, columns: &[Column], row: usize) -> f64 {
        let mut node = 0;
        while let Some(route) = &self.routes[node] {
            let bin = columns[route.column].bins[row];
            let left = if bin == MISSING {
                route.default_left
            } else {
                route.goes_left[bin as usize]
            };
            node = if left { route.left } else { route.right };
        }
        self.nodes[node].value
    }
}

struct Best {
    gain: f64,
    column: usize,
    /// Bins that go left, in scan order; a prefix of the column's ordering.
    left_bins: Vec<usize>,
    default_left: bool,
}

/// Grows one tree on `rows` for gradients `grad` and hessians `hess`.
pub fn fit_tree(
    params: &Params,
    columns: &[Column],
    rows: Vec<usize>,
    grad: &[f64],
    hess: &[f64],
) -> FittedTree {
    let mut tree = FittedTree {
        nodes: Vec::new(),
        routes: Vec::new(),
    };
    grow(params, columns, rows, 0, grad, hess, &mut tree);
    tree
}

fn grow(
    params: &Params,
    columns: &[Column],
    rows: Vec<usize>,
    depth: usize,
    grad: &[f64],
    hess: &[f64],
    tree: &mut FittedTree,
) -> usize {
    let g: f64 = rows.iter().map(|&r| grad[r]).sum();
    let h: f64 = rows.iter().map(|&r| hess[r]).sum();
    let index = tree.nodes.len();
    tree.nodes.push(NodeSpec {
        value: round6(-params.learning_rate * g / (h + params.lambda)),
        ..NodeSpec::default()
    });
    tree.routes.push(None);
    if depth == params.max_depth {
        return index;
    }
    let Some(best) = best_split(params, columns, &rows, grad, hess, g, h) else {
        return index;
    };

    let column = &columns[best.column];
    let mut goes_left = vec![false; column.bin_count()];
    for &bin in &best.left_bins {
        goes_left[bin] = true;
    }
    let (left_rows, right_rows): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&r| {
        let bin = column.bins[r];
        if bin == MISSING {
            best.default_left
        } else {
            goes_left[bin as usize]
        }
    });
    let left = grow(params, columns, left_rows, depth + 1, grad, hess, tree);
    let right = grow(params, columns, right_rows, depth + 1, grad, hess, tree);

    let node = &mut tree.nodes[index];
    node.feature = Some(best.column);
    node.default_left = Some(best.default_left);
    node.left = Some(left);
    node.right = Some(right);
    match &column.kind {
        // Numeric scans go in bin order, so the left bins are 0..k and the
        // threshold is the lower edge of bin k.
        ColumnKind::Numeric { cuts } => node.threshold = Some(cuts[best.left_bins.len() - 1]),
        ColumnKind::Categorical { names } => {
            let mut categories: Vec<String> =
                best.left_bins.iter().map(|&b| names[b].clone()).collect();
            categories.sort();
            node.categories = Some(categories);
        }
    }
    tree.routes[index] = Some(Route {
        column: best.column,
        goes_left,
        default_left: best.default_left,
        left,
        right,
    });
    index
}

fn best_split(
    params: &Params,
    columns: &[Column],
    rows: &[usize],
    grad: &[f64],
    hess: &[f64],
    g: f64,
    h: f64,
) -> Option<Best> {
    let score = |g: f64, h: f64| g * g / (h + params.lambda);
    let parent = score(g, h);
    let mut best: Option<Best> = None;

    for (c, column) in columns.iter().enumerate() {
        let mut hist = vec![(0.0, 0.0); column.bin_count()];
        let (mut gm, mut hm) = (0.0, 0.0);
        for &r in rows {
            match column.bins[r] {
                MISSING => (gm, hm) = (gm + grad[r], hm + hess[r]),
                bin => {
                    let slot = &mut hist[bin as usize];
                    *slot = (slot.0 + grad[r], slot.1 + hess[r]);
                }
            }
        }
        let order: Vec<usize> = match column.kind {
            ColumnKind::Numeric { .. } => (0..hist.len()).collect(),
            ColumnKind::Categorical { .. } => {
                let mut seen: Vec<usize> = (0..hist.len()).filter(|&b| hist[b].1 > 0.0).collect();
                let ratio = |b: usize| hist[b].0 / (hist[b].1 + params.category_smoothing);
                seen.sort_by(|&a, &b| ratio(a).total_cmp(&ratio(b)));
                seen
            }
        };

        let (mut gl, mut hl) = (0.0, 0.0);
        for k in 1..order.len() {
            gl += hist[order[k - 1]].0;
            hl += hist[order[k - 1]].1;
            for default_left in [true, false] {
                let (gl, hl) = if default_left {
                    (gl + gm, hl + hm)
                } else {
                    (gl, hl)
                };
                let (gr, hr) = (g - gl, h - hl);
                if hl < params.min_child_hessian || hr < params.min_child_hessian {
                    continue;
                }
                let gain = score(gl, hl) + score(gr, hr) - parent;
                // With nothing missing here both directions tie; send missing
                // values the way most of the data went.
                let default_left = if hm > 0.0 { default_left } else { hl >= hr };
                if gain > 1e-9 && best.as_ref().is_none_or(|b| gain > b.gain) {
                    best = Some(Best {
                        gain,
                        column: c,
                        left_bins: order[..k].to_vec(),
                        default_left,
                    });
                }
            }
        }
    }
    best
}

/// Rounds to 6 decimal places so the file stays short and readable.
pub fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// Bin edges for a numeric column: up to `max_bins - 1` cuts at quantiles,
/// each the shortest decimal strictly above the value below the boundary
/// and at most the value above it, so thresholds read like 50 or 0.5.
pub fn cut_points(values: &[f64], max_bins: usize) -> Vec<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut distinct = sorted.clone();
    distinct.dedup();
    let mut cuts: Vec<f64> = (1..max_bins)
        .filter_map(|q| {
            let upper = sorted[q * sorted.len() / max_bins];
            let position = distinct.partition_point(|&v| v < upper);
            let lower = *distinct.get(position.checked_sub(1)?)?;
            Some(shortest_between(lower, upper))
        })
        .collect();
    cuts.dedup();
    cuts
}

fn shortest_between(lower: f64, upper: f64) -> f64 {
    (1..=15)
        .map(|digits| round_significant((lower + upper) / 2.0, digits))
        .find(|&cut| lower < cut && cut <= upper)
        .unwrap_or(upper)
}

fn round_significant(value: f64, digits: i32) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let shift = digits - 1 - value.abs().log10().floor() as i32;
    // Integer powers of ten are exact, so scale by multiplying or dividing
    // by one rather than by an inexact 10^-n.
    if shift >= 0 {
        let scale = 10f64.powi(shift);
        (value * scale).round() / scale
    } else {
        let scale = 10f64.powi(-shift);
        (value / scale).round() * scale
    }
}

/// The bin of `value` given ascending `cuts`.
pub fn bin_of(value: f64, cuts: &[f64]) -> u16 {
    cuts.partition_point(|&cut| cut <= value) as u16
}
