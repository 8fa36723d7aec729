//! Models: the comparison of the run's purchase models (`metrics.json`), their curves,
//! confusion matrices and feature importance, and which model is served and why.

use crate::auth::sessions::SignedIn;
use crate::comparison::{Comparison, ModelReport};
use crate::history::picked::Picked;
use crate::html::{Page, chart, code_spans, decimal, escape, note, page, percent, whole};
use crate::labels::{column_label, model_label};
use crate::run::RunData;
use axum::Extension;
use axum::response::Html;
use rebuy_models::backtest::{SERVED, Spread};
use rebuy_models::btyd::significant;
use rebuy_models::metrics::Confusion;
use serde_json::{Value, json};

pub async fn models(picked: Picked, signed_in: Option<Extension<SignedIn>>) -> Html<String> {
    let run = &picked.run;
    Html(page(
        &picked,
        signed_in.as_deref(),
        Page::Models,
        &models_body(run),
        false,
    ))
}

/// The page's content (also a section of `report.html`).
pub fn models_body(run: &RunData) -> String {
    format!(
        "<h1>Models</h1>{}{}{}{}{}",
        comparison(run),
        backtest(run),
        btyd_holdout(run),
        btyd_fits(run),
        btyd_pictures(run)
    )
}

/// The backtest (`backtest.json`): every model's test figures over the cutoffs, and
/// whether the model chosen on validation at each cutoff won on average.
fn backtest(run: &RunData) -> String {
    let Some(backtest) = &run.backtest else {
        return String::new();
    };
    let spread = |s: &Spread, decimals: usize| {
        format!(
            "{} <span class=\"muted\">± {}</span>",
            decimal(s.mean, decimals),
            decimal(s.sd, decimals)
        )
    };
    let rows: String = backtest
        .summary
        .iter()
        .map(|row| {
            let (name, best) = if row.name == SERVED {
                (
                    "<b>Served</b> <span class=\"muted\">(chosen on validation at each cutoff)</span>"
                        .to_string(),
                    "—".to_string(),
                )
            } else {
                (escape(&model_label(&row.name)), row.best_roc_auc_at.to_string())
            };
            format!(
                "<tr><td>{name}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{best}</td></tr>",
                row.cutoffs,
                spread(&row.roc_auc, 3),
                spread(&row.pr_auc, 3),
                spread(&row.brier, 3),
                spread(&row.top_decile_lift, 2),
            )
        })
        .collect();
    let dates = match (backtest.cutoffs.last(), backtest.cutoffs.first()) {
        (Some(first), Some(last)) => format!(
            " from {} to {}",
            escape(&first.test_as_of),
            escape(&last.test_as_of)
        ),
        _ => String::new(),
    };
    let skipped: String = backtest
        .skipped
        .iter()
        .map(|s| format!("<li>{}: {}</li>", escape(&s.test_as_of), escape(&s.reason)))
        .collect();
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!("<p>Cutoffs not tested:</p><ul>{skipped}</ul>")
    };
    let picture = run
        .backtest_picture
        .as_deref()
        .map_or_else(String::new, |svg| {
            format!("<div class=\"picture\">{svg}</div>")
        });
    format!(
        "<h2 id=\"backtest\">Backtest: did the predictions come true?</h2><div class=\"panel\">\
         <p>Every model was refitted and tested at {n} cutoffs{dates}, {every} days apart: \
         fitted on the customers {h} days before a cutoff, then asked who of the customers \
         at the cutoff would buy in the {h} days after it, which the data then show. Mean \
         <span class=\"muted\">± standard deviation</span> over the cutoffs; \"Best at\": the \
         cutoffs where the model had the highest ROC-AUC.</p>\
         <table id=\"backtest-table\"><thead><tr><th>Model</th><th>Cutoffs</th><th>ROC-AUC</th>\
         <th>PR-AUC</th><th>Brier</th><th>Top-10% lift</th><th>Best at</th></tr></thead>\
         <tbody>{rows}</tbody></table><p id=\"backtest-verdict\">{verdict}.</p>{skipped}{picture}</div>",
        n = backtest.cutoffs.len(),
        every = backtest.every_days,
        h = backtest.horizon_days,
        verdict = escape(&capitalised(&backtest.verdict)),
    )
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The transaction models fitted on a calibration period and checked on the hold-out
/// period after it (`metrics.json` `btyd_comparison`), and which one serves P(alive).
fn btyd_holdout(run: &RunData) -> String {
    let Some(holdout) = run
        .comparison
        .as_ref()
        .and_then(|c| c.btyd_comparison.as_ref())
    else {
        return String::new();
    };
    let rows: String = holdout
        .models
        .iter()
        .map(|row| {
            let serves = holdout.chosen.as_deref() == Some(row.model.as_str());
            let role = match (serves, row.may_serve) {
                (true, _) => "<span class=\"pill\">serves P(alive)</span>",
                (false, true) => "<span class=\"pill plain\">may serve</span>",
                (false, false) => "<span class=\"pill plain\">compared only</span>",
            };
            let figures = row.accuracy.as_ref().map_or_else(
                || format!("<td colspan=\"5\">{}</td>", escape(&row.fit.message)),
                |a| {
                    format!(
                        "<td class=\"num\">{}</td><td class=\"num\">{}</td>\
                         <td class=\"num\">{}</td><td class=\"num\">{}</td>\
                         <td class=\"num\">{}</td>",
                        decimal(a.mean_absolute_error, 3),
                        decimal(a.root_mean_squared_error, 3),
                        a.correlation
                            .map_or_else(|| "—".to_string(), |r| decimal(r, 3)),
                        whole(a.expected_total),
                        whole(a.actual_total),
                    )
                },
            );
            format!(
                "<tr><td>{}</td><td>{role}</td><td>{}</td>{figures}</tr>",
                escape(&row.model),
                status_pill(&row.fit.status),
            )
        })
        .collect();
    format!(
        "<h2 id=\"btyd-holdout\">Which buy-till-you-die model to trust</h2><div class=\"panel\">\
         <p>Each model was fitted on the {customers} customers' history before {end} and \
         asked how many purchases (purchase days) each would make in the {days} days from \
         {end}; the table compares that with what they did.</p>\
         <table id=\"btyd-holdout-table\"><thead><tr><th>Model</th><th>Role</th><th>Fit</th>\
         <th>Mean abs. error</th><th>RMSE</th><th>Correlation</th><th>Expected</th>\
         <th>Actual</th></tr></thead><tbody>{rows}</tbody></table>\
         <p id=\"btyd-chosen\">{because}.</p><p class=\"muted\">Errors are per customer, in \
         purchases; Expected and Actual are totals over the customers. The tracking picture \
         below shows the same totals week by week.</p></div>",
        customers = whole(holdout.customers as f64),
        end = escape(&holdout.calibration_end),
        days = holdout.holdout_days,
        because = escape(&holdout.chosen_because),
    )
}

