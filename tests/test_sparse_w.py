"""The sparse W product of the EM step gives the dense product's bits (the choice is automatic;
SRNN_RS_W_PRODUCT forces it)."""

import numpy as np
import pytest

import srnn_rs


def run(monkeypatch, product, net, **kw):
    monkeypatch.setenv("SRNN_RS_W_PRODUCT", product)
    return net.simulate(**kw)


@pytest.mark.parametrize("input_inside", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_sparse_and_dense_reservoirs_give_identical_bits(monkeypatch, input_inside, dtype):
    # bias_scaling=0 gives a bias of ±0: the -0 entries take the sparse product's dense fix-up.
    for bias in (0.0, 0.3):
        net = srnn_rs.reservoir(150, connectivity=0.1, leak=0.3, bias_scaling=bias, sigma=0.1,
                                seed=3, input_inside=input_inside)
        assert np.count_nonzero(net.params["W"]) <= 0.1 * 150**2 + 1
        u = np.cos(np.arange(60 * 1) * 0.2).reshape(60, 1)
        for record in ("state", "readout", "final_state"):
            kw = dict(u=u, dt=0.3, n_paths=21, seed=7, record=record, dtype=dtype, burn_in=10)
            dense = run(monkeypatch, "dense", net, **kw)
            sparse = run(monkeypatch, "sparse", net, **kw)
            auto = run(monkeypatch, "auto", net, **kw)
            assert np.isfinite(dense).all()
            assert dense.tobytes() == sparse.tobytes() == auto.tobytes()
