//! Writes the models and rows that docs/reference/shap/tree_shap_reference.py explains
//! with the `shap` package, to pin our TreeSHAP against it (the test
//! `tree::shap::tests::matches_the_shap_package`).
//!
//! ```text
//! cargo run --release -p rebuy-models --example shap_reference -- crates/rebuy-models/src/tree/testdata
//! ```
//!
//! Writes `shap_boosted.json` and `shap_forest.json` (saved classifiers, covers in every
//! node) and `shap_rows.csv` (the rows to explain, `nan` for a missing value).

use std::fmt::Write as _;
use std::path::PathBuf;

use rebuy_models::boosting::BoostedTreesParams;
use rebuy_models::classifier::{Classifier, Fit};
use rebuy_models::forest::RandomForestParams;
use rebuy_models::matrix::Matrix;

type BoxError = Box<dyn std::error::Error>;

/// 400 customers of 5 features, a formula of the row index; `gap_days` is missing for
/// every 9th and `basket` for every 13th, so default directions are taken.
fn customers() -> Result<(Matrix, Vec<bool>), BoxError> {
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for i in 0..400_u32 {
        let recency_days = f64::from(i * 37 % 101) * 3.0;
        let orders = f64::from(i * 53 % 17);
        let gap_days = if i % 9 == 0 {
            f64::NAN
        } else {
            f64::from(i * 31 % 200) / 4.0
        };
        let basket = if i % 13 == 0 {
            f64::NAN
        } else {
            f64::from(i * 7919 % 1009) / 10.0
        };
        let noise = f64::from(i * 104_729 % 89) / 89.0;
        let gap_signal = if gap_days.is_nan() {
            0.6
        } else {
            gap_days / 50.0
        };
        let signal = 1.0 - recency_days / 150.0 + orders / 10.0 + gap_signal * orders / 17.0;
        labels.push(signal + 1.5 * noise > 1.2);
        values.extend([recency_days, orders, gap_days, basket, noise]);
    }
    let names = ["recency_days", "orders", "gap_days", "basket", "noise"];
    let matrix =
        Matrix::new(400, 5, values)?.with_column_names(names.map(String::from).to_vec())?;
    Ok((matrix, labels))
}

fn main() -> Result<(), BoxError> {
    let folder = PathBuf::from(std::env::args().nth(1).ok_or("usage: shap_reference DIR")?);
    let (features, labels) = customers()?;
    // Row subsampling makes the covers differ from tree to tree.
    let boosted = BoostedTreesParams::default()
        .n_trees(15)
        .max_depth(Some(3))
        .learning_rate(0.3)
        .row_subsample(0.8)
        .seed(5)
        .validate()?
        .fit(&features, &labels)?;
    let forest = RandomForestParams::default()
        .n_trees(6)
        .max_depth(Some(5))
        .min_samples_leaf(3)
        .seed(5)
        .validate()?
        .fit(&features, &labels)?;
    boosted.save(&folder.join("shap_boosted.json"))?;
    forest.save(&folder.join("shap_forest.json"))?;
    let mut csv = features.column_names().join(",") + "\n";
    // Every 8th row, and every row with a missing value among the first 60.
    for (index, row) in features.rows().enumerate() {
        if index % 8 == 0 || (index < 60 && row.iter().any(|v| v.is_nan())) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
            writeln!(csv, "{}", cells.join(","))?;
        }
    }
    std::fs::write(folder.join("shap_rows.csv"), csv)?;
    Ok(())
}
