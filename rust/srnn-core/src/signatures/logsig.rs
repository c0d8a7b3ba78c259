//! Log-signatures: the tensor logarithm of the signature, and its coordinates in the Lyndon
//! basis of the free Lie algebra (the standard bracketing of Lyndon words, ordered by level
//! and then lexicographically, as iisignature's default and signatory's "brackets").
//!
//! Coordinates: with `P_w` the expanded bracket of the Lyndon word `w`, the Lie element
//! `log S = Σ_w c_w P_w`. `P_w` has coefficient 1 at the word `w` and is otherwise supported
//! on words greater than `w`, so reading `log S` at the Lyndon words gives a unit
//! triangular system for `c`, solved level by level in increasing lexicographic order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

use super::tensor::{self, Layout};
use crate::progress::Progress;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogSigMode {
    /// Coordinates in the Lyndon (Hall) basis.
    Lyndon,
    /// The full tensor logarithm.
    Expand,
    /// The tensor logarithm read at the Lyndon words only.
    Words,
}

/// Lyndon words over `0..d` of length `1..=depth`, by length, lexicographic within a length.
pub fn lyndon_words(d: usize, depth: usize) -> Vec<Vec<u16>> {
    // Duval's algorithm yields every Lyndon word of length <= depth in lexicographic order.
    let mut all: Vec<Vec<u16>> = Vec::new();
    if d == 0 || depth == 0 {
        return all;
    }
    let mut w: Vec<u16> = vec![0];
    loop {
        all.push(w.clone());
        let m = w.len();
        while w.len() < depth {
            let c = w[w.len() - m];
            w.push(c);
        }
        while let Some(&last) = w.last() {
            if usize::from(last) == d - 1 {
                w.pop();
            } else {
                break;
            }
        }
        match w.last_mut() {
            Some(last) => *last += 1,
            None => break,
        }
    }
    all.sort_by_key(|w| w.len());
    all
}

/// Witt's formula: the number of Lyndon words of each length up to `depth`, summed; `None`
/// when it does not fit in a `u128`.
pub fn logsiglength(d: usize, depth: usize) -> Option<u128> {
    let mut total: u128 = 0;
    for k in 1..=depth {
        let mut s: i128 = 0;
        for q in (1..=k).filter(|q| k.is_multiple_of(*q)) {
            let power = i128::try_from(d)
                .ok()?
                .checked_pow(u32::try_from(k / q).ok()?)?;
            s = s.checked_add(i128::from(mobius(q)).checked_mul(power)?)?;
        }
        total = total.checked_add(u128::try_from(s / k as i128).ok()?)?;
    }
    Some(total)
}

/// Bytes that building the Lyndon basis to `depth` takes: about `2^(k-1)` terms of three
/// numbers for each word of length `k`.
pub fn lyndon_basis_bytes(d: usize, depth: usize) -> u128 {
    let words = logsiglength(d, depth).unwrap_or(u128::MAX);
    let terms = 1u128
        .checked_shl(u32::try_from(depth.saturating_sub(1)).unwrap_or(u32::MAX))
        .unwrap_or(u128::MAX);
    crate::memory::f64_bytes(&[words, terms, 3])
}

/// Fails with [`Error::MemoryLimit`] when the Lyndon basis of `(d, depth)` is too large to build.
pub fn check_lyndon_basis(d: usize, depth: usize) -> Result<()> {
    crate::memory::check_memory("the Lyndon basis", lyndon_basis_bytes(d, depth))
}

fn mobius(n: usize) -> i32 {
    let mut n = n;
    let mut result = 1;
    let mut p = 2;
    while p * p <= n {
        if n.is_multiple_of(p) {
            n /= p;
            if n.is_multiple_of(p) {
                return 0;
            }
            result = -result;
        }
        p += 1;
    }
    if n > 1 {
        result = -result;
    }
    result
}

fn is_lyndon(w: &[u16]) -> bool {
    (1..w.len()).all(|i| w < &w[i..])
}

/// Standard factorisation `w = u v`, `v` the longest proper Lyndon suffix.
fn split(w: &[u16]) -> usize {
    (1..w.len())
        .find(|&i| is_lyndon(&w[i..]))
        .unwrap_or(w.len())
}

/// Bracket label of a Lyndon word in iisignature's notation, letters from 1.
pub fn label(w: &[u16]) -> String {
    if w.len() == 1 {
        return (w[0] + 1).to_string();
    }
    let i = split(w);
    format!("[{},{}]", label(&w[..i]), label(&w[i..]))
}

/// Sparse tensor of one level: `(row-major word index, coefficient)`, sorted by index.
type Sparse = Vec<(u64, f64)>;

fn word_index(w: &[u16], d: usize) -> u64 {
    w.iter().fold(0u64, |acc, &c| acc * d as u64 + u64::from(c))
}

