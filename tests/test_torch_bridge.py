"""``srnn_rs.torch``: the autograd functions' gradients against finite differences
(``torch.autograd.gradcheck`` in float64), their values against the NumPy functions and
against pySigLib where it is installed, and the refusals (non-CPU tensors, integer dtypes)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import srnn_rs  # noqa: E402
import srnn_rs.torch as st  # noqa: E402

gradcheck = torch.autograd.gradcheck


def rand(*shape, seed=0, scale=0.5):
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(*shape, generator=g, dtype=torch.float64)).requires_grad_()


@pytest.mark.parametrize(
    "options",
    [{}, {"stream": True}, {"inverse": True, "scalar_term": True}, {"time_aug": True, "lead_lag": True, "basepoint": True}],
)
def test_signature_gradcheck(options):
    x = rand(2, 5, 2)
    assert gradcheck(lambda p: st.signature(p, 3, **options), (x,))


@pytest.mark.parametrize("mode", ["lyndon", "words", "expand"])
@pytest.mark.parametrize("options", [{}, {"stream": True}, {"time_aug": True, "basepoint": True}])
def test_logsignature_gradcheck(mode, options):
    x = rand(2, 5, 2, seed=1)
    assert gradcheck(lambda p: st.logsignature(p, 4, mode=mode, **options), (x,))


@pytest.mark.parametrize(
    "options",
    [{"depth": 3}, {"dyadic_order": 0}, {"dyadic_order": 2}, {"static_kernel": "rbf", "sigma": 0.7, "dyadic_order": 1}],
)
def test_sig_kernel_gradcheck_in_both_arguments(options):
    x, y = rand(3, 4, 2, seed=2), rand(3, 6, 2, seed=3)
    assert gradcheck(lambda a, b: st.sig_kernel(a, b, **options), (x, y))


@pytest.mark.parametrize("options", [{"depth": 3}, {"dyadic_order": 1}, {"static_kernel": "rbf", "dyadic_order": 1}])
def test_sig_kernel_gram_gradcheck(options):
    X, Y = rand(3, 4, 2, seed=4), rand(2, 5, 2, seed=5)
    assert gradcheck(lambda a, b: st.sig_kernel_gram(a, b, **options), (X, Y))
    assert gradcheck(lambda a: st.sig_kernel_gram(a, **options), (X,))


def test_single_paths_give_a_scalar_kernel():
    x, y = rand(4, 2, seed=6), rand(5, 2, seed=7)
    k = st.sig_kernel(x, y, dyadic_order=1)
    assert k.shape == ()
    assert gradcheck(lambda a, b: st.sig_kernel(a, b, dyadic_order=1), (x, y))


def test_values_match_the_numpy_functions_and_keep_the_dtype():
    x = rand(3, 6, 2, seed=8).detach()
    np.testing.assert_array_equal(st.signature(x, 3).numpy(), srnn_rs.signature(x.numpy(), 3))
    np.testing.assert_array_equal(st.logsignature(x, 3).numpy(), srnn_rs.logsignature(x.numpy(), 3))
    np.testing.assert_array_equal(st.sig_kernel_gram(x).numpy(), srnn_rs.sig_kernel_gram(x.numpy()))
    assert st.signature(x.float(), 3).dtype == torch.float32


def test_gradient_matches_signature_backprop():
    x = rand(2, 7, 3, seed=9)
    out = st.signature(x, 3)
    g = torch.randn(out.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    out.backward(g)
    expect = srnn_rs.signature_backprop(g.numpy(), x.detach().numpy(), 3)
    np.testing.assert_array_equal(x.grad.numpy(), expect)


def test_a_tensor_off_the_cpu_is_refused_by_name():
    # The meta device stands in for CUDA: any device but the CPU is refused the same way.
    x = torch.empty(2, 4, 2, dtype=torch.float64, device="meta")
    with pytest.raises(ValueError, match=r"path: expected a CPU tensor.*\.cpu\(\)"):
        st.signature(x, 2)
    with pytest.raises(ValueError, match="X: expected a CPU tensor"):
        st.sig_kernel_gram(x)


def test_bad_inputs_raise_naming_the_argument():
    with pytest.raises(TypeError, match="path: expected a torch.Tensor"):
        st.signature(np.zeros((3, 2)), 2)
    with pytest.raises(TypeError, match="path: expected a floating-point tensor"):
        st.signature(torch.zeros(3, 2, dtype=torch.int64), 2)
    with pytest.raises(TypeError, match="basepoint: the PyTorch bridge takes True or False"):
        st.signature(rand(3, 2), 2, basepoint=torch.zeros(2))
    with pytest.raises(ValueError, match="depth"):
        st.signature(rand(3, 2), 0)
    with pytest.raises(ValueError, match="static_kernel"):
        st.sig_kernel(rand(3, 2), rand(3, 2), depth=2, static_kernel="rbf")


def test_agrees_with_pysiglib():
    pysiglib = pytest.importorskip("pysiglib")
    x = rand(4, 20, 3, seed=10)
    y = rand(4, 15, 3, seed=11)
    ours = st.signature(x, 4)
    theirs = pysiglib.sig(x.detach(), 4)
    theirs = torch.as_tensor(np.asarray(theirs), dtype=torch.float64)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy()[..., -ours.shape[-1]:], rtol=1e-10, atol=1e-12)
    k_ours = st.sig_kernel_gram(x, y, dyadic_order=1)
    k_theirs = np.asarray(pysiglib.sig_kernel_gram(x.detach(), y.detach(), dyadic_order=1))
    np.testing.assert_allclose(k_ours.detach().numpy(), k_theirs, rtol=1e-8)
