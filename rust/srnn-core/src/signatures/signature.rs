//! Signatures of batches of piecewise-linear paths.

use rayon::prelude::*;

use super::path::PathSpec;
use super::step::{
    as_lanes_mut, extract, insert, run_segments, run_segments_lanes, scratch_len, Lane, W,
};
use super::tensor::{mul_into, permute, Layout};
use crate::aligned::Aligned;
use crate::progress::Progress;
use crate::{Error, Result};

/// Segments per chunk when one path is split for parallel work and the chunks are joined by
/// Chen's identity. A fixed size (not one derived from the thread count) keeps results
/// bit-identical for any number of threads; paths of at most this many segments are never
/// cut, so short paths keep the bits of one uninterrupted sweep.
pub(crate) const CHUNK: usize = 1024;

/// Work units (paths, or lane groups) per thread below which the chunks of one path are
/// also spread over the threads. Above it, batch parallelism alone keeps every thread busy
/// and the chunks run in turn, with less memory. Either way the bits are the same.
const UNITS_PER_THREAD: usize = 4;

/// Whether `units` independent pieces of work leave threads idle.
pub(crate) fn split_inside(units: usize) -> bool {
    units < UNITS_PER_THREAD * rayon::current_num_threads()
}

/// Largest `full_len * W` for which batches use the lane kernel (192 KiB of tensor: with
/// the top level updated once per group of steps, lanes stay ahead well beyond L1).
const LANE_MAX_ENTRIES: usize = 24 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct SigOptions {
    pub depth: usize,
    pub stream: bool,
    pub inverse: bool,
    pub scalar_term: bool,
}

/// Number of output rows per path (1 unless streaming).
pub fn n_rows(spec: &PathSpec, len: usize, stream: bool) -> usize {
    if stream {
        spec.n_points(len).saturating_sub(1)
    } else {
        1
    }
}

/// `acc ← chunk ⊗ acc`: the stored tensor continued by the steps of one chunk, evolved on
/// its own from the identity (Chen's identity in the stored convention of [`evolve`]).
fn join_chunk(lay: &Layout, chunk: &[f64], acc: &mut [f64], product: &mut [f64]) {
    mul_into(lay, chunk, acc, product);
    acc.copy_from_slice(product);
}

/// The stored tensor `T` after all increments, starting from `start`: forward signatures are
/// kept word-reversed (`T = rev(initial ⊗ S)`), inverse ones as they are
/// (`T = S^{-1} ⊗ initial`); both evolve by left multiplication with `exp(±Δ)`.
/// Long paths are cut into chunks computed in parallel and joined in order.
fn evolve(
    lay: &Layout,
    start: &[f64],
    incs: &[f64],
    buf: &mut [f64],
    progress: &Progress,
) -> Result<Vec<f64>> {
    let d = lay.d;
    let n_seg = incs.len() / d.max(1);
    let mut t = start.to_vec();
    if n_seg <= CHUNK {
        run_segments(lay, &mut t, incs, buf, progress)?;
        return Ok(t);
    }
    check_chunk_tensors(lay, n_seg)?;
    let parts: Vec<Vec<f64>> = incs
        .par_chunks(CHUNK * d)
        .map(|c| {
            let mut tc = lay.identity();
            let mut b = vec![0.0; scratch_len(lay)];
            run_segments(lay, &mut tc, c, &mut b, progress)?;
            Ok(tc)
        })
        .collect::<Result<_>>()?;
    let mut product = vec![0.0; lay.full_len()];
    for p in &parts {
        progress.checkpoint()?;
        join_chunk(lay, p, &mut t, &mut product);
    }
    Ok(t)
}

/// The chunk products of one long path live until they are joined (two per chunk with
/// their start tensors): counted against the memory limit before any is made.
fn check_chunk_tensors(lay: &Layout, n_seg: usize) -> Result<()> {
    let chunks = n_seg.div_ceil(CHUNK) as u128;
    crate::memory::check_memory(
        "signature chunk tensors",
        crate::memory::f64_bytes(&[2, chunks, lay.full_len() as u128]),
    )
}

