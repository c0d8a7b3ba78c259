//! Bindings of the response engine: stationary statistics, correlation functions and
//! response kernels, as one job type whose partial sums over ranges of blocks can be
//! computed in other processes and merged. Arguments arrive validated and converted by
//! `srnn_rs.response`.

use ndarray::{ArrayD, IxDyn};
use numpy::IntoPyArray;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use srnn_core::response::{
    self, block_count, fdt_gauss_first_pass, EnsembleSettings, Estimate, Estimator, Kernel,
    Observable, Origins, Partial, StationaryStats,
};

use crate::convert::{EnsembleKind, StringOption, Wrap};
use crate::errors::CoreError;
use crate::runner::{run_interruptible, run_quick};
use crate::simulation::NativeModel;

fn array<'py>(py: Python<'py>, shape: &[usize], values: Vec<f64>) -> PyResult<Bound<'py, PyAny>> {
    let arr = ArrayD::from_shape_vec(IxDyn(shape), values)
        .map_err(|e| PyValueError::new_err(format!("internal shape mismatch: {e}")))?;
    Ok(arr.into_pyarray(py).into_any())
}

fn stats_dict<'py>(py: Python<'py>, st: StationaryStats) -> PyResult<Bound<'py, PyDict>> {
    let (n, q) = (st.mean_state.len(), st.mean_readout.len());
    let d = PyDict::new(py);
    d.set_item("mean_state", array(py, &[n], st.mean_state)?)?;
    d.set_item("mean_state_stderr", array(py, &[n], st.mean_state_se)?)?;
    d.set_item("cov_state", array(py, &[n, n], st.cov_state)?)?;
    d.set_item("cov_state_stderr", array(py, &[n, n], st.cov_state_se)?)?;
    d.set_item("mean_readout", array(py, &[q], st.mean_readout)?)?;
    d.set_item("mean_readout_stderr", array(py, &[q], st.mean_readout_se)?)?;
    d.set_item("cov_readout", array(py, &[q, q], st.cov_readout)?)?;
    d.set_item("cov_readout_stderr", array(py, &[q, q], st.cov_readout_se)?)?;
    d.set_item("n_paths", st.n_paths)?;
    Ok(d)
}

fn kernel_dict<'py>(py: Python<'py>, k: Kernel) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("lags", array(py, &[k.lags.len()], k.lags)?)?;
    d.set_item("values", array(py, &k.shape, k.values)?)?;
    d.set_item("stderr", array(py, &k.shape, k.stderr)?)?;
    let p = k.mean.len();
    d.set_item("mean", array(py, &[p], k.mean)?)?;
    d.set_item("mean_stderr", array(py, &[p], k.mean_stderr)?)?;
    d.set_item("n_paths", k.n_paths)?;
    Ok(d)
}

fn bytes_of<'py>(py: Python<'py>, data: &[f64]) -> Bound<'py, PyBytes> {
    let bytes: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
    PyBytes::new(py, &bytes)
}

fn floats_of(data: &[u8]) -> PyResult<Vec<f64>> {
    if !data.len().is_multiple_of(8) {
        return Err(PyValueError::new_err(
            "partial: not the partial sums of an srnn_rs estimator (length not a multiple of 8)",
        ));
    }
    Ok(data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
}

/// Partial sums of an ensemble estimator over a contiguous range of blocks of paths. Two
/// partials of adjacent ranges `append` into the partial of their union; the partial of all
/// the blocks `finish`es into the estimate, bit for bit the one of the local call. Pickles
/// as its flat encoding, so it can travel between processes.
#[pyclass(module = "srnn_rs._core", name = "PartialSums", frozen)]
pub struct PyPartial {
    inner: Partial,
}

#[pymethods]
impl PyPartial {
    /// `(first, end)` block indices covered.
    #[getter]
    fn blocks(&self) -> (usize, usize) {
        let r = self.inner.blocks();
        (r.start, r.end)
    }

    /// The partial of this range followed by `right`'s (which must start where this ends).
    fn append(&self, right: &Bound<'_, PyPartial>) -> PyResult<PyPartial> {
        let mut inner = self.inner.clone();
        inner.append(right.get().inner.clone()).map_err(CoreError)?;
        Ok(PyPartial { inner })
    }

    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        bytes_of(py, &self.inner.encode())
    }

    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<PyPartial> {
        let inner = Partial::decode(&floats_of(data)?).map_err(CoreError)?;
        Ok(PyPartial { inner })
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let from_bytes = slf.get_type().getattr("from_bytes")?;
        Ok((from_bytes, (slf.get().to_bytes(py),)))
    }
}

