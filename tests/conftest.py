import numpy as np
import pytest

import srnn_rs


def linear_network(n=3, m=2, *, sigma=0.4, seed=0, gamma=1.0, b=True):
    """A stable linear SRNN (activation identity) with A = Γ − W well inside the stable region."""
    rng = np.random.default_rng(seed)
    W = 0.3 * rng.standard_normal((n, n)) / np.sqrt(n)
    C = rng.standard_normal((n, m))
    bias = 0.2 * rng.standard_normal(n) if b else None
    return srnn_rs.SRNN(W, C, gamma=gamma, b=bias, sigma=sigma, activation="identity")


@pytest.fixture
def linear():
    return linear_network()


def tanh_network(n=8, m=1, sigma=0.3, seed=1):
    rng = np.random.default_rng(seed)
    return srnn_rs.SRNN(
        1.2 * rng.standard_normal((n, n)) / np.sqrt(n),
        rng.standard_normal((n, m)),
        b=0.1 * rng.standard_normal(n),
        sigma=sigma,
        activation="tanh",
        readout=rng.standard_normal((2, n)),
        readout_bias=np.array([0.1, -0.2]),
    )
