//! What the purchase classifiers share: fitting on a [`Matrix`] of features (one row per
//! customer, named columns) with `labels` (bought in the horizon or not), predicting
//! `purchase_probability`, and saving to / loading from JSON.
//!
//! A saved model is an envelope `{"format_version": 1, "kind": "...", "model": {...}}`;
//! the model carries its feature names and order, preprocessing, parameters and fitted
//! state. Loading checks the version and kind first, so a file from another format
//! version or for another model gives a clear error instead of a serde message.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::boosting::BoostedTrees;
use crate::explain::Explanation;
use crate::forest::RandomForest;
use crate::logistic::LogisticRegression;
use crate::matrix::Matrix;
use crate::{Error, Result};

/// Layout version of saved classifiers; bump it when a saved field changes meaning.
pub const CLASSIFIER_FORMAT_VERSION: u32 = 1;

/// Fits a classifier from checked parameters (implemented by the `*ValidParams` types).
pub trait Fit {
    type Model: Classifier;

    /// Fits on `features` (rows = customers) and `labels` (`true` = bought).
    fn fit(&self, features: &Matrix, labels: &[bool]) -> Result<Self::Model>;
}

/// A fitted binary classifier of purchases.
pub trait Classifier: Serialize + DeserializeOwned {
    /// The model kind's one name: the `kind` of the saved envelope, and the model's
    /// name in `metrics.json`, its file (`models/<KIND>.json`), the pages and the API.
    const KIND: &'static str;

    /// Names this kind was saved under by earlier versions, still read.
    const FORMER_KINDS: &'static [&'static str] = &[];

    /// `purchase_probability` for every row of `features`, whose columns must be the
    /// training features in the training order.
    fn predict_proba(&self, features: &Matrix) -> Result<Vec<f64>>;

    /// Names of the features, in the column order the model expects.
    fn feature_names(&self) -> &[String];

    /// One non-negative importance per feature, summing to 1 (all 0 if nothing was learnt).
    fn feature_importance(&self) -> Vec<f64>;

    /// Exact SHAP values of every row of `features` (same columns as
    /// [`Classifier::predict_proba`]) in the model's margin ([`crate::explain`]).
    fn explain(&self, features: &Matrix) -> Result<Explanation>;

    /// Checks a freshly loaded model (shapes, indices) so that predicting cannot panic.
    fn check_loaded(&self) -> Result<()>;

    /// The model in its versioned JSON envelope.
    fn to_json(&self) -> Result<String> {
        let envelope = Envelope {
            format_version: CLASSIFIER_FORMAT_VERSION,
            kind: Self::KIND.to_string(),
            model: self,
        };
        serde_json::to_string(&envelope).map_err(|e| Error::Format(e.to_string()))
    }

    /// Reads a model written by [`Classifier::to_json`].
    fn from_json(json: &str) -> Result<Self> {
        let envelope: Envelope<serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| Error::Format(format!("not a saved model: {e}")))?;
        if envelope.format_version != CLASSIFIER_FORMAT_VERSION {
            return Err(Error::Format(format!(
                "the model was saved with format version {}, this build reads version {}",
                envelope.format_version, CLASSIFIER_FORMAT_VERSION
            )));
        }
        if envelope.kind != Self::KIND && !Self::FORMER_KINDS.contains(&envelope.kind.as_str()) {
            return Err(Error::Format(format!(
                "the file holds a `{}` model, not `{}`",
                envelope.kind,
                Self::KIND
            )));
        }
        let model: Self = serde_json::from_value(envelope.model)
            .map_err(|e| Error::Format(format!("{} model: {e}", Self::KIND)))?;
        model.check_loaded()?;
        Ok(model)
    }

    /// Writes [`Classifier::to_json`] to `path`.
    fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, self.to_json()?)
            .map_err(|e| Error::Format(format!("cannot write {}: {e}", path.display())))
    }

    /// Reads a model saved by [`Classifier::save`].
    fn load(path: &Path) -> Result<Self> {
        let json = std::fs::read_to_string(path)
            .map_err(|e| Error::Format(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&json)
    }
}

