//! The purchase classifiers and KMeans of `rebuy-models` for the scikit-learn-style
//! estimators of `rebuy/models.py`. Hyper-parameters cross as the JSON of the models
//! crate's own parameter types (its field names, its defaults, its checks), so there is
//! no second list of parameters here to keep in step.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;
use rebuy_models::boosting::{BoostedTrees, BoostedTreesParams};
use rebuy_models::classifier::{AnyClassifier, Classifier, Fit};
use rebuy_models::forest::{RandomForest, RandomForestParams};
use rebuy_models::kmeans::KMeansParams;
use rebuy_models::logistic::{LogisticRegression, LogisticRegressionParams};
use rebuy_models::matrix::Matrix;
use rebuy_models::scoring::ModelFile;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

use crate::{column, to_numpy_bytes, to_python};

/// A row-major float64 matrix from its bytes and column count, with column names.
fn matrix(values: &[u8], n_cols: usize, names: Vec<String>) -> PyResult<Matrix> {
    let values = column("X", values)?;
    if n_cols == 0 || values.len() % n_cols != 0 {
        return Err(PyValueError::new_err(format!(
            "X must have at least one column and whole rows: {} values for {n_cols} columns",
            values.len()
        )));
    }
    Matrix::new(values.len() / n_cols, n_cols, values)
        .and_then(|m| m.with_column_names(names))
        .map_err(to_python)
}

/// The columns of a KMeans matrix, which the Python side gives no names: `x0`, `x1`, ...
/// (as the estimators name an array's columns).
fn positional_names(n_cols: usize) -> Vec<String> {
    (0..n_cols).map(|j| format!("x{j}")).collect()
}

fn unknown_kind(kind: &str) -> PyErr {
    PyValueError::new_err(format!("unknown model kind {kind:?}"))
}

fn params_json(params: &impl Serialize) -> PyResult<String> {
    serde_json::to_string(params).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Parameters from the JSON the Python side merged into the defaults; an unknown or
/// ill-typed one is a `ValueError` naming it.
fn params_from<P: DeserializeOwned>(kind: &str, json: &str) -> PyResult<P> {
    serde_json::from_str(json).map_err(|e| PyValueError::new_err(format!("{kind} parameters: {e}")))
}

/// The default parameters of a classifier kind (`logistic_regression`, `random_forest`,
/// `gradient_boosting`) or of `kmeans`, as JSON.
#[pyfunction]
pub fn default_params(kind: &str) -> PyResult<String> {
    match kind {
        LogisticRegression::KIND => params_json(&LogisticRegressionParams::default()),
        RandomForest::KIND => params_json(&RandomForestParams::default()),
        BoostedTrees::KIND => params_json(&BoostedTreesParams::default()),
        "kmeans" => params_json(&KMeansParams::new(8)),
        other => Err(unknown_kind(other)),
    }
}

/// A fitted purchase classifier.
#[pyclass(frozen, module = "rebuy._rebuy")]
#[derive(Debug)]
pub struct FittedClassifier(AnyClassifier);

fn fit_with<P: Fit>(valid: rebuy_models::Result<P>, x: &Matrix, y: &[bool]) -> PyResult<P::Model> {
    valid.and_then(|p| p.fit(x, y)).map_err(to_python)
}

#[pymethods]
impl FittedClassifier {
    /// Fits `kind` with `params` (JSON) on `X` (row-major float64 bytes, `n_cols`
    /// columns named `feature_names`) and `y` (one byte per row, 0 or 1).
    #[staticmethod]
    fn fit(
        py: Python<'_>,
        kind: &str,
        params: &str,
        x: &[u8],
        n_cols: usize,
        feature_names: Vec<String>,
        y: &[u8],
    ) -> PyResult<Self> {
        let x = matrix(x, n_cols, feature_names)?;
        let y: Vec<bool> = y.iter().map(|&label| label != 0).collect();
        py.detach(|| {
            Ok(Self(match kind {
                LogisticRegression::KIND => AnyClassifier::Logistic(fit_with(
                    params_from::<LogisticRegressionParams>(kind, params)?.validate(),
                    &x,
                    &y,
                )?),
                RandomForest::KIND => AnyClassifier::Forest(fit_with(
                    params_from::<RandomForestParams>(kind, params)?.validate(),
                    &x,
                    &y,
                )?),
                BoostedTrees::KIND => AnyClassifier::Boosted(fit_with(
                    params_from::<BoostedTreesParams>(kind, params)?.validate(),
                    &x,
                    &y,
                )?),
                other => return Err(unknown_kind(other)),
            }))
        })
    }

    /// A model saved by `rebuy run` (`models/*.json`) or by `to_json`.
    #[staticmethod]
    fn from_json(json: &str) -> PyResult<Self> {
        AnyClassifier::from_json(json).map(Self).map_err(to_python)
    }

    /// The classifier inside a run folder's `models/<name>.json` (its probabilities
    /// before the run's Platt calibration, which the file keeps beside it).
    #[staticmethod]
    fn load_run_model(path: &str) -> PyResult<Self> {
        ModelFile::load(Path::new(path))
            .map(|(_, model)| Self(model))
            .map_err(to_python)
    }

    fn to_json(&self) -> PyResult<String> {
        self.0.to_json().map_err(to_python)
    }

    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind()
    }

    #[getter]
    fn feature_names(&self) -> Vec<String> {
        self.0.feature_names().to_vec()
    }

    #[getter]
    fn feature_importance(&self) -> Vec<f64> {
        self.0.feature_importance()
    }

    /// P(bought) per row of `X` (row-major float64 bytes, the training columns).
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        x: &[u8],
        n_cols: usize,
    ) -> PyResult<Bound<'py, PyByteArray>> {
        let x = matrix(x, n_cols, self.0.feature_names().to_vec())?;
        let probability = py.detach(|| self.0.predict_proba(&x)).map_err(to_python)?;
        Ok(to_numpy_bytes(py, &probability))
    }
}

/// A fitted KMeans model.
#[pyclass(frozen, module = "rebuy._rebuy")]
#[derive(Debug)]
pub struct FittedKMeans(rebuy_models::kmeans::KMeans);

#[pymethods]
impl FittedKMeans {
    /// Fits with `params` (JSON of the models crate's KMeans parameters) on `X`; returns
    /// the model and each row's cluster.
    #[staticmethod]
    fn fit<'py>(
        py: Python<'py>,
        params: &str,
        x: &[u8],
        n_cols: usize,
    ) -> PyResult<(Self, Vec<usize>)> {
        let x = matrix(x, n_cols, positional_names(n_cols))?;
        let params: KMeansParams = params_from("kmeans", params)?;
        let (model, labels) = py
            .detach(|| params.validate().and_then(|p| p.fit_assign(&x)))
            .map_err(to_python)?;
        Ok((Self(model), labels))
    }

    /// The centroids, row-major float64 bytes (`n_clusters` rows).
    fn centroids<'py>(&self, py: Python<'py>) -> Bound<'py, PyByteArray> {
        to_numpy_bytes(py, self.0.centroids.values())
    }

    #[getter]
    fn inertia(&self) -> f64 {
        self.0.inertia
    }

    #[getter]
    fn n_iter(&self) -> usize {
        self.0.n_iter
    }

    #[getter]
    fn converged(&self) -> bool {
        self.0.converged
    }

    /// The nearest centroid of every row of `X`.
    fn predict(&self, x: &[u8], n_cols: usize) -> PyResult<Vec<usize>> {
        self.0
            .predict_all(&matrix(x, n_cols, positional_names(n_cols))?)
            .map_err(to_python)
    }
}
