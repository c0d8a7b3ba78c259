"""The Gaussian noise the simulator uses, on demand."""

from __future__ import annotations

import numpy as np

from . import _core
from ._memory import check_memory
from ._validate import as_int, as_seed


def standard_normals(
    n_paths: int, n_steps: int, n_components: int, *, seed: int = 0, first_path: int = 0, burn_in: bool = False
) -> np.ndarray:
    """The normals ``z[path, step, component]`` that :meth:`SRNN.simulate` draws with ``seed``
    in float64 (``dtype="float32"`` runs use the same words in float32 arithmetic, within 2e-6).

    Each is a pure function of (seed, path, step, component): ARS-7 (the AES-round
    counter-based generator of Random123) keyed by the seed with counter (call, step, path),
    its four 32-bit words turned into two (radius, angle) pairs and four normals by
    Box–Muller. Component ``16 u + q`` is ``r cos θ`` and ``16 u + 8 + q`` is ``r sin θ`` of
    pair ``q % 2`` of call ``4 u + q // 2`` (``q < 8``), so four calls computed side by side
    yield two runs of eight consecutive components.
    ``burn_in=True`` gives the independent family used during burn-in. Useful for
    likelihood-ratio (Girsanov) weights and for checking a simulation by hand.

    Examples
    --------
    >>> import numpy as np, srnn_rs
    >>> z = srnn_rs.standard_normals(2, 3, 4, seed=7)
    >>> z.shape
    (2, 3, 4)
    >>> np.array_equal(z[1], srnn_rs.standard_normals(1, 3, 4, seed=7, first_path=1)[0])
    True
    """
    n_paths = as_int("n_paths", n_paths, minimum=0)
    n_steps = as_int("n_steps", n_steps, minimum=0, maximum=2**32 - 1)
    n_components = as_int("n_components", n_components, minimum=0, maximum=2**30)
    first_path = as_int("first_path", first_path, minimum=0, maximum=2**64 - 1 - n_paths)
    check_memory("standard_normals output", 8 * n_paths * n_steps * n_components)
    return _core.standard_normals(as_seed(seed), first_path, n_paths, n_steps, n_components, bool(burn_in))
