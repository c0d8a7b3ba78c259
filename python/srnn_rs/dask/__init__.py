"""Scale-out on Dask: the ensembles, kernels, features and fits of :mod:`srnn_rs` computed
chunk by chunk on a Dask cluster, with the same bits as the local call.

A chunk of paths is a pure function of (model, seed, first path, number of paths), so a
chunk lost with a worker is simply recomputed by Dask, and the result does not depend on the
chunking, the number of workers or the order in which chunks finish:

* :func:`simulate` returns a lazy ``dask.array.Array`` chunked along paths;
* :func:`response_kernels`, :func:`stationary_stats` and :func:`correlation_function`
  compute mergeable partial sums per chunk in the Rust core and merge them along the same
  fixed block tree as the local call — only those sums travel, never the paths;
* :func:`signature`, :func:`logsignature` and :func:`response_feature` map over chunks of a
  dask array; :func:`sig_kernel_gram` is computed in tiles and returned as a dask array;
* :func:`fit` fits a :class:`~srnn_rs.ReadoutSRNN` or :class:`~srnn_rs.ResponseFeatureRidge`
  from dask inputs, merging per-chunk least-squares factors in block order.

Each function takes its local twin's arguments plus ``chunk_paths`` (or works on the chunks
of its dask input) and an optional ``client`` (default: Dask's current scheduler). Inside a
``distributed`` worker the core uses the worker's ``nthreads`` threads.

Install with ``pip install "srnn_rs[dask]"``.
"""

try:
    import dask  # noqa: F401
    import dask.array  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "srnn_rs.dask needs Dask: install the optional extra with pip install 'srnn_rs[dask]' "
        "(dask[array] and distributed)"
    ) from exc

from .ensemble import correlation_function, response_kernels, simulate, stationary_stats
from .fitting import fit
from .paths import logsignature, response_feature, sig_kernel_gram, signature

__all__ = [
    "simulate",
    "response_kernels",
    "stationary_stats",
    "correlation_function",
    "signature",
    "logsignature",
    "response_feature",
    "sig_kernel_gram",
    "fit",
]
