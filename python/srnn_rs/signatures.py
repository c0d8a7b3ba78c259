"""Path signatures, log-signatures, tensor algebra and signature kernels."""

from __future__ import annotations

__all__: list[str] = []
