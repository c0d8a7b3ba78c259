"""Type stubs for the native extension module ``srnn_rs._core`` (PyO3)."""

from typing import Any, Callable, Optional

import numpy as np
import numpy.typing as npt

__version__: str
DEFAULT_BLOCK_SIZE: int

def cpu_features() -> str: ...
def standard_normals(
    seed: int, first_path: int, n_paths: int, n_steps: int, n_components: int, burn_in: bool
) -> npt.NDArray[np.float64]: ...

class NativeModel:
    def __init__(
        self,
        w: npt.NDArray[np.float64],
        c: npt.NDArray[np.float64],
        b: npt.NDArray[np.float64],
        gamma: npt.NDArray[np.float64],
        sigma: npt.NDArray[np.float64],
        sigma_mult: Optional[npt.NDArray[np.float64]],
        activation_name: str,
        readout: Optional[npt.NDArray[np.float64]],
        readout_bias: npt.NDArray[np.float64],
        readout_activation: str,
    ) -> None: ...
    @property
    def n(self) -> int: ...
    @property
    def m(self) -> int: ...
    @property
    def p(self) -> int: ...
    @property
    def r(self) -> int: ...
    def simulate(
        self,
        u: Optional[npt.NDArray[Any]],
        h0: Optional[npt.NDArray[Any]],
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
        progress: Optional[Callable[[int, int], Any]] = None,
    ) -> npt.NDArray[Any]: ...
