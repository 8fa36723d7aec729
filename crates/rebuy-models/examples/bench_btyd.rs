//! Benchmark of the buy-till-you-die models: fit and prediction times on 1M simulated
//! customers (checking that the fit recovers the true parameters) and on the CDNOW sample.
//!
//! `cargo run --release -p rebuy-models --example bench_btyd [-- --write-csv PATH]`
//! (`--write-csv` saves the simulated summary for docs/reference/btyd/bench_lifetimes.py;
//! `--pareto-only` runs only the Pareto/NBD rows, `--pareto-only --ridge` them on customers of
//! whom nobody leaves).
//!
//! `... --example bench_btyd -- --summary PATH HORIZON` instead compares BG/NBD, MBG/NBD and
//! Pareto/NBD (fit time and status too) on a real summary in days (CSV `frequency,recency,T,monetary_value,future_purchases`, from
//! docs/reference/btyd/online_retail_summary.py) against what customers bought in the
//! `HORIZON` days after it.

use std::time::Instant;

use rebuy_models::btyd::{
    BetaGeoModel, BetaGeoParams, BetaGeoVariant, CustomerSummary, FitReport, GammaGammaParams,
    ParetoNbdModel, ParetoNbdParams, ParetoNbdSimulation, SimulationSettings, simulate_customers,
    simulate_pareto_nbd,
};
use rebuy_models::{Error, Result, metrics};

const CUSTOMERS: usize = 1_000_000;
const CDNOW: &str =
    include_str!("../src/btyd/testdata/cdnow_customers_summary_with_transactions.csv");

fn seconds(start: Instant) -> f64 {
    start.elapsed().as_secs_f64()
}

/// Fits and times one model; prints a table row with the recovered parameters.
fn fit_row(
    name: &str,
    params: BetaGeoParams,
    summary: &CustomerSummary<'_>,
) -> Result<(BetaGeoModel, f64)> {
    let start = Instant::now();
    let model = params.validate()?.fit(summary)?;
    let elapsed = seconds(start);
    print_fit(name, summary.len(), elapsed, &model.report);
    Ok((model, elapsed))
}

fn print_fit(name: &str, customers: usize, elapsed: f64, report: &FitReport) {
    let estimates: Vec<String> = report
        .parameters
        .iter()
        .map(|p| {
            format!(
                "{} = {:.4} ± {:.4}",
                p.name,
                p.value,
                p.standard_error.unwrap_or(f64::NAN)
            )
        })
        .collect();
    println!(
        "| {name} fit | {customers} | {elapsed:.3} s | {} iterations, {} evaluations, {} distinct rows; log-likelihood {:.2}; {} |",
        report.iterations,
        report.evaluations,
        report.distinct_rows,
        report.log_likelihood,
        estimates.join(", ")
    );
}

fn pareto_fit_row(name: &str, summary: &CustomerSummary<'_>) -> Result<ParetoNbdModel> {
    let start = Instant::now();
    let model = ParetoNbdParams::new().validate()?.fit(summary)?;
    print_fit(name, summary.len(), seconds(start), &model.report);
    println!("| {name} status | | | {} |", model.report.status.name());
    Ok(model)
}

/// 1M customers simulated from the Pareto/NBD at the published CDNOW estimates; with `ridge`,
/// at drop-out rates so low (s 0.5, beta 1e5: a mean of 5e-6 per week) that nobody leaves,
/// the degenerate fit that walks along the ridge s -> 0.
fn simulated_pareto_nbd(t: &[f64], horizon: f64, ridge: bool) -> Result<()> {
    let cdnow = ParetoNbdSimulation {
        r: 0.553,
        alpha: 10.578,
        s: 0.606,
        beta: 11.669,
        horizon,
        seed: 42,
    };
    let truth = if ridge {
        ParetoNbdSimulation {
            s: 0.5,
            beta: 1e5,
            ..cdnow
        }
    } else {
        cdnow
    };
    let start = Instant::now();
    let sim = simulate_pareto_nbd(&truth, t)?;
    println!(
        "| simulate Pareto/NBD | {} | {:.3} s | truth r = {}, alpha = {}, s = {}, beta = {} |",
        t.len(),
        seconds(start),
        truth.r,
        truth.alpha,
        truth.s,
        truth.beta
    );
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t)?;
    let model = pareto_fit_row("Pareto/NBD", &summary)?;
    let start = Instant::now();
    let alive = model.probability_alive(&summary)?;
    println!(
        "| Pareto/NBD P(alive) | {} | {:.3} s | mean {:.4} |",
        summary.len(),
        seconds(start),
        mean(&alive)
    );
    let start = Instant::now();
    let probability = model.purchase_probability(&summary, horizon)?;
    println!(
        "| Pareto/NBD P(buy in next {horizon}) | {} | {:.3} s | mean {:.4}; actual share {:.4} |",
        summary.len(),
        seconds(start),
        mean(&probability),
        sim.future_purchases.iter().filter(|f| **f > 0.0).count() as f64 / t.len() as f64
    );
    let start = Instant::now();
    let expected = model.expected_purchases(&summary, horizon)?;
    println!(
        "| Pareto/NBD E[purchases in next {horizon}] | {} | {:.3} s | mean {:.4}; actual mean {:.4} |",
        summary.len(),
        seconds(start),
        mean(&expected),
        mean(&sim.future_purchases)
    );
    Ok(())
}