/// One estimator on one ensemble of stationary paths: what `response_kernels`,
/// `stationary_stats` and `correlation_function` compute, locally (`run`) or as partial sums
/// over ranges of blocks (`partial`, then `finish`).
#[pyclass(module = "srnn_rs._core", name = "EnsembleJob", frozen)]
pub struct EnsembleJob {
    settings: EnsembleSettings,
    estimator: Estimator,
    /// For `fdt_gauss`: its first pass's partial, once computed.
    first_pass: Option<Vec<f64>>,
    /// The constructor's arguments, for pickling.
    kind: String,
    kwargs: Py<PyDict>,
}

impl EnsembleJob {
    fn estimate<'py>(&self, py: Python<'py>, estimate: Estimate) -> PyResult<Bound<'py, PyDict>> {
        match estimate {
            Estimate::Kernel(k) => kernel_dict(py, k),
            Estimate::Stats(st) => stats_dict(py, st),
            Estimate::Correlation(c) => {
                let d = PyDict::new(py);
                d.set_item("lags", array(py, &[c.lags.len()], c.lags)?)?;
                d.set_item("values", array(py, &c.shape, c.values)?)?;
                d.set_item("stderr", array(py, &c.shape, c.stderr)?)?;
                d.set_item("n_paths", c.n_paths)?;
                Ok(d)
            }
        }
    }

    fn centred(&self, py: Python<'_>, first_pass: Vec<f64>) -> PyResult<EnsembleJob> {
        let Estimator::FdtGauss { origins, .. } = &self.estimator else {
            return Err(PyValueError::new_err(
                "partial: only 'fdt_gauss' takes a first pass",
            ));
        };
        let partial = Partial::decode(&first_pass).map_err(CoreError)?;
        let estimator =
            Estimator::fdt_gauss(&self.settings, *origins, partial).map_err(CoreError)?;
        Ok(EnsembleJob {
            settings: self.settings.clone(),
            estimator,
            first_pass: Some(first_pass),
            kind: self.kind.clone(),
            kwargs: self.kwargs.clone_ref(py),
        })
    }

    fn needs_first_pass(&self) -> bool {
        matches!(self.estimator, Estimator::FdtGauss { .. }) && self.first_pass.is_none()
    }
}

