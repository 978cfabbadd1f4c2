//! Size caps on a model file: the one place they are defined.
//!
//! Lowering a tree ([`flat`](super::flat)) gives every leaf its own copy of
//! its root-to-leaf path (that is what makes reason codes cheap), so memory
//! grows with *leaves × depth*, not with nodes: one deep, one-sided tree of
//! 8,000 splits (a 1 MB file) needs 32 million path steps, about 500 MB.
//! And a node shared by two parents is copied for each, so a chain of such
//! "diamonds" unfolds exponentially. The caps bound both, and [`measure`]
//! computes a tree's shape in one linear pass over its nodes before anything
//! is built, so a hostile file is refused in time and memory linear in its
//! size, with a message naming the cap and the value.
//!
//! Under the caps the built model is at most [`MODEL_MAX_DEPTH`] path steps
//! per leaf, so its memory stays linear in the file's size. The defaults
//! leave ample room over the shipped model (80 trees, 2,318 nodes, at most
//! 31 nodes and depth 4 per tree, 139 KB) and over common trainers'
//! settings (XGBoost's `max_depth` 6, LightGBM's `num_leaves` 31), while the
//! largest file they admit loads in some 400 MB at most. They are
//! constants, not settings: the model is reviewed and shipped with the
//! code, so a model that needs more is a code change, not an environment
//! variable an attacker who can swap the file might also set.

use std::{fs, io::Read, path::Path};

use super::{LoadError, Node};

/// Longest root-to-leaf path, in splits (shipped model: 4). 64 levels hold
/// any balanced tree that fits [`MODEL_MAX_TREE_NODES`] many times over, and
/// bound each leaf's stored path, which is what keeps memory linear.
pub const MODEL_MAX_DEPTH: usize = 64;

/// Most nodes one tree may have, counting a shared node once per parent
/// (shipped model: 31). LightGBM's largest `num_leaves` (131,072) aside, no
/// trainer's default comes within a hundredth of it.
pub const MODEL_MAX_TREE_NODES: usize = 1 << 16;

/// Most nodes in the whole ensemble, counted as [`MODEL_MAX_TREE_NODES`]
/// counts them (shipped model: 2,318): ~900 times the shipped model. The
/// lowered nodes take 28 bytes each, 56 MB at the cap.
pub const MODEL_MAX_NODES: usize = 1 << 21;

/// Most root-to-leaf path steps stored across the ensemble: the sum over
/// leaves of their depth (shipped model: 4,725). 16 bytes each, 64 MB at
/// the cap; this is the cap a deep model meets first.
pub const MODEL_MAX_PATH_STEPS: usize = 1 << 22;

/// Largest model file read, in bytes (shipped model: 139 KB). Parsing holds
/// the text and its parsed nodes at once, about 12 bytes per file byte
/// (measured by `tests/model_memory.rs`), so this bounds start-up memory to
/// some 400 MB before any other cap can be checked.
pub const MODEL_MAX_FILE_BYTES: usize = 32 << 20;

/// A tree's size as lowering will build it; counts saturate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Shape {
    pub(super) depth: usize,
    pub(super) nodes: usize,
    pub(super) path_steps: usize,
}

/// The shape of a validated tree (children after parents), in one pass per
/// direction: depths forward from the root, subtree sizes backward from the
/// leaves. A shared node counts once per path through it, as lowering
/// copies it.
pub(super) fn measure(nodes: &[Node]) -> Shape {
    // Longest path from the root to each node.
    let mut depth = vec![0usize; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if let Some(split) = &node.split {
            for child in [split.left, split.right] {
                depth[child] = depth[child].max(depth[i] + 1);
            }
        }
    }
    // Per subtree: (nodes, leaves, sum of leaf depths below its root).
    let mut below = vec![(0usize, 0usize, 0usize); nodes.len()];
    for (i, node) in nodes.iter().enumerate().rev() {
        below[i] = match &node.split {
            None => (1, 1, 0),
            Some(split) => {
                let (ln, ll, ls) = below[split.left];
                let (rn, rl, rs) = below[split.right];
                let leaves = ll.saturating_add(rl);
                (
                    ln.saturating_add(rn).saturating_add(1),
                    leaves,
                    ls.saturating_add(rs).saturating_add(leaves),
                )
            }
        };
    }
    Shape {
        depth: depth.iter().copied().max().unwrap_or(0),
        nodes: below[0].0,
        path_steps: below[0].2,
    }
}

