//! `rebuy run --backtest-cutoffs N`: the purchase models refitted and tested out of time
//! at N cutoffs (the run's test date and every `--backtest-every-days` before it), so
//! that the choice of model is judged on many test dates, not one: `backtest.json`,
//! `backtest.svg` and the table printed at the end of the run.

use crate::plots;
use crate::progress;
use crate::purchase::{self, PurchaseSettings};
use crate::run_folder::RunFolder;
use crate::sample::Sample;
use anyhow::Result;
use rebuy_features::{AsOf, FeatureEngine, TimeUnit};
use rebuy_models::backtest::{Backtest, SkippedCutoff, Spread};

/// How many cutoffs, how far apart.
#[derive(Debug, Clone, Copy)]
pub struct BacktestSettings {
    pub cutoffs: u32,
    pub every_days: u32,
}

/// Tests every model at each cutoff, latest first, and writes `backtest.json` and
/// `backtest.svg`; a cutoff the data cannot test at is listed with its reason.
pub fn backtest(
    engine: &FeatureEngine,
    scored_as_of: AsOf,
    (settings, sample, unit): (PurchaseSettings, Sample, TimeUnit),
    backtest: BacktestSettings,
    folder: &RunFolder,
) -> Result<Backtest> {
    let first = purchase::test_as_of(engine, scored_as_of, settings.horizon_days);
    let bar = progress::count(u64::from(backtest.cutoffs), "backtest");
    let (mut cutoffs, mut skipped) = (Vec::new(), Vec::new());
    for k in 0..backtest.cutoffs {
        let back = i64::from(k) * i64::from(backtest.every_days);
        let test_as_of = first.plus_days(-(i32::try_from(back).unwrap_or(i32::MAX)));
        match purchase::test_at(engine, test_as_of, settings, sample, unit)? {
            Ok(cutoff) => cutoffs.push(cutoff),
            Err(reason) => skipped.push(SkippedCutoff {
                test_as_of: test_as_of.to_string(),
                reason,
            }),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let backtest = Backtest::new(settings.horizon_days, backtest.every_days, cutoffs, skipped);
    folder.write_json("backtest.json", &backtest)?;
    if !backtest.cutoffs.is_empty() {
        plots::write_backtest(folder, &backtest)?;
    }
    print_summary(&backtest);
    Ok(backtest)
}

fn print_summary(backtest: &Backtest) {
    println!(
        "\nBacktest: {} cutoffs {} days apart, each model fitted {} days before its cutoff \
         and tested on the {} days after it:",
        backtest.cutoffs.len(),
        backtest.every_days,
        backtest.horizon_days,
        backtest.horizon_days
    );
    println!(
        "  {:<22} {:>7} {:>15} {:>15} {:>15} {:>13} {:>6}",
        "model", "cutoffs", "ROC-AUC", "PR-AUC", "Brier", "lift@10%", "best"
    );
    let shown = |s: &Spread| format!("{:.3} ± {:.3}", s.mean, s.sd);
    for row in &backtest.summary {
        println!(
            "  {:<22} {:>7} {:>15} {:>15} {:>15} {:>13} {:>6}",
            row.name,
            row.cutoffs,
            shown(&row.roc_auc),
            shown(&row.pr_auc),
            shown(&row.brier),
            format!(
                "{:.2} ± {:.2}",
                row.top_decile_lift.mean, row.top_decile_lift.sd
            ),
            if row.name == rebuy_models::backtest::SERVED {
                "-".to_string()
            } else {
                row.best_roc_auc_at.to_string()
            }
        );
    }
    for skipped in &backtest.skipped {
        println!(
            "  cutoff {} not tested: {}",
            skipped.test_as_of, skipped.reason
        );
    }
    println!("  {}", backtest.verdict);
}
