//! Signatures of batches of piecewise-linear paths.

use rayon::prelude::*;

use super::lanes::{extract, insert, run_segments_lanes, Lane, LaneBuf, LANE_GROUP, W};
use super::tensor::{
    mul_exp_fused, mul_exp_fused_pair, mul_exp_left, mul_exp_left_group, mul_into, permute,
    AlignedBuf, Layout, GROUP,
};
use crate::progress::Progress;
use crate::{Error, Result};

/// Segments per chunk when one path is split for parallel work and the chunks are joined by
/// Chen's identity. A fixed size (not one derived from the thread count) keeps results
/// bit-identical for any number of threads.
pub const CHUNK: usize = 1024;

/// Largest `full_len * W` for which batches use the lane kernel (192 KiB of tensor: with
/// the top level updated once per group of steps, lanes stay ahead well beyond L1).
const LANE_MAX_ENTRIES: usize = 24 * 1024;

/// What is prepended to every path before the transforms.
#[derive(Debug, Clone, Copy)]
pub enum Basepoint<'a> {
    None,
    Origin,
    /// `(1, d)` shared by all paths or `(batch, d)`, flat.
    Points(&'a [f64]),
}

/// How the raw points become the path whose signature is taken: optional basepoint, then
/// the lead-lag transform (channels `(lag, lead)`, as in pySigLib), then time as the last
/// channel, uniform on `[0, end_time]`.
#[derive(Debug, Clone, Copy)]
pub struct PathSpec<'a> {
    pub d: usize,
    pub basepoint: Basepoint<'a>,
    pub lead_lag: bool,
    pub time_aug: bool,
    pub end_time: f64,
}

impl<'a> PathSpec<'a> {
    pub fn plain(d: usize) -> Self {
        PathSpec {
            d,
            basepoint: Basepoint::None,
            lead_lag: false,
            time_aug: false,
            end_time: 1.0,
        }
    }

    /// Channels of the transformed path.
    pub fn d_out(&self) -> usize {
        self.d * if self.lead_lag { 2 } else { 1 } + usize::from(self.time_aug)
    }

    /// Points of the transformed path made from `len` raw points.
    pub fn n_points(&self, len: usize) -> usize {
        let p = len + usize::from(!matches!(self.basepoint, Basepoint::None));
        if self.lead_lag && p > 0 {
            2 * p - 1
        } else {
            p
        }
    }

