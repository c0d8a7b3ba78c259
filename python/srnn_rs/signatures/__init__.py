"""Path signatures, log-signatures, tensor algebra and signature kernels.

Conventions (the same as iisignature, signatory and pySigLib):

* a path is an array of points of shape ``(..., L, d)``; its signature is that of the
  piecewise-linear interpolation of the points;
* a truncated tensor is stored flat with levels ``1..depth`` concatenated on the last axis
  (``d + d**2 + ... + d**depth`` numbers), the word ``(i1, ..., ik)`` at its row-major
  position (first letter most significant); the level-0 term (1 for a signature) is omitted
  unless ``scalar_term=True``;
* any number of leading batch dimensions is allowed and kept.
"""

from __future__ import annotations

from .kernels import sig_kernel, sig_kernel_backprop, sig_kernel_gram, sig_kernel_gram_backprop
from .logsig import (
    logsig_basis_labels,
    logsig_to_sig,
    logsiglength,
    logsignature,
    logsignature_backprop,
    lyndon_words,
    sig_to_logsig,
)
from .signature import multi_signature_combine, siglength, signature, signature_backprop, signature_combine
from .tensor import tensor_exp, tensor_inverse, tensor_log

__all__ = [
    "siglength",
    "signature",
    "signature_backprop",
    "signature_combine",
    "multi_signature_combine",
    "tensor_exp",
    "tensor_log",
    "tensor_inverse",
    "logsignature",
    "logsignature_backprop",
    "logsiglength",
    "lyndon_words",
    "logsig_basis_labels",
    "sig_to_logsig",
    "logsig_to_sig",
    "sig_kernel",
    "sig_kernel_gram",
    "sig_kernel_backprop",
    "sig_kernel_gram_backprop",
]
