//! The path whose signature is taken: raw points, an optional basepoint, the lead-lag and
//! time transforms, and the increments the segment step consumes.

use crate::{Error, Result};

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
