//! Path signatures, log-signatures, the truncated tensor algebra and signature kernels.
