//! `rebuy._rebuy`: the Rust side of the Python package. It wraps the fitted
//! buy-till-you-die models of `rebuy-models` for the lifetimes-style classes in
//! `rebuy/btyd.py`, and the command line's pipeline for `rebuy/pipeline.py`
//! (`pipeline.rs`); the Python modules own the Python API (names, pandas results) and
//! nothing here is meant to be imported directly.
//!
//! Columns cross as the raw little-endian float64 bytes of numpy arrays (`tobytes()` on
//! the way in, a `bytearray` for `numpy.frombuffer` on the way out): a copy each way,
//! milliseconds for a million customers. Not the numpy or pyo3-arrow crates, which would
//! borrow without copying: numpy pulls `num-complex` with its default features and
//! pyo3-arrow arrow's `ffi`, and either changes the build of arrow, so that the
//! workspace's tests would compile a second DataFusion in the shared build folder.
//! (pyo3's buffer protocol needs the stable ABI of Python 3.11; the wheel is for 3.10.)

mod models;
mod pipeline;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyByteArray;
use rebuy_models::Error;
use rebuy_models::btyd::{
    BetaGeoParams, BetaGeoVariant, ClvParams, CustomerSummary, GammaGammaParams, WithFitOptions,
};

/// Bad input or settings are the caller's to fix (`ValueError`); a fit that finds no
/// optimum is a `RuntimeError`, as lifetimes' `ConvergenceError` is. Either way the
/// message is the models crate's, which names the row or the parameter.
pub(crate) fn to_python(error: Error) -> PyErr {
    match error {
        Error::NotConverged { .. } | Error::HitBound { .. } => {
            PyRuntimeError::new_err(error.to_string())
        }
        _ => PyValueError::new_err(error.to_string()),
    }
}

/// A column from the bytes of a float64 array.
pub(crate) fn column(name: &str, bytes: &[u8]) -> PyResult<Vec<f64>> {
    let values = bytes.chunks_exact(8);
    if !values.remainder().is_empty() {
        return Err(PyValueError::new_err(format!(
            "{name} must be the bytes of a float64 array, got {} bytes",
            bytes.len()
        )));
    }
    Ok(values
        .map(|value| f64::from_le_bytes(value.try_into().unwrap_or_default()))
        .collect())
}

/// Per-customer results as a `bytearray`, which `numpy.frombuffer` reads without a copy
/// into a writable array.
pub(crate) fn to_numpy_bytes<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyByteArray> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    PyByteArray::new(py, &bytes)
}

/// The three summary columns of one customer per row.
struct Customers {
    frequency: Vec<f64>,
    recency: Vec<f64>,
    t: Vec<f64>,
}

impl Customers {
    fn new(frequency: &[u8], recency: &[u8], t: &[u8]) -> PyResult<Self> {
        Ok(Self {
            frequency: column("frequency", frequency)?,
            recency: column("recency", recency)?,
            t: column("T", t)?,
        })
    }

    /// Checked: same length, finite, `0 <= recency <= T`... (errors name the row).
    fn summary(&self) -> PyResult<CustomerSummary<'_>> {
        CustomerSummary::new(&self.frequency, &self.recency, &self.t).map_err(to_python)
    }
}

/// How a fit went, the same for every model.
#[pyclass(frozen, module = "rebuy._rebuy")]
struct FitReport(rebuy_models::btyd::FitReport);

#[pymethods]
impl FitReport {
    /// Log-likelihood of the fitting data at the fitted parameters (summed over customers).
    #[getter]
    fn log_likelihood(&self) -> f64 {
        self.0.log_likelihood
    }

    /// "converged" or "degenerate" (the fit ran to an implausible limit; `warnings` says
    /// which).
    #[getter]
    fn status(&self) -> &'static str {
        self.0.status.name()
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.0.warnings.clone()
    }
}

/// A fitted BG/NBD or MBG/NBD model.
#[pyclass(frozen, module = "rebuy._rebuy")]
struct BetaGeoModel(rebuy_models::btyd::BetaGeoModel);

#[pymethods]
impl BetaGeoModel {
    /// Fits `variant` ("bg_nbd" or "mbg_nbd") by maximum likelihood; `penalizer_coef` is
    /// lifetimes' L2 penalty.
    #[staticmethod]
    fn fit(
        variant: &str,
        frequency: &[u8],
        recency: &[u8],
        t: &[u8],
        penalizer_coef: f64,
    ) -> PyResult<Self> {
        let variant = match variant {
            "bg_nbd" => BetaGeoVariant::BgNbd,
            "mbg_nbd" => BetaGeoVariant::MbgNbd,
            other => return Err(PyValueError::new_err(format!("unknown model {other:?}"))),
        };
        let customers = Customers::new(frequency, recency, t)?;
        let summary = customers.summary()?;
        let model = BetaGeoParams::new(variant)
            .penalty(penalizer_coef)
            .validate()
            .and_then(|valid| valid.fit(&summary))
            .map_err(to_python)?;
        Ok(Self(model))
    }