#[pymethods]
impl EnsembleJob {
    #[new]
    #[pyo3(signature = (kind, *, dt, n_lags, n_paths, seed, first_path, burn_in_steps, block_size, order=1, bin_width=1, eps=0.0, n_origins=1, every=1, n_steps=0, stride=1, g=Wrap(Observable::State)))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        kind: Wrap<EnsembleKind>,
        dt: f64,
        n_lags: usize,
        n_paths: usize,
        seed: u64,
        first_path: u64,
        burn_in_steps: usize,
        block_size: usize,
        order: usize,
        bin_width: usize,
        eps: f64,
        n_origins: usize,
        every: usize,
        n_steps: usize,
        stride: usize,
        g: Wrap<Observable>,
    ) -> PyResult<Self> {
        let settings = EnsembleSettings {
            dt,
            n_lags,
            n_paths,
            seed,
            first_path,
            burn_in_steps,
            block_size,
        };
        let origins = Origins {
            count: n_origins,
            every,
        };
        let estimator = match (kind.0, order) {
            (EnsembleKind::Adjoint, _) => Estimator::Adjoint { order },
            (EnsembleKind::Fd, _) => Estimator::Fd { order, eps },
            (EnsembleKind::Girsanov, _) => Estimator::Girsanov { order, bin_width },
            (EnsembleKind::FdtGauss, 1) => {
                origins.check().map_err(CoreError)?;
                Estimator::FdtGauss {
                    origins,
                    stats: Box::default(),
                }
            }
            (EnsembleKind::Stats, _) => Estimator::Stats { n_steps, stride },
            (EnsembleKind::Correlation, _) => Estimator::Correlation {
                observable: g.0,
                origins,
            },
            (k, o) => {
                return Err(PyValueError::new_err(format!(
                    "method: {:?} does not estimate order-{o} kernels",
                    k.name()
                )))
            }
        };
        let kwargs = PyDict::new(py);
        for (key, value) in [
            ("dt", dt.into_pyobject(py)?.into_any()),
            ("n_lags", n_lags.into_pyobject(py)?.into_any()),
            ("n_paths", n_paths.into_pyobject(py)?.into_any()),
            ("seed", seed.into_pyobject(py)?.into_any()),
            ("first_path", first_path.into_pyobject(py)?.into_any()),
            ("burn_in_steps", burn_in_steps.into_pyobject(py)?.into_any()),
            ("block_size", block_size.into_pyobject(py)?.into_any()),
            ("order", order.into_pyobject(py)?.into_any()),
            ("bin_width", bin_width.into_pyobject(py)?.into_any()),
            ("eps", eps.into_pyobject(py)?.into_any()),
            ("n_origins", n_origins.into_pyobject(py)?.into_any()),
            ("every", every.into_pyobject(py)?.into_any()),
            ("n_steps", n_steps.into_pyobject(py)?.into_any()),
            ("stride", stride.into_pyobject(py)?.into_any()),
            ("g", g.0.name().into_pyobject(py)?.into_any()),
        ] {
            kwargs.set_item(key, value)?;
        }
        Ok(EnsembleJob {
            settings,
            estimator,
            first_pass: None,
            kind: kind.0.name().to_owned(),
            kwargs: kwargs.unbind(),
        })
    }

    /// Number of blocks of paths; partials cover ranges of them.
    #[getter]
    fn n_blocks(&self) -> usize {
        block_count(&self.settings)
    }

    /// Paths per block (the last block takes the rest).
    #[getter]
    fn block_size(&self) -> usize {
        self.settings.block_size
    }

    #[getter]
    fn n_paths(&self) -> usize {
        self.settings.n_paths
    }

    /// The job that computes this one's first pass (`fdt_gauss`: the stationary statistics
    /// of the same paths), or None when it needs none or has it already.
    fn first_pass(&self, py: Python<'_>) -> PyResult<Option<EnsembleJob>> {
        let Estimator::FdtGauss { origins, .. } = &self.estimator else {
            return Ok(None);
        };
        if self.first_pass.is_some() {
            return Ok(None);
        }
        let (n_steps, stride) = fdt_gauss_first_pass(&self.settings, *origins);
        let s = &self.settings;
        EnsembleJob::new(
            py,
            Wrap(EnsembleKind::Stats),
            s.dt,
            s.n_lags,
            s.n_paths,
            s.seed,
            s.first_path,
            s.burn_in_steps,
            s.block_size,
            1,
            1,
            0.0,
            1,
            1,
            n_steps,
            stride,
            Wrap(Observable::State),
        )
        .map(Some)
    }

    /// This job with its first pass done: `partial` covers all blocks of `first_pass()`.
    fn with_first_pass(
        &self,
        py: Python<'_>,
        partial: &Bound<'_, PyPartial>,
    ) -> PyResult<EnsembleJob> {
        let encoded = partial.get().inner.encode();
        self.centred(py, encoded)
    }
    /// Partial sums over blocks `start .. end`.
    fn partial(
        &self,
        py: Python<'_>,
        model: &Bound<'_, NativeModel>,
        start: usize,
        end: usize,
    ) -> PyResult<PyPartial> {
        if self.needs_first_pass() {
            return Err(PyValueError::new_err(
                "partial: 'fdt_gauss' needs its first pass (first_pass(), with_first_pass()) first",
            ));
        }
        let model = &model.get().model;
        let inner = run_interruptible(py, None, |p| {
            self.estimator.partial(model, &self.settings, start..end, p)
        })?;
        Ok(PyPartial { inner })
    }

    /// The estimate from the partial of all blocks.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, NativeModel>,
        partial: &Bound<'py, PyPartial>,
    ) -> PyResult<Bound<'py, PyDict>> {
        if self.needs_first_pass() {
            return Err(PyValueError::new_err(
                "partial: 'fdt_gauss' needs its first pass (first_pass(), with_first_pass()) first",
            ));
        }
        let model = &model.get().model;
        let estimate = self
            .estimator
            .finish(model, &self.settings, partial.get().inner.clone())
            .map_err(CoreError)?;
        self.estimate(py, estimate)
    }

    /// The whole estimate in this process (both passes for `fdt_gauss`).
    #[pyo3(signature = (model, progress=None))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        model: &Bound<'py, NativeModel>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let native = &model.get().model;
        let s = &self.settings;
        let estimate = run_interruptible(py, progress, |p| match &self.estimator {
            Estimator::FdtGauss { origins, .. } if self.first_pass.is_none() => {
                response::fdt_gauss_k1(native, s, origins.count, origins.every, p)
                    .map(Estimate::Kernel)
            }
            est => est.estimate(native, s, p),
        })?;
        self.estimate(py, estimate)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let job = slf.get();
        let rebuild = slf.get_type().getattr("_rebuild")?;
        let first_pass = job.first_pass.as_ref().map(|data| bytes_of(py, data));
        (
            rebuild,
            (job.kind.as_str(), job.kwargs.clone_ref(py), first_pass),
        )
            .into_pyobject(py)
            .map(|t| t.into_any())
    }

    /// Inverse of `__reduce__`.
    #[staticmethod]
    fn _rebuild<'py>(
        py: Python<'py>,
        kind: &str,
        kwargs: &Bound<'py, PyDict>,
        first_pass: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let job = py.get_type::<EnsembleJob>().call((kind,), Some(kwargs))?;
        match first_pass {
            None => Ok(job),
            Some(data) => {
                let job = job.cast_into::<EnsembleJob>()?;
                let centred = job.get().centred(py, floats_of(data)?)?;
                Ok(Bound::new(py, centred)?.into_any())
            }
        }
    }
}

