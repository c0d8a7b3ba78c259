"""
Reservoir computing: forecasting Mackey–Glass
=============================================

An echo-state reservoir built by :func:`srnn_rs.reservoir` (reservoirpy's initialisers:
sparse normal recurrent weights rescaled to a spectral radius, ±``input_scaling`` input
weights inside the activation, leak rate ``leak``), simulated with ``dt = leak`` so that one
Euler–Maruyama step is the leaky echo-state update. :class:`srnn_rs.ReadoutSRNN` fits a ridge
readout of its states to predict the chaotic Mackey–Glass series (τ = 17) ten samples ahead,
from :func:`srnn_rs.tasks.mackey_glass` and :func:`srnn_rs.tasks.to_forecasting`.
"""

import matplotlib.pyplot as plt
import numpy as np

import srnn_rs

series = srnn_rs.tasks.mackey_glass(2500, washout=200)
series = (series - series.mean()) / series.std()
X_train, X_test, y_train, y_test = srnn_rs.tasks.to_forecasting(series, forecast=10, test_size=500)

leak = 0.3
net = srnn_rs.reservoir(300, spectral_radius=1.25, leak=leak, input_scaling=1.0,
                        connectivity=0.1, seed=42)
esn = srnn_rs.ReadoutSRNN(net, dt=leak, alpha=1e-6, washout=100)
esn.fit(X_train[None], y_train[None])

# %%
# ``reset=False`` continues from the state the training run ended in, so the test segment
# needs no washout of its own.
prediction = esn.predict(X_test[None], reset=False)[0]
nrmse = np.sqrt(np.mean((prediction - y_test) ** 2)) / y_test.std()
r2 = esn.score(X_test[None], y_test[None])
print(f"10-step-ahead forecast on {len(y_test)} test samples: NRMSE {nrmse:.3f}")
print(f"R² of a fresh run from h0 (its first 100 steps washed out): {r2:.3f}")

fig, ax = plt.subplots(figsize=(8, 3.5))
ax.plot(y_test[:, 0], color="k", lw=2, label="Mackey–Glass, 10 steps ahead")
ax.plot(prediction[:, 0], lw=1, label="reservoir forecast")
ax.set_xlabel("test step")
ax.set_title(f"ReadoutSRNN on a 300-unit reservoir (NRMSE {nrmse:.3f})")
ax.legend(fontsize="small")
fig.tight_layout()
