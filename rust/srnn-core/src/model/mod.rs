//! The SRNN (see `docs/model.md`):
//! `dh = (−Γ h + a(W h + b + C_in u) + C u) dt + Σ(h) dB`, `y = g(R h + r0)`.

mod activation;

pub use activation::Activation;
use ndarray::{Array1, Array2};

use crate::{Error, Result};

/// The leak `Γ`.
#[derive(Debug, Clone, PartialEq)]
pub enum Gamma {
    Scalar(f64),
    Diagonal(Array1<f64>),
    Full(Array2<f64>),
}

/// The diffusion `Σ(h)`; `B` has `r` components (`r = n` except for `Full`).
#[derive(Debug, Clone, PartialEq)]
pub enum Noise {
    Additive(Array1<f64>),
    Full(Array2<f64>),
    /// `Σ(h) = diag(add + mult ⊙ h)`.
    Multiplicative {
        add: Array1<f64>,
        mult: Array1<f64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Readout {
    /// `(p, n)`; `None` is the identity (the readout is the state).
    pub matrix: Option<Array2<f64>>,
    pub bias: Array1<f64>,
    pub activation: Activation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Srnn {
    pub w: Array2<f64>,
    pub c: Array2<f64>,
    pub b: Array1<f64>,
    pub gamma: Gamma,
    pub noise: Noise,
    pub activation: Activation,
    pub readout: Readout,
    /// `C_in`, `(n, m)`: the input inside the activation (the echo-state form); `None` is zero.
    pub c_in: Option<Array2<f64>>,
}

fn finite<'a>(arg: &'static str, mut values: impl Iterator<Item = &'a f64>) -> Result<()> {
    if values.all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(Error::invalid(arg, "contains NaN or infinite values"))
    }
}

fn shape_is(arg: &'static str, got: &[usize], want: &[usize]) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(Error::invalid(
            arg,
            format!("expected shape {want:?}, got {got:?}"),
        ))
    }
}

impl Srnn {
    /// Checks shapes and finiteness; every constructor path goes through here.
    pub fn new(
        w: Array2<f64>,
        c: Array2<f64>,
        b: Array1<f64>,
        gamma: Gamma,
        noise: Noise,
        activation: Activation,
        readout: Readout,
    ) -> Result<Self> {
        let n = w.nrows();
        if n == 0 {
            return Err(Error::invalid("W", "the network needs at least one unit"));
        }
        if activation == Activation::Square {
            return Err(Error::invalid(
                "activation",
                "'square' is a readout activation only (readout_activation='square')",
            ));
        }
        shape_is("W", w.shape(), &[n, n])?;
        finite("W", w.iter())?;
        if c.nrows() != n {
            return Err(Error::invalid(
                "C",
                format!(
                    "expected {n} rows (one per unit), got shape {:?}",
                    c.shape()
                ),
            ));
        }
        finite("C", c.iter())?;
        shape_is("b", b.shape(), &[n])?;
        finite("b", b.iter())?;
        match &gamma {
            Gamma::Scalar(g) => finite("gamma", std::iter::once(g))?,
            Gamma::Diagonal(g) => {
                shape_is("gamma", g.shape(), &[n])?;
                finite("gamma", g.iter())?
            }
            Gamma::Full(g) => {
                shape_is("gamma", g.shape(), &[n, n])?;
                finite("gamma", g.iter())?
            }
        }
        match &noise {
            Noise::Additive(s) => {
                shape_is("sigma", s.shape(), &[n])?;
                finite("sigma", s.iter())?
            }
            Noise::Full(s) => {
                if s.nrows() != n || s.ncols() == 0 {
                    return Err(Error::invalid(
                        "sigma",
                        format!("expected shape ({n}, r), got {:?}", s.shape()),
                    ));
                }
                finite("sigma", s.iter())?
            }
            Noise::Multiplicative { add, mult } => {
                shape_is("sigma", add.shape(), &[n])?;
                shape_is("sigma_mult", mult.shape(), &[n])?;
                finite("sigma", add.iter())?;
                finite("sigma_mult", mult.iter())?
            }
        }
        let p = match &readout.matrix {
            Some(r) => {
                if r.ncols() != n || r.nrows() == 0 {
                    return Err(Error::invalid(
                        "readout",
                        format!("expected shape (p, {n}), got {:?}", r.shape()),
                    ));
                }
                finite("readout", r.iter())?;
                r.nrows()
            }
            None => n,
        };
        shape_is("readout_bias", readout.bias.shape(), &[p])?;
        finite("readout_bias", readout.bias.iter())?;
        Ok(Srnn {
            w,
            c,
            b,
            gamma,
            noise,
            activation,
            readout,
            c_in: None,
        })
    }

    /// The same network with the input also entering inside the activation through `C_in`
    /// `(n, m)`.
    pub fn with_input_inside(mut self, c_in: Array2<f64>) -> Result<Self> {
        shape_is("C_in", c_in.shape(), &[self.n(), self.m()])?;
        finite("C_in", c_in.iter())?;
        self.c_in = Some(c_in);
        Ok(self)
    }

    /// The input matrix when the input enters the drift linearly: `C`, or `C + C_in` for the
    /// identity activation, where `a(z + C_in u) = a(z) + C_in u`. `None` when an input
    /// inside a nonlinear activation makes the kick depend on the state.
    pub fn linear_input_matrix(&self) -> Option<Array2<f64>> {
        match &self.c_in {
            None => Some(self.c.clone()),
            Some(c_in) if self.activation == Activation::Identity => Some(&self.c + c_in),
            Some(_) => None,
        }
    }

    pub fn n(&self) -> usize {
        self.w.nrows()
    }

    pub fn m(&self) -> usize {
        self.c.ncols()
    }

    pub fn p(&self) -> usize {
        self.readout.matrix.as_ref().map_or(self.n(), |r| r.nrows())
    }

    /// Number of Brownian components.
    pub fn r(&self) -> usize {
        match &self.noise {
            Noise::Full(s) => s.ncols(),
            _ => self.n(),
        }
    }

    pub fn is_noiseless(&self) -> bool {
        match &self.noise {
            Noise::Additive(s) => s.iter().all(|&v| v == 0.0),
            Noise::Full(s) => s.iter().all(|&v| v == 0.0),
            Noise::Multiplicative { add, mult } => add.iter().chain(mult.iter()).all(|&v| v == 0.0),
        }
    }

    /// `Γ` as a dense matrix.
    pub fn gamma_matrix(&self) -> Array2<f64> {
        let n = self.n();
        match &self.gamma {
            Gamma::Scalar(g) => Array2::eye(n) * *g,
            Gamma::Diagonal(g) => Array2::from_diag(g),
            Gamma::Full(g) => g.clone(),
        }
    }
}