/// `a b - b a` for `a` of length `la`, `b` of length `lb`.
fn bracket(a: &Sparse, la: usize, b: &Sparse, lb: usize, d: usize) -> Sparse {
    let sa = (d as u64).pow(lb as u32);
    let sb = (d as u64).pow(la as u32);
    let mut terms: HashMap<u64, f64> = HashMap::new();
    for &(i, x) in a {
        for &(j, y) in b {
            *terms.entry(i * sa + j).or_insert(0.0) += x * y;
            *terms.entry(j * sb + i).or_insert(0.0) -= x * y;
        }
    }
    let mut v: Sparse = terms.into_iter().filter(|&(_, c)| c != 0.0).collect();
    v.sort_by_key(|&(i, _)| i);
    v
}

/// Everything needed to move between tensors and Lyndon coordinates for one `(d, depth)`.
#[derive(Debug)]
pub struct LogSigPlan {
    pub lay: Layout,
    pub words: Vec<Vec<u16>>,
    /// Expanded bracket of each word (indices within its level).
    pub expansions: Vec<Sparse>,
    /// For each word, its expansion read at Lyndon words: `(position in `words`, coef)`,
    /// excluding the word itself (whose coefficient is 1).
    solve: Vec<Vec<(usize, f64)>>,
    /// Range of `words` at each level.
    pub level_range: Vec<(usize, usize)>,
}

impl LogSigPlan {
    pub fn new(d: usize, depth: usize) -> Self {
        let lay = Layout::new(d, depth);
        let words = lyndon_words(d, depth);
        let pos: HashMap<Vec<u16>, usize> = words
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, w)| (w, i))
            .collect();
        let mut expansions: Vec<Sparse> = Vec::with_capacity(words.len());
        for w in &words {
            let e = if w.len() == 1 {
                vec![(u64::from(w[0]), 1.0)]
            } else {
                let i = split(w);
                let (u, v) = (&w[..i], &w[i..]);
                bracket(
                    &expansions[pos[u]],
                    u.len(),
                    &expansions[pos[v]],
                    v.len(),
                    d,
                )
            };
            expansions.push(e);
        }
        let mut level_range = vec![(0, 0); depth + 1];
        for (i, w) in words.iter().enumerate() {
            let r = &mut level_range[w.len()];
            if r.1 == 0 {
                r.0 = i;
            }
            r.1 = i + 1;
        }
        let idx_pos: HashMap<(usize, u64), usize> = words
            .iter()
            .enumerate()
            .map(|(i, w)| ((w.len(), word_index(w, d)), i))
            .collect();
        let solve = words
            .iter()
            .zip(&expansions)
            .enumerate()
            .map(|(i, (w, e))| {
                e.iter()
                    .filter_map(|&(ix, c)| idx_pos.get(&(w.len(), ix)).map(|&j| (j, c)))
                    .filter(|&(j, _)| j != i)
                    .collect()
            })
            .collect();
        LogSigPlan {
            lay,
            words,
            expansions,
            solve,
            level_range,
        }
    }

    /// The plan `mode` needs: the tensor layout alone for `Expand`, which reads no Lyndon
    /// word (so a depth whose Lyndon basis would not fit in memory still works), else the
    /// shared plan of [`LogSigPlan::cached`].
    pub fn for_mode(d: usize, depth: usize, mode: LogSigMode) -> Arc<LogSigPlan> {
        if mode != LogSigMode::Expand {
            return Self::cached(d, depth);
        }
        Arc::new(LogSigPlan {
            lay: Layout::new(d, depth),
            words: Vec::new(),
            expansions: Vec::new(),
            solve: Vec::new(),
            level_range: vec![(0, 0); depth + 1],
        })
    }

    /// A shared plan for `(d, depth)`, built once per process.
    pub fn cached(d: usize, depth: usize) -> Arc<LogSigPlan> {
        type Cache = Mutex<HashMap<(usize, usize), Arc<LogSigPlan>>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(p) = cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(d, depth))
        {
            return p.clone();
        }
        let plan = Arc::new(LogSigPlan::new(d, depth));
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((d, depth), plan.clone());
        plan
    }

    pub fn n_words(&self) -> usize {
        self.words.len()
    }

    pub fn width(&self, mode: LogSigMode) -> usize {
        match mode {
            LogSigMode::Expand => self.lay.sig_len(),
            _ => self.n_words(),
        }
    }

    /// Reads a full-layout Lie element at the Lyndon words.
    fn read_words(&self, lie: &[f64], out: &mut [f64]) {
        let d = self.lay.d;
        for (o, w) in out.iter_mut().zip(&self.words) {
            *o = lie[self.lay.off[w.len()] + word_index(w, d) as usize];
        }
    }

    /// Lyndon-word readings → Lyndon-basis coordinates, in place.
    fn solve_in_place(&self, c: &mut [f64]) {
        for i in 0..self.words.len() {
            let ci = c[i];
            if ci != 0.0 {
                for &(j, coef) in &self.solve[i] {
                    c[j] -= ci * coef;
                }
            }
        }
    }

    /// Coordinates (`mode` order) of the Lie element `lie` (full layout, scalar ignored).
    pub fn project(&self, lie: &[f64], mode: LogSigMode, out: &mut [f64]) {
        match mode {
            LogSigMode::Expand => out.copy_from_slice(&lie[1..]),
            LogSigMode::Words => self.read_words(lie, out),
            LogSigMode::Lyndon => {
                self.read_words(lie, out);
                self.solve_in_place(out);
            }
        }
    }

    /// Transpose of [`project`](Self::project): the cotangent of the Lie element (full layout,
    /// zero scalar) from the cotangent `grad` of its coordinates.
    pub fn project_adjoint(&self, grad: &[f64], mode: LogSigMode) -> Vec<f64> {
        let mut lie = vec![0.0; self.lay.full_len()];
        match mode {
            LogSigMode::Expand => lie[1..].copy_from_slice(grad),
            LogSigMode::Words | LogSigMode::Lyndon => {
                let mut c = grad.to_vec();
                if mode == LogSigMode::Lyndon {
                    // The forward substitution's elementary steps, transposed and reversed.
                    for i in (0..self.words.len()).rev() {
                        let s: f64 = self.solve[i].iter().map(|&(j, coef)| coef * c[j]).sum();
                        c[i] -= s;
                    }
                }
                let d = self.lay.d;
                for (w, &ci) in self.words.iter().zip(&c) {
                    lie[self.lay.off[w.len()] + word_index(w, d) as usize] += ci;
                }
            }
        }
        lie
    }

    /// The Lie element (full layout, zero scalar) with the given coordinates.
    pub fn expand(&self, coords: &[f64], mode: LogSigMode) -> Vec<f64> {
        let mut lie = vec![0.0; self.lay.full_len()];
        match mode {
            LogSigMode::Expand => lie[1..].copy_from_slice(coords),
            LogSigMode::Words | LogSigMode::Lyndon => {
                let mut c = coords.to_vec();
                if mode == LogSigMode::Words {
                    self.solve_in_place(&mut c);
                }
                for ((w, e), &ci) in self.words.iter().zip(&self.expansions).zip(&c) {
                    let o = self.lay.off[w.len()];
                    for &(ix, coef) in e {
                        lie[o + ix as usize] += ci * coef;
                    }
                }
            }
        }
        lie
    }
}