/// A fit's status as a pill, in amber unless it converged.
fn status_pill(status: &str) -> String {
    let warn = if status == "converged" { "" } else { " warn" };
    format!(
        "<span class=\"pill{warn}\">{}</span>",
        escape(&status.replace('_', " "))
    )
}

/// How each buy-till-you-die fit went: its status, estimates with standard errors and
/// warnings, so that a degenerate fit's P(alive) is not read as a finding.
fn btyd_fits(run: &RunData) -> String {
    let fits = run
        .comparison
        .as_ref()
        .map_or(&[][..], |c| &c.btyd_fits[..]);
    if fits.is_empty() {
        return String::new();
    }
    let rows: String = fits
        .iter()
        .map(|fit| {
            let mut parameters = fit
                .parameters
                .iter()
                .map(|p| {
                    let error = p
                        .standard_error
                        .map_or_else(String::new, |e| format!(" ± {}", significant(e)));
                    format!("{} = {}{error}", escape(&p.name), significant(p.value))
                })
                .collect::<Vec<_>>()
                .join(", ");
            if fit.parameters.iter().any(|p| p.standard_error.is_none()) {
                parameters.push_str(" <span class=\"muted\">(no standard errors)</span>");
            }
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                escape(&fit.model),
                escape(&fit.used_for),
                status_pill(&fit.status),
                fit.customers.map_or_else(String::new, |n| whole(n as f64)),
                fit.log_likelihood
                    .map_or_else(String::new, |ll| decimal(ll, 2)),
                if parameters.is_empty() {
                    escape(&fit.message)
                } else {
                    parameters
                },
            )
        })
        .collect();
    let warnings: String = fits
        .iter()
        .flat_map(|fit| fit.warnings.iter().map(move |w| (fit, w)))
        .map(|(fit, w)| format!("<li><b>{}</b>: {}</li>", escape(&fit.model), code_spans(w)))
        .collect();
    let warnings = if warnings.is_empty() {
        String::new()
    } else {
        note(&format!(
            "Read these figures with care:<ul class=\"fit-warnings\">{warnings}</ul>"
        ))
    };
    format!(
        "<h2 id=\"btyd-fits\">Buy-till-you-die fits</h2>{warnings}<div class=\"panel\">\
         <table id=\"btyd-fits-table\"><thead><tr><th>Model</th><th>Used for</th><th>Fit</th><th>Customers</th>\
         <th>Log-likelihood</th><th>Estimates ± standard error</th></tr></thead>\
         <tbody>{rows}</tbody></table><p class=\"muted\">Maximum likelihood from several \
         starting points; standard errors from the Hessian. <i>Degenerate</i>: the fit \
         converged to a limit where the model is implausible (e.g. nobody ever leaves); its \
         figures are bounds, not estimates.</p></div>"
    )
}

