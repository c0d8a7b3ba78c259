"""``srnn_rs.jax``: the custom VJPs against finite differences (``jax.test_util.check_grads``,
reverse mode, float64), under ``jit`` and ``vmap``, their values against the NumPy functions,
and the refusals."""

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import jax.numpy as jnp  # noqa: E402
from jax.test_util import check_grads  # noqa: E402

import srnn_rs  # noqa: E402
import srnn_rs.jax as sj  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def float64():
    # Only for this module: the docstring examples run with JAX's float32 default.
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", False)


def rand(*shape, seed=0, scale=0.5):
    return jnp.asarray(scale * np.random.default_rng(seed).standard_normal(shape))


def check(f, args):
    check_grads(f, args, order=1, modes=("rev",), atol=1e-6, rtol=1e-6, eps=1e-5)


@pytest.mark.parametrize(
    "options",
    [{}, {"stream": True}, {"inverse": True, "scalar_term": True}, {"time_aug": True, "lead_lag": True, "basepoint": True}],
)
def test_signature_check_grads(options):
    check(lambda p: sj.signature(p, 3, **options), (rand(2, 5, 2),))


@pytest.mark.parametrize("mode", ["lyndon", "words", "expand"])
def test_logsignature_check_grads(mode):
    check(lambda p: sj.logsignature(p, 4, mode=mode), (rand(2, 5, 2, seed=1),))
    check(lambda p: sj.logsignature(p, 3, mode=mode, stream=True), (rand(2, 4, 3, seed=2),))


@pytest.mark.parametrize(
    "options",
    [{"depth": 3}, {"dyadic_order": 0}, {"dyadic_order": 2}, {"static_kernel": "rbf", "sigma": 0.7, "dyadic_order": 1}],
)
def test_sig_kernel_check_grads_in_both_arguments(options):
    check(lambda a, b: sj.sig_kernel(a, b, **options), (rand(3, 4, 2, seed=3), rand(3, 6, 2, seed=4)))


@pytest.mark.parametrize("options", [{"depth": 3}, {"dyadic_order": 1}, {"static_kernel": "rbf", "dyadic_order": 1}])
def test_sig_kernel_gram_check_grads(options):
    X, Y = rand(3, 4, 2, seed=5), rand(2, 5, 2, seed=6)
    check(lambda a, b: sj.sig_kernel_gram(a, b, **options), (X, Y))
    check(lambda a: sj.sig_kernel_gram(a, **options), (X,))


def test_values_match_numpy_under_jit_and_vmap():
    x = rand(3, 6, 2, seed=7)
    expect = srnn_rs.signature(np.asarray(x), 3)
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda p: sj.signature(p, 3))(x)), expect)
    np.testing.assert_array_equal(np.asarray(jax.vmap(lambda p: sj.signature(p, 3))(x)), expect)
    grads = jax.vmap(jax.grad(lambda p: sj.logsignature(p, 3).sum()))(x)
    one = np.ones_like(srnn_rs.logsignature(np.asarray(x), 3))
    np.testing.assert_allclose(np.asarray(grads), srnn_rs.logsignature_backprop(one, np.asarray(x), 3), rtol=1e-12)
    k = jax.jit(lambda a: sj.sig_kernel_gram(a, dyadic_order=1))(x)
    np.testing.assert_array_equal(np.asarray(k), srnn_rs.sig_kernel_gram(np.asarray(x), dyadic_order=1))


def test_bad_inputs_raise_naming_the_argument():
    with pytest.raises(TypeError, match="path: expected a floating-point array"):
        sj.signature(jnp.zeros((3, 2), dtype=jnp.int32), 2)
    with pytest.raises(TypeError, match="basepoint: the JAX bridge takes True or False"):
        sj.signature(rand(3, 2), 2, basepoint=np.zeros(2))
    with pytest.raises(ValueError, match="depth"):
        sj.signature(rand(3, 2), 0)
    with pytest.raises(ValueError, match="mode"):
        sj.logsignature(rand(3, 2), 2, mode="hall")
    with pytest.raises(ValueError, match="y: expected as many paths as x"):
        sj.sig_kernel(rand(3, 4, 2), rand(2, 4, 2))
    with pytest.raises(ValueError, match="static_kernel"):
        sj.sig_kernel_gram(rand(2, 3, 2), depth=2, static_kernel="rbf")