/// How many full-layout tensors `sigs` holds.
fn signature_rows(sigs: &[f64], full: usize) -> Result<usize> {
    if !sigs.len().is_multiple_of(full) {
        return Err(Error::invalid(
            "sig",
            format!("expected a multiple of {full} values, got {}", sigs.len()),
        ));
    }
    Ok(sigs.len() / full)
}

/// The logarithm's refusal of a tensor whose level-0 term is not positive.
fn non_positive_scalar(scalar: f64) -> Error {
    Error::invalid(
        "sig",
        format!("the logarithm needs a positive level-0 term, got {scalar}"),
    )
}

/// Log-signature coordinates of full-layout group-like tensors `sigs` (`n * full_len`).
pub fn sig_to_logsig(
    plan: &LogSigPlan,
    sigs: &[f64],
    mode: LogSigMode,
    progress: &Progress,
) -> Result<Vec<f64>> {
    let full = plan.lay.full_len();
    let width = plan.width(mode);
    let n = signature_rows(sigs, full)?;
    let mut out = crate::memory::zeros("logsignature", n * width)?;
    if width == 0 {
        return Ok(out);
    }
    out.par_chunks_mut(width)
        .zip(sigs.par_chunks(full))
        .try_for_each(|(o, s)| {
            progress.checkpoint()?;
            let l = tensor::log(&plan.lay, s).ok_or_else(|| non_positive_scalar(s[0]))?;
            plan.project(&l, mode, o);
            Ok(())
        })?;
    Ok(out)
}

