//! A backtest of the purchase models: every model refitted and tested out of time at
//! several cutoffs, and how each did on average, so that the model a run serves is
//! judged on many test dates, not one (`backtest.json` of a run folder).

use serde::{Deserialize, Serialize};

/// One model's test figures at one cutoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CutoffModel {
    pub name: String,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub brier: f64,
    /// The buy rate of the top tenth of scores over the average buy rate.
    pub top_decile_lift: f64,
}

/// Every model fitted at `train_as_of` and tested on the customers at `test_as_of`
/// (did they buy in the horizon after it?).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cutoff {
    pub test_as_of: String,
    pub train_as_of: String,
    /// Test customers, and the share of them who bought.
    pub customers: usize,
    pub positive_rate: f64,
    /// The model chosen on the validation slice at this cutoff (what a run would serve).
    pub chosen: String,
    pub models: Vec<CutoffModel>,
}

/// A cutoff the data cannot test at, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedCutoff {
    pub test_as_of: String,
    pub reason: String,
}

/// Mean, sample standard deviation (0 for one value), least and greatest of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub sd: f64,
    pub min: f64,
    pub max: f64,
}

impl Spread {
    /// `None` for no values.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = if values.len() > 1 {
            (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Self { mean, sd, min, max })
    }
}

/// The name of the summary row of the model chosen at each cutoff.
pub const SERVED: &str = "served";

/// One model's figures over the cutoffs it was tested at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSummary {
    /// A model's name, or [`SERVED`]: at each cutoff, the model chosen there.
    pub name: String,
    pub cutoffs: usize,
    pub roc_auc: Spread,
    pub pr_auc: Spread,
    pub brier: Spread,
    pub top_decile_lift: Spread,
    /// Cutoffs at which its test ROC-AUC was the highest of all models (ties count for
    /// each); not counted for [`SERVED`].
    pub best_roc_auc_at: usize,
}

/// `backtest.json`: the cutoffs, what each model did at each, and on average.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    pub horizon_days: u32,
    /// Days between two cutoffs.
    pub every_days: u32,
    /// Latest first.
    pub cutoffs: Vec<Cutoff>,
    pub skipped: Vec<SkippedCutoff>,
    /// Every model in the order of the first cutoff, then [`SERVED`].
    pub summary: Vec<ModelSummary>,
    /// Did the served choice win on average, in a sentence.
    pub verdict: String,
}

impl Backtest {
    /// The backtest of `cutoffs` (and the `skipped` ones), its summary and verdict.
    pub fn new(
        horizon_days: u32,
        every_days: u32,
        cutoffs: Vec<Cutoff>,
        skipped: Vec<SkippedCutoff>,
    ) -> Self {
        let mut names: Vec<&str> = Vec::new();
        for model in cutoffs.iter().flat_map(|c| &c.models) {
            if !names.contains(&model.name.as_str()) {
                names.push(&model.name);
            }
        }
        let mut summary: Vec<ModelSummary> = names
            .iter()
            .filter_map(|&name| {
                let rows: Vec<(&Cutoff, &CutoffModel)> = cutoffs
                    .iter()
                    .filter_map(|c| Some((c, c.models.iter().find(|m| m.name == name)?)))
                    .collect();
                let best = rows
                    .iter()
                    .filter(|(cutoff, model)| {
                        cutoff
                            .models
                            .iter()
                            .all(|other| other.roc_auc <= model.roc_auc)
                    })
                    .count();
                summarise(
                    name,
                    &rows.iter().map(|(_, m)| *m).collect::<Vec<_>>(),
                    best,
                )
            })
            .collect();
        let served: Vec<&CutoffModel> = cutoffs
            .iter()
            .filter_map(|c| c.models.iter().find(|m| m.name == c.chosen))
            .collect();
        summary.extend(summarise(SERVED, &served, 0));
        let verdict = verdict(&summary, cutoffs.len());
        Self {
            horizon_days,
            every_days,
            cutoffs,
            skipped,
            summary,
            verdict,
        }
    }
}

fn summarise(name: &str, rows: &[&CutoffModel], best_roc_auc_at: usize) -> Option<ModelSummary> {
    let spread = |metric: fn(&CutoffModel) -> f64| {
        Spread::of(&rows.iter().map(|m| metric(m)).collect::<Vec<_>>())
    };
    Some(ModelSummary {
        name: name.to_string(),
        cutoffs: rows.len(),
        roc_auc: spread(|m| m.roc_auc)?,
        pr_auc: spread(|m| m.pr_auc)?,
        brier: spread(|m| m.brier)?,
        top_decile_lift: spread(|m| m.top_decile_lift)?,
        best_roc_auc_at,
    })
}