/// The products of `chunks` on their own, each from the identity in the stored convention
/// of [`evolve`], computed in parallel when `parallel`.
pub(crate) fn chunk_totals(
    lay: &Layout,
    chunks: &[&[f64]],
    parallel: bool,
    progress: &Progress,
) -> Result<Vec<Vec<f64>>> {
    check_chunk_tensors(lay, chunks.len() * CHUNK)?;
    let total = |c: &&[f64]| -> Result<Vec<f64>> {
        let mut tc = lay.identity();
        let mut b = vec![0.0; scratch_len(lay)];
        run_segments(lay, &mut tc, c, &mut b, progress)?;
        Ok(tc)
    };
    if parallel {
        chunks.par_iter().map(total).collect()
    } else {
        chunks.iter().map(total).collect()
    }
}

/// `start` followed by `start` continued by each of `totals` in turn, joined exactly as
/// [`evolve`] joins its chunks: the stored tensor at the start of every chunk.
pub(crate) fn chunk_starts(lay: &Layout, start: &[f64], totals: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut starts = vec![start.to_vec()];
    let mut product = vec![0.0; lay.full_len()];
    for p in totals {
        let mut next = starts[starts.len() - 1].clone();
        join_chunk(lay, p, &mut next, &mut product);
        starts.push(next);
    }
    starts
}

/// How signatures are stored while they evolve (word-reversed unless inverse, see
/// [`evolve`]) and read out into rows of the requested width.
struct Stored<'a> {
    lay: &'a Layout,
    inverse: bool,
    /// Word reversal of the layout.
    perm: Vec<u32>,
    /// Leading entries not in an output row: the scalar unless `scalar_term`.
    skip: usize,
}

impl Stored<'_> {
    /// The starting tensor of path `b`: `initial` (`1` or `batch` full tensors), stored.
    fn start(&self, initial: Option<&[f64]>, b: usize) -> Vec<f64> {
        let full = self.lay.full_len();
        let Some(init) = initial else {
            return self.lay.identity();
        };
        let x = if init.len() == full {
            init
        } else {
            &init[b * full..(b + 1) * full]
        };
        if self.inverse {
            x.to_vec()
        } else {
            let mut r = vec![0.0; full];
            permute(x, &self.perm, &mut r);
            r
        }
    }

    fn emit(&self, t: &[f64], row: &mut [f64], tmp: &mut [f64]) {
        if self.inverse {
            row.copy_from_slice(&t[self.skip..]);
        } else {
            permute(t, &self.perm, tmp);
            row.copy_from_slice(&tmp[self.skip..]);
        }
    }

    /// [`Self::emit`] of lane `l` of a lane tensor.
    fn emit_lane(&self, t: &[Lane], l: usize, row: &mut [f64]) {
        if self.inverse {
            for (o, s) in row.iter_mut().zip(&t[self.skip..]) {
                *o = s[l];
            }
        } else {
            for (o, &p) in row.iter_mut().zip(&self.perm[self.skip..]) {
                *o = t[p as usize][l];
            }
        }
    }
}

/// Per-worker buffers of the single-path kernel.
struct PathScratch {
    points: Vec<f64>,
    increments: Vec<f64>,
    step: Vec<f64>,
    row: Vec<f64>,
}

impl PathScratch {
    fn new(lay: &Layout) -> Self {
        PathScratch {
            points: Vec::new(),
            increments: Vec::new(),
            step: vec![0.0; scratch_len(lay)],
            row: vec![0.0; lay.full_len()],
        }
    }
}

/// Per-worker buffers of the lane kernel. Lane tensors sit in aligned storage with the
/// entries of one parity on cache-line boundaries: 512-bit accesses to them then never
/// straddle two lines.
struct LaneScratch {
    points: Vec<f64>,
    increments: Vec<f64>,
    lane_increments: Vec<Lane>,
    step: Aligned<f64>,
    tensor: Aligned<f64>,
    chunk: Aligned<f64>,
    single: Vec<f64>,
    product: Vec<f64>,
}

impl LaneScratch {
    fn new(lay: &Layout) -> Self {
        let full = lay.full_len();
        LaneScratch {
            points: Vec::new(),
            increments: Vec::new(),
            lane_increments: Vec::new(),
            step: Aligned::filled(scratch_len(lay) * W, 0.0),
            tensor: Self::lane_tensor(lay),
            chunk: Self::lane_tensor(lay),
            single: vec![0.0; full],
            product: vec![0.0; full],
        }
    }