fn predict_rows(model: &BetaGeoModel, summary: &CustomerSummary<'_>, horizon: f64) -> Result<()> {
    let start = Instant::now();
    let alive = model.probability_alive(summary);
    println!(
        "| P(alive) | {} | {:.3} s | mean {:.4} |",
        summary.len(),
        seconds(start),
        mean(&alive)
    );
    let start = Instant::now();
    let probability = model.purchase_probability(summary, horizon)?;
    println!(
        "| P(buy in next {horizon}) | {} | {:.3} s | mean {:.4} |",
        summary.len(),
        seconds(start),
        mean(&probability)
    );
    let start = Instant::now();
    let expected = model.expected_purchases(summary, horizon)?;
    println!(
        "| E[purchases in next {horizon}] | {} | {:.3} s | mean {:.4} |",
        summary.len(),
        seconds(start),
        mean(&expected)
    );
    Ok(())
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn simulated(write_csv: Option<&str>) -> Result<()> {
    let truth = SimulationSettings {
        variant: BetaGeoVariant::BgNbd,
        r: 0.243,
        alpha: 4.414,
        a: 0.793,
        b: 2.426,
        horizon: 39.0,
        seed: 42,
    };
    // Ages spread evenly over one year, in weeks, continuous: no two rows alike, so the
    // compression of identical rows does not help (the worst case for the fit).
    let t: Vec<f64> = (0..CUSTOMERS)
        .map(|i| 1.0 + 51.0 * i as f64 / CUSTOMERS as f64)
        .collect();
    let start = Instant::now();
    let sim = simulate_customers(&truth, &t)?;
    println!(
        "| simulate | {CUSTOMERS} | {:.3} s | truth r = 0.243, alpha = 4.414, a = 0.793, b = 2.426 |",
        seconds(start)
    );
    if let Some(path) = write_csv {
        let mut csv = String::from("frequency,recency,T\n");
        for i in 0..CUSTOMERS {
            csv.push_str(&format!(
                "{},{},{}\n",
                sim.frequency[i], sim.recency[i], sim.t[i]
            ));
        }
        std::fs::write(path, csv).map_err(|e| Error::InvalidInput(e.to_string()))?;
    }
    let summary = CustomerSummary::new(&sim.frequency, &sim.recency, &sim.t)?;
    let (model, _) = fit_row("BG/NBD", BetaGeoParams::bg_nbd(), &summary)?;
    predict_rows(&model, &summary, 39.0)?;
    // Whole days (a summary from daily data): identical rows merge.
    let days = |v: &[f64]| v.iter().map(|w| (w * 7.0).floor()).collect::<Vec<f64>>();
    let (recency_days, t_days) = (days(&sim.recency), days(&sim.t));
    let daily = CustomerSummary::new(&sim.frequency, &recency_days, &t_days)?;
    fit_row("BG/NBD, whole days", BetaGeoParams::bg_nbd(), &daily)?;
    fit_row("MBG/NBD", BetaGeoParams::mbg_nbd(), &summary)?;
    simulated_pareto_nbd(&t, truth.horizon, false)
}

fn cdnow() -> Result<()> {
    let rows: Vec<Vec<f64>> = CDNOW
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .skip(1)
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .collect();
    let column = |j: usize| rows.iter().map(|r| r[j]).collect::<Vec<f64>>();
    let (x, t_x, t, zbar) = (column(0), column(1), column(2), column(3));
    let summary = CustomerSummary::new(&x, &t_x, &t)?;
    fit_row("CDNOW BG/NBD", BetaGeoParams::bg_nbd(), &summary)?;
    fit_row("CDNOW MBG/NBD", BetaGeoParams::mbg_nbd(), &summary)?;
    pareto_fit_row("CDNOW Pareto/NBD", &summary)?;
    let start = Instant::now();
    let spend = GammaGammaParams::new().validate()?.fit(&x, &zbar)?;
    println!(
        "| CDNOW Gamma-Gamma fit | {} | {:.4} s | p = {:.4}, q = {:.4}, v = {:.4}; corr(frequency, spend) = {:.3} |",
        spend.report.customers,
        seconds(start),
        spend.p,
        spend.q,
        spend.v,
        spend.frequency_spend_correlation.unwrap_or(f64::NAN)
    );
    Ok(())
}

fn read_csv(path: &str) -> Result<Vec<Vec<f64>>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::InvalidInput(format!("{path}: {e}")))?;
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .map(|f| f.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect();
    Ok((0..5)
        .map(|j| {
            rows.iter()
                .map(|r| r.get(j).copied().unwrap_or(f64::NAN))
                .collect()
        })
        .collect())
}

