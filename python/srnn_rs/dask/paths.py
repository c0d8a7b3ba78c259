"""Signatures, log-signatures, response features and signature-kernel Gram matrices of
batches held as dask arrays: each chunk of the batch is the local function on that chunk, so
the result is the local call's, bit for bit (every path is computed on its own)."""

from __future__ import annotations

import functools
from typing import Any, Callable, Optional

import dask
import dask.array as da
import numpy as np

from .. import features as _features
from .. import signatures as _signatures
from ._tasks import chunk_sizes, on_worker


def _batch(name: str, x: Any, chunk_paths: Optional[int]) -> da.Array:
    """``x`` as a 3-D dask array chunked along its first axis only."""
    if not isinstance(x, da.Array):
        if chunk_paths is None:
            raise TypeError(f"{name}: expected a dask.array.Array, or a NumPy array with chunk_paths; "
                            f"got {type(x).__name__} without chunk_paths")
        x = np.asarray(x)
        if x.ndim == 3:
            x = da.from_array(x, chunks=(chunk_sizes(x.shape[0], chunk_paths), -1, -1))
    elif chunk_paths is not None:
        x = x.rechunk({0: chunk_sizes(x.shape[0], chunk_paths)})
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a batch of shape (batch, L, d), got {x.ndim} dimensions")
    return x.rechunk({1: -1, 2: -1})


def _map_batch(name: str, fn: Callable[..., np.ndarray], x: Any, chunk_paths: Optional[int]) -> da.Array:
    x = _batch(name, x, chunk_paths)
    # The local function on one path validates the arguments and gives the trailing shape.
    probe = fn(np.zeros((1, *x.shape[1:]), dtype=x.dtype))
    trailing = probe.shape[1:]
    out_chunks = (x.chunks[0], *[(s,) for s in trailing])
    return x.map_blocks(on_worker(fn), chunks=out_chunks, dtype=probe.dtype,
                        drop_axis=list(range(1 + len(trailing), 3)) or None,
                        meta=np.empty((0,) * probe.ndim, dtype=probe.dtype))


def _no_per_path(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"{name}: per-path arrays are not supported chunk-wise; "
                         f"add the {name} to the paths themselves, or call srnn_rs directly")


def signature(path: Any, depth: int, *, chunk_paths: Optional[int] = None, stream: bool = False,
              basepoint: Any = False, inverse: bool = False, scalar_term: bool = False, time_aug: bool = False,
              lead_lag: bool = False, end_time: float = 1.0) -> da.Array:
    """:func:`srnn_rs.signature` of a batch ``(batch, L, d)`` held as a dask array (or a NumPy
    array cut into ``chunk_paths`` paths per chunk), lazily, chunk by chunk.

    Examples
    --------
    >>> import numpy as np, dask.array as da, srnn_rs, srnn_rs.dask
    >>> x = np.random.default_rng(0).standard_normal((10, 20, 2)).cumsum(axis=1)
    >>> s = srnn_rs.dask.signature(da.from_array(x, chunks=(3, 20, 2)), 3)
    >>> bool(np.array_equal(s.compute(scheduler="sync"), srnn_rs.signature(x, 3)))
    True
    """
    _no_per_path("basepoint", basepoint)
    fn = functools.partial(_signatures.signature, depth=depth, stream=stream, basepoint=basepoint, inverse=inverse,
                           scalar_term=scalar_term, time_aug=time_aug, lead_lag=lead_lag, end_time=end_time)
    return _map_batch("path", fn, path, chunk_paths)


def logsignature(path: Any, depth: int, *, chunk_paths: Optional[int] = None, mode: str = "lyndon",
                 stream: bool = False, basepoint: Any = False, inverse: bool = False, time_aug: bool = False,
                 lead_lag: bool = False, end_time: float = 1.0) -> da.Array:
    """:func:`srnn_rs.logsignature` of a batch held as a dask array, chunk by chunk."""
    _no_per_path("basepoint", basepoint)
    fn = functools.partial(_signatures.logsignature, depth=depth, mode=mode, stream=stream, basepoint=basepoint,
                           inverse=inverse, time_aug=time_aug, lead_lag=lead_lag, end_time=end_time)
    return _map_batch("path", fn, path, chunk_paths)


def response_feature(u: Any, dt: float, depth: int, *, chunk_paths: Optional[int] = None, basis: str = "monomial",
                     n_basis: Optional[int] = 2, rates: Any = None, model: Any = None,
                     stream: bool = False) -> da.Array:
    """:func:`srnn_rs.response_feature` of a batch of inputs ``(batch, T, m)`` held as a dask
    array, chunk by chunk."""
    fn = functools.partial(_features.response_feature, dt=dt, depth=depth, basis=basis, n_basis=n_basis, rates=rates,
                           model=model, stream=stream)
    return _map_batch("u", fn, u, chunk_paths)


@on_worker
def _gram_tile(x: np.ndarray, y: Optional[np.ndarray], kwargs: dict) -> np.ndarray:
    return _signatures.sig_kernel_gram(x, y, **kwargs)


def sig_kernel_gram(X: Any, Y: Any = None, *, chunk_paths: Optional[int] = None, depth: Optional[int] = None,
                    dyadic_order: int = 0, static_kernel: str = "linear", sigma: float = 1.0) -> da.Array:
    """:func:`srnn_rs.sig_kernel_gram` as a dask array of tiles: tile ``(i, j)`` is the Gram
    matrix of chunk ``i`` of ``X`` against chunk ``j`` of ``Y``, so no machine holds more
    than two chunks of paths and one tile. With ``Y`` None only the upper tiles are computed
    and the lower ones are their transposes — exactly the local call's symmetric matrix.

    Examples
    --------
    >>> import numpy as np, srnn_rs, srnn_rs.dask
    >>> X = np.random.default_rng(0).normal(size=(7, 10, 2)) * 0.3
    >>> G = srnn_rs.dask.sig_kernel_gram(X, chunk_paths=3, dyadic_order=1)
    >>> G.chunks
    ((3, 3, 1), (3, 3, 1))
    >>> bool(np.array_equal(G.compute(scheduler="sync"), srnn_rs.sig_kernel_gram(X, dyadic_order=1)))
    True
    """
    kwargs = dict(depth=depth, dyadic_order=dyadic_order, static_kernel=static_kernel, sigma=sigma)
    x = _batch("X", X, chunk_paths)
    same = Y is None or Y is X
    y = x if same else _batch("Y", Y, chunk_paths)
    if y.shape[2] != x.shape[2]:
        raise ValueError(f"Y: expected paths with d = {x.shape[2]} channels like X, got {y.shape[2]}")
    probe = np.zeros((1, *x.shape[1:]))
    _gram_tile(probe, np.zeros((1, *y.shape[1:])), kwargs)  # validates the kernel's arguments
    xs, ys = x.to_delayed().reshape(-1), y.to_delayed().reshape(-1)
    tile = dask.delayed(_gram_tile, pure=True)
    rows: list[list[da.Array]] = []
    for i, (xi, ni) in enumerate(zip(xs, x.chunks[0])):
        row = []
        for j, (yj, nj) in enumerate(zip(ys, y.chunks[0])):
            if same and j < i:
                row.append(rows[j][i].T)
            else:
                block = tile(xi, None if same and i == j else yj, kwargs)
                row.append(da.from_delayed(block, shape=(ni, nj), dtype=np.float64))
        rows.append(row)
    return da.block(rows)
