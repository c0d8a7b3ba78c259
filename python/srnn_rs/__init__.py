"""srnn_rs: stochastic recurrent neural networks with a Rust core.

Euler–Maruyama ensembles, Monte Carlo response (Volterra) kernels, path signatures and
kernel machines, on NumPy arrays.
"""

from __future__ import annotations

from ._core import __version__, cpu_features
from ._config import config_info, show_config
from ._memory import get_memory_limit, get_work_limit, set_memory_limit, set_work_limit
from .errors import DivergenceError, MemoryLimitError, WorkLimitError
from .model import SRNN
from .networks import default_network, reservoir
from .noise import standard_normals
from . import tasks
from .features import lifted_path, response_feature
from .machines import ReadoutSRNN, ResponseFeatureRidge, SignatureKernelRidge
from .response import (
    CorrelationFunction,
    ResponseKernels,
    StationaryStats,
    correlation_function,
    response_kernels,
    stationary_stats,
)
from .volterra import volterra_predict
from .lyapunov import LyapunovSpectrum, lyapunov
from .robustness import robustness
from .signatures import *  # noqa: F401,F403
from .signatures import __all__ as _signature_names

__all__ = [
    "SRNN",
    "default_network",
    "reservoir",
    "standard_normals",
    "tasks",
    "lifted_path",
    "response_feature",
    "ReadoutSRNN",
    "ResponseFeatureRidge",
    "SignatureKernelRidge",
    "CorrelationFunction",
    "ResponseKernels",
    "StationaryStats",
    "correlation_function",
    "response_kernels",
    "stationary_stats",
    "volterra_predict",
    "LyapunovSpectrum",
    "lyapunov",
    "robustness",
    "DivergenceError",
    "MemoryLimitError",
    "WorkLimitError",
    "cpu_features",
    "config_info",
    "show_config",
    "get_memory_limit",
    "set_memory_limit",
    "get_work_limit",
    "set_work_limit",
    "__version__",
    *_signature_names,
]
