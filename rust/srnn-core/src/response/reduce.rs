//! How per-block partial sums become one estimate, on one machine or many.
//!
//! Paths are cut into blocks of `block_size` (relative to the call's first path); block `i`
//! holds paths `i·B .. min((i+1)·B, n_paths)`. Partials are combined along a fixed binary
//! tree over block indices: the node covering the aligned range `[k·2ˡ, (k+1)·2ˡ)` is the
//! merge of its two children, and the root is the left-to-right merge of the maximal aligned
//! nodes of `[0, n_blocks)`. A node's value therefore depends only on the blocks it covers,
//! so any split of the blocks into contiguous ranges, computed anywhere and appended in any
//! grouping ([`BlockTree::append`]), gives the same bits as the local call.

use std::ops::Range;

use rayon::prelude::*;

use super::EnsembleSettings;
use crate::progress::Progress;
use crate::{Error, Result};

/// At most this many blocks are evaluated before their partials are folded. Folding is in
/// block order whatever the group size, so the group only bounds memory.
const MAX_GROUP: usize = 64;
/// Bytes of partial sums held at once, beyond one partial per thread.
const GROUP_BYTES: usize = 64 << 20;

/// Sums over a contiguous run of paths that merge with the sums of the run that follows, and
/// travel as a flat list of `f64` (counts are exact below 2⁵³).
pub trait PartialSums: Clone + Send {
    /// `self` followed by `right`.
    fn merge(&mut self, right: &Self);
    fn encode(&self, out: &mut Vec<f64>);
    fn decode(src: &mut Decoder<'_>) -> Result<Self>;
}

/// Reads back what [`PartialSums::encode`] wrote, refusing truncated or malformed input.
pub struct Decoder<'a> {
    data: &'a [f64],
}

impl<'a> Decoder<'a> {
    pub fn new(data: &'a [f64]) -> Self {
        Decoder { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn take(&mut self, len: usize) -> Result<&'a [f64]> {
        if len > self.data.len() {
            return Err(malformed());
        }
        let (head, tail) = self.data.split_at(len);
        self.data = tail;
        Ok(head)
    }

    pub fn count(&mut self) -> Result<usize> {
        let v = self.take(1)?[0];
        if !(v >= 0.0 && v.fract() == 0.0 && v < 9.007_199_254_740_992e15) {
            return Err(malformed());
        }
        Ok(v as usize)
    }

    pub fn vec(&mut self) -> Result<Vec<f64>> {
        let len = self.count()?;
        Ok(self.take(len)?.to_vec())
    }
}

fn malformed() -> Error {
    Error::invalid(
        "partial",
        "not the partial sums of an srnn_rs estimator (truncated or corrupted data)",
    )
}

fn put_vec(out: &mut Vec<f64>, v: &[f64]) {
    out.push(v.len() as f64);
    out.extend_from_slice(v);
}

impl<A: PartialSums, B: PartialSums> PartialSums for (A, B) {
    fn merge(&mut self, right: &Self) {
        self.0.merge(&right.0);
        self.1.merge(&right.1);
    }

    fn encode(&self, out: &mut Vec<f64>) {
        self.0.encode(out);
        self.1.encode(out);
    }

    fn decode(src: &mut Decoder<'_>) -> Result<Self> {
        Ok((A::decode(src)?, B::decode(src)?))
    }
}

/// Element-wise sums of several equally long vectors (plus nothing else).
#[derive(Debug, Clone, PartialEq)]
pub struct Sums(pub Vec<Vec<f64>>);

impl PartialSums for Sums {
    fn merge(&mut self, right: &Self) {
        for (a, b) in self.0.iter_mut().zip(&right.0) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }

    fn encode(&self, out: &mut Vec<f64>) {
        out.push(self.0.len() as f64);
        for v in &self.0 {
            put_vec(out, v);
        }
    }

    fn decode(src: &mut Decoder<'_>) -> Result<Self> {
        let k = src.count()?;
        let vecs = (0..k).map(|_| src.vec()).collect::<Result<Vec<_>>>()?;
        if vecs.windows(2).any(|w| w[0].len() != w[1].len()) {
            return Err(malformed());
        }
        Ok(Sums(vecs))
    }
}

/// Running sums over paths of per-path values (`count` paths). Sums are of `x − shift` (the
/// first path's values) so that the variance of nearly constant values is not lost to
/// cancellation.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    pub count: usize,
    pub shift: Vec<f64>,
    pub sum: Vec<f64>,
    pub sumsq: Vec<f64>,
}

impl Moments {
    pub fn new(len: usize) -> Self {
        Moments {
            count: 0,
            shift: vec![0.0; len],
            sum: vec![0.0; len],
            sumsq: vec![0.0; len],
        }
    }

