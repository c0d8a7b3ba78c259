//! The network of the EM benchmarks, shared by `benches/em.rs` and the `em_probe` example.

use ndarray::{Array1, Array2};
use srnn_core::model::{Activation, Gamma, Noise, Readout, Srnn};

/// A fixed pseudo-random `W` scaled to spectral radius ~1 (no RNG crate needed); one input,
/// and with `readout` one output averaging the state (else the state itself).
pub fn network(n: usize, activation: Activation, sigma: f64, readout: bool) -> Srnn {
    let w = Array2::from_shape_fn((n, n), |(i, j)| {
        let x = ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0 - 0.5;
        x * 3.4 / (n as f64).sqrt()
    });
    Srnn::new(
        w,
        Array2::from_elem((n, 1), 0.5),
        Array1::zeros(n),
        Gamma::Scalar(1.0),
        Noise::Additive(Array1::from_elem(n, sigma)),
        activation,
        Readout {
            matrix: readout.then(|| Array2::from_elem((1, n), 1.0 / n as f64)),
            bias: Array1::zeros(if readout { 1 } else { n }),
            activation: Activation::Identity,
        },
    )
    .unwrap()
}
