use ndarray::{array, Array1, Array2};

use super::*;
use crate::model::{Activation, Gamma, Noise, Readout, Srnn};

fn network(n: usize, m: usize, noise: Noise, gamma: Gamma, activation: Activation) -> Srnn {
    let w = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.45);
    let c = Array2::from_shape_fn((n, m), |(i, j)| ((i + 2 * j) % 5) as f64 / 5.0 - 0.4);
    let b = Array1::from_shape_fn(n, |i| 0.1 * i as f64 - 0.2);
    let readout = Readout {
        matrix: Some(Array2::from_shape_fn((2, n), |(i, j)| {
            (i + j) as f64 / n as f64
        })),
        bias: array![0.5, -0.5],
        activation: Activation::Sigmoid,
    };
    Srnn::new(w, c, b, gamma, noise, activation, readout).unwrap()
}

fn run(model: &Srnn, input: Input<f64>, settings: &Settings) -> Vec<f64> {
    let [a, b, c] = settings.output_shape(model);
    let mut out = vec![0.0; a * b * c];
    run_into(model, input, settings, &mut out).unwrap();
    out
}

fn run_into(model: &Srnn, input: Input<f64>, settings: &Settings, out: &mut [f64]) -> Result<()> {
    simulate(model, input, Start::Zero, settings, out, &Progress::new())
}

fn all_noise_kinds(n: usize) -> Vec<(Noise, Gamma)> {
    vec![
        (
            Noise::Additive(Array1::from_elem(n, 0.3)),
            Gamma::Scalar(1.5),
        ),
        (
            Noise::Full(Array2::from_shape_fn((n, 3), |(i, j)| 0.1 * (i + j) as f64)),
            Gamma::Diagonal(Array1::linspace(1.0, 2.0, n)),
        ),
        (
            Noise::Multiplicative {
                add: Array1::from_elem(n, 0.2),
                mult: Array1::from_elem(n, 0.1),
            },
            Gamma::Full(Array2::eye(n) * 1.2 + Array2::from_elem((n, n), 0.01)),
        ),
    ]
}

#[test]
fn paths_do_not_depend_on_block_size_or_path_range() {
    let (n, m, steps, paths) = (13, 2, 50, 23);
    let u: Vec<f64> = (0..paths * steps * m)
        .map(|i| (i as f64 * 0.37).sin())
        .collect();
    for (noise, gamma) in all_noise_kinds(n) {
        let model = network(n, m, noise, gamma, Activation::Tanh);
        let mut s = Settings::new(0.05, steps, paths);
        s.seed = 99;
        s.record = Record::State;
        s.stride = 3;
        s.block_size = 1;
        let reference = run(&model, Input::PerPath(&u), &s);
        for block in [4, 7, 64] {
            s.block_size = block;
            assert_eq!(
                run(&model, Input::PerPath(&u), &s),
                reference,
                "block size {block}"
            );
        }
        let split = 9;
        let per_path = s.n_records() * n;
        let mut head = s.clone();
        head.n_paths = split;
        let mut tail = s.clone();
        tail.n_paths = paths - split;
        tail.first_path = split as u64;
        let mut joined = run(&model, Input::PerPath(&u[..split * steps * m]), &head);
        joined.extend(run(&model, Input::PerPath(&u[split * steps * m..]), &tail));
        assert_eq!(joined.len(), paths * per_path);
        assert_eq!(joined, reference);
    }
}

#[test]
fn unit_leak_and_unit_step_is_the_discrete_recursion() {
    let (n, m, steps) = (6, 2, 20);
    let mut model = network(
        n,
        m,
        Noise::Additive(Array1::zeros(n)),
        Gamma::Scalar(1.0),
        Activation::Tanh,
    );
    model.readout = Readout {
        matrix: None,
        bias: Array1::zeros(n),
        activation: Activation::Identity,
    };
    let u: Vec<f64> = (0..steps * m).map(|i| (i as f64 * 0.7).cos()).collect();
    let mut s = Settings::new(1.0, steps, 1);
    s.record = Record::State;
    let out = run(&model, Input::Shared(&u), &s);
    let mut h = Array1::<f64>::zeros(n);
    for k in 0..steps {
        let uk = Array1::from_vec(u[k * m..(k + 1) * m].to_vec());
        let pre = model.w.dot(&h) + &model.b;
        h = pre.mapv(f64::tanh) + model.c.dot(&uk);
        for i in 0..n {
            let got = out[(k + 1) * n + i];
            // Same formula; only the tanh implementation and the order of the W h sum differ.
            assert!(
                (got - h[i]).abs() < 1e-14,
                "step {k} unit {i}: {got} vs {}",
                h[i]
            );
        }
    }
}

