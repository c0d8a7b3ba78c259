//! One signature call as a single value: the batch of paths with how they are transformed,
//! and what is asked of them. It is validated once, where it is built, and it knows the
//! shape and the bytes of what it asks for, so no caller recomputes them.

use super::backprop::signature_backprop;
use super::logsig::{check_lyndon_basis, sig_to_logsig, LogSigMode, LogSigPlan};
use super::path::PathSpec;
use super::signature::{n_rows, signature, SigOptions};
use crate::memory::{check_memory, f64_bytes};
use crate::progress::Progress;
use crate::work::check_work;
use crate::{Error, Result};

/// `batch` paths of `len` raw points of `spec.d` channels, row-major in `data`.
#[derive(Debug, Clone, Copy)]
pub struct PathBatch<'a> {
    pub data: &'a [f64],
    pub batch: usize,
    pub len: usize,
    pub spec: PathSpec<'a>,
}

impl<'a> PathBatch<'a> {
    pub fn new(data: &'a [f64], batch: usize, len: usize, spec: PathSpec<'a>) -> Result<Self> {
        if spec.d == 0 {
            return Err(Error::invalid(
                "path",
                "the path dimension d must be at least 1",
            ));
        }
        let expected = batch.checked_mul(len).and_then(|n| n.checked_mul(spec.d));
        if expected != Some(data.len()) {
            return Err(Error::invalid(
                "path",
                format!(
                    "expected {batch} x {len} x {} values, got {}",
                    spec.d,
                    data.len()
                ),
            ));
        }
        spec.check(batch)?;
        Ok(PathBatch {
            data,
            batch,
            len,
            spec,
        })
    }

    /// Channels of each transformed path.
    pub fn d_out(&self) -> usize {
        self.spec.d_out()
    }

    /// Output rows per path: every prefix when streaming, else one.
    pub fn rows(&self, stream: bool) -> usize {
        n_rows(&self.spec, self.len, stream)
    }
}

/// A signature (or its gradient, or its logarithm) of a [`PathBatch`], optionally continued
/// from `initial` (full layout, one tensor or one per path).
#[derive(Debug, Clone, Copy)]
pub struct SignatureRequest<'a> {
    pub paths: PathBatch<'a>,
    pub initial: Option<&'a [f64]>,
    pub options: SigOptions,
}

impl<'a> SignatureRequest<'a> {
    pub fn new(
        paths: PathBatch<'a>,
        initial: Option<&'a [f64]>,
        options: SigOptions,
    ) -> Result<Self> {
        if options.depth == 0 {
            return Err(Error::invalid("depth", "expected depth >= 1, got 0"));
        }
        let request = SignatureRequest {
            paths,
            initial,
            options,
        };
        if let Some(init) = initial {
            let full = request.full_len();
            let batch = u128::try_from(paths.batch).unwrap_or(u128::MAX);
            let n = u128::try_from(init.len()).unwrap_or(u128::MAX);
            if n != full && n != full.saturating_mul(batch) {
                return Err(Error::invalid(
                    "initial",
                    format!(
                        "expected {full} or {} values, got {n}",
                        full.saturating_mul(batch)
                    ),
                ));
            }
        }
        Ok(request)
    }

    /// Entries of a truncated signature of the transformed path, level 0 excluded; wide so
    /// that a size too large to allocate is still reported rather than wrapped.
    pub fn sig_len(&self) -> u128 {
        super::siglength(self.paths.d_out(), self.options.depth).map_or(u128::MAX, |s| s as u128)
    }

    /// Entries of a tensor in the full layout (level 0 included).
    pub fn full_len(&self) -> u128 {
        self.sig_len().saturating_add(1)
    }

    /// Entries of each output row: the signature, plus level 0 with `scalar_term`.
    pub fn width(&self) -> u128 {
        self.sig_len()
            .saturating_add(u128::from(self.options.scalar_term))
    }

    pub fn rows(&self) -> usize {
        self.paths.rows(self.options.stream)
    }

    /// `(batch, rows, width)` of the signature.
    pub fn output_shape(&self) -> (usize, usize, usize) {
        let width = usize::try_from(self.width()).unwrap_or(usize::MAX);
        (self.paths.batch, self.rows(), width)
    }

    /// Bytes of the signature this request returns.
    pub fn output_bytes(&self) -> u128 {
        f64_bytes(&[self.paths.batch as u128, self.rows() as u128, self.width()])
    }

    /// Checks the memory limit, the work limit (one tensor step per point of every path),
    /// then the sizes the tensor algebra can index.
    fn check_sizes(&self, what: &str, bytes: u128) -> Result<()> {
        check_memory(what, bytes)?;
        let p = &self.paths;
        check_work(
            what,
            crate::work::product(&[p.batch as u128, p.len as u128, self.full_len()]),
        )?;
        super::check_dims(self.paths.d_out(), self.options.depth)
    }

