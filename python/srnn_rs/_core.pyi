"""Type stubs for the native extension module ``srnn_rs._core`` (PyO3).

Generated from the bindings in ``rust/srnn-py/src`` (``lib.rs``, ``memory.rs``,
``simulation.rs``, ``response.rs``, ``lyapunov.rs``, ``signatures.rs``, ``request.rs``, ``runner.rs``) and checked against the built module by
``python -m mypy.stubtest srnn_rs._core`` (see ``tests/test_stubs.py``).

Array arguments are extracted as read-only numpy arrays of the exact dtype shown (no
conversion happens natively: ``srnn_rs`` validates, converts and makes them C-contiguous
first). String options ("mode", "record", ...) are parsed natively: a bad one raises
``ValueError`` naming the argument. The leading-underscore functions are private helpers of
``srnn_rs.signatures``.
"""

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypedDict, final, overload, type_check_only

import numpy as np
import numpy.typing as npt

__all__ = [
    "__version__",
    "cpu_features",
    "init_thread_pool",
    "thread_count",
    "DEFAULT_BLOCK_SIZE",
    "set_memory_limit",
    "get_memory_limit",
    "check_memory",
    "set_work_limit",
    "get_work_limit",
    "check_work",
    "NativeModel",
    "standard_normals",
    "EnsembleJob",
    "PartialSums",
    "exact_kernel",
    "exact_stationary",
    "lyapunov",
    "lyapunov_initial_frame",
    "siglength",
    "logsiglength",
    "_logsig_width",
    "_signature_shape",
    "_signature",
    "_signature_backprop",
    "_logsignature",
    "_tensor_unary",
    "_tensor_mul_chain",
    "_sig_to_logsig",
    "_logsig_to_sig",
    "_lyndon_words",
    "_sig_kernel",
    "_sig_kernel_backprop",
    "_logsig_backprop",
]

__version__: str
DEFAULT_BLOCK_SIZE: int

# ``progress(done, total)``, polled every 50 ms while the GIL is released; its return value is
# ignored and an exception it raises cancels the work and propagates.
_Progress = Callable[[int, int], object]

# lib.rs / runner.rs

def cpu_features() -> Literal["avx512", "avx2", "generic"]:
    """The SIMD level the core dispatches to on this CPU ("avx512", "avx2" or "generic")."""

def init_thread_pool(threads: int) -> bool:
    """Sizes this process's rayon pool to ``threads`` if nothing has used it yet; returns
    whether the pool has that size."""

def thread_count() -> int:
    """Threads of the pool the core runs on when a call does not ask for a number; starts
    that pool if nothing has used it yet."""

# memory.rs

def set_memory_limit(n_bytes: int) -> None:
    """Sets the largest result in bytes; a limit beyond ``2**64 - 1`` means no limit."""

def get_memory_limit() -> int: ...
def check_memory(what: str, n_bytes: int) -> None:
    """Raises ``srnn_rs.MemoryLimitError`` when ``what`` would need more than ``n_bytes``."""

def set_work_limit(n_units: int) -> None:
    """Sets the most units of work a call may start; a limit beyond ``2**64 - 1`` means no limit."""

def get_work_limit() -> int: ...
def check_work(what: str, n_units: int) -> None:
    """Raises ``srnn_rs.WorkLimitError`` when ``what`` would take more than the work limit."""

# simulation.rs

@final
class NativeModel:
    """A validated network held natively; ``srnn_rs.SRNN`` builds one and forwards to it."""

    def __new__(
        cls,
        w: npt.NDArray[np.float64],
        c: npt.NDArray[np.float64],
        b: npt.NDArray[np.float64],
        gamma: npt.NDArray[np.float64],
        sigma: npt.NDArray[np.float64],
        sigma_mult: npt.NDArray[np.float64] | None,
        activation_name: str,
        readout: npt.NDArray[np.float64] | None,
        readout_bias: npt.NDArray[np.float64],
        readout_activation: str,
        c_in: npt.NDArray[np.float64] | None = None,
    ) -> NativeModel: ...
    @property
    def n(self) -> int: ...
    @property
    def m(self) -> int: ...
    @property
    def p(self) -> int: ...
    @property
    def r(self) -> int: ...
    @overload
    def simulate(
        self,
        u: npt.NDArray[np.float64] | None,
        h0: npt.NDArray[np.float64] | None,
        *,
        dt: float,
        n_steps: int,
        n_paths: int,
        first_path: int,
        seed: int,
        record: str,
        stride: int,
        burn_in_steps: int,
        block_size: int,
        dtype: Literal["float64"],
        progress: _Progress | None = None,
    ) -> npt.NDArray[np.float64]: ...
    @overload
    def simulate(
        self,
        u: npt.NDArray[np.float32] | None,
        h0: npt.NDArray[np.float32] | None,
        *,
        dt: float,
        n_steps: int,
        n_paths: int,
        first_path: int,
        seed: int,
        record: str,
        stride: int,
        burn_in_steps: int,
        block_size: int,
        dtype: Literal["float32"],
        progress: _Progress | None = None,
    ) -> npt.NDArray[np.float32]: ...
    @overload
    def simulate(
        self,
        u: npt.NDArray[np.float64] | npt.NDArray[np.float32] | None,
        h0: npt.NDArray[np.float64] | npt.NDArray[np.float32] | None,
        *,
        dt: float,
        n_steps: int,
        n_paths: int,
        first_path: int,
        seed: int,
        record: str,
        stride: int,
        burn_in_steps: int,
        block_size: int,
        dtype: str,
        progress: _Progress | None = None,
    ) -> npt.NDArray[np.float64] | npt.NDArray[np.float32]:
        """Simulate ``n_paths`` paths; the output is ``(n_paths, n_records, width)`` of ``dtype``.

        ``u`` is ``(T, m)`` or ``(n_paths, T, m)``, ``h0`` is ``(n,)`` or ``(n_paths, n)``, both
        already of ``dtype`` ("float64" or "float32"). ``record`` is "state", "readout",
        "final" or "final_state".
        """