    /// A zero lane tensor, aligned as the step wants it.
    fn lane_tensor(lay: &Layout) -> Aligned<f64> {
        // Levels start at odd entries when `d` is even: align those (or, for odd `d`, the
        // even ones, which include the top level).
        let first = if lay.d.is_multiple_of(2) { W } else { 0 };
        Aligned::filled_at(lay.full_len() * W, 0.0, first)
    }
}

/// The inputs of one signature call, shared by its workers.
struct Job<'a> {
    paths: &'a [f64],
    len: usize,
    spec: &'a PathSpec<'a>,
    initial: Option<&'a [f64]>,
    opts: &'a SigOptions,
    stored: Stored<'a>,
    /// Output values per path.
    per_path: usize,
    width: usize,
    /// Whether the chunks of one path run in parallel (see [`split_inside`]).
    split_paths: bool,
}

impl Job<'_> {
    fn raw(&self, b: usize) -> &[f64] {
        let n = self.len * self.spec.d;
        &self.paths[b * n..(b + 1) * n]
    }

    /// Path `b` into `dst` (its `per_path` output values).
    fn one_path(
        &self,
        b: usize,
        dst: &mut [f64],
        s: &mut PathScratch,
        progress: &Progress,
    ) -> Result<()> {
        let (lay, de) = (self.stored.lay, self.stored.lay.d);
        let inc = &mut s.increments;
        self.spec
            .increments(self.raw(b), b, self.opts.inverse, &mut s.points, inc);
        let mut t = self.stored.start(self.initial, b);
        if self.opts.stream && inc.len() > CHUNK * de {
            self.chunked_stream(&t, inc, dst, progress)?;
        } else if self.opts.stream {
            for (z, row) in inc.chunks_exact(de).zip(dst.chunks_exact_mut(self.width)) {
                run_segments(lay, &mut t, z, &mut s.step, progress)?;
                self.stored.emit(&t, row, &mut s.row);
            }
        } else {
            let t = evolve(lay, &t, inc, &mut s.step, progress)?;
            self.stored.emit(&t, dst, &mut s.row);
        }
        Ok(())
    }

    /// The prefix signatures of a long path: each chunk streams on from its start tensor
    /// ([`chunk_starts`]), which costs a second pass over all but the last chunk but lets the
    /// chunks run in parallel.
    fn chunked_stream(
        &self,
        start: &[f64],
        inc: &[f64],
        dst: &mut [f64],
        progress: &Progress,
    ) -> Result<()> {
        let lay = self.stored.lay;
        let de = lay.d;
        let chunks: Vec<&[f64]> = inc.chunks(CHUNK * de).collect();
        let totals = chunk_totals(lay, &chunks[..chunks.len() - 1], self.split_paths, progress)?;
        let starts = chunk_starts(lay, start, &totals);
        let rows = CHUNK * self.width;
        let run = |((z, out), t0): ((&[f64], &mut [f64]), &Vec<f64>)| -> Result<()> {
            let mut t = t0.clone();
            let mut step = vec![0.0; scratch_len(lay)];
            let mut tmp = vec![0.0; lay.full_len()];
            for (zz, row) in z.chunks_exact(de).zip(out.chunks_exact_mut(self.width)) {
                run_segments(lay, &mut t, zz, &mut step, progress)?;
                self.stored.emit(&t, row, &mut tmp);
            }
            Ok(())
        };
        if self.split_paths {
            chunks
                .into_par_iter()
                .zip(dst.par_chunks_mut(rows))
                .zip(starts.par_iter())
                .try_for_each(run)
        } else {
            chunks
                .into_iter()
                .zip(dst.chunks_mut(rows))
                .zip(starts.iter())
                .try_for_each(run)
        }
    }

    /// Paths `first .. first + nb` (`nb <= W`) side by side in the lanes of one tensor, into
    /// `dst` (`nb` paths' output values). Missing lanes run from the identity on zero
    /// increments.
    fn lane_group(
        &self,
        first: usize,
        nb: usize,
        dst: &mut [f64],
        s: &mut LaneScratch,
        progress: &Progress,
    ) -> Result<()> {
        let lay = self.stored.lay;
        let (de, full) = (lay.d, lay.full_len());
        let n_seg = self.spec.n_points(self.len).saturating_sub(1);
        s.lane_increments.clear();
        s.lane_increments.resize(n_seg * de, [0.0; W]);
        let t = as_lanes_mut(&mut s.tensor);
        if self.initial.is_none() {
            t.fill([0.0; W]);
            t[0] = [1.0; W];
        }
        for l in 0..W {
            if l < nb {
                let b = first + l;
                let inc = &mut s.increments;
                self.spec
                    .increments(self.raw(b), b, self.opts.inverse, &mut s.points, inc);
                insert(inc, l, &mut s.lane_increments);
                if self.initial.is_some() {
                    insert(&self.stored.start(self.initial, b), l, t);
                }
            } else if self.initial.is_some() {
                insert(&lay.identity(), l, t);
            }
        }
        let step = as_lanes_mut(&mut s.step);
        let per_path = self.per_path;
        if self.opts.stream {
            for (k, zs) in s.lane_increments.chunks_exact(de).enumerate() {
                run_segments_lanes(lay, t, zs, step, progress)?;
                for l in 0..nb {
                    let at = l * per_path + k * self.width;
                    self.stored.emit_lane(t, l, &mut dst[at..at + self.width]);
                }
            }
        } else if n_seg <= CHUNK {
            run_segments_lanes(lay, t, &s.lane_increments, step, progress)?;
            for l in 0..nb {
                self.stored
                    .emit_lane(t, l, &mut dst[l * per_path..(l + 1) * per_path]);
            }
        } else {
            // The chunks of `evolve`, joined in the same order, each lane on its own.
            let mut acc: Vec<Vec<f64>> = (0..nb)
                .map(|l| {
                    let mut v = vec![0.0; full];
                    extract(t, l, &mut v);
                    v
                })
                .collect();
            let mut join = |tc: &[Lane]| {
                for (l, a) in acc.iter_mut().enumerate() {
                    extract(tc, l, &mut s.single);
                    join_chunk(lay, &s.single, a, &mut s.product);
                }
            };
            if self.split_paths {
                let parts: Vec<Aligned<f64>> = s
                    .lane_increments
                    .par_chunks(CHUNK * de)
                    .map(|chunk| {
                        let mut tc = LaneScratch::lane_tensor(lay);
                        let mut step = Aligned::filled(scratch_len(lay) * W, 0.0);
                        let t = as_lanes_mut(&mut tc);
                        t[0] = [1.0; W];
                        run_segments_lanes(lay, t, chunk, as_lanes_mut(&mut step), progress)?;
                        Ok(tc)
                    })
                    .collect::<Result<_>>()?;
                for mut p in parts {
                    join(as_lanes_mut(&mut p));
                }
            } else {
                for chunk in s.lane_increments.chunks(CHUNK * de) {
                    let tc = as_lanes_mut(&mut s.chunk);
                    tc.fill([0.0; W]);
                    tc[0] = [1.0; W];
                    run_segments_lanes(lay, tc, chunk, step, progress)?;
                    join(tc);
                }
            }
            for (l, a) in acc.iter().enumerate() {
                let row = &mut dst[l * per_path..(l + 1) * per_path];
                self.stored.emit(a, row, &mut s.product);
            }
        }
        Ok(())
    }
}