    /// Adds one path's values.
    pub fn push(&mut self, values: &[f64]) {
        if self.count == 0 {
            self.shift.copy_from_slice(values);
        }
        for (((s, q), &v), &c) in self
            .sum
            .iter_mut()
            .zip(&mut self.sumsq)
            .zip(values)
            .zip(&self.shift)
        {
            let d = v - c;
            *s += d;
            *q += d * d;
        }
        self.count += 1;
    }

    pub fn mean(&self) -> Vec<f64> {
        let n = self.count.max(1) as f64;
        self.sum
            .iter()
            .zip(&self.shift)
            .map(|(s, c)| c + s / n)
            .collect()
    }

    /// Standard error of the mean, `sd / √count` (zero for fewer than two paths).
    pub fn stderr(&self) -> Vec<f64> {
        let n = self.count as f64;
        if self.count < 2 {
            return vec![0.0; self.sum.len()];
        }
        self.sum
            .iter()
            .zip(&self.sumsq)
            .map(|(s, q)| {
                let m = s / n;
                ((q / n - m * m).max(0.0) / (n - 1.0)).sqrt()
            })
            .collect()
    }
}

impl PartialSums for Moments {
    fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = other.clone();
            return;
        }
        let n = other.count as f64;
        for e in 0..self.sum.len() {
            // Re-express the other sums about this shift: x − a = (x − b) + (b − a).
            let delta = other.shift[e] - self.shift[e];
            self.sum[e] += other.sum[e] + n * delta;
            self.sumsq[e] += other.sumsq[e] + 2.0 * delta * other.sum[e] + n * delta * delta;
        }
        self.count += other.count;
    }

    fn encode(&self, out: &mut Vec<f64>) {
        out.push(self.count as f64);
        put_vec(out, &self.shift);
        put_vec(out, &self.sum);
        put_vec(out, &self.sumsq);
    }

    fn decode(src: &mut Decoder<'_>) -> Result<Self> {
        let count = src.count()?;
        let (shift, sum, sumsq) = (src.vec()?, src.vec()?, src.vec()?);
        if shift.len() != sum.len() || sum.len() != sumsq.len() {
            return Err(malformed());
        }
        Ok(Moments {
            count,
            shift,
            sum,
            sumsq,
        })
    }
}

/// One node of the merge tree: the partial of blocks `start .. start + 2^level`.
#[derive(Debug, Clone, PartialEq)]
struct Node<T> {
    start: usize,
    level: u32,
    value: T,
}

impl<T> Node<T> {
    fn end(&self) -> usize {
        self.start + (1usize << self.level)
    }

    /// Whether `self` and `right` are the two children of one node.
    fn is_left_sibling_of(&self, right: &Node<T>) -> bool {
        self.level == right.level
            && self.end() == right.start
            && self.start.is_multiple_of(1usize << (self.level + 1))
    }
}

/// The partial of a contiguous range of blocks as its maximal aligned tree nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct BlockTree<T> {
    /// The range covered, known even when it holds no block.
    range: Range<usize>,
    nodes: Vec<Node<T>>,
}

impl<T: PartialSums> BlockTree<T> {
    pub fn empty(at: usize) -> Self {
        BlockTree {
            range: at..at,
            nodes: Vec::new(),
        }
    }

