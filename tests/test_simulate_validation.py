"""Bad input raises a clear TypeError/ValueError naming the argument; nothing crashes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srnn_rs


def net(n=3, m=2):
    return srnn_rs.SRNN(0.1 * np.eye(n), np.ones((n, m)), sigma=0.1)


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(W=np.ones((3, 2)), C=np.ones((3, 1))), ValueError, "W"),
        (dict(W=np.ones(3), C=np.ones((3, 1))), ValueError, "W"),
        (dict(W=np.eye(3), C=np.ones((2, 1))), ValueError, "C"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), b=np.ones(2)), ValueError, "b"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), gamma=np.ones(4)), ValueError, "gamma"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), sigma=np.ones((2, 2))), ValueError, "sigma"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), sigma=np.ones((3, 2)), sigma_mult=0.1), ValueError, "sigma"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), activation="gelu"), ValueError, "activation"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), readout=np.ones((2, 4))), ValueError, "readout"),
        (dict(W=np.eye(3), C=np.ones((3, 1)), readout=np.ones((2, 3)), readout_bias=np.ones(3)), ValueError, "readout_bias"),
        (dict(W=np.array([["a"]]), C=np.ones((1, 1))), TypeError, "W"),
        (dict(W=np.array([[np.nan]]), C=np.ones((1, 1))), ValueError, "W"),
        (dict(W=np.eye(2), C=np.array([[1.0], [np.inf]])), ValueError, "C"),
        (dict(W=None, C=np.ones((1, 1))), TypeError, "W"),
    ],
)
def test_bad_model_arguments(kwargs, exc, name):
    with pytest.raises(exc, match=f"^{name}:"):
        srnn_rs.SRNN(**kwargs)


@pytest.mark.parametrize(
    "args, kwargs, exc, name",
    [
        ((None, 0.01), {}, ValueError, "n_steps"),
        ((None, -0.01), dict(n_steps=3), ValueError, "dt"),
        ((None, 0.0), dict(n_steps=3), ValueError, "dt"),
        ((None, float("nan")), dict(n_steps=3), ValueError, "dt"),
        ((None, "0.1"), dict(n_steps=3), TypeError, "dt"),
        ((np.ones((5, 3)), 0.01), {}, ValueError, "u"),
        ((np.ones(5), 0.01), {}, ValueError, "u"),
        ((np.ones((2, 5, 2)), 0.01), dict(n_paths=3), ValueError, "u"),
        ((np.full((5, 2), np.nan), 0.01), {}, ValueError, "u"),
        ((np.ones((5, 2)), 0.01), dict(n_steps=4), ValueError, "n_steps"),
        ((None, 0.01), dict(n_steps=3, n_paths=0), ValueError, "n_paths"),
        ((None, 0.01), dict(n_steps=3, n_paths=2.5), TypeError, "n_paths"),
        ((None, 0.01), dict(n_steps=3, seed=-1), ValueError, "seed"),
        ((None, 0.01), dict(n_steps=3, stride=0), ValueError, "stride"),
        ((None, 0.01), dict(n_steps=3, record="all"), ValueError, "record"),
        ((None, 0.01), dict(n_steps=3, h0="random"), ValueError, "h0"),
        ((None, 0.01), dict(n_steps=3, h0=np.ones(4)), ValueError, "h0"),
        ((None, 0.01), dict(n_steps=3, burn_in=-1.0), ValueError, "burn_in"),
        ((None, 0.01), dict(n_steps=3, dtype="int32"), TypeError, "dtype"),
        ((None, 0.01), dict(n_steps=3, block_size=0), ValueError, "block_size"),
    ],
)
def test_bad_simulate_arguments(args, kwargs, exc, name):
    with pytest.raises(exc, match=f"^{name}:"):
        net().simulate(*args, **kwargs)


def test_stationary_start_needs_stable_gamma():
    bad = srnn_rs.SRNN(np.zeros((2, 2)), np.ones((2, 1)), gamma=-1.0, sigma=0.1)
    with pytest.raises(ValueError, match="^gamma:"):
        bad.simulate(None, 0.01, n_steps=3, h0="stationary")


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5),
    m=st.integers(0, 3),
    T=st.integers(0, 6),
    paths=st.integers(1, 4),
    stride=st.integers(1, 4),
    u_rank=st.sampled_from([None, 2, 3]),
    dtype=st.sampled_from(["float64", "float32"]),
)
def test_shapes_for_any_small_configuration(n, m, T, paths, stride, u_rank, dtype):
    model = srnn_rs.SRNN(0.1 * np.eye(n), np.ones((n, m)), sigma=0.1)
    u = None if u_rank is None or m == 0 else np.ones((T, m) if u_rank == 2 else (paths, T, m))
    y = model.simulate(u, 0.01, n_steps=None if u is not None else T, n_paths=paths, stride=stride, dtype=dtype)
    assert y.shape == (paths, T // stride + 1, n) and y.dtype == np.dtype(dtype)
    assert np.isfinite(y).all()


@settings(max_examples=60, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple),
    fill=st.sampled_from([0.0, np.nan, np.inf, 1.0]),
)
def test_arbitrary_u_never_crashes(shape, fill):
    model = net()
    try:
        model.simulate(np.full(shape, fill), 0.01, n_paths=2)
    except (TypeError, ValueError) as e:
        assert str(e).split(":")[0] in {"u", "n_steps"}


def test_misaligned_inputs_are_copied_not_refused():
    # np.frombuffer at an odd offset, or a buffer Dask deserialised, gives misaligned floats.
    net = srnn_rs.default_network()
    raw = np.zeros(8 * 40 + 1, dtype=np.uint8)
    u = np.frombuffer(raw.data, dtype=np.float64, count=40, offset=1).reshape(40, 1)
    assert not u.flags.aligned
    out = net.simulate(u, 0.1, n_paths=3, seed=1)
    assert np.array_equal(out, net.simulate(np.zeros((40, 1)), 0.1, n_paths=3, seed=1))
