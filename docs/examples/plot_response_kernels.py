"""
Response kernels of a linear network: three estimators against the exact kernel
===============================================================================

For a linear network ``dh = (−Γ h + W h + C u) dt + σ dB``, ``y = R h`` the first-order
response kernel is known in closed form, ``K1(τ) = R e^{−Aτ} C`` with ``A = Γ − W``. Here the
Monte Carlo estimators of :func:`srnn_rs.response_kernels` (adjoint, Girsanov and the
fluctuation–dissipation estimator ``fdt_gauss``) are drawn with their ±2 standard-error bands
beside ``method="exact"``. Each estimator targets the Euler–Maruyama chain's kernel
``R (I − dt A)^i C``, which differs from the continuous-time one by ``O(dt)``.
"""

import matplotlib.pyplot as plt
import numpy as np

import srnn_rs
import srnn_rs.plot

rng = np.random.default_rng(3)
n = 6
W = 0.6 * rng.standard_normal((n, n)) / np.sqrt(n)
C = rng.standard_normal((n, 1))
R = rng.standard_normal((1, n)) / np.sqrt(n)
net = srnn_rs.SRNN(W, C, gamma=1.0, sigma=0.3, activation="identity", readout=R)

dt, max_lag = 0.05, 4.0
exact = srnn_rs.response_kernels(net, dt=dt, max_lag=max_lag, method="exact")
estimates = [
    srnn_rs.response_kernels(net, dt=dt, max_lag=max_lag, method="adjoint", n_paths=2000, seed=1),
    srnn_rs.response_kernels(net, dt=dt, max_lag=max_lag, method="girsanov", n_paths=20000,
                             bin_width=4, seed=2),
    srnn_rs.response_kernels(net, dt=dt, max_lag=max_lag, method="fdt_gauss", n_paths=2000, seed=3),
]

# %%
# Each estimate against the chain's exact kernel, in units of its standard error. For a linear
# network the adjoint's pathwise derivative is the same on every path, so its standard error
# is zero and its error is rounding alone.
A = np.eye(n) - W
chain = np.array([(R @ np.linalg.matrix_power(np.eye(n) - dt * A, i) @ C)[0, 0]
                  for i in range(len(exact.lags))])
for k in estimates:
    # A bin of ``bin_width`` consecutive lags (the last one possibly shorter) holds their mean.
    starts = np.arange(0, len(chain), k.bin_width)
    target = np.add.reduceat(chain, starts) / np.diff(np.append(starts, len(chain)))
    error, se = k.values[:, 0, 0] - target, k.stderr[:, 0, 0]
    noisy = se > 0
    z = np.abs(error[noisy] / se[noisy]).max() if noisy.any() else 0.0
    print(f"{k.method:>9}: {k.n_paths:6d} paths, max |error| = {np.abs(error).max():.1e}, "
          f"max |error| / SE = {z:.2f}")

fig, ax = plt.subplots(figsize=(7, 4))
srnn_rs.plot.plot_kernels(estimates, ax=ax)
ax.plot(exact.lags, exact.values[:, 0, 0], color="k", lw=1.5, label="exact (continuous time)")
ax.set_xlabel("lag τ")
ax.set_ylabel("K1(τ)")
ax.set_title("First-order response kernel, ±2 SE bands")
ax.legend(fontsize="small")
fig.tight_layout()
