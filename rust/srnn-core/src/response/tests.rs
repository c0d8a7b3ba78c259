use ndarray::{array, Array1, Array2};

use super::*;
use crate::model::{Activation, Gamma, Noise, Readout, Srnn};
use crate::progress::Progress;

fn linear(n: usize, m: usize, sigma: f64) -> Srnn {
    let w = Array2::from_shape_fn((n, n), |(i, j)| ((i * 7 + j * 3) % 11) as f64 / 22.0 - 0.2);
    let c = Array2::from_shape_fn((n, m), |(i, j)| ((i + 2 * j) % 5) as f64 / 5.0 - 0.4);
    let readout = Readout {
        matrix: Some(Array2::from_shape_fn((2, n), |(i, j)| {
            (i + j) as f64 / n as f64
        })),
        bias: array![0.5, -0.5],
        activation: Activation::Identity,
    };
    Srnn::new(
        w,
        c,
        Array1::linspace(-0.2, 0.3, n),
        Gamma::Diagonal(Array1::linspace(1.0, 1.5, n)),
        Noise::Additive(Array1::from_elem(n, sigma)),
        Activation::Identity,
        readout,
    )
    .unwrap()
}

fn tanh_net(n: usize, m: usize) -> Srnn {
    let mut model = linear(n, m, 0.5);
    model.activation = Activation::Tanh;
    model.w = Array2::from_shape_fn((n, n), |(i, j)| ((i * 5 + j * 3) % 7) as f64 / 3.5 - 0.9);
    model.readout.activation = Activation::Sigmoid;
    model
}

/// The Euler–Maruyama chain's kernel `R (I − dt A)^i C` of a linear network.
fn chain_kernel(model: &Srnn, dt: f64, lags: usize) -> Vec<f64> {
    let a = model.gamma_matrix() - &model.w;
    let step = Array2::<f64>::eye(model.n()) - a * dt;
    let r = model.readout.matrix.clone().unwrap();
    let mut prop = model.c.clone();
    let mut out = Vec::new();
    for _ in 0..lags {
        out.extend(r.dot(&prop).iter());
        prop = step.dot(&prop);
    }
    out
}

fn settings(dt: f64, lags: usize, paths: usize) -> EnsembleSettings {
    let mut s = EnsembleSettings::new(dt, lags, paths, 200);
    s.seed = 11;
    s.block_size = 4;
    s
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn adjoint_is_the_chain_kernel_of_a_linear_network() {
    let model = linear(5, 2, 0.3);
    let s = settings(0.05, 30, 6);
    let k = adjoint_k1(&model, &s, &Progress::new()).unwrap();
    assert_eq!(k.shape, vec![30, 2, 2]);
    let want = chain_kernel(&model, 0.05, 30);
    assert!(max_diff(&k.values, &want) < 1e-12);
    assert!(k.stderr.iter().all(|&e| e < 1e-12));
    // The continuous kernel differs from the chain's by O(dt).
    let exact = exact_k1(&model, &s.lags()).unwrap();
    assert!(max_diff(&exact, &want) < 0.05);
    let finer = settings(0.005, 300, 2);
    let fine_exact = exact_k1(&model, &finer.lags()).unwrap();
    let fine_chain = chain_kernel(&model, 0.005, 300);
    assert!(max_diff(&fine_exact, &fine_chain) < 0.1 * max_diff(&exact, &want));
}

#[test]
fn exact_uniform_and_pointwise_lags_agree() {
    let model = linear(4, 3, 0.3);
    let grid: Vec<f64> = (0..7).map(|i| i as f64 * 0.3).collect();
    let a = exact_k1(&model, &grid).unwrap();
    let mut odd = grid.clone();
    odd.reverse();
    let b = exact_k1(&model, &odd).unwrap();
    let per = 2 * 3;
    for i in 0..7 {
        let j = 6 - i;
        assert!(max_diff(&a[i * per..(i + 1) * per], &b[j * per..(j + 1) * per]) < 1e-12);
    }
    let mut nonlinear = model.clone();
    nonlinear.activation = Activation::Tanh;
    assert!(exact_k1(&nonlinear, &grid).is_err());
}

#[test]
fn fd_matches_adjoint_to_round_off_on_the_same_noise() {
    let model = tanh_net(4, 2);
    let s = settings(0.02, 15, 8);
    let adj = adjoint_k1(&model, &s, &Progress::new()).unwrap();
    let fd = fd_k1(&model, &s, 1e-5, &Progress::new()).unwrap();
    let scale = adj.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(
        max_diff(&adj.values, &fd.values) < 1e-7 * scale,
        "{}",
        max_diff(&adj.values, &fd.values)
    );
    assert_eq!(adj.mean, fd.mean);
}

#[test]
fn results_do_not_depend_on_thread_count() {
    let model = tanh_net(6, 1);
    let s = settings(0.02, 20, 37);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            (
                adjoint_k1(&model, &s, &Progress::new()).unwrap(),
                girsanov_k1(&model, &s, 2, &Progress::new()).unwrap(),
            )
        })
    };
    let (a1, g1) = run(1);
    let (a3, g3) = run(3);
    assert_eq!(a1, a3);
    assert_eq!(g1, g3);
}