/// Checks one tree's shape and adds it to the running `total`.
pub(super) fn admit(tree: usize, shape: Shape, total: &mut Shape) -> Result<(), String> {
    exceeds(
        tree,
        "is",
        shape.depth,
        "deep",
        MODEL_MAX_DEPTH,
        "MODEL_MAX_DEPTH",
    )?;
    exceeds(
        tree,
        "has",
        shape.nodes,
        "nodes",
        MODEL_MAX_TREE_NODES,
        "MODEL_MAX_TREE_NODES",
    )?;
    total.nodes = total.nodes.saturating_add(shape.nodes);
    total.path_steps = total.path_steps.saturating_add(shape.path_steps);
    if total.nodes > MODEL_MAX_NODES {
        return Err(format!(
            "trees 0 to {tree} have {} nodes; the limit is {MODEL_MAX_NODES} (MODEL_MAX_NODES)",
            total.nodes
        ));
    }
    if total.path_steps > MODEL_MAX_PATH_STEPS {
        return Err(format!(
            "trees 0 to {tree} have {} root-to-leaf path steps; the limit is \
             {MODEL_MAX_PATH_STEPS} (MODEL_MAX_PATH_STEPS)",
            total.path_steps
        ));
    }
    Ok(())
}

fn exceeds(
    tree: usize,
    verb: &str,
    value: usize,
    unit: &str,
    limit: usize,
    name: &str,
) -> Result<(), String> {
    if value > limit {
        return Err(format!(
            "tree {tree} {verb} {value} {unit}; the limit is {limit} ({name})"
        ));
    }
    Ok(())
}

/// Refuses a model text longer than [`MODEL_MAX_FILE_BYTES`].
pub(super) fn admit_file(bytes: u64) -> Result<(), String> {
    if bytes > MODEL_MAX_FILE_BYTES as u64 {
        return Err(format!(
            "the file has {bytes} bytes; the limit is {MODEL_MAX_FILE_BYTES} (MODEL_MAX_FILE_BYTES)"
        ));
    }
    Ok(())
}

/// A model file's text, never more of it than the cap: its stated size is
/// checked first (for the message), but a file that grows while read, or
/// one with no size (a FIFO, `/dev/zero`), is cut off by the read itself.
pub(super) fn read(path: &Path) -> Result<String, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.display().to_string(),
        source,
    };
    admit_file(fs::metadata(path).map_err(read_error)?.len()).map_err(LoadError::Invalid)?;
    let mut text = String::new();
    let cap = MODEL_MAX_FILE_BYTES as u64;
    let file = fs::File::open(path).map_err(read_error)?;
    file.take(cap + 1)
        .read_to_string(&mut text)
        .map_err(read_error)?;
    admit_file(text.len() as u64).map_err(LoadError::Invalid)?;
    Ok(text)
}

#[cfg(all(test, unix))]
mod tests {
    use std::{fs, io::Write, process::Command};

    use super::MODEL_MAX_FILE_BYTES;

    #[test]
    fn a_model_file_with_no_size_is_read_no_further_than_the_cap() {
        // A FIFO states no size, so only the read itself can enforce the cap.
        let path = std::env::temp_dir().join(format!("model-fifo-{}", std::process::id()));
        let _ = fs::remove_file(&path);
        assert!(
            Command::new("mkfifo")
                .arg(&path)
                .status()
                .unwrap()
                .success()
        );
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut fifo = fs::OpenOptions::new().write(true).open(path).unwrap();
                let chunk = vec![b' '; 1 << 20];
                let mut written = 0;
                // Twice the cap, or until the reader stops reading.
                while written < 2 * MODEL_MAX_FILE_BYTES && fifo.write_all(&chunk).is_ok() {
                    written += chunk.len();
                }
                written
            })
        };
        let result = super::read(&path);
        let written = writer.join().unwrap();
        fs::remove_file(&path).unwrap();
        let error = result
            .map(|text| text.len())
            .expect_err("read a file past the cap")
            .to_string();
        assert!(error.contains("MODEL_MAX_FILE_BYTES"), "{error}");
        assert!(
            written < 2 * MODEL_MAX_FILE_BYTES,
            "read all {written} bytes"
        );
    }
}
