//! The headline figures of each run, for the trend across runs: the Overview page's
//! customers, active share, revenue and repeat rate, the mean purchase probability of
//! customers.csv, and the served model's test ROC-AUC from metrics.json.

use crate::run::RunData;

#[derive(Debug, Clone, PartialEq)]
pub struct RunFigures {
    pub name: String,
    pub as_of: Option<String>,
    pub customers: usize,
    /// Share of customers who bought within the horizon before the as-of date.
    pub active_share: f64,
    /// Sales before returns before the as-of date (the Overview's revenue).
    pub revenue: f64,
    /// Share of customers with two or more orders.
    pub repeat_rate: f64,
    /// Mean `purchase_probability`, when the run scored its customers.
    pub mean_purchase_probability: Option<f64>,
    /// ROC-AUC of the served model on the test customers, when the run has one.
    pub test_auc: Option<f64>,
}

impl RunFigures {
    pub fn of(name: &str, run: &RunData) -> RunFigures {
        let o = &run.overview;
        let mean_purchase_probability =
            run.customers.column("purchase_probability").and_then(|c| {
                let (sum, count) = c.present().fold((0.0, 0usize), |(s, n), p| (s + p, n + 1));
                (count > 0).then(|| sum / count as f64)
            });
        RunFigures {
            name: name.to_string(),
            as_of: run.manifest.as_of.clone(),
            customers: o.customers,
            active_share: o.active as f64 / o.customers.max(1) as f64,
            revenue: o.revenue,
            repeat_rate: o.repeat_rate,
            mean_purchase_probability,
            test_auc: run
                .comparison
                .as_ref()
                .and_then(|c| c.served())
                .map(|m| m.summary.roc_auc),
        }
    }
}