/// The buy-till-you-die pictures of the run (drawn by `rebuy run`), inline so that
/// `report.html` carries them too.
fn btyd_pictures(run: &RunData) -> String {
    if run.btyd_pictures.is_empty() {
        return String::new();
    }
    let panels: String = run
        .btyd_pictures
        .iter()
        .map(|(title, svg)| {
            format!(
                "<div class=\"panel picture\"><h2 class=\"top\">{}</h2>{svg}</div>",
                escape(title)
            )
        })
        .collect();
    format!(
        "<h2 id=\"btyd\">Buy-till-you-die models</h2><p class=\"muted\">The calibration \
         picture uses the BG/NBD row's model and test customers; the matrices show the \
         transaction model behind P(alive) (the one the hold-out comparison chose) at the \
         oldest customer's age.</p>\
         <div class=\"two\">{panels}</div>"
    )
}

fn comparison(run: &RunData) -> String {
    let Some(c) = &run.comparison else {
        return note(
            "No purchase model in this run (the run folder has no <code>metrics.json</code>): \
             run <code>rebuy run</code> with this version.",
        );
    };
    if let Some(reason) = &c.skipped {
        return note(&format!(
            "The run fitted no purchase model: {}",
            escape(reason)
        ));
    }
    let served = match &run.scorer {
        Ok(scorer) => format!(
            "Served: <span class=\"pill\" id=\"served-model\">{}</span>, fitted again on the \
             latest complete window ({}), answers a customer given every \
             feature; {} Chosen by {}; the BG/NBD and recency-baseline rows are \
             there for comparison and are never served.",
            escape(&model_label(&scorer.full.file.name)),
            final_window(&scorer.full.file.training_window),
            scorer.rfm_only.as_ref().map_or_else(
                || "this run has no R/F/M-only model.".to_string(),
                |m| format!(
                    "<span class=\"pill\">{}</span> ({}) answers one given recency, frequency \
                     and monetary alone (the Predict form).",
                    escape(&model_label(&m.file.name)),
                    escape(&m.file.kind.replace('_', " "))
                )
            ),
            escape(&c.chosen_by)
        ),
        Err(reason) => format!("No model served: {}", escape(reason)),
    };
    format!(
        "<p class=\"lead\">Purchase in the next {h} days, tested {how} (trained at {train}, tested \
at {test} on {n} customers, {rate} of whom bought).</p>\
<div class=\"note\">{served}</div>{top_decile}\
<div class=\"panel\">{table}<p class=\"muted\">Baseline: {baseline}. Missing values: {missing}.</p></div>\
<div class=\"two\"><div class=\"panel\"><h2 class=\"top\">ROC curves</h2>{roc}</div>\
<div class=\"panel\"><h2 class=\"top\">Precision-recall curves</h2>{pr}</div></div>\
<div class=\"two\"><div class=\"panel\"><h2 class=\"top\">Calibration</h2>{calibration}</div>\
<div class=\"panel\"><h2 class=\"top\">Cumulative gains</h2>{gains}</div></div>\
<div class=\"two\"><div class=\"panel\"><h2 class=\"top\">Lift by decile</h2>{lift}</div>\
<div class=\"panel\"><h2 class=\"top\">Feature importance ({served_name})</h2>{importance}</div></div>\
<h2>Confusion matrices</h2><p class=\"muted\">Test customers at a threshold of 0.5 and at the \
threshold with the best F1 score.</p><div class=\"matrices\">{matrices}</div>",
        h = c.horizon_days,
        how = c.evaluation_words(),
        train = if c.pooled_training_windows.is_empty() {
            escape(&c.train_as_of)
        } else {
            format!(
                "{} pooled with {}",
                escape(&c.train_as_of),
                escape(&c.pooled_training_windows.join(", "))
            )
        },
        test = escape(&c.as_of),
        n = whole(c.n_test as f64),
        rate = percent(c.positive_rate),
        top_decile = top_decile(c),
        table = comparison_table(c),
        baseline = escape(&c.baseline),
        missing = escape(&c.missing_values),
        roc = roc_chart(c),
        pr = pr_chart(c),
        calibration = calibration_chart(c),
        gains = gains_chart(c),
        lift = lift_chart(c),
        served_name = escape(&model_label(&c.chosen)),
        importance = importance_chart(c),
        matrices = c.models.iter().map(confusion_card).collect::<String>(),
    )
}