/// `R e^{−Aτ} C` at `lags` for a linear network, `(L, p, m)`.
#[pyfunction]
fn exact_kernel<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
    lags: Vec<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    let model = &model.get().model;
    let (l, p, m) = (lags.len(), model.p(), model.m());
    let values = run_quick(py, |_| response::exact_k1(model, &lags))?;
    array(py, &[l, p, m], values)
}

/// Stationary mean and covariance of a linear network (state and readout).
#[pyfunction]
fn exact_stationary<'py>(
    py: Python<'py>,
    model: &Bound<'py, NativeModel>,
) -> PyResult<Bound<'py, PyDict>> {
    let model = &model.get().model;
    let st = response::exact_stationary(model).map_err(CoreError)?;
    let d = PyDict::new(py);
    d.set_item("mean_state", st.mean_state.into_pyarray(py))?;
    d.set_item("cov_state", st.cov_state.into_pyarray(py))?;
    d.set_item("mean_readout", st.mean_readout.into_pyarray(py))?;
    d.set_item("cov_readout", st.cov_readout.into_pyarray(py))?;
    Ok(d)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EnsembleJob>()?;
    m.add_class::<PyPartial>()?;
    m.add_function(wrap_pyfunction!(exact_kernel, m)?)?;
    m.add_function(wrap_pyfunction!(exact_stationary, m)?)?;
    Ok(())
}
