use ndarray::{Array1, Array3};
use numpy::{
    Element, IntoPyArray, PyArray3, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use srnn_core::model::{Activation, Gamma, Noise, Readout, Srnn};
use srnn_core::rng::Stream;
use srnn_core::simd::Real;
use srnn_core::simulation::{self, Input, Record, Settings, Start};

use crate::convert::{Dtype, Wrap};
use crate::errors::CoreError;
use crate::runner::run_interruptible;

/// A validated network held natively; `srnn_rs.SRNN` builds one and forwards to it.
#[pyclass(module = "srnn_rs._core", name = "NativeModel", frozen)]
pub struct NativeModel {
    pub model: Srnn,
}

fn activation(arg: &'static str, name: &str) -> PyResult<Activation> {
    Activation::parse(arg, name).map_err(|e| CoreError(e).into())
}

#[pymethods]
impl NativeModel {
    #[new]
    #[pyo3(signature = (w, c, b, gamma, sigma, sigma_mult, activation_name, readout, readout_bias, readout_activation, c_in=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        w: PyReadonlyArray2<f64>,
        c: PyReadonlyArray2<f64>,
        b: PyReadonlyArray1<f64>,
        gamma: PyReadonlyArrayDyn<f64>,
        sigma: PyReadonlyArrayDyn<f64>,
        sigma_mult: Option<PyReadonlyArray1<f64>>,
        activation_name: &str,
        readout: Option<PyReadonlyArray2<f64>>,
        readout_bias: PyReadonlyArray1<f64>,
        readout_activation: &str,
        c_in: Option<PyReadonlyArray2<f64>>,
    ) -> PyResult<Self> {
        let n = w.shape()[0];
        let g = gamma.as_array();
        let gamma = match g.ndim() {
            0 => Gamma::Scalar(g.iter().copied().next().unwrap_or(0.0)),
            1 => Gamma::Diagonal(g.iter().copied().collect()),
            2 => Gamma::Full(
                g.to_owned()
                    .into_dimensionality()
                    .map_err(|e| PyValueError::new_err(format!("gamma: {e}")))?,
            ),
            d => {
                return Err(PyValueError::new_err(format!(
                    "gamma: expected a scalar, (n,) or (n, n), got {d} dimensions"
                )))
            }
        };
        let s = sigma.as_array();
        let noise =
            match (s.ndim(), sigma_mult) {
                (0 | 1, Some(mult)) => Noise::Multiplicative {
                    add: if s.ndim() == 0 {
                        Array1::from_elem(n, s.iter().copied().next().unwrap_or(0.0))
                    } else {
                        s.iter().copied().collect()
                    },
                    mult: mult.as_array().to_owned(),
                },
                (2, Some(_)) => return Err(PyValueError::new_err(
                    "sigma_mult: multiplicative noise is diagonal; sigma must be a scalar or (n,)",
                )),
                (0, None) => Noise::Additive(Array1::from_elem(
                    n,
                    s.iter().copied().next().unwrap_or(0.0),
                )),
                (1, None) => Noise::Additive(s.iter().copied().collect()),
                (2, None) => Noise::Full(
                    s.to_owned()
                        .into_dimensionality::<ndarray::Ix2>()
                        .map_err(|e| PyValueError::new_err(format!("sigma: {e}")))?,
                ),
                (d, _) => {
                    return Err(PyValueError::new_err(format!(
                        "sigma: expected a scalar, (n,) or (n, r), got {d} dimensions"
                    )))
                }
            };
        let readout = Readout {
            matrix: readout.map(|r| r.as_array().to_owned()),
            bias: readout_bias.as_array().to_owned(),
            activation: activation("readout_activation", readout_activation)?,
        };
        let model = Srnn::new(
            w.as_array().to_owned(),
            c.as_array().to_owned(),
            b.as_array().to_owned(),
            gamma,
            noise,
            activation("activation", activation_name)?,
            readout,
        )
        .map_err(CoreError)?;
        let model = match c_in {
            Some(c_in) => model
                .with_input_inside(c_in.as_array().to_owned())
                .map_err(CoreError)?,
            None => model,
        };
        Ok(NativeModel { model })
    }

    #[getter]
    fn n(&self) -> usize {
        self.model.n()
    }

    #[getter]
    fn m(&self) -> usize {
        self.model.m()
    }

    #[getter]
    fn p(&self) -> usize {
        self.model.p()
    }

    #[getter]
    fn r(&self) -> usize {
        self.model.r()
    }

    /// Arguments are validated and shaped by `srnn_rs.SRNN.simulate`; `u` and `h0` already
    /// have the working dtype.
    #[pyo3(signature = (u, h0, *, dt, n_steps, n_paths, first_path, seed, record, stride, burn_in_steps, block_size, dtype, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        u: Option<&Bound<'py, PyAny>>,
        h0: Option<&Bound<'py, PyAny>>,
        dt: f64,
        n_steps: usize,
        n_paths: usize,
        first_path: u64,
        seed: u64,
        record: Wrap<Record>,
        stride: usize,
        burn_in_steps: usize,
        block_size: usize,
        dtype: Wrap<Dtype>,
        progress: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let settings = Settings {
            dt,
            n_steps,
            seed,
            first_path,
            n_paths,
            stride,
            record: record.0,
            burn_in_steps,
            block_size,
            w_product: Default::default(),
        };
        match dtype.0 {
            Dtype::Float64 => simulate_typed::<f64>(py, &self.model, u, h0, &settings, progress),
            Dtype::Float32 => simulate_typed::<f32>(py, &self.model, u, h0, &settings, progress),
        }
    }
}