/// The customers of the final refit in words: the latest window's, and the earlier ones
/// pooled with it (a customer once per window).
fn final_window(window: &rebuy_models::scoring::TrainingWindow) -> String {
    if window.pooled_with.is_empty() {
        format!(
            "{} customers at {}",
            whole(window.customers as f64),
            escape(&window.as_of)
        )
    } else {
        format!(
            "at {} pooled with {}: {} rows, a customer once per window",
            escape(&window.as_of),
            escape(&window.pooled_with.join(", ")),
            whole(window.customers as f64)
        )
    }
}

/// The served model's first decile in words: how much likelier to buy the customers
/// it ranks highest were, in the test window.
fn top_decile(c: &Comparison) -> String {
    let Some(top) = c.served().and_then(|m| m.lift.first()) else {
        return String::new();
    };
    if top.customers == 0 || c.positive_rate <= 0.0 {
        return String::new();
    }
    format!(
        "<p class=\"lead\" id=\"top-decile\">The top 10 % of test customers by the served \
         model's score ({} customers) bought at <b>{}×</b> the average rate: {} of them \
         bought in the {} days, against {} of all test customers.</p>",
        whole(top.customers as f64),
        decimal(top.lift, 2),
        percent(top.response_rate),
        c.horizon_days,
        percent(c.positive_rate),
    )
}

fn comparison_table(c: &Comparison) -> String {
    let rows: String = c
        .models
        .iter()
        .map(|m| {
            let label = escape(&model_label(&m.summary.name));
            let name = if m.summary.name == c.chosen {
                format!("<b>{label}</b> <span class=\"pill\">served</span>")
            } else {
                label
            };
            let cells: String = [
                m.summary.validation_roc_auc,
                m.summary.accuracy,
                m.summary.roc_auc,
                m.summary.pr_auc,
                m.summary.log_loss,
                m.summary.brier,
            ]
            .iter()
            .map(|v| format!("<td class=\"num\">{}</td>", decimal(*v, 3)))
            .chain(
                [m.summary.fit_seconds, m.summary.predict_seconds]
                    .iter()
                    .map(|v| format!("<td class=\"num\">{}</td>", decimal(*v, 4))),
            )
            .collect();
            format!("<tr><td>{name}</td>{cells}</tr>")
        })
        .collect();
    format!(
        "<table id=\"comparison\"><thead><tr><th>model</th><th class=\"num\">validation ROC-AUC</th>\
<th class=\"num\">accuracy</th><th class=\"num\">ROC-AUC</th><th class=\"num\">PR-AUC</th>\
<th class=\"num\">log loss</th><th class=\"num\">Brier</th><th class=\"num\">fit s</th>\
<th class=\"num\">predict s</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// A line chart with one series per model plus an optional dashed reference line.
fn curves_chart(
    id: &str,
    c: &Comparison,
    axes: [&str; 2],
    points: impl Fn(&ModelReport) -> Vec<[f64; 2]>,
    reference: Option<(&str, Vec<[f64; 2]>)>,
) -> String {
    let mut series: Vec<Value> = c
        .models
        .iter()
        .map(|m| {
            json!({
                "name": model_label(&m.summary.name), "type": "line", "showSymbol": false, "data": points(m),
                "lineStyle": {"width": if m.summary.name == c.chosen { 3.0 } else { 1.5 }},
            })
        })
        .collect();
    if let Some((name, data)) = reference {
        series.push(json!({
            "name": name, "type": "line", "showSymbol": false, "data": data,
            "lineStyle": {"type": "dashed", "color": "#9ca3af"}, "itemStyle": {"color": "#9ca3af"},
        }));
    }
    let axis = |name: &str, location: &str| json!({"type": "value", "min": 0, "max": 1, "name": name, "nameLocation": location, "nameGap": 28});
    let option = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "itemWidth": 16, "itemGap": 8, "textStyle": {"fontSize": 11}},
        "grid": {"left": 56, "right": 20, "top": 56, "bottom": 48},
        "xAxis": axis(axes[0], "middle"),
        "yAxis": axis(axes[1], "middle"),
        "series": series,
    });
    chart(id, &option, 340)
}