    pub fn blocks(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Adds the partial of the next block.
    pub fn push(&mut self, value: T) {
        let start = self.range.end;
        self.push_node(Node {
            start,
            level: 0,
            value,
        });
    }

    fn push_node(&mut self, node: Node<T>) {
        self.range.end = node.end();
        self.nodes.push(node);
        while self.nodes.len() >= 2 {
            let k = self.nodes.len();
            if !self.nodes[k - 2].is_left_sibling_of(&self.nodes[k - 1]) {
                break;
            }
            let right = self.nodes.pop().expect("two nodes");
            let left = self.nodes.last_mut().expect("two nodes");
            left.value.merge(&right.value);
            left.level += 1;
        }
    }

    /// Appends the partial of the blocks that follow this range.
    pub fn append(&mut self, right: BlockTree<T>) -> Result<()> {
        if right.range.start != self.range.end {
            return Err(Error::invalid(
                "partial",
                format!(
                    "partials must be adjacent: blocks {:?} cannot follow blocks {:?}",
                    right.range, self.range
                ),
            ));
        }
        for node in right.nodes {
            self.push_node(node);
        }
        self.range.end = right.range.end;
        Ok(())
    }

    /// The root: the maximal nodes merged left to right. Only meaningful for a range that
    /// starts at block 0, which is where the tree's shape is anchored.
    pub fn root(self) -> Option<T> {
        let mut nodes = self.nodes.into_iter();
        let mut acc = nodes.next()?.value;
        for node in nodes {
            acc.merge(&node.value);
        }
        Some(acc)
    }

    pub fn encode(&self, out: &mut Vec<f64>) {
        out.push(self.range.start as f64);
        out.push(self.range.end as f64);
        out.push(self.nodes.len() as f64);
        for node in &self.nodes {
            out.push(node.start as f64);
            out.push(node.level as f64);
            node.value.encode(out);
        }
    }

    pub fn decode(src: &mut Decoder<'_>) -> Result<Self> {
        let (start, end, len) = (src.count()?, src.count()?, src.count()?);
        let mut tree = BlockTree::empty(start);
        for _ in 0..len {
            let (at, level) = (src.count()?, src.count()?);
            let value = T::decode(src)?;
            let aligned = level < 63 && at.is_multiple_of(1usize << level);
            if !aligned || at != tree.range.end {
                return Err(malformed());
            }
            tree.push_node(Node {
                start: at,
                level: level as u32,
                value,
            });
        }
        if tree.range.end > end {
            return Err(malformed());
        }
        tree.range.end = end;
        Ok(tree)
    }
}

/// Number of blocks of the call described by `settings`.
pub fn block_count(settings: &EnsembleSettings) -> usize {
    settings.n_paths.div_ceil(settings.block_size.max(1))
}

/// Checks that `blocks` lies within the call's blocks.
pub(crate) fn check_blocks(settings: &EnsembleSettings, blocks: &Range<usize>) -> Result<()> {
    let n = block_count(settings);
    if blocks.start > blocks.end || blocks.end > n {
        return Err(Error::invalid(
            "blocks",
            format!("expected a range within the call's {n} blocks, got {blocks:?}"),
        ));
    }
    Ok(())
}

/// The single estimate of the whole call, from a tree that must cover all of its blocks.
pub(crate) fn whole<T: PartialSums>(settings: &EnsembleSettings, tree: BlockTree<T>) -> Result<T> {
    let n = block_count(settings);
    if tree.range != (0..n) {
        return Err(Error::invalid(
            "partial",
            format!(
                "covers blocks {:?}, but the estimate needs all of 0..{n}",
                tree.range
            ),
        ));
    }
    tree.root()
        .ok_or_else(|| Error::invalid("n_paths", "expected at least one path"))
}

/// Runs `block(first, rows)` for every block of paths in `blocks` (positions relative to
/// `settings.first_path`) and builds their merge tree. `partial_len` is the number of `f64`
/// in one block's partial (it sizes the groups evaluated at once).
pub(crate) fn reduce_blocks<T: PartialSums>(
    settings: &EnsembleSettings,
    blocks: Range<usize>,
    progress: &Progress,
    partial_len: usize,
    block: impl Fn(usize, usize) -> Result<T> + Sync,
) -> Result<BlockTree<T>> {
    let block = |_: &mut (), first: usize, rows: usize| block(first, rows);
    reduce_blocks_with(settings, blocks, progress, partial_len, block)
}

/// [`reduce_blocks`] passing `block` a scratch value reused across the blocks of a rayon job.
pub(crate) fn reduce_blocks_with<S: Default + Send, T: PartialSums>(
    settings: &EnsembleSettings,
    blocks: Range<usize>,
    progress: &Progress,
    partial_len: usize,
    block: impl Fn(&mut S, usize, usize) -> Result<T> + Sync,
) -> Result<BlockTree<T>> {
    check_blocks(settings, &blocks)?;
    let size = settings.block_size.max(1);
    let group = (GROUP_BYTES / (8 * partial_len.max(1)))
        .clamp(1, MAX_GROUP)
        .max(rayon::current_num_threads());
    let mut tree = BlockTree::empty(blocks.start);
    let mut start = blocks.start;
    while start < blocks.end {
        progress.checkpoint()?;
        let end = (start + group).min(blocks.end);
        let parts: Vec<Result<T>> = (start..end)
            .into_par_iter()
            .map_init(S::default, |scratch, index| {
                progress.checkpoint()?;
                let first = index * size;
                let rows = size.min(settings.n_paths - first);
                let out = block(scratch, first, rows);
                if out.is_err() {
                    progress.cancel();
                }
                out
            })
            .collect();
        for part in parts {
            tree.push(part?);
        }
        start = end;
    }
    Ok(tree)
}

/// Paths in `blocks`, for progress totals.
pub(crate) fn paths_in(settings: &EnsembleSettings, blocks: &Range<usize>) -> usize {
    let size = settings.block_size.max(1);
    (blocks.end * size).min(settings.n_paths) - (blocks.start * size).min(settings.n_paths)
}