#[test]
fn girsanov_weights_use_the_simulators_noise() {
    // With the readout equal to one noise component, E[F w] picks out that z exactly:
    // check the reconstruction of z from consecutive states instead.
    let model = tanh_net(3, 1);
    let s = settings(0.01, 5, 4);
    let h0 = ensemble::stationary_start(&model, &s, 0, 4).unwrap();
    let states = ensemble::run_from(
        &model,
        &s,
        0,
        &h0,
        5,
        crate::simulation::Input::Zero,
        crate::simulation::Record::State,
    )
    .unwrap();
    let gamma = model.gamma_matrix();
    let mut b = vec![0.0; 3];
    let fma = !matches!(crate::simd::level(), crate::simd::Level::Generic);
    for path in 0..4 {
        for j in 0..5 {
            let h = &states[(path * 6 + j) * 3..(path * 6 + j + 1) * 3];
            let next = &states[(path * 6 + j + 1) * 3..(path * 6 + j + 2) * 3];
            ensemble::drift(&model, &gamma, h, &mut b);
            for c in 0..3 {
                let z = (next[c] - h[c] - 0.01 * b[c]) / (0.5 * 0.1);
                let want = if fma {
                    crate::rng::normal::<true>(
                        11,
                        crate::rng::Stream::Main,
                        path as u64,
                        j as u32,
                        c as u32,
                    )
                } else {
                    crate::rng::normal::<false>(
                        11,
                        crate::rng::Stream::Main,
                        path as u64,
                        j as u32,
                        c as u32,
                    )
                };
                assert!((z - want).abs() < 1e-9, "{z} {want}");
            }
        }
    }
}

#[test]
fn girsanov_refuses_what_it_cannot_do() {
    let mut model = tanh_net(3, 1);
    model.noise = Noise::Multiplicative {
        add: Array1::from_elem(3, 0.1),
        mult: Array1::from_elem(3, 0.1),
    };
    let s = settings(0.01, 5, 4);
    let e = girsanov_k1(&model, &s, 1, &Progress::new()).unwrap_err();
    assert!(e.to_string().contains("additive"), "{e}");
    model.noise = Noise::Full(array![[1.0], [0.0], [0.0]]);
    let e = girsanov_k1(&model, &s, 1, &Progress::new()).unwrap_err();
    assert!(e.to_string().contains("span"), "{e}");
}

#[test]
fn stationary_stats_of_a_linear_network_match_the_lyapunov_solution() {
    let model = linear(3, 1, 0.4);
    let s = settings(0.01, 1, 400);
    let st = stationary_stats(&model, &s, 0, 1, &Progress::new()).unwrap();
    let ex = exact_stationary(&model).unwrap();
    for a in 0..3 {
        let z = (st.mean_state[a] - ex.mean_state[a]) / st.mean_state_se[a];
        assert!(z.abs() < 4.5, "mean {a}: z = {z}");
        for b in 0..3 {
            let e = a * 3 + b;
            let z = (st.cov_state[e] - ex.cov_state[[a, b]]) / st.cov_state_se[e];
            assert!(z.abs() < 4.5, "cov {a},{b}: z = {z}");
        }
    }
}

#[test]
fn fdt_gauss_matches_the_chain_kernel_of_a_linear_network() {
    let model = linear(3, 1, 0.5);
    let s = settings(0.02, 25, 300);
    let k = fdt_gauss_k1(&model, &s, 6, 10, &Progress::new()).unwrap();
    let want = chain_kernel(&model, 0.02, 25);
    for (i, ((v, e), w)) in k.values.iter().zip(&k.stderr).zip(&want).enumerate() {
        assert!((v - w).abs() < 5.0 * e + 0.02, "{i}: {v} vs {w} ± {e}");
    }
}