    /// The signatures, `batch * rows * width` values.
    pub fn signature(&self, progress: &Progress) -> Result<Vec<f64>> {
        self.check_sizes("signature", self.output_bytes())?;
        let p = &self.paths;
        signature(
            p.data,
            p.batch,
            p.len,
            &p.spec,
            self.initial,
            &self.options,
            progress,
        )
    }

    /// Gradient of `Σ <grads, signature>` with respect to the raw points, `batch * len * d`
    /// values; `grads` has the signature's `batch * rows * width` values.
    pub fn backprop(&self, grads: &[f64], progress: &Progress) -> Result<Vec<f64>> {
        let p = &self.paths;
        let per_path = (p.len as u128)
            .saturating_mul(p.spec.d as u128)
            .saturating_add(self.width().saturating_add(1).saturating_mul(6));
        self.check_sizes(
            "signature_backprop",
            f64_bytes(&[p.batch as u128, per_path]),
        )?;
        signature_backprop(
            grads,
            p.data,
            p.batch,
            p.len,
            &p.spec,
            self.initial,
            &self.options,
            progress,
        )
    }

    /// Log-signatures in `mode`: `batch * rows * width` values and `width`. The signature is
    /// taken with its level 0 whatever `scalar_term` says, since the logarithm needs it.
    pub fn logsignature(&self, mode: LogSigMode, progress: &Progress) -> Result<(Vec<f64>, usize)> {
        let p = &self.paths;
        let bytes = f64_bytes(&[p.batch as u128, self.rows() as u128, self.full_len()]);
        check_memory("logsignature", bytes)?;
        check_work(
            "logsignature",
            crate::work::product(&[p.batch as u128, p.len as u128, self.full_len()]),
        )?;
        if mode != LogSigMode::Expand {
            check_lyndon_basis(p.d_out(), self.options.depth)?;
        }
        super::check_dims(p.d_out(), self.options.depth)?;
        let options = SigOptions {
            scalar_term: true,
            ..self.options
        };
        let plan = LogSigPlan::for_mode(p.d_out(), options.depth, mode);
        let sigs = signature(p.data, p.batch, p.len, &p.spec, None, &options, progress)?;
        Ok((
            sig_to_logsig(&plan, &sigs, mode, progress)?,
            plan.width(mode),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signatures::Basepoint;

    fn options(depth: usize, stream: bool, scalar_term: bool) -> SigOptions {
        SigOptions {
            depth,
            stream,
            inverse: false,
            scalar_term,
        }
    }

    #[test]
    fn a_request_knows_its_shape_and_bytes() {
        let data = vec![0.0; 2 * 5 * 3];
        let spec = PathSpec {
            basepoint: Basepoint::Origin,
            lead_lag: true,
            ..PathSpec::plain(3)
        };
        let paths = PathBatch::new(&data, 2, 5, spec).unwrap();
        assert_eq!(paths.d_out(), 6);
        let request = SignatureRequest::new(paths, None, options(2, true, true)).unwrap();
        // 6 points with the basepoint, 11 after lead-lag, so 10 prefixes.
        assert_eq!(request.output_shape(), (2, 10, 1 + 6 + 36));
        assert_eq!(request.output_bytes(), 8 * 2 * 10 * 43);
        let out = request.signature(&Progress::new()).unwrap();
        assert_eq!(out.len(), 2 * 10 * 43);
    }

    #[test]
    fn bad_requests_name_the_argument() {
        let data = vec![0.0; 7];
        let e = PathBatch::new(&data, 2, 2, PathSpec::plain(2)).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { arg: "path", .. }));
        let data = vec![0.0; 8];
        let paths = PathBatch::new(&data, 2, 2, PathSpec::plain(2)).unwrap();
        let e =
            SignatureRequest::new(paths, Some(&[1.0; 5]), options(2, false, false)).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { arg: "initial", .. }));
        let e = SignatureRequest::new(paths, None, options(0, false, false)).unwrap_err();
        assert!(matches!(e, Error::InvalidArgument { arg: "depth", .. }));
    }

    #[test]
    fn the_memory_limit_comes_before_the_size_limit() {
        let data = vec![0.0; 10];
        let paths = PathBatch::new(&data, 1, 1, PathSpec::plain(10)).unwrap();
        let request = SignatureRequest::new(paths, None, options(12, false, false)).unwrap();
        let e = request.signature(&Progress::new()).unwrap_err();
        assert!(matches!(e, Error::MemoryLimit { .. }));
    }
}