def standard_normals(
    seed: int, first_path: int, n_paths: int, n_steps: int, n_components: int, burn_in: bool
) -> npt.NDArray[np.float64]:
    """The simulator's normals, ``(n_paths, n_steps, n_components)``."""

# response.rs

@type_check_only
class _ExactStationary(TypedDict):
    mean_state: npt.NDArray[np.float64]
    cov_state: npt.NDArray[np.float64]
    mean_readout: npt.NDArray[np.float64]
    cov_readout: npt.NDArray[np.float64]

def exact_kernel(model: NativeModel, lags: Sequence[float]) -> npt.NDArray[np.float64]:
    """``R e^{-Aτ} C`` at ``lags`` for a linear network, ``(L, p, m)``."""

def exact_stationary(model: NativeModel) -> _ExactStationary:
    """Stationary mean and covariance of a linear network (state and readout)."""

class _Lyapunov(TypedDict):
    values: npt.NDArray[np.float64]
    stderr: npt.NDArray[np.float64]
    n_paths: int
    time: float

def lyapunov(
    model: NativeModel,
    *,
    dt: float,
    n_exponents: int,
    n_steps: int,
    qr_every: int,
    n_paths: int,
    seed: int,
    first_path: int,
    burn_in_steps: int,
    block_size: int,
    u: npt.NDArray[np.float64] | None = None,
    progress: _Progress | None = None,
) -> _Lyapunov:
    """The first ``n_exponents`` Lyapunov exponents of the Euler–Maruyama chain over
    ``n_paths`` stationary paths of ``n_steps`` steps, with standard errors."""

def lyapunov_initial_frame(n: int, k: int) -> npt.NDArray[np.float64]:
    """The tangent frame at step 0, ``(k, n)``: rows ``√(2/n) cos(π (c + ½)(i + ½) / n)``."""

@final
class PartialSums:
    """Partial sums of an ensemble estimator over a contiguous range of blocks of paths;
    adjacent ranges ``append``, all blocks ``finish`` into the local call's bits."""

    @property
    def blocks(self) -> tuple[int, int]: ...
    def append(self, right: PartialSums) -> PartialSums: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> PartialSums: ...

@final
class EnsembleJob:
    """One estimator on one ensemble of stationary paths. ``kind``: "adjoint", "fd",
    "girsanov", "fdt_gauss" (kernels), "stats" or "correlation"."""

    def __new__(
        cls,
        kind: str,
        *,
        dt: float,
        n_lags: int,
        n_paths: int,
        seed: int,
        first_path: int,
        burn_in_steps: int,
        block_size: int,
        order: int = 1,
        bin_width: int = 1,
        eps: float = 0.0,
        n_origins: int = 1,
        every: int = 1,
        n_steps: int = 0,
        stride: int = 1,
        g: str = ...,
    ) -> EnsembleJob: ...
    @property
    def n_blocks(self) -> int: ...
    @property
    def block_size(self) -> int: ...
    @property
    def n_paths(self) -> int: ...
    def first_pass(self) -> EnsembleJob | None: ...
    def with_first_pass(self, partial: PartialSums) -> EnsembleJob: ...
    def partial(self, model: NativeModel, start: int, end: int) -> PartialSums: ...
    def finish(self, model: NativeModel, partial: PartialSums) -> Any: ...
    def run(self, model: NativeModel, progress: _Progress | None = None) -> Any: ...
    @staticmethod
    def _rebuild(kind: str, kwargs: dict[str, Any], first_pass: bytes | None) -> EnsembleJob: ...

# signatures.rs, request.rs