    fn basepoint_of(&self, path_index: usize) -> Option<&'a [f64]> {
        match self.basepoint {
            Basepoint::None | Basepoint::Origin => None,
            Basepoint::Points(p) => {
                if p.len() == self.d {
                    Some(p)
                } else {
                    Some(&p[path_index * self.d..(path_index + 1) * self.d])
                }
            }
        }
    }

    pub(crate) fn check(&self, batch: usize) -> Result<()> {
        if let Basepoint::Points(p) = self.basepoint {
            if p.len() != self.d && p.len() != batch * self.d {
                return Err(Error::invalid(
                    "basepoint",
                    format!(
                        "expected {} or {} values, got {}",
                        self.d,
                        batch * self.d,
                        p.len()
                    ),
                ));
            }
        }
        if self.time_aug && !self.end_time.is_finite() {
            return Err(Error::invalid("end_time", "must be finite"));
        }
        Ok(())
    }

    /// Writes the transformed points of raw path `raw` (`len * d` values) into `out`.
    pub fn points(&self, raw: &[f64], path_index: usize, out: &mut Vec<f64>) {
        let d = self.d;
        let len = raw.len() / d;
        let has_bp = !matches!(self.basepoint, Basepoint::None);
        let bp = self.basepoint_of(path_index);
        let zero = vec![0.0; d];
        let raw_pt = |j: usize| -> &[f64] {
            if has_bp {
                if j == 0 {
                    bp.unwrap_or(&zero)
                } else {
                    &raw[(j - 1) * d..j * d]
                }
            } else {
                &raw[j * d..(j + 1) * d]
            }
        };
        let n = self.n_points(len);
        let de = self.d_out();
        out.clear();
        out.reserve(n * de);
        for i in 0..n {
            if self.lead_lag {
                out.extend_from_slice(raw_pt(i / 2));
                out.extend_from_slice(raw_pt(i.div_ceil(2)));
            } else {
                out.extend_from_slice(raw_pt(i));
            }
            if self.time_aug {
                let t = if n > 1 {
                    self.end_time * i as f64 / (n - 1) as f64
                } else {
                    0.0
                };
                out.push(t);
            }
        }
    }

    /// Adjoint of [`Self::points`]: accumulates gradients with respect to the transformed
    /// points (`n_points(len) * d_out` values) into gradients with respect to the `len` raw
    /// points (`out`, overwritten). A basepoint's own gradient is dropped.
    pub fn points_adjoint(&self, g_pts: &[f64], len: usize, out: &mut [f64]) {
        let d = self.d;
        let de = self.d_out();
        let has_bp = usize::from(!matches!(self.basepoint, Basepoint::None));
        out.fill(0.0);
        let mut add = |j: usize, g: &[f64]| {
            if j >= has_bp {
                let r = j - has_bp;
                for (o, &v) in out[r * d..(r + 1) * d].iter_mut().zip(g) {
                    *o += v;
                }
            }
        };
        for (i, g) in g_pts.chunks_exact(de).enumerate().take(self.n_points(len)) {
            if self.lead_lag {
                add(i / 2, &g[..d]);
                add(i.div_ceil(2), &g[d..2 * d]);
            } else {
                add(i, &g[..d]);
            }
        }
    }

    /// Writes the increments of the transformed path (negated when `negate`) into `out`.
    pub fn increments(
        &self,
        raw: &[f64],
        path_index: usize,
        negate: bool,
        pts: &mut Vec<f64>,
        out: &mut Vec<f64>,
    ) {
        let s = if negate { -1.0 } else { 1.0 };
        if matches!(self.basepoint, Basepoint::None) && !self.lead_lag && !self.time_aug {
            // The transformed path is the raw one: difference it in place of copying it.
            out.clear();
            out.extend(
                raw.iter()
                    .zip(raw.get(self.d..).unwrap_or(&[]))
                    .map(|(&a, &b)| s * (b - a)),
            );
            return;
        }
        self.points(raw, path_index, pts);
        let de = self.d_out();
        out.clear();
        let n = pts.len() / de;
        for i in 1..n {
            for c in 0..de {
                out.push(s * (pts[i * de + c] - pts[(i - 1) * de + c]));
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct SigOptions {
    pub depth: usize,
    pub stream: bool,
    pub inverse: bool,
    pub scalar_term: bool,
}

/// `t ← exp(z_n) ⊗ … ⊗ exp(z_1) ⊗ t` for the increments `z` (flat, `d` each).
pub fn run_segments(lay: &Layout, t: &mut [f64], incs: &[f64], buf: &mut [f64]) {
    if !fused_fits(lay) {
        return run_segments_g::<GROUP>(lay, t, incs, buf);
    }
    if incs.len() < ALIGN_MIN_STEPS * lay.d {
        return run_segments_g::<1>(lay, t, incs, buf);
    }
    // The top level, most of the traffic, on a cache-line boundary (for d = 8, every level).
    let mut a = AlignedBuf::new(t.len(), lay.off[lay.depth]);
    a.as_mut_slice().copy_from_slice(t);
    let mut sb = AlignedBuf::new((3 + lay.d) * lay.pow[lay.depth.saturating_sub(2)], 0);
    run_segments_g::<1>(lay, a.as_mut_slice(), incs, sb.as_mut_slice());
    t.copy_from_slice(a.as_slice());
}

/// Largest tensor (values) stepped one segment at a time with fused levels
/// ([`mul_exp_fused`]) rather than in groups: up to this size (48 KiB) the tensor stays in L1,
/// where a store per entry and step costs less than streaming a group's Horner results.
const FUSED_MAX_VALUES: usize = 6 * 1024;

/// Segments from which a copy of the tensor into aligned storage pays off.
const ALIGN_MIN_STEPS: usize = 16;

fn fused_fits(lay: &Layout) -> bool {
    crate::vmath::simd_level() == crate::vmath::SimdLevel::Avx512
        && lay.full_len() <= FUSED_MAX_VALUES
}

/// [`run_segments`] with `G` steps per pass over the top level, or with `G = 1` one step at a
/// time with fused levels (same bits for any `G`).
pub fn run_segments_g<const G: usize>(lay: &Layout, t: &mut [f64], incs: &[f64], buf: &mut [f64]) {
    #[inline(always)]
    fn body<const FMA: bool, const Z: bool, const G: usize>(
        lay: &Layout,
        t: &mut [f64],
        incs: &[f64],
        buf: &mut [f64],
    ) {
        let d = lay.d;
        if G == 1 {
            let mut pairs = incs.chunks_exact(2 * d);
            for zz in &mut pairs {
                mul_exp_fused_pair::<FMA, Z>(lay, t, &zz[..d], &zz[d..], buf);
            }
            for z in pairs.remainder().chunks_exact(d) {
                mul_exp_fused::<FMA, Z>(lay, t, z, buf);
            }
            return;
        }
        let mut groups = incs.chunks_exact(G * d);
        for zs in &mut groups {
            mul_exp_left_group::<FMA, Z, G>(lay, t, zs, buf);
        }
        for z in groups.remainder().chunks_exact(d) {
            mul_exp_left::<FMA, Z>(lay, t, z, buf);
        }
    }
    // `dispatch!` with a fourth variant: on AVX-512 the long contiguous loops use 512-bit
    // vectors (same per-element fused arithmetic, so the same bits as the AVX2 kernel).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    unsafe fn avx512<const G: usize>(lay: &Layout, t: &mut [f64], incs: &[f64], buf: &mut [f64]) {
        body::<true, true, G>(lay, t, incs, buf)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn avx2<const G: usize>(lay: &Layout, t: &mut [f64], incs: &[f64], buf: &mut [f64]) {
        body::<true, false, G>(lay, t, incs, buf)
    }
    match crate::vmath::simd_level() {
        // SAFETY: the level was detected on this CPU at run time.
        #[cfg(target_arch = "x86_64")]
        crate::vmath::SimdLevel::Avx512 => unsafe { avx512::<G>(lay, t, incs, buf) },
        #[cfg(target_arch = "x86_64")]
        crate::vmath::SimdLevel::Avx2 => unsafe { avx2::<G>(lay, t, incs, buf) },
        _ => body::<false, false, G>(lay, t, incs, buf),
    }
}

pub fn scratch_len(lay: &Layout) -> usize {
    (3 + GROUP.max(LANE_GROUP)) * lay.pow[lay.depth.saturating_sub(1)].max(1)
}

/// The stored tensor `T` after all increments, starting from `start`: forward signatures are
/// kept word-reversed (`T = rev(initial ⊗ S)`), inverse ones as they are
/// (`T = S^{-1} ⊗ initial`); both evolve by left multiplication with `exp(±Δ)`.
/// Long paths are cut into chunks computed in parallel and joined by Chen's identity.
fn evolve(lay: &Layout, start: &[f64], incs: &[f64], buf: &mut [f64]) -> Vec<f64> {
    let d = lay.d;
    let n_seg = incs.len() / d.max(1);
    let mut t = start.to_vec();
    if n_seg <= CHUNK {
        run_segments(lay, &mut t, incs, buf);
        return t;
    }
    let parts: Vec<Vec<f64>> = incs
        .par_chunks(CHUNK * d)
        .map(|c| {
            let mut tc = lay.identity();
            let mut b = vec![0.0; scratch_len(lay)];
            run_segments(lay, &mut tc, c, &mut b);
            tc
        })
        .collect();
    // T = T_last ⊗ … ⊗ T_first ⊗ start.
    let mut acc = t;
    let mut tmp = vec![0.0; lay.full_len()];
    for p in &parts {
        mul_into(lay, p, &acc, &mut tmp);
        std::mem::swap(&mut acc, &mut tmp);
    }
    acc
}

/// Number of output rows per path (1 unless streaming).
pub fn n_rows(spec: &PathSpec, len: usize, stream: bool) -> usize {
    if stream {
        spec.n_points(len).saturating_sub(1)
    } else {
        1
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
    let perm = lay.reversal_perm();
    let width = if opts.scalar_term { full } else { full - 1 };
    let skip = full - width;
    let rows = n_rows(spec, len, opts.stream);
    let per_path = rows * width;
    let mut out = vec![0.0; batch * per_path];
    if per_path == 0 {
        return Ok(out);
    }
    progress.add_total(batch as u64);

    // The starting tensor in the stored convention of `evolve`.
    let start_of = |b: usize| -> Vec<f64> {
        match initial {
            None => lay.identity(),
            Some(init) => {
                let x = if init.len() == full {
                    init
                } else {
                    &init[b * full..(b + 1) * full]
                };
                if opts.inverse {
                    x.to_vec()
                } else {
                    let mut r = vec![0.0; full];
                    permute(x, &perm, &mut r);
                    r
                }
            }
        }
    };
    let emit = |t: &[f64], row: &mut [f64], tmp: &mut [f64]| {
        if opts.inverse {
            row.copy_from_slice(&t[skip..]);
        } else {
            permute(t, &perm, tmp);
            row.copy_from_slice(&tmp[skip..]);
        }
    };

    // Lanes pay off while the interleaved tensor stays within L2; beyond that the single-path
    // kernel, whose inner loops are already long, is as fast. Both give identical bits.
    if batch >= W && full * W <= LANE_MAX_ENTRIES {
        let n_seg = spec.n_points(len).saturating_sub(1);
        let group = W * per_path;
        // Levels start at odd entries when `de` is even: align those (or, for odd `de`, the
        // even ones, which include the top level).
        let odd = de.is_multiple_of(2);
        // Row `j` of a lane tensor's output: lane `l` of entry `j + skip`, word-reversed
        // unless inverse.
        let emit_lane = |t: &[Lane], l: usize, row: &mut [f64]| {
            if opts.inverse {
                for (o, s) in row.iter_mut().zip(&t[skip..]) {
                    *o = s[l];
                }
            } else {
                for (o, &p) in row.iter_mut().zip(&perm[skip..]) {
                    *o = t[p as usize][l];
                }
            }
        };
        out.par_chunks_mut(group).enumerate().try_for_each_init(
            || {
                (
                    Vec::new(),
                    Vec::new(),
                    LaneBuf::new(scratch_len(&lay), false),
                    LaneBuf::new(full, odd),
                    Vec::new(),
                    vec![0.0; full],
                    vec![0.0; full],
                )
            },
            |(pts, incs, buf, tbuf, lane_incs, tmp, tmp2), (g, dst)| -> Result<()> {
                progress.checkpoint()?;
                let buf = buf.lanes_mut();
                let b0 = g * W;
                let nb = dst.len() / per_path;
                lane_incs.clear();
                lane_incs.resize(n_seg * de, [0.0; W]);
                let t = tbuf.lanes_mut();
                if initial.is_none() {
                    t.fill([0.0; W]);
                    t[0] = [1.0; W];
                }
                for l in 0..W {
                    if l < nb {
                        let b = b0 + l;
                        spec.increments(
                            &paths[b * len * d..(b + 1) * len * d],
                            b,
                            opts.inverse,
                            pts,
                            incs,
                        );
                        insert(incs, l, lane_incs);
                        if initial.is_some() {
                            insert(&start_of(b), l, t);
                        }
                    } else if initial.is_some() {
                        insert(&lay.identity(), l, t);
                    }
                }
                if opts.stream {
                    for (step, zs) in lane_incs.chunks_exact(de).enumerate() {
                        run_segments_lanes(&lay, t, zs, buf);
                        for l in 0..nb {
                            let at = l * per_path + step * width;
                            emit_lane(t, l, &mut dst[at..at + width]);
                        }
                    }
                } else if n_seg <= CHUNK {
                    run_segments_lanes(&lay, t, lane_incs, buf);
                    for l in 0..nb {
                        emit_lane(t, l, &mut dst[l * per_path..(l + 1) * per_path]);
                    }
                } else {
                    // The same chunking and joining order as `evolve`.
                    let mut acc: Vec<Vec<f64>> = (0..nb)
                        .map(|l| {
                            let mut v = vec![0.0; full];
                            extract(t, l, &mut v);
                            v
                        })
                        .collect();
                    let mut tcbuf = LaneBuf::new(full, odd);
                    for chunk in lane_incs.chunks(CHUNK * de) {
                        let tc = tcbuf.lanes_mut();
                        tc.fill([0.0; W]);
                        tc[0] = [1.0; W];
                        run_segments_lanes(&lay, tc, chunk, buf);
                        for (l, a) in acc.iter_mut().enumerate() {
                            extract(tc, l, tmp);
                            mul_into(&lay, tmp, a, tmp2);
                            a.copy_from_slice(tmp2);
                        }
                    }
                    for (l, a) in acc.iter().enumerate() {
                        emit(a, &mut dst[l * per_path..(l + 1) * per_path], tmp2);
                    }
                }
                progress.advance(nb as u64);
                Ok(())
            },
        )?;
        return Ok(out);
    }

    out.par_chunks_mut(per_path).enumerate().try_for_each_init(
        || {
            (
                Vec::new(),
                Vec::new(),
                vec![0.0; scratch_len(&lay)],
                vec![0.0; full],
            )
        },
        |(pts, incs, buf, tmp), (b, dst)| -> Result<()> {
            progress.checkpoint()?;
            let raw = &paths[b * len * d..(b + 1) * len * d];
            spec.increments(raw, b, opts.inverse, pts, incs);
            let mut t = start_of(b);
            if opts.stream {
                for (z, row) in incs.chunks_exact(de).zip(dst.chunks_exact_mut(width)) {
                    run_segments(&lay, &mut t, z, buf);
                    emit(&t, row, tmp);
                }
            } else {
                let t = evolve(&lay, &t, incs, buf);
                emit(&t, dst, tmp);
            }
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
    let mut out = vec![0.0; paths.len() * full];
    out.par_chunks_mut(full)
        .zip(paths.par_iter())
        .try_for_each_init(
            || (Vec::new(), Vec::new(), vec![0.0; scratch_len(&lay)]),
            |(pts, incs, buf), (dst, raw)| -> Result<()> {
                progress.checkpoint()?;
                spec.increments(raw, 0, false, pts, incs);
                let t = evolve(&lay, &lay.identity(), incs, buf);
                permute(&t, &perm, dst);
                Ok(())
            },
        )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
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