#[test]
fn divergence_names_path_and_step() {
    let n = 3;
    let model = network(
        n,
        1,
        Noise::Additive(Array1::from_elem(n, 0.1)),
        Gamma::Scalar(-50.0),
        Activation::Identity,
    );
    let mut s = Settings::new(0.1, 10_000, 5);
    s.record = Record::FinalState;
    let mut out = vec![0.0; 5 * n];
    match run_into(&model, Input::Zero, &s, &mut out) {
        Err(Error::Diverged { path, step, .. }) => {
            assert!(path < 5);
            assert!(step > 10 && step < 10_000);
        }
        other => panic!("expected divergence, got {other:?}"),
    }
}

/// Over a short horizon a float32 run follows the float64 run of the same seed to float32
/// round-off: the same model, and normals within 2e-6 of each other (`rng::normal`).
#[test]
fn f32_tracks_f64() {
    let (n, m, steps, paths) = (16, 1, 200, 8);
    let mut worst = 0.0f64;
    for activation in [Activation::Tanh, Activation::Sigmoid] {
        for (noise, gamma) in all_noise_kinds(n) {
            let model = network(n, m, noise, gamma, activation);
            for record in [Record::Readout, Record::State] {
                let mut s = Settings::new(0.01, steps, paths);
                s.seed = 5;
                s.record = record;
                let a = run(&model, Input::Zero, &s);
                let mut b = vec![0.0f32; a.len()];
                simulate::<f32>(
                    &model,
                    Input::Zero,
                    Start::Zero,
                    &s,
                    &mut b,
                    &Progress::new(),
                )
                .unwrap();
                for (x, y) in a.iter().zip(&b) {
                    worst = worst.max((x - *y as f64).abs() / x.abs().max(1.0));
                }
            }
        }
    }
    // Measured 3.2e-6 (about 27 float32 ulps of 1): round-off accumulated over 200
    // contracting steps, with every noise kind and both vectorised activations.
    assert!(worst < 1e-5, "f32 deviates by {worst}");
    assert!(worst > 0.0);
}

#[test]
fn bad_settings_are_errors() {
    let model = network(
        4,
        1,
        Noise::Additive(Array1::zeros(4)),
        Gamma::Scalar(1.0),
        Activation::Tanh,
    );
    let mut s = Settings::new(-0.1, 10, 2);
    let mut out = vec![0.0; 2 * 11 * 2];
    let err = run_into(&model, Input::Zero, &s, &mut out).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { arg: "dt", .. }));
    s.dt = 0.1;
    let err = run_into(&model, Input::Shared(&[1.0; 3]), &s, &mut out).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { arg: "u", .. }));
}