@type_check_only
class _PathRequest(Protocol):
    """What ``srnn_rs.signatures._args.PathRequest`` holds; the binding reads these attributes."""

    @property
    def path(self) -> npt.NDArray[np.float64]: ...
    @property
    def depth(self) -> int: ...
    @property
    def basepoint(self) -> bool | npt.NDArray[np.float64]: ...
    @property
    def lead_lag(self) -> bool: ...
    @property
    def time_aug(self) -> bool: ...
    @property
    def end_time(self) -> float: ...
    @property
    def stream(self) -> bool: ...
    @property
    def inverse(self) -> bool: ...
    @property
    def scalar_term(self) -> bool: ...
    @property
    def initial(self) -> npt.NDArray[np.float64] | None: ...
    @property
    def n_jobs(self) -> int | None: ...

def siglength(d: int, depth: int) -> int:
    """Length ``d + d**2 + ... + d**depth`` of a truncated signature."""

def logsiglength(d: int, depth: int) -> int:
    """Dimension of the free Lie algebra truncated at ``depth`` (Witt's formula)."""

def _logsig_width(d: int, depth: int, mode: str) -> int:
    """Entries of a log-signature in ``mode`` ("lyndon", "expand" or "words")."""

def _signature_shape(request: _PathRequest) -> tuple[int, int, int]:
    """``(d_out, rows, width)``: channels after the transforms, rows per path, entries per row."""

def _signature(request: _PathRequest) -> npt.NDArray[np.float64]:
    """Signatures of the request's ``(batch, L, d)`` paths, ``(batch, rows, width)``."""

def _signature_backprop(grad: npt.NDArray[np.float64], request: _PathRequest) -> npt.NDArray[np.float64]:
    """Gradient of ``sum(grad * signature(path))`` with respect to ``path``, ``(batch, L, d)``;
    ``grad`` is ``(batch, rows * width)``."""

def _logsignature(request: _PathRequest, mode: str) -> npt.NDArray[np.float64]:
    """Log-signatures of the request's paths, ``(batch, rows, width)``; ``mode`` is
    "lyndon", "expand" or "words"."""

def _tensor_unary(x: npt.NDArray[np.float64], d: int, depth: int, op: str) -> npt.NDArray[np.float64]:
    """``op`` ("exp", "log" or "inverse") of ``(n, full)`` tensors in the full layout, ``(n, full)``."""

def _tensor_mul_chain(xs: npt.NDArray[np.float64], d: int, depth: int) -> npt.NDArray[np.float64]:
    """Products ``x[0] ⊗ x[1] ⊗ … ⊗ x[k-1]`` of ``(k, n, full)`` tensors, ``(n, full)``."""

def _sig_to_logsig(x: npt.NDArray[np.float64], d: int, depth: int, mode: str) -> npt.NDArray[np.float64]:
    """``(n, full)`` signatures → ``(n, width)`` log-signature coordinates."""

def _logsig_to_sig(x: npt.NDArray[np.float64], d: int, depth: int, mode: str) -> npt.NDArray[np.float64]:
    """``(n, width)`` log-signature coordinates → ``(n, full)`` signatures."""

def _lyndon_words(d: int, depth: int) -> tuple[list[list[int]], list[str]]:
    """Lyndon words (0-based letters) and their bracket labels."""

def _sig_kernel(
    x: Sequence[npt.NDArray[np.float64]],
    y: Sequence[npt.NDArray[np.float64]] | None,
    d: int,
    depth: int | None,
    dyadic_order: int,
    static_kernel: str,
    sigma: float,
    pairwise: bool,
    n_jobs: int | None,
) -> npt.NDArray[np.float64]:
    """Signature kernels between the ``(L_i, d)`` paths ``x[i]`` and ``y[j]``: the Gram matrix
    ``(len(x), len(y))`` (``y`` None: ``x`` with itself), or with ``pairwise`` the vector
    ``k(x[i], y[i])``. Truncated when ``depth`` is given, else by the Goursat PDE;
    ``static_kernel`` is "linear" or "rbf" (bandwidth ``sigma``)."""

def _sig_kernel_backprop(
    grad: npt.NDArray[np.float64],
    x: Sequence[npt.NDArray[np.float64]],
    y: Sequence[npt.NDArray[np.float64]] | None,
    d: int,
    dyadic_order: int,
    static_kernel: str,
    sigma: float,
    pairwise: bool,
    n_jobs: int | None,
) -> tuple[list[npt.NDArray[np.float64]], list[npt.NDArray[np.float64]] | None]:
    """Gradients of the Goursat-PDE kernel: of ``sum_i grad[i] k(x[i], y[i])`` with
    ``pairwise``, else of ``sum_ij grad[i, j] k(x[i], y[j])`` (``grad`` flat, row-major), with
    respect to each ``x[i]`` and each ``y[j]``; with ``y`` None both land on ``x`` and the
    second element is None."""

def _logsig_backprop(
    grad: npt.NDArray[np.float64], sig: npt.NDArray[np.float64], d: int, depth: int, mode: str
) -> npt.NDArray[np.float64]:
    """Gradient of ``sum(grad * sig_to_logsig(sig))`` with respect to the ``(n, full)``
    signatures ``sig``; ``grad`` is ``(n, width)``."""