#[test]
fn moments_merge_like_a_single_pass() {
    let values: Vec<[f64; 2]> = (0..50)
        .map(|i| [1e6 + (i as f64 * 0.7).sin(), (i as f64).cos()])
        .collect();
    let mut whole = Moments::new(2);
    values.iter().for_each(|v| whole.push(v));
    let (mut a, mut b, mut c) = (Moments::new(2), Moments::new(2), Moments::new(2));
    values[..17].iter().for_each(|v| a.push(v));
    values[17..].iter().for_each(|v| b.push(v));
    c.merge(&a);
    c.merge(&b);
    assert_eq!(c.count, 50);
    for (x, y) in c.mean().iter().zip(whole.mean()) {
        assert!((x - y).abs() < 1e-9 * y.abs().max(1.0));
    }
    for (x, y) in c.stderr().iter().zip(whole.stderr()) {
        assert!((x - y).abs() < 1e-9 * y, "{x} {y}");
    }
    // the shift keeps the spread of values near 1e6 accurate
    let mean = values.iter().map(|v| v[0]).sum::<f64>() / 50.0;
    let var = values.iter().map(|v| (v[0] - mean).powi(2)).sum::<f64>() / 49.0;
    assert!((whole.stderr()[0] - (var / 50.0).sqrt()).abs() < 1e-6 * (var / 50.0).sqrt());
}

#[test]
fn adjoint_with_multiplicative_noise_matches_fd() {
    let mut model = tanh_net(4, 2);
    model.noise = Noise::Multiplicative {
        add: Array1::from_elem(4, 0.2),
        mult: Array1::linspace(0.1, 0.4, 4),
    };
    let s = settings(0.02, 15, 8);
    let adj = adjoint_k1(&model, &s, &Progress::new()).unwrap();
    let fd = fd_k1(&model, &s, 1e-5, &Progress::new()).unwrap();
    let scale = adj.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = max_diff(&adj.values, &fd.values);
    assert!(diff < 1e-7 * scale, "{diff}");
}

#[test]
fn adjoint_with_full_leak_and_noise_matches_fd() {
    let mut model = tanh_net(5, 1);
    model.gamma = Gamma::Full(Array2::from_shape_fn((5, 5), |(i, j)| {
        if i == j {
            1.2
        } else {
            0.1 * ((i + 2 * j) % 3) as f64 - 0.1
        }
    }));
    model.noise = Noise::Full(Array2::from_shape_fn((5, 3), |(i, j)| 0.1 * (i + j) as f64));
    model.activation = Activation::Softplus;
    let s = settings(0.02, 12, 5);
    let adj = adjoint_k1(&model, &s, &Progress::new()).unwrap();
    let fd = fd_k1(&model, &s, 1e-5, &Progress::new()).unwrap();
    let scale = adj.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_diff(&adj.values, &fd.values) < 1e-7 * scale);
}

#[test]
fn one_run_and_split_runs_give_the_same_paths() {
    let model = tanh_net(5, 2);
    let s = settings(0.02, 10, 6);
    let whole =
        ensemble::stationary_run(&model, &s, 3, 6, 10, crate::simulation::Record::State).unwrap();
    let h0 = ensemble::stationary_start(&model, &s, 3, 6).unwrap();
    let split = ensemble::run_from(
        &model,
        &s,
        3,
        &h0,
        10,
        crate::simulation::Input::Zero,
        crate::simulation::Record::State,
    )
    .unwrap();
    assert_eq!(whole, split);
}