#[test]
fn slope_record_is_the_activation_derivative_along_the_recorded_states() {
    let (n, steps, paths) = (11, 20, 5);
    for activation in [Activation::Tanh, Activation::Sigmoid, Activation::Relu] {
        for (noise, gamma) in all_noise_kinds(n) {
            let model = network(n, 1, noise, gamma, activation);
            let mut s = Settings::new(0.05, steps, paths);
            s.seed = 7;
            s.burn_in_steps = 10;
            s.block_size = paths;
            s.record = Record::State;
            let states = run(&model, Input::Zero, &s);
            s.record = Record::SlopesThenFinalState;
            let slopes = run(&model, Input::Zero, &s);
            for b in 0..paths {
                for k in 0..=steps {
                    let h = &states[(b * (steps + 1) + k) * n..][..n];
                    let got = &slopes[(k * paths + b) * n..][..n];
                    if k == steps {
                        assert_eq!(got, h, "final state, path {b}");
                        continue;
                    }
                    for (i, &slope) in got.iter().enumerate() {
                        let pre = model.b[i] + (0..n).map(|j| model.w[[i, j]] * h[j]).sum::<f64>();
                        let want = activation.first_derivative::<false>(pre);
                        assert!(
                            (slope - want).abs() < 1e-12,
                            "{activation:?} path {b} step {k}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn slope_record_needs_every_step_in_one_block() {
    let (noise, gamma) = all_noise_kinds(4).remove(0);
    let model = network(4, 1, noise, gamma, Activation::Tanh);
    let mut s = Settings::new(0.05, 10, 6);
    s.record = Record::SlopesThenFinalState;
    let mut out = vec![0.0; 6 * 11 * 4];
    for (stride, block, arg) in [(2, 6, "stride"), (1, 4, "block_size")] {
        s.stride = stride;
        s.block_size = block;
        let err = run_into(&model, Input::Zero, &s, &mut out).unwrap_err();
        assert!(err.to_string().contains(arg), "{err}");
    }
}

/// `C_in` `(n, m)` for the input-inside tests.
fn input_inside(n: usize, m: usize) -> Array2<f64> {
    Array2::from_shape_fn((n, m), |(i, j)| ((3 * i + j) % 7) as f64 / 7.0 - 0.5)
}

#[test]
fn input_inside_with_unit_leak_is_the_leaky_echo_state_network() {
    let (n, m, steps, leak) = (11, 2, 40, 0.3);
    let mut model = network(
        n,
        m,
        Noise::Additive(Array1::zeros(n)),
        Gamma::Scalar(1.0),
        Activation::Tanh,
    );
    model.c = Array2::zeros((n, m));
    model.readout = Readout {
        matrix: None,
        bias: Array1::zeros(n),
        activation: Activation::Identity,
    };
    let model = model.with_input_inside(input_inside(n, m)).unwrap();
    let w_in = model.c_in.clone().unwrap();
    let u: Vec<f64> = (0..steps * m).map(|i| (i as f64 * 0.7).cos()).collect();
    let mut s = Settings::new(leak, steps, 2);
    s.record = Record::State;
    let shared = run(&model, Input::Shared(&u), &s);
    let per_path: Vec<f64> = u.iter().chain(&u).copied().collect();
    let separate = run(&model, Input::PerPath(&per_path), &s);
    let mut h = Array1::<f64>::zeros(n);
    for k in 0..steps {
        let uk = Array1::from_vec(u[k * m..(k + 1) * m].to_vec());
        let pre = model.w.dot(&h) + &model.b + w_in.dot(&uk);
        h = &h * (1.0 - leak) + pre.mapv(f64::tanh) * leak;
        for path in 0..2 {
            for (out, what) in [(&shared, "shared"), (&separate, "per-path")] {
                let got = out[(path * (steps + 1) + k + 1) * n..][..n].to_vec();
                // Same formula; the tanh polynomial, the order of the sums and the decay
                // `1 − dt` rounded once differ: a few ulps of values below 1 per step.
                let err = max_abs_diff(&got, h.as_slice().unwrap());
                assert!(err < 1e-14, "{what} path {path} step {k}: {err}");
            }
        }
    }
}

#[test]
fn input_inside_is_refused_with_the_wrong_shape_or_non_finite_values() {
    let model = network(
        4,
        2,
        Noise::Additive(Array1::zeros(4)),
        Gamma::Scalar(1.0),
        Activation::Tanh,
    );
    let e = model
        .clone()
        .with_input_inside(Array2::zeros((4, 3)))
        .unwrap_err();
    assert!(e.to_string().contains("C_in"), "{e}");
    let mut bad = Array2::zeros((4, 2));
    bad[[1, 1]] = f64::NAN;
    let e = model.with_input_inside(bad).unwrap_err();
    assert!(e.to_string().contains("C_in"), "{e}");
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// A reservoir-like `W` with about `density` of its entries nonzero, bias entries `+0` and
/// `-0`, and a `-0` weight (skipped like any zero).
fn sparse_network(n: usize, m: usize, density: f64, noise: Noise, gamma: Gamma) -> Srnn {
    let keep = |i: usize, j: usize| ((i * 131 + j * 71) % 1000) as f64 / 1000.0 < density;
    let mut w = Array2::from_shape_fn((n, n), |(i, j)| {
        if keep(i, j) {
            ((i * 17 + j * 29) % 23) as f64 / 23.0 - 0.5
        } else {
            0.0
        }
    });
    w[[0, 1]] = -0.0;
    let c = Array2::from_shape_fn((n, m), |(i, j)| ((i + 3 * j) % 7) as f64 / 7.0 - 0.4);
    let mut b = Array1::from_shape_fn(n, |i| 0.05 * (i % 9) as f64 - 0.2);
    b[4] = 0.0;
    b[5] = -0.0;
    let readout = Readout {
        matrix: Some(Array2::from_shape_fn((3, n), |(q, j)| {
            ((q + j) % 5) as f64 / 5.0 - 0.4
        })),
        bias: array![0.1, 0.0, -0.1],
        activation: Activation::Identity,
    };
    Srnn::new(w, c, b, gamma, noise, Activation::Tanh, readout).unwrap()
}

fn bits<R: Real>(v: &[R]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn run_with<R: Real>(model: &Srnn, input: Input<R>, s: &Settings, product: WProduct) -> Vec<u64> {
    let mut s = s.clone();
    s.w_product = product;
    let [a, b, c] = s.output_shape(model);
    let mut out = vec![R::ZERO; a * b * c];
    simulate(model, input, Start::Zero, &s, &mut out, &Progress::new()).unwrap();
    bits(&out)
}

#[test]
fn sparse_and_dense_w_give_the_same_bits() {
    let (n, m, steps, paths) = (70, 2, 40, 21);
    let u: Vec<f64> = (0..paths * steps * m)
        .map(|i| (i as f64 * 0.29).sin())
        .collect();
    let u32s: Vec<f32> = u.iter().map(|&v| v as f32).collect();
    for (noise, gamma) in all_noise_kinds(n) {
        let plain = sparse_network(n, m, 0.1, noise, gamma);
        let inside = plain
            .clone()
            .with_input_inside(Array2::from_elem((n, m), 0.3))
            .unwrap();
        for model in [&plain, &inside] {
            let prepared = prepared::Prepared::<f64>::new(model, 0.05, WProduct::Sparse);
            assert!(
                prepared.w_sparse.is_some(),
                "the sparse product was not taken"
            );
            for record in [Record::State, Record::Readout] {
                let mut s = Settings::new(0.05, steps, paths);
                s.seed = 5;
                s.record = record;
                s.burn_in_steps = 7;
                s.block_size = 13;
                for input in [
                    Input::Zero,
                    Input::Shared(&u[..steps * m]),
                    Input::PerPath(&u),
                ] {
                    let dense = run_with(model, input, &s, WProduct::Dense);
                    assert_eq!(run_with(model, input, &s, WProduct::Sparse), dense);
                }
                let dense = run_with(model, Input::PerPath(&u32s), &s, WProduct::Dense);
                let sparse = run_with(model, Input::PerPath(&u32s), &s, WProduct::Sparse);
                assert_eq!(sparse, dense, "f32");
            }
        }
    }
}

#[test]
fn the_automatic_choice_follows_size_and_density() {
    assert!(!prefers_sparse(SPARSE_MIN_N - 1, 0));
    assert!(prefers_sparse(400, 16_000));
    assert!(!prefers_sparse(400, 160_000));
    let dense = network(
        80,
        1,
        Noise::Additive(Array1::from_elem(80, 0.1)),
        Gamma::Scalar(1.0),
        Activation::Tanh,
    );
    assert!(prepared::Prepared::<f64>::new(&dense, 0.1, WProduct::Auto)
        .w_sparse
        .is_none());
}