/// BG/NBD and MBG/NBD side by side on a real summary with its hold-out purchases.
fn real_summary(path: &str, horizon: f64) -> Result<()> {
    let columns = read_csv(path)?;
    let (x, t_x, t, spend, future) = (
        &columns[0],
        &columns[1],
        &columns[2],
        &columns[3],
        &columns[4],
    );
    let summary = CustomerSummary::new(x, t_x, t)?;
    let bought: Vec<bool> = future.iter().map(|f| *f > 0.0).collect();
    let one_time: Vec<usize> = (0..x.len()).filter(|&i| x[i] == 0.0).collect();
    println!(
        "| model | fit | status | parameters | log-likelihood | mean P(alive), one-time buyers | predicted / actual buyers in next {horizon} | ROC AUC | Brier | predicted / actual purchases |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let row = |name: &str, elapsed: f64, report: &FitReport, predictions: [Vec<f64>; 3]| {
        let [alive, probability, expected] = predictions;
        let estimates: Vec<String> = report
            .parameters
            .iter()
            .map(|p| format!("{} {:.4e}", p.name, p.value))
            .collect();
        println!(
            "| {name} | {elapsed:.3} s, {} iterations | {} | {} | {:.1} | {:.4} | {:.0} / {} | {:.4} | {:.4} | {:.0} / {:.0} |",
            report.iterations,
            report.status.name(),
            estimates.join(", "),
            report.log_likelihood,
            one_time.iter().map(|&i| alive[i]).sum::<f64>() / one_time.len() as f64,
            probability.iter().sum::<f64>(),
            bought.iter().filter(|b| **b).count(),
            metrics::roc_auc(&bought, &probability)?,
            metrics::brier_score(&bought, &probability)?,
            expected.iter().sum::<f64>(),
            future.iter().sum::<f64>()
        );
        Ok::<(), Error>(())
    };
    for params in [BetaGeoParams::bg_nbd(), BetaGeoParams::mbg_nbd()] {
        let start = Instant::now();
        let model = params.validate()?.fit(&summary)?;
        let elapsed = seconds(start);
        let predictions = [
            model.probability_alive(&summary),
            model.purchase_probability(&summary, horizon)?,
            model.expected_purchases(&summary, horizon)?,
        ];
        row(
            &format!("{:?}", model.variant),
            elapsed,
            &model.report,
            predictions,
        )?;
    }
    let start = Instant::now();
    match ParetoNbdParams::new().validate()?.fit(&summary) {
        Ok(model) => {
            let elapsed = seconds(start);
            let predictions = [
                model.probability_alive(&summary)?,
                model.purchase_probability(&summary, horizon)?,
                model.expected_purchases(&summary, horizon)?,
            ];
            row("Pareto/NBD", elapsed, &model.report, predictions)?;
            for warning in &model.report.warnings {
                println!("\nPareto/NBD warning: {warning}");
            }
        }
        Err(error) => println!("| Pareto/NBD | {:.3} s | {error} |", seconds(start)),
    }
    let spend_model = GammaGammaParams::new().validate()?.fit(x, spend)?;
    println!(
        "\nGamma-Gamma on {} repeat buyers: p = {:.4}, q = {:.4}, v = {:.4}; corr(frequency, monetary_value) = {:.4}",
        spend_model.report.customers,
        spend_model.p,
        spend_model.q,
        spend_model.v,
        spend_model.frequency_spend_correlation.unwrap_or(f64::NAN)
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--pareto-only") {
        // Only the Pareto/NBD rows, on the same 1M ages as the full run.
        let t: Vec<f64> = (0..CUSTOMERS)
            .map(|i| 1.0 + 51.0 * i as f64 / CUSTOMERS as f64)
            .collect();
        return simulated_pareto_nbd(&t, 39.0, args.iter().any(|a| a == "--ridge"));
    }
    if let Some(i) = args.iter().position(|a| a == "--summary") {
        let path = args
            .get(i + 1)
            .ok_or_else(|| Error::InvalidInput("--summary PATH HORIZON".into()))?;
        let horizon = args.get(i + 2).and_then(|h| h.parse().ok()).unwrap_or(90.0);
        return real_summary(path, horizon);
    }
    let write_csv = args
        .iter()
        .position(|a| a == "--write-csv")
        .and_then(|i| args.get(i + 1));
    println!("threads: {}", rayon::current_num_threads());
    println!("| step | customers | time | result |\n|---|---|---|---|");
    simulated(write_csv.map(String::as_str))?;
    cdnow()
}