/// Every estimator's partial sums over contiguous block ranges, appended in any grouping,
/// finish into the bits of the whole call; and survive their flat encoding.
#[test]
fn block_ranges_merge_into_the_bits_of_the_whole_call() {
    let model = tanh_net(3, 2);
    let s = settings(0.05, 4, 37); // 10 blocks of 4, the last one ragged
    let origins = Origins { count: 3, every: 2 };
    let (n_steps, stride) = fdt_gauss_first_pass(&s, origins);
    let stats = stationary_stats(&model, &s, n_steps, stride, &Progress::new()).unwrap();
    let estimators = [
        Estimator::Adjoint { order: 1 },
        Estimator::Adjoint { order: 2 },
        Estimator::Fd {
            order: 1,
            eps: 1e-5,
        },
        Estimator::Fd {
            order: 2,
            eps: 1e-3,
        },
        Estimator::Girsanov {
            order: 1,
            bin_width: 2,
        },
        Estimator::Girsanov {
            order: 2,
            bin_width: 1,
        },
        Estimator::Stats {
            n_steps: 3,
            stride: 2,
        },
        Estimator::Correlation {
            observable: Observable::Drift,
            origins,
        },
        Estimator::FdtGauss {
            origins,
            stats: Box::new(stats),
        },
    ];
    let n = block_count(&s);
    assert_eq!(n, 10);
    for est in &estimators {
        let progress = Progress::new();
        let whole = est.estimate(&model, &s, &progress).unwrap();
        for cuts in [
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            vec![0, 3, 10],
            vec![0, 5, 6, 10],
            vec![0, 7, 9, 10],
        ] {
            let parts: Vec<Partial> = cuts
                .windows(2)
                .map(|w| est.partial(&model, &s, w[0]..w[1], &progress).unwrap())
                .map(|p| Partial::decode(&p.encode()).unwrap())
                .collect();
            // Left to right, and right to left (each right part appended to its left neighbour).
            let mut left = parts[0].clone();
            for p in &parts[1..] {
                left.append(p.clone()).unwrap();
            }
            let mut right = parts.last().unwrap().clone();
            for p in parts[..parts.len() - 1].iter().rev() {
                let mut q = p.clone();
                q.append(right).unwrap();
                right = q;
            }
            assert_eq!(
                est.finish(&model, &s, left).unwrap(),
                whole,
                "{est:?} {cuts:?}"
            );
            assert_eq!(
                est.finish(&model, &s, right).unwrap(),
                whole,
                "{est:?} {cuts:?}"
            );
        }
    }
}

#[test]
fn partials_refuse_gaps_other_kinds_and_incomplete_ranges() {
    let model = tanh_net(3, 2);
    let s = settings(0.05, 4, 37);
    let p = Progress::new();
    let adj = Estimator::Adjoint { order: 1 };
    let mut a = adj.partial(&model, &s, 0..3, &p).unwrap();
    let gap = adj.partial(&model, &s, 4..10, &p).unwrap();
    assert!(a.clone().append(gap).is_err());
    let other = (Estimator::Stats {
        n_steps: 0,
        stride: 1,
    })
    .partial(&model, &s, 3..10, &p)
    .unwrap();
    assert!(a.append(other).is_err());
    let head = adj.partial(&model, &s, 0..9, &p).unwrap();
    assert!(adj.finish(&model, &s, head).is_err());
    assert!(adj.partial(&model, &s, 3..11, &p).is_err());
    let whole = adj.partial(&model, &s, 0..10, &p).unwrap();
    let fd2 = Estimator::Fd {
        order: 2,
        eps: 1e-3,
    };
    assert!(fd2.finish(&model, &s, whole.clone()).is_err());
    let mut bad = whole.encode();
    bad.truncate(bad.len() - 1);
    assert!(Partial::decode(&bad).is_err());
}

fn with_input_inside(model: Srnn) -> Srnn {
    let (n, m) = (model.n(), model.m());
    let c_in = Array2::from_shape_fn((n, m), |(i, j)| ((3 * i + j) % 7) as f64 / 7.0 - 0.5);
    model.with_input_inside(c_in).unwrap()
}

#[test]
fn adjoint_with_input_inside_the_activation_matches_fd() {
    let model = with_input_inside(tanh_net(4, 2));
    let s = settings(0.02, 15, 8);
    let adj = adjoint_k1(&model, &s, &Progress::new()).unwrap();
    let fd = fd_k1(&model, &s, 1e-5, &Progress::new()).unwrap();
    let scale = adj.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = max_diff(&adj.values, &fd.values);
    assert!(diff < 1e-7 * scale, "{diff}");
    // The inside term is not negligible: without it the kernels differ at O(1).
    let mut outside = model.clone();
    outside.c_in = None;
    let plain = adjoint_k1(&outside, &s, &Progress::new()).unwrap();
    assert!(max_diff(&plain.values, &fd.values) > 0.1 * scale);
}

#[test]
fn input_inside_an_identity_activation_adds_to_c() {
    let model = with_input_inside(linear(5, 2, 0.3));
    let mut folded = model.clone();
    folded.c = &model.c + model.c_in.as_ref().unwrap();
    folded.c_in = None;
    let s = settings(0.05, 30, 6);
    let k = adjoint_k1(&model, &s, &Progress::new()).unwrap();
    let want = chain_kernel(&folded, 0.05, 30);
    assert!(max_diff(&k.values, &want) < 1e-12);
    assert_eq!(
        exact_k1(&model, &s.lags()).unwrap(),
        exact_k1(&folded, &s.lags()).unwrap()
    );
}

