//! The model laid out for the block kernel: transposed, padded to a multiple of 8 lanes,
//! scaled by `dt`/`√dt` once, and converted to the working precision.

use crate::aligned::Aligned;
use crate::model::{Activation, Gamma, Noise, Srnn};
use crate::simd::Real;

use super::sparse::{SparseW, WProduct};

/// Up to this many readouts, `R h` is computed as dot products (8 multiply-adds per 8 lanes
/// each) rather than as a product with 8 output columns (64 per 8 lanes of `h`).
const DOT_READOUT_MAX_P: usize = 4;

pub(crate) fn padded(n: usize) -> usize {
    n.div_ceil(8) * 8
}

/// `(k, width)` row-major transpose of an `(rows, k)` matrix, zero-padded to `width` columns.
pub(crate) fn transposed<R: Real>(
    a: ndarray::ArrayView2<f64>,
    width: usize,
    scale: f64,
) -> Aligned<R> {
    let (rows, k) = a.dim();
    let mut t = Aligned::filled(k * width, R::ZERO);
    for i in 0..rows {
        for j in 0..k {
            t[j * width + i] = R::from_f64(a[[i, j]] * scale);
        }
    }
    t
}

pub(crate) fn padded_vec<R: Real>(
    v: impl Iterator<Item = f64>,
    width: usize,
    pad: f64,
) -> Aligned<R> {
    let mut out = Aligned::filled(width, R::from_f64(pad));
    for (o, x) in out.iter_mut().zip(v) {
        *o = R::from_f64(x);
    }
    out
}

/// The leak folded into the step as a decay `I − dt Γ`, so that with `Γ = I, dt = 1` the
/// update is exactly the discrete (echo-state / Elman) recursion `h ← a(W h + b) + C u`.
pub(crate) enum LeakP<R> {
    /// `1 − dt γ_i`, per lane.
    Diagonal(Aligned<R>),
    /// `(I − dt Γ)ᵀ`, `(n, width)`.
    Full(Aligned<R>),
}

pub(crate) enum NoiseP<R> {
    None,
    /// `σ_i √dt`.
    Additive(Aligned<R>),
    /// `(Σ √dt)ᵀ`, `(r, width)`.
    Full(Aligned<R>),
    /// `σ_add √dt`, `σ_mult √dt`.
    Multiplicative(Aligned<R>, Aligned<R>),
}

pub(crate) struct ReadoutP<R> {
    /// `Rᵀ`, `(n, p_width)`; `None` when the readout is the state itself.
    pub matrix_t: Option<Aligned<R>>,
    /// `R`, `(p, width)`, when `p` is so small that per-row dot products beat a product with
    /// `p_width` (≥ 8) mostly padded columns.
    pub matrix_rows: Option<Aligned<R>>,
    pub bias: Aligned<R>,
    pub activation: Activation,
    pub p: usize,
    pub p_width: usize,
}

pub(crate) struct Prepared<R> {
    pub n: usize,
    pub width: usize,
    pub m: usize,
    pub r: usize,
    pub dt: R,
    pub dt_f64: f64,
    pub w_t: Aligned<R>,
    /// `W` by rows when the step multiplies by it sparsely (same bits as `w_t`).
    pub w_sparse: Option<SparseW<R>>,
    pub bias: Aligned<R>,
    pub activation: Activation,
    /// `Cᵀ`, `(m, width)`.
    pub c_t: Aligned<R>,
    /// `C_inᵀ`, `(m, width)`: the input inside the activation, when the model has one.
    pub c_in_t: Option<Aligned<R>>,
    pub leak: LeakP<R>,
    pub noise: NoiseP<R>,
    pub readout: ReadoutP<R>,
}

impl<R: Real> Prepared<R> {
    pub fn new(model: &Srnn, dt: f64, w_product: WProduct) -> Self {
        let n = model.n();
        let width = padded(n);
        let sq = dt.sqrt();
        let leak = match &model.gamma {
            // Padding lanes forget their past every step, so they stay bounded.
            Gamma::Scalar(g) => {
                LeakP::Diagonal(padded_vec(std::iter::repeat_n(1.0 - dt * g, n), width, 0.0))
            }
            Gamma::Diagonal(g) => {
                LeakP::Diagonal(padded_vec(g.iter().map(|v| 1.0 - dt * v), width, 0.0))
            }
            Gamma::Full(g) => {
                let decay = ndarray::Array2::<f64>::eye(n) - g * dt;
                LeakP::Full(transposed(decay.view(), width, 1.0))
            }
        };
        let noise = if model.is_noiseless() {
            NoiseP::None
        } else {
            match &model.noise {
                Noise::Additive(s) => {
                    NoiseP::Additive(padded_vec(s.iter().map(|v| v * sq), width, 0.0))
                }
                Noise::Full(s) => NoiseP::Full(transposed(s.view(), width, sq)),
                Noise::Multiplicative { add, mult } => NoiseP::Multiplicative(
                    padded_vec(add.iter().map(|v| v * sq), width, 0.0),
                    padded_vec(mult.iter().map(|v| v * sq), width, 0.0),
                ),
            }
        };
        let ro = &model.readout;
        let p = model.p();
        let p_width = padded(p);
        let readout = ReadoutP {
            matrix_t: ro
                .matrix
                .as_ref()
                .map(|r| transposed(r.view(), p_width, 1.0)),
            matrix_rows: ro
                .matrix
                .as_ref()
                .filter(|_| p <= DOT_READOUT_MAX_P)
                .map(|r| {
                    let mut rows = Aligned::filled(p * width, R::ZERO);
                    for ((q, j), &v) in r.indexed_iter() {
                        rows[q * width + j] = R::from_f64(v);
                    }
                    rows
                }),
            bias: padded_vec(ro.bias.iter().copied(), p_width, 0.0),
            activation: ro.activation,
            p,
            p_width,
        };
        Prepared {
            n,
            width,
            m: model.m(),
            r: model.r(),
            dt: R::from_f64(dt),
            dt_f64: dt,
            w_t: transposed(model.w.view(), width, 1.0),
            w_sparse: SparseW::new(model.w.view(), w_product.resolve()),
            bias: padded_vec(model.b.iter().copied(), width, 0.0),
            activation: model.activation,
            c_t: transposed(model.c.view(), width, 1.0),
            c_in_t: model
                .c_in
                .as_ref()
                .map(|c_in| transposed(c_in.view(), width, 1.0)),
            leak,
            noise,
            readout,
        }
    }

    /// Readout `y = g(R h + r0)` needs no work beyond copying the state.
    pub fn readout_is_state(&self) -> bool {
        self.readout.matrix_t.is_none()
            && self.readout.activation == Activation::Identity
            && self.readout.bias.iter().all(|&b| b == R::ZERO)
    }
}