/// Whether the model chosen at each cutoff beat every single model's mean test ROC-AUC.
fn verdict(summary: &[ModelSummary], cutoffs: usize) -> String {
    let Some(served) = summary.iter().find(|s| s.name == SERVED) else {
        return "no cutoff could be tested".to_string();
    };
    let Some(best) = summary
        .iter()
        .filter(|s| s.name != SERVED && s.cutoffs == cutoffs)
        .max_by(|a, b| a.roc_auc.mean.total_cmp(&b.roc_auc.mean))
    else {
        return "no model was tested at every cutoff".to_string();
    };
    let served_auc = served.roc_auc.mean;
    if served_auc >= best.roc_auc.mean {
        format!(
            "over {cutoffs} cutoffs the model chosen on validation at each had the best mean \
             test ROC-AUC, {served_auc:.3} (sd {:.3}); the best single model, {}, had {:.3}",
            served.roc_auc.sd, best.name, best.roc_auc.mean
        )
    } else {
        format!(
            "over {cutoffs} cutoffs {} had a higher mean test ROC-AUC ({:.3}, sd {:.3}) than \
             the model chosen on validation at each ({served_auc:.3}, sd {:.3}): the choice \
             on validation did not win on average",
            best.name, best.roc_auc.mean, best.roc_auc.sd, served.roc_auc.sd
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str, roc_auc: f64) -> CutoffModel {
        CutoffModel {
            name: name.to_string(),
            roc_auc,
            pr_auc: roc_auc - 0.1,
            brier: 0.2,
            top_decile_lift: 2.0,
        }
    }

    fn cutoff(date: &str, chosen: &str, models: Vec<CutoffModel>) -> Cutoff {
        Cutoff {
            test_as_of: date.to_string(),
            train_as_of: date.to_string(),
            customers: 100,
            positive_rate: 0.4,
            chosen: chosen.to_string(),
            models,
        }
    }

    #[test]
    fn spread_is_mean_sample_sd_and_range() {
        let s = Spread::of(&[0.7, 0.8, 0.9]).unwrap();
        assert!((s.mean - 0.8).abs() < 1e-12);
        assert!((s.sd - 0.1).abs() < 1e-12);
        assert_eq!((s.min, s.max), (0.7, 0.9));
        assert_eq!(Spread::of(&[0.5]).unwrap().sd, 0.0);
        assert_eq!(Spread::of(&[]), None);
    }

    #[test]
    fn the_summary_follows_the_chosen_model_and_counts_wins() {
        let cutoffs = vec![
            cutoff("2010-09-01", "a", vec![model("a", 0.80), model("b", 0.70)]),
            cutoff("2010-08-01", "b", vec![model("a", 0.75), model("b", 0.78)]),
            // "b" could not be fitted here.
            cutoff("2010-07-01", "a", vec![model("a", 0.72)]),
        ];
        let backtest = Backtest::new(90, 30, cutoffs, Vec::new());
        let names: Vec<&str> = backtest.summary.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b", SERVED]);
        let [a, b, served] = &backtest.summary[..] else {
            panic!()
        };
        assert_eq!((a.cutoffs, a.best_roc_auc_at), (3, 2));
        assert_eq!((b.cutoffs, b.best_roc_auc_at), (2, 1));
        assert!((a.roc_auc.mean - 0.756_666_666_666_666_7).abs() < 1e-12);
        // Served: a at the first and third cutoff, b at the second.
        assert!((served.roc_auc.mean - (0.80 + 0.78 + 0.72) / 3.0).abs() < 1e-12);
        assert!(
            backtest.verdict.contains("best mean test ROC-AUC, 0.767"),
            "{}",
            backtest.verdict
        );
        let lost = Backtest::new(
            90,
            30,
            vec![
                cutoff("2010-09-01", "b", vec![model("a", 0.80), model("b", 0.70)]),
                cutoff("2010-08-01", "a", vec![model("a", 0.81), model("b", 0.72)]),
            ],
            Vec::new(),
        );
        assert!(lost.verdict.contains("did not win"), "{}", lost.verdict);
        let none = Backtest::new(90, 30, Vec::new(), Vec::new());
        assert_eq!(none.summary, []);
        assert_eq!(none.verdict, "no cutoff could be tested");
    }
}