/// Any saved classifier, for code that loads a model without knowing its kind (the
/// server, the report): dispatches on the envelope's `kind`.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyClassifier {
    Logistic(LogisticRegression),
    Forest(RandomForest),
    Boosted(BoostedTrees),
}

impl AnyClassifier {
    /// Reads any model written by [`Classifier::to_json`].
    pub fn from_json(json: &str) -> Result<Self> {
        let envelope: Envelope<serde::de::IgnoredAny> = serde_json::from_str(json)
            .map_err(|e| Error::Format(format!("not a saved model: {e}")))?;
        match envelope.kind.as_str() {
            LogisticRegression::KIND => LogisticRegression::from_json(json).map(Self::Logistic),
            RandomForest::KIND => RandomForest::from_json(json).map(Self::Forest),
            kind if kind == BoostedTrees::KIND || BoostedTrees::FORMER_KINDS.contains(&kind) => {
                BoostedTrees::from_json(json).map(Self::Boosted)
            }
            other => Err(Error::Format(format!("unknown model kind `{other}`"))),
        }
    }

    /// The model's file, as [`Classifier::to_json`].
    pub fn to_json(&self) -> Result<String> {
        match self {
            Self::Logistic(model) => model.to_json(),
            Self::Forest(model) => model.to_json(),
            Self::Boosted(model) => model.to_json(),
        }
    }