/// Vector-Jacobian product of [`sig_to_logsig`]: the gradient of `Σ <grads, logsig(sigs)>`
/// with respect to the full-layout signatures `sigs` (`n * full_len`); `grads` is
/// `n * width` in `mode`'s coordinates.
pub fn logsig_backprop(
    plan: &LogSigPlan,
    sigs: &[f64],
    grads: &[f64],
    mode: LogSigMode,
    progress: &Progress,
) -> Result<Vec<f64>> {
    let full = plan.lay.full_len();
    let width = plan.width(mode);
    let n = signature_rows(sigs, full)?;
    if grads.len() != n * width {
        return Err(Error::invalid(
            "grad",
            format!(
                "expected {n} rows of {width} values, got {} values",
                grads.len()
            ),
        ));
    }
    let mut out = crate::memory::zeros("signature gradient", n * full)?;
    if width == 0 {
        return Ok(out);
    }
    out.par_chunks_mut(full)
        .zip(sigs.par_chunks(full))
        .zip(grads.par_chunks(width))
        .try_for_each(|((o, s), g)| {
            progress.checkpoint()?;
            let lie_bar = plan.project_adjoint(g, mode);
            let v =
                tensor::log_vjp(&plan.lay, s, &lie_bar).ok_or_else(|| non_positive_scalar(s[0]))?;
            o.copy_from_slice(&v);
            Ok(())
        })?;
    Ok(out)
}

/// Signatures (full layout) of the log-signature coordinates `coords` (`n * width`).
pub fn logsig_to_sig(
    plan: &LogSigPlan,
    coords: &[f64],
    mode: LogSigMode,
    progress: &Progress,
) -> Result<Vec<f64>> {
    let full = plan.lay.full_len();
    let width = plan.width(mode);
    if width == 0 || !coords.len().is_multiple_of(width) {
        return Err(Error::invalid(
            "logsig",
            format!(
                "expected a multiple of {width} values, got {}",
                coords.len()
            ),
        ));
    }
    let n = coords.len() / width;
    let mut out = crate::memory::zeros("signature", n * full)?;
    out.par_chunks_mut(full)
        .zip(coords.par_chunks(width))
        .try_for_each(|(o, c)| {
            progress.checkpoint()?;
            o.copy_from_slice(&tensor::exp(&plan.lay, &plan.expand(c, mode)));
            Ok(())
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lyndon_words_and_witt() {
        let w = lyndon_words(2, 4);
        let s: Vec<String> = w
            .iter()
            .map(|w| w.iter().map(|c| (c + 1).to_string()).collect())
            .collect();
        assert_eq!(s, ["1", "2", "12", "112", "122", "1112", "1122", "1222"]);
        for d in 1..5 {
            for depth in 1..7 {
                assert_eq!(
                    lyndon_words(d, depth).len() as u128,
                    logsiglength(d, depth).unwrap(),
                    "d={d} depth={depth}"
                );
            }
        }
        assert_eq!(logsiglength(4, 4), Some(4 + 6 + 20 + 60));
    }

    #[test]
    fn labels_match_iisignature() {
        let w = lyndon_words(2, 4);
        let l: Vec<String> = w.iter().map(|w| label(w)).collect();
        assert_eq!(
            l,
            [
                "1",
                "2",
                "[1,2]",
                "[1,[1,2]]",
                "[[1,2],2]",
                "[1,[1,[1,2]]]",
                "[1,[[1,2],2]]",
                "[[[1,2],2],2]"
            ]
        );
    }

    #[test]
    fn brackets_are_unitriangular_and_roundtrip() {
        let plan = LogSigPlan::new(3, 4);
        for (w, e) in plan.words.iter().zip(&plan.expansions) {
            let own = word_index(w, 3);
            assert!(e.iter().any(|&(i, c)| i == own && c == 1.0));
        }
        let coords: Vec<f64> = (0..plan.n_words())
            .map(|i| (i as f64 * 0.7).sin())
            .collect();
        for mode in [LogSigMode::Lyndon, LogSigMode::Words] {
            let lie = plan.expand(&coords, mode);
            let mut back = vec![0.0; coords.len()];
            plan.project(&lie, mode, &mut back);
            for (a, b) in back.iter().zip(&coords) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn project_adjoint_is_the_transpose_of_project() {
        let plan = LogSigPlan::new(2, 5);
        let full = plan.lay.full_len();
        let lie: Vec<f64> = (0..full)
            .map(|i| ((i * 7 % 13) as f64 * 0.3).cos())
            .collect();
        for mode in [LogSigMode::Lyndon, LogSigMode::Words, LogSigMode::Expand] {
            let width = plan.width(mode);
            let g: Vec<f64> = (0..width).map(|i| (i as f64 * 0.9).sin()).collect();
            let mut coords = vec![0.0; width];
            plan.project(&lie, mode, &mut coords);
            let lhs: f64 = coords.iter().zip(&g).map(|(a, b)| a * b).sum();
            let adj = plan.project_adjoint(&g, mode);
            let rhs: f64 = adj[1..].iter().zip(&lie[1..]).map(|(a, b)| a * b).sum();
            assert!(
                (lhs - rhs).abs() < 1e-12 * (1.0 + lhs.abs()),
                "{mode:?}: {lhs} vs {rhs}"
            );
        }
    }
}