fn simulate_typed<'py, R: Real + Element>(
    py: Python<'py>,
    model: &Srnn,
    u: Option<&Bound<'py, PyAny>>,
    h0: Option<&Bound<'py, PyAny>>,
    settings: &Settings,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let u: Option<PyReadonlyArrayDyn<R>> = u.map(|a| a.extract()).transpose()?;
    let h0: Option<PyReadonlyArrayDyn<R>> = h0.map(|a| a.extract()).transpose()?;
    let u_slice = u.as_ref().map(|a| a.as_slice()).transpose()?;
    let h0_slice = h0.as_ref().map(|a| a.as_slice()).transpose()?;
    let input = match (u.as_ref().map(|a| a.ndim()), u_slice) {
        (Some(2), Some(s)) => Input::Shared(s),
        (Some(3), Some(s)) => Input::PerPath(s),
        (None, _) => Input::Zero,
        _ => {
            return Err(PyValueError::new_err(
                "u: expected (T, m) or (n_paths, T, m)",
            ))
        }
    };
    let start = match (h0.as_ref().map(|a| a.ndim()), h0_slice) {
        (Some(1), Some(s)) => Start::Shared(s),
        (Some(2), Some(s)) => Start::PerPath(s),
        (None, _) => Start::Zero,
        _ => return Err(PyValueError::new_err("h0: expected (n,) or (n_paths, n)")),
    };
    let shape = settings.output_shape(model);
    let sizes = shape.map(|s| s as u128);
    let bytes = srnn_core::work::product(&sizes).saturating_mul(std::mem::size_of::<R>() as u128);
    srnn_core::memory::check_memory("simulate output", bytes).map_err(CoreError)?;
    // Within the memory limit, so the product fits in usize.
    let mut out = vec![R::default(); shape.iter().product()];
    run_interruptible(py, progress, |p| {
        simulation::simulate(model, input, start, settings, &mut out, p)
    })?;
    let arr = Array3::from_shape_vec(shape, out).expect("the core filled exactly the output shape");
    let out: Bound<'py, PyArray3<R>> = arr.into_pyarray(py);
    Ok(out.into_any())
}

/// The simulator's normals, `(n_paths, n_steps, n_components)`; validated by `srnn_rs.standard_normals`.
#[pyfunction]
#[pyo3(signature = (seed, first_path, n_paths, n_steps, n_components, burn_in))]
fn standard_normals<'py>(
    py: Python<'py>,
    seed: u64,
    first_path: u64,
    n_paths: usize,
    n_steps: usize,
    n_components: usize,
    burn_in: bool,
) -> PyResult<Bound<'py, PyArray3<f64>>> {
    let stream = if burn_in {
        Stream::BurnIn
    } else {
        Stream::Main
    };
    let len = n_paths
        .checked_mul(n_steps)
        .and_then(|n| n.checked_mul(n_components))
        .ok_or(CoreError(srnn_core::Error::invalid(
            "n_paths",
            "n_paths * n_steps * n_components does not fit in memory",
        )))?;
    srnn_core::memory::check_memory(
        "standard_normals output",
        srnn_core::memory::f64_bytes(&[len as u128]),
    )
    .map_err(CoreError)?;
    let mut out = vec![0.0; len];
    run_interruptible(py, None, |progress| {
        srnn_core::rng::standard_normals(
            seed,
            stream,
            first_path,
            n_paths,
            n_steps,
            n_components,
            &mut out,
            progress,
        )
    })?;
    Ok(
        Array3::from_shape_vec((n_paths, n_steps, n_components), out)
            .expect("filled exactly")
            .into_pyarray(py),
    )
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeModel>()?;
    m.add_function(wrap_pyfunction!(standard_normals, m)?)?;
    Ok(())
}