fn roc_chart(c: &Comparison) -> String {
    curves_chart(
        "roc-chart",
        c,
        ["false positive rate", "true positive rate"],
        |m| {
            m.roc_curve
                .iter()
                .map(|p| [p.false_positive_rate, p.true_positive_rate])
                .collect()
        },
        Some(("random", vec![[0.0, 0.0], [1.0, 1.0]])),
    )
}

fn pr_chart(c: &Comparison) -> String {
    curves_chart(
        "pr-chart",
        c,
        ["recall", "precision"],
        |m| m.pr_curve.iter().map(|p| [p.recall, p.precision]).collect(),
        Some((
            "buyers' share",
            vec![[0.0, c.positive_rate], [1.0, c.positive_rate]],
        )),
    )
}

fn calibration_chart(c: &Comparison) -> String {
    curves_chart(
        "calibration-chart",
        c,
        ["mean predicted probability", "observed purchase rate"],
        |m| {
            m.calibration
                .iter()
                .filter(|b| b.customers > 0)
                .map(|b| [b.mean_predicted, b.observed_rate])
                .collect()
        },
        Some(("perfect", vec![[0.0, 0.0], [1.0, 1.0]])),
    )
}

fn gains_chart(c: &Comparison) -> String {
    curves_chart(
        "gains-chart",
        c,
        [
            "share of customers contacted (by score)",
            "share of buyers reached",
        ],
        |m| {
            std::iter::once([0.0, 0.0])
                .chain(
                    m.lift
                        .iter()
                        .map(|d| [f64::from(d.decile) / 10.0, d.cumulative_gain]),
                )
                .collect()
        },
        Some(("random", vec![[0.0, 0.0], [1.0, 1.0]])),
    )
}

fn lift_chart(c: &Comparison) -> String {
    let series: Vec<Value> = c
        .models
        .iter()
        .map(|m| json!({"name": model_label(&m.summary.name), "type": "bar", "data": m.lift.iter().map(|d| d.lift).collect::<Vec<_>>()}))
        .collect();
    let option = json!({
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0, "itemWidth": 16, "itemGap": 8, "textStyle": {"fontSize": 11}},
        "grid": {"left": 56, "right": 20, "top": 56, "bottom": 48},
        "xAxis": {"type": "category", "data": (1..=10).map(|d| format!("{d}")).collect::<Vec<_>>(),
                  "name": "decile (1 = highest scores)", "nameLocation": "middle", "nameGap": 28},
        "yAxis": {"type": "value", "name": "lift", "nameLocation": "middle", "nameGap": 36},
        "series": series,
    });
    chart("lift-chart", &option, 340)
}

fn importance_chart(c: &Comparison) -> String {
    let Some(served) = c.served() else {
        return note("The served model has no row in metrics.json.");
    };
    let mut features: Vec<(std::borrow::Cow<'_, str>, f64)> = served
        .feature_importance
        .iter()
        .map(|f| (column_label(&f.feature), f.importance))
        .collect();
    features.sort_by(|a, b| a.1.total_cmp(&b.1));
    let option = json!({
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 190, "right": 24, "top": 10, "bottom": 30},
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "data": features.iter().map(|f| f.0.as_ref()).collect::<Vec<_>>()},
        "series": [{"type": "bar", "data": features.iter().map(|f| f.1).collect::<Vec<_>>(),
                    "itemStyle": {"color": "#1e3a5f"}}],
    });
    chart("importance-chart", &option, 340)
}

fn confusion_card(m: &ModelReport) -> String {
    let matrix = |title: String, c: &Confusion| {
        format!(
            "<table class=\"confusion\"><caption>{title}</caption>\
<tr><th>bought \\ predicted</th><th class=\"num\">no</th><th class=\"num\">yes</th></tr>\
<tr><th>no</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\
<tr><th>yes</th><td class=\"num\">{}</td><td class=\"num\">{}</td></tr></table>",
            whole(c.tn as f64),
            whole(c.fp as f64),
            whole(c.fn_ as f64),
            whole(c.tp as f64),
        )
    };
    format!(
        "<div class=\"panel\"><b>{}</b>{}{}</div>",
        escape(&model_label(&m.summary.name)),
        matrix(
            format!(
                "threshold {}",
                decimal(m.summary.confusion_matrix.threshold, 2)
            ),
            &m.summary.confusion_matrix
        ),
        matrix(
            format!(
                "best F1: threshold {}",
                decimal(m.summary.confusion_matrix_best_f1.threshold, 3)
            ),
            &m.summary.confusion_matrix_best_f1
        ),
    )
}