    /// `(r, alpha, a, b)`.
    #[getter]
    fn params(&self) -> (f64, f64, f64, f64) {
        (self.0.r, self.0.alpha, self.0.a, self.0.b)
    }

    #[getter]
    fn report(&self) -> FitReport {
        FitReport(self.0.report.clone())
    }

    fn probability_alive<'py>(
        &self,
        py: Python<'py>,
        frequency: &[u8],
        recency: &[u8],
        t: &[u8],
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let customers = Customers::new(frequency, recency, t)?;
        let alive = self.0.probability_alive(&customers.summary()?);
        Ok(to_numpy_bytes(py, &alive))
    }

    /// Expected purchases in `(T, T + horizon]`, per customer.
    fn expected_purchases<'py>(
        &self,
        py: Python<'py>,
        horizon: f64,
        frequency: &[u8],
        recency: &[u8],
        t: &[u8],
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let customers = Customers::new(frequency, recency, t)?;
        let expected = self
            .0
            .expected_purchases(&customers.summary()?, horizon)
            .map_err(to_python)?;
        Ok(to_numpy_bytes(py, &expected))
    }

    /// Expected repeat purchases in `(0, horizon]` of a customer who just made a first one.
    fn expected_purchases_new_customer(&self, horizon: f64) -> PyResult<f64> {
        self.0
            .expected_purchases_new_customer(horizon)
            .map_err(to_python)
    }
}

/// A fitted Gamma-Gamma spend model.
#[pyclass(frozen, module = "rebuy._rebuy")]
struct GammaGammaModel(rebuy_models::btyd::GammaGammaModel);

#[pymethods]
impl GammaGammaModel {
    /// Fits `p, q, v` on the repeat buyers (rows with `frequency > 0`).
    #[staticmethod]
    fn fit(frequency: &[u8], monetary_value: &[u8], penalizer_coef: f64) -> PyResult<Self> {
        let frequency = column("frequency", frequency)?;
        let monetary_value = column("monetary_value", monetary_value)?;
        let model = GammaGammaParams::new()
            .penalty(penalizer_coef)
            .validate()
            .and_then(|valid| valid.fit(&frequency, &monetary_value))
            .map_err(to_python)?;
        Ok(Self(model))
    }

    /// `(p, q, v)`.
    #[getter]
    fn params(&self) -> (f64, f64, f64) {
        (self.0.p, self.0.q, self.0.v)
    }

    #[getter]
    fn report(&self) -> FitReport {
        FitReport(self.0.report.clone())
    }

    /// Expected spend per order of each customer given its history.
    fn expected_average_order_value<'py>(
        &self,
        py: Python<'py>,
        frequency: &[u8],
        monetary_value: &[u8],
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let spend = self
            .0
            .expected_average_order_value(
                &column("frequency", frequency)?,
                &column("monetary_value", monetary_value)?,
            )
            .map_err(to_python)?;
        Ok(to_numpy_bytes(py, &spend))
    }

    /// Discounted CLV over `months` months (`periods_per_month` summary time units each)
    /// with purchases from `transactions` and this model's expected order values.
    #[allow(clippy::too_many_arguments)]
    fn customer_lifetime_value<'py>(
        &self,
        py: Python<'py>,
        transactions: &BetaGeoModel,
        frequency: &[u8],
        recency: &[u8],
        t: &[u8],
        monetary_value: &[u8],
        months: u32,
        monthly_discount_rate: f64,
        periods_per_month: f64,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let customers = Customers::new(frequency, recency, t)?;
        let summary = customers.summary()?;
        let order_value = self
            .0
            .expected_average_order_value(
                &customers.frequency,
                &column("monetary_value", monetary_value)?,
            )
            .map_err(to_python)?;
        let value = ClvParams::new(periods_per_month)
            .months(months)
            .monthly_discount_rate(monthly_discount_rate)
            .validate()
            .and_then(|clv| clv.customer_lifetime_value(&transactions.0, &summary, &order_value))
            .map_err(to_python)?;
        Ok(to_numpy_bytes(py, &value))
    }
}

#[pymodule]
fn _rebuy(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<FitReport>()?;
    module.add_class::<BetaGeoModel>()?;
    module.add_class::<GammaGammaModel>()?;
    module.add_class::<models::FittedClassifier>()?;
    module.add_class::<models::FittedKMeans>()?;
    module.add_function(wrap_pyfunction!(models::default_params, module)?)?;
    module.add_function(wrap_pyfunction!(pipeline::execute, module)?)?;
    module.add_function(wrap_pyfunction!(pipeline::predict, module)?)?;
    Ok(())
}