/// Signatures of `batch` paths of `len` points each (`paths`: `batch * len * d`, row-major).
/// `initial` (full layout, `1` or `batch` tensors) is the signature to continue from.
/// Returns `batch * rows * width` values, `width = S` or `S + 1` with `scalar_term`.
pub fn signature(
    paths: &[f64],
    batch: usize,
    len: usize,
    spec: &PathSpec,
    initial: Option<&[f64]>,
    opts: &SigOptions,
    progress: &Progress,
) -> Result<Vec<f64>> {
    let d = spec.d;
    super::check_dims(d, opts.depth)?;
    spec.check(batch)?;
    if paths.len() != batch * len * d {
        return Err(Error::invalid(
            "path",
            format!("expected {} values, got {}", batch * len * d, paths.len()),
        ));
    }
    let de = spec.d_out();
    super::check_dims(de, opts.depth)?;
    let lay = Layout::new(de, opts.depth);
    let full = lay.full_len();
    if let Some(init) = initial {
        if init.len() != full && init.len() != batch * full {
            return Err(Error::invalid(
                "initial",
                format!(
                    "expected {} or {} values, got {}",
                    full,
                    batch * full,
                    init.len()
                ),
            ));
        }
    }
    let width = if opts.scalar_term { full } else { full - 1 };
    let per_path = n_rows(spec, len, opts.stream) * width;
    let mut out = crate::memory::zeros("signature", batch * per_path)?;
    if per_path == 0 {
        return Ok(out);
    }
    progress.add_total(batch as u64);
    let n_seg = spec.n_points(len).saturating_sub(1);
    // Lanes pay off while the interleaved tensor stays within L2; beyond that the single-path
    // kernel, whose inner loops are already long, is as fast. Long streams, whose chunks
    // restart from joined products, take the single-path kernel. All give identical bits.
    let lanes = batch >= W && full * W <= LANE_MAX_ENTRIES && !(opts.stream && n_seg > CHUNK);
    let units = if lanes { batch.div_ceil(W) } else { batch };
    let job = Job {
        paths,
        len,
        spec,
        initial,
        opts,
        stored: Stored {
            lay: &lay,
            inverse: opts.inverse,
            perm: lay.reversal_perm(),
            skip: full - width,
        },
        per_path,
        width,
        split_paths: n_seg > CHUNK && split_inside(units),
    };

    if lanes {
        out.par_chunks_mut(W * per_path)
            .enumerate()
            .try_for_each_init(
                || LaneScratch::new(&lay),
                |scratch, (g, dst)| -> Result<()> {
                    progress.checkpoint()?;
                    let nb = dst.len() / per_path;
                    job.lane_group(g * W, nb, dst, scratch, progress)?;
                    progress.advance(nb as u64);
                    Ok(())
                },
            )?;
        return Ok(out);
    }
    out.par_chunks_mut(per_path).enumerate().try_for_each_init(
        || PathScratch::new(&lay),
        |scratch, (b, dst)| -> Result<()> {
            progress.checkpoint()?;
            job.one_path(b, dst, scratch, progress)?;
            progress.advance(1);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Full-layout signatures of plain paths of varying lengths (`paths[i]`: `L_i * d` values),
/// `paths.len() * full_len` values.
pub fn signature_ragged(
    paths: &[&[f64]],
    d: usize,
    depth: usize,
    progress: &Progress,
) -> Result<Vec<f64>> {
    super::check_dims(d, depth)?;
    if let Some(p) = paths.iter().find(|p| p.len() % d != 0 || p.is_empty()) {
        return Err(Error::invalid(
            "path",
            format!(
                "each path needs a positive multiple of d = {d} values, got {}",
                p.len()
            ),
        ));
    }
    let lay = Layout::new(d, depth);
    let full = lay.full_len();
    let perm = lay.reversal_perm();
    let spec = PathSpec::plain(d);
    let mut out = crate::memory::zeros("signature", paths.len() * full)?;
    out.par_chunks_mut(full)
        .zip(paths.par_iter())
        .try_for_each_init(
            || PathScratch::new(&lay),
            |s, (dst, raw)| -> Result<()> {
                progress.checkpoint()?;
                spec.increments(raw, 0, false, &mut s.points, &mut s.increments);
                let t = evolve(&lay, &lay.identity(), &s.increments, &mut s.step, progress)?;
                permute(&t, &perm, dst);
                Ok(())
            },
        )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::path::Basepoint;
    use super::super::tensor::{exp, inverse, mul};
    use super::*;

    fn sig(paths: &[f64], batch: usize, len: usize, d: usize, depth: usize) -> Vec<f64> {
        let opts = SigOptions {
            depth,
            stream: false,
            inverse: false,
            scalar_term: true,
        };
        signature(
            paths,
            batch,
            len,
            &PathSpec::plain(d),
            None,
            &opts,
            &Progress::new(),
        )
        .unwrap()
    }

    fn wiggly(len: usize, d: usize, seed: f64) -> Vec<f64> {
        (0..len * d)
            .map(|i| ((i as f64 * 0.37 + seed).sin() * 1.3 + (i as f64 * 0.011).cos()) * 0.4)
            .collect()
    }

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() <= tol * (1.0 + y.abs()))
    }

    #[test]
    fn straight_line_is_exp_of_increment() {
        let (d, depth) = (3, 5);
        let lay = Layout::new(d, depth);
        let path = [0.1, 0.2, -0.3, 1.0, -0.5, 0.7];
        let mut z = vec![0.0; lay.full_len()];
        for c in 0..d {
            z[1 + c] = path[d + c] - path[c];
        }
        assert!(close(&sig(&path, 1, 2, d, depth), &exp(&lay, &z), 1e-14));
    }

    #[test]
    fn chen_and_chunking_and_inverse() {
        let (d, depth) = (2, 4);
        let lay = Layout::new(d, depth);
        let len = 3 * CHUNK + 17;
        let p = wiggly(len, d, 0.3);
        let whole = sig(&p, 1, len, d, depth);
        let cut = 1500;
        let a = sig(&p[..cut * d], 1, cut, d, depth);
        let b = sig(&p[(cut - 1) * d..], 1, len - cut + 1, d, depth);
        assert!(close(&whole, &mul(&lay, &a, &b), 1e-10));
        let opts = SigOptions {
            depth,
            stream: false,
            inverse: true,
            scalar_term: true,
        };
        let inv = signature(
            &p,
            1,
            len,
            &PathSpec::plain(d),
            None,
            &opts,
            &Progress::new(),
        )
        .unwrap();
        assert!(close(&inv, &inverse(&lay, &whole).unwrap(), 1e-9));
    }

    #[test]
    fn stream_last_row_is_signature_and_initial_continues() {
        let (d, depth, len) = (3, 3, 20);
        let p = wiggly(len, d, 1.0);
        let opts = SigOptions {
            depth,
            stream: true,
            inverse: false,
            scalar_term: false,
        };
        let st = signature(
            &p,
            1,
            len,
            &PathSpec::plain(d),
            None,
            &opts,
            &Progress::new(),
        )
        .unwrap();
        let s = sig(&p, 1, len, d, depth);
        let w = s.len() - 1;
        assert_eq!(st.len(), (len - 1) * w);
        assert!(close(&st[(len - 2) * w..], &s[1..], 1e-13));
        let first = sig(&p[..8 * d], 1, 8, d, depth);
        let opts = SigOptions {
            depth,
            stream: false,
            inverse: false,
            scalar_term: true,
        };
        let cont = signature(
            &p[7 * d..],
            1,
            len - 7,
            &PathSpec::plain(d),
            Some(&first),
            &opts,
            &Progress::new(),
        )
        .unwrap();
        assert!(close(&cont, &s, 1e-12));
    }

    #[test]
    fn lane_batches_are_bit_identical_to_single_paths() {
        let (d, depth) = (3, 4);
        for (len, stream) in [(30, false), (30, true), (CHUNK + 300, false)] {
            let batch = W + 3;
            let p: Vec<f64> = (0..batch).flat_map(|b| wiggly(len, d, b as f64)).collect();
            for inverse in [false, true] {
                let opts = SigOptions {
                    depth,
                    stream,
                    inverse,
                    scalar_term: true,
                };
                let spec = PathSpec {
                    d,
                    basepoint: Basepoint::Origin,
                    lead_lag: false,
                    time_aug: true,
                    end_time: 1.0,
                };
                let all = signature(&p, batch, len, &spec, None, &opts, &Progress::new()).unwrap();
                let per = all.len() / batch;
                for b in [0, W - 1, W, batch - 1] {
                    let one = signature(
                        &p[b * len * d..(b + 1) * len * d],
                        1,
                        len,
                        &spec,
                        None,
                        &opts,
                        &Progress::new(),
                    )
                    .unwrap();
                    assert_eq!(
                        one,
                        all[b * per..(b + 1) * per],
                        "len {len} stream {stream} path {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn lead_lag_and_time_points() {
        let spec = PathSpec {
            d: 1,
            basepoint: Basepoint::Origin,
            lead_lag: true,
            time_aug: true,
            end_time: 2.0,
        };
        let mut pts = Vec::new();
        spec.points(&[1.0, 3.0], 0, &mut pts);
        // basepoint 0, then 1, 3: lag 0 0 1 1 3, lead 0 1 1 3 3, time 0 .5 1 1.5 2
        assert_eq!(
            pts,
            vec![0., 0., 0., 0., 1., 0.5, 1., 1., 1., 1., 3., 1.5, 3., 3., 2.]
        );
    }
}