#[test]
fn input_inside_a_nonlinear_activation_is_refused_where_it_cannot_be_expressed() {
    let model = with_input_inside(tanh_net(3, 1));
    let s = settings(0.01, 5, 4);
    let e = girsanov_k1(&model, &s, 1, &Progress::new()).unwrap_err();
    assert!(e.to_string().contains("C_in"), "{e}");
    let e = girsanov_k2(&model, &s, 1, &Progress::new()).unwrap_err();
    assert!(e.to_string().contains("C_in"), "{e}");
    let e = fdt_gauss_k1(&model, &s, 2, 1, &Progress::new()).unwrap_err();
    assert!(e.to_string().contains("C_in"), "{e}");
}

/// `max |a − b|` over `max |b|`.
fn relative_diff(a: &[f64], b: &[f64]) -> f64 {
    max_diff(a, b) / b.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// The pathwise K2 is the exact second derivative of the chain: the four-point differences
/// on the same noise approach it as `O(ε²)` (halving `ε` quarters the gap), from `eps`.
fn adjoint_k2_is_the_limit_of_fd(model: &Srnn, s: &EnsembleSettings, eps: f64) {
    let adj = adjoint_k2(model, s, &Progress::new()).unwrap();
    let gap = |eps: f64| {
        relative_diff(
            &fd_k2(model, s, eps, &Progress::new()).unwrap().values,
            &adj.values,
        )
    };
    let (coarse, fine) = (gap(eps), gap(eps / 2.0));
    assert!(coarse < 1e-2, "{coarse}");
    let ratio = coarse / fine;
    assert!((3.0..5.0).contains(&ratio), "{coarse} {fine} {ratio}");
    assert_eq!(
        adj.shape,
        fd_k2(model, s, 1e-3, &Progress::new()).unwrap().shape
    );
}

#[test]
fn adjoint_k2_matches_fd_on_a_tanh_network() {
    adjoint_k2_is_the_limit_of_fd(&tanh_net(3, 2), &settings(0.05, 6, 5), 4e-2);
}

#[test]
fn adjoint_k2_matches_fd_with_multiplicative_noise_and_full_leak() {
    let mut model = tanh_net(4, 2);
    model.noise = Noise::Multiplicative {
        add: Array1::from_elem(4, 0.2),
        mult: Array1::linspace(0.1, 0.4, 4),
    };
    model.gamma = Gamma::Full(Array2::from_shape_fn((4, 4), |(i, j)| {
        if i == j {
            1.2
        } else {
            0.1 * ((i + 2 * j) % 3) as f64 - 0.1
        }
    }));
    model.activation = Activation::Softplus;
    adjoint_k2_is_the_limit_of_fd(&model, &settings(0.05, 5, 5), 4e-2);
}

#[test]
fn adjoint_k2_matches_fd_with_input_inside_the_activation() {
    // The impulse ε/dt passes the activation, so fd's O(ε²) term grows as 1/dt².
    let model = with_input_inside(tanh_net(3, 2));
    adjoint_k2_is_the_limit_of_fd(&model, &settings(0.05, 5, 5), 4e-3);
}

#[test]
fn adjoint_k2_vanishes_exactly_for_a_linear_network() {
    let model = with_input_inside(linear(3, 2, 0.4));
    let k = adjoint_k2(&model, &settings(0.05, 6, 5), &Progress::new()).unwrap();
    assert!(k.values.iter().chain(&k.stderr).all(|&v| v == 0.0));
    // and not for the same network with a curved readout
    let mut curved = model.clone();
    curved.readout.activation = Activation::Tanh;
    let k = adjoint_k2(&curved, &settings(0.05, 6, 5), &Progress::new()).unwrap();
    assert!(k.values.iter().any(|&v| v.abs() > 1e-3));
}

#[test]
fn adjoint_k2_is_symmetric() {
    let model = with_input_inside(tanh_net(3, 2));
    let k = adjoint_k2(&model, &settings(0.05, 6, 5), &Progress::new()).unwrap();
    let [l, _, p, m, _] = k.shape[..] else {
        panic!("{:?}", k.shape)
    };
    let at = |i1: usize, i2: usize, o: usize, a: usize, b: usize| {
        (((i1 * l + i2) * p + o) * m + a) * m + b
    };
    for (i1, i2, o, a, b) in (0..l * l * p * m * m).map(|x| {
        let (rest, b) = (x / m, x % m);
        let (rest, a) = (rest / m, rest % m);
        let (rest, o) = (rest / p, rest % p);
        (rest / l, rest % l, o, a, b)
    }) {
        assert_eq!(k.values[at(i1, i2, o, a, b)], k.values[at(i2, i1, o, b, a)]);
    }
}