    /// Reads any model saved by [`Classifier::save`].
    pub fn load(path: &Path) -> Result<Self> {
        let json = std::fs::read_to_string(path)
            .map_err(|e| Error::Format(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&json)
    }

    /// `purchase_probability` for every row, as [`Classifier::predict_proba`].
    pub fn predict_proba(&self, features: &Matrix) -> Result<Vec<f64>> {
        match self {
            Self::Logistic(model) => model.predict_proba(features),
            Self::Forest(model) => model.predict_proba(features),
            Self::Boosted(model) => model.predict_proba(features),
        }
    }

    /// The model kind's one name, as [`Classifier::KIND`].
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Logistic(_) => LogisticRegression::KIND,
            Self::Forest(_) => RandomForest::KIND,
            Self::Boosted(_) => BoostedTrees::KIND,
        }
    }

    /// The model's feature names, in the column order it expects.
    pub fn feature_names(&self) -> &[String] {
        match self {
            Self::Logistic(model) => model.feature_names(),
            Self::Forest(model) => model.feature_names(),
            Self::Boosted(model) => model.feature_names(),
        }
    }

    /// As [`Classifier::feature_importance`].
    pub fn feature_importance(&self) -> Vec<f64> {
        match self {
            Self::Logistic(model) => model.feature_importance(),
            Self::Forest(model) => model.feature_importance(),
            Self::Boosted(model) => model.feature_importance(),
        }
    }

    /// SHAP values of every row, as [`Classifier::explain`].
    pub fn explain(&self, features: &Matrix) -> Result<Explanation> {
        match self {
            Self::Logistic(model) => model.explain(features),
            Self::Forest(model) => model.explain(features),
            Self::Boosted(model) => model.explain(features),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope<M> {
    format_version: u32,
    kind: String,
    model: M,
}

/// Checks training input: one label per row, both classes present, and the features
/// finite except NaN where `allow_missing` (the trees learn where missing values go).
pub(crate) fn check_training(
    features: &Matrix,
    labels: &[bool],
    allow_missing: bool,
) -> Result<()> {
    if labels.len() != features.n_rows() {
        return Err(Error::InvalidInput(format!(
            "{} labels for {} rows of features",
            labels.len(),
            features.n_rows()
        )));
    }
    let buyers = labels.iter().filter(|&&bought| bought).count();
    if buyers == 0 || buyers == labels.len() {
        return Err(Error::InvalidInput(format!(
            "training needs both buyers and non-buyers, got {buyers} buyers of {} customers",
            labels.len()
        )));
    }
    check_values(features, allow_missing)
}

/// [`Error::NonFinite`] for the first infinite value (or NaN unless `allow_missing`).
pub(crate) fn check_values(features: &Matrix, allow_missing: bool) -> Result<()> {
    let bad = |value: &f64| value.is_infinite() || (!allow_missing && value.is_nan());
    match features.values().iter().position(bad) {
        None => Ok(()),
        Some(at) => Err(Error::NonFinite {
            feature: features.column_name(at % features.n_cols()),
            row: at / features.n_cols(),
            value: features.values()[at],
        }),
    }
}

/// Checks that `features` has the columns a model was trained on, by count and, when
/// the matrix names its columns, by name and order.
pub(crate) fn check_columns(features: &Matrix, expected: &[String]) -> Result<()> {
    if features.n_cols() != expected.len() {
        return Err(Error::InvalidInput(format!(
            "the model expects {} features ({}), got {}",
            expected.len(),
            expected.join(", "),
            features.n_cols()
        )));
    }
    let names = features.column_names();
    if !names.is_empty() && names != expected {
        return Err(Error::InvalidInput(format!(
            "feature columns {} do not match the model's {}",
            names.join(", "),
            expected.join(", ")
        )));
    }
    Ok(())
}

/// The matrix's column names, or `column {i}` for unnamed columns.
pub(crate) fn feature_names_of(features: &Matrix) -> Vec<String> {
    (0..features.n_cols())
        .map(|i| features.column_name(i))
        .collect()
}

/// [`Error::InvalidParameter`] `parameter` naming the first of `chosen` that is not one of
/// `feature_names`, with the known names listed (parameters that name features, checked
/// when the model fits and the names are known).
pub(crate) fn check_feature_names<'a>(
    parameter: &'static str,
    mut chosen: impl Iterator<Item = &'a str>,
    feature_names: &[String],
) -> Result<()> {
    match chosen.find(|name| !feature_names.iter().any(|known| known == name)) {
        None => Ok(()),
        Some(unknown) => Err(Error::InvalidParameter {
            name: parameter,
            reason: format!(
                "no feature named `{unknown}` (features: {})",
                feature_names.join(", ")
            ),
        }),
    }
}

/// Scales non-negative importances to sum to 1 (all zero stays all zero).
pub(crate) fn normalised(importance: &[f64]) -> Vec<f64> {
    let total: f64 = importance.iter().sum();
    if total > 0.0 {
        importance.iter().map(|value| value / total).collect()
    } else {
        vec![0.0; importance.len()]
    }
}

/// [`Error::InvalidParameter`] unless `ok`.
pub(crate) fn require(ok: bool, name: &'static str, reason: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            reason: reason.to_string(),
        })
    }
}

/// Data sets shared by the classifier tests.
#[cfg(test)]
pub(crate) mod test_data {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use crate::logistic::sigmoid;
    use crate::matrix::Matrix;
    use crate::monotone::Monotone;

    /// docs/reference/trees/model_reference.py's data: a formula of the row index, so
    /// Python builds the very same rows.
    pub(crate) fn formula_data() -> (Matrix, Vec<bool>) {
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for i in 0..200_u32 {
            let x0 = f64::from(i * 37 % 101);
            let x1 = f64::from(i * 53 % 17);
            let x2 = f64::from(i * 7 % 13) / 3.0;
            let noise = f64::from(i * 7919 % 97) / 97.0;
            labels.push(x0 / 101.0 + x1 / 17.0 + 1.2 * noise > 1.3);
            values.extend([x0, x1, x2]);
        }
        let names = ["spend", "orders", "noise"].map(String::from).to_vec();
        let matrix = Matrix::new(200, 3, values).and_then(|m| m.with_column_names(names));
        (matrix.expect("3 columns"), labels)
    }

    /// Noisy customers: buying falls with `recency_days` and rises with `orders`; a
    /// missing `basket` (10 % of rows) means a likely buyer, so NaN carries signal.
    pub(crate) fn noisy_customers(n_rows: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..n_rows {
            let recency_days = rng.random::<f64>() * 365.0;
            let orders = (rng.random::<f64>() * 10.0).floor();
            let missing = rng.random::<f64>() < 0.1;
            let basket = if missing {
                f64::NAN
            } else {
                rng.random::<f64>() * 100.0
            };
            let z = 1.5 - recency_days / 60.0 + 0.3 * orders + if missing { 3.0 } else { 0.0 };
            labels.push(rng.random::<f64>() < sigmoid(z));
            values.extend([recency_days, orders, basket]);
        }
        let names = ["recency_days", "orders", "basket"]
            .map(String::from)
            .to_vec();
        let matrix = Matrix::new(n_rows, 3, values).and_then(|m| m.with_column_names(names));
        (matrix.expect("3 columns"), labels)
    }

    /// Customers whose buying is U-shaped in `recency_days` (it falls for a year, then
    /// rises again: a win-back season) and rises with `orders`; `basket` is noise with
    /// 10 % missing. An unconstrained model learns the rise at the end.
    pub(crate) fn u_shaped_recency(n_rows: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..n_rows {
            let recency_days = rng.random::<f64>() * 600.0;
            let orders = (rng.random::<f64>() * 10.0).floor();
            let basket = if rng.random::<f64>() < 0.1 {
                f64::NAN
            } else {
                rng.random::<f64>() * 100.0
            };
            let z = (recency_days - 360.0).abs() / 60.0 - 3.0 + 0.3 * orders;
            labels.push(rng.random::<f64>() < sigmoid(z));
            values.extend([recency_days, orders, basket]);
        }
        let names = ["recency_days", "orders", "basket"]
            .map(String::from)
            .to_vec();
        let matrix = Matrix::new(n_rows, 3, values).and_then(|m| m.with_column_names(names));
        (matrix.expect("3 columns"), labels)
    }

    /// The largest step against `direction` (a rise for [`Monotone::Decreasing`], a fall
    /// for [`Monotone::Increasing`]) of `model`'s probability between neighbours of a fine
    /// grid over `feature` (-10 to 650, past the range of [`u_shaped_recency`]'s
    /// features), the other features held at `others` (the feature's own slot in it is
    /// overwritten). At most 0 when the model keeps the direction.
    pub(crate) fn largest_break(
        model: &impl crate::classifier::Classifier,
        feature: usize,
        others: [f64; 3],
        direction: Monotone,
    ) -> f64 {
        let grid: Vec<f64> = (0..1200)
            .map(|step| f64::from(step) * 0.55 - 10.0)
            .collect();
        let values = grid
            .iter()
            .flat_map(|&value| {
                let mut row = others;
                row[feature] = value;
                row
            })
            .collect();
        let names = model.feature_names().to_vec();
        let rows = Matrix::new(grid.len(), 3, values).and_then(|m| m.with_column_names(names));
        let probabilities = model
            .predict_proba(&rows.expect("3 columns"))
            .expect("finite");
        probabilities
            .windows(2)
            .map(|pair| -direction.sign() * (pair[1] - pair[0]))
            .fold(f64::NEG_INFINITY, f64::max)
    }

    /// The same rows with every NaN replaced by 0 (for models that need finite input).
    pub(crate) fn filled(features: &Matrix) -> Matrix {
        let values = features
            .values()
            .iter()
            .map(|v| if v.is_nan() { 0.0 } else { *v })
            .collect();
        Matrix::new(features.n_rows(), features.n_cols(), values)
            .and_then(|m| m.with_column_names(features.column_names().to_vec()))
            .expect("same shape")
    }
}
