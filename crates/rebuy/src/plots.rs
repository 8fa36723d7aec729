//! Pictures for people who never open the dashboard: SVG files in the run folder.

use crate::run_folder::RunFolder;
use crate::segments::Segmentation;
use anyhow::{Result, anyhow};
use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use rebuy_features::{AsOf, CustomerFeatures, TimeUnit};
use rebuy_models::backtest::Backtest;
use rebuy_models::btyd::{
    BetaGeoModel, CalibrationHoldoutRow, CustomerSummary, FrequencyRecencyMatrix, HoldoutComparison,
};

const SIZE: (u32, u32) = (800, 500);
/// Most customers drawn per cluster in clusters.svg (every n-th beyond it): the picture
/// is built in memory, ~95 bytes a point, and a million points draw no better.
const MAX_SCATTER_POINTS_PER_CLUSTER: usize = 20_000;
/// Colour-blind-safe categorical palette (Okabe-Ito), then greys.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
    RGBColor(120, 120, 120),
    RGBColor(180, 180, 180),
];

/// `elbow.svg`, `silhouette.svg` and `clusters.svg`.
pub fn write_cluster_plots(
    folder: &RunFolder,
    features: &CustomerFeatures,
    segmentation: &Segmentation,
) -> Result<()> {
    let scores = &segmentation.sweep.scores;
    let chosen = segmentation.sweep.chosen_k;
    let points = |value: fn(&rebuy_models::segment::KScore) -> f64| -> Vec<(f64, f64)> {
        scores.iter().map(|s| (s.k as f64, value(s))).collect()
    };
    line_chart(
        folder,
        "elbow.svg",
        &format!("Elbow: within-cluster sum of squares by k (chosen k = {chosen})"),
        "inertia",
        &points(|s| s.inertia),
        chosen,
    )?;
    line_chart(
        folder,
        "silhouette.svg",
        &format!("Silhouette by k (higher is better separated; chosen k = {chosen})"),
        "silhouette",
        &points(|s| s.silhouette),
        chosen,
    )?;
    cluster_scatter(folder, features, segmentation)
}

fn line_chart(
    folder: &RunFolder,
    file: &str,
    title: &str,
    y_label: &str,
    points: &[(f64, f64)],
    chosen_k: usize,
) -> Result<()> {
    let path = folder.path(file);
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (x_min, x_max) = bounds(points.iter().map(|p| p.0));
    let (y_min, y_max) = bounds(points.iter().map(|p| p.1));
    let pad = (y_max - y_min).max(1e-9) * 0.08;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(x_min - 0.3..x_max + 0.3, y_min - pad..y_max + pad)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("k (number of clusters)")
        .y_desc(y_label)
        .x_labels(points.len())
        .x_label_formatter(&|k| format!("{k:.0}"))
        .draw()
        .map_err(plot_error)?;
    let blue = PALETTE[0];
    chart
        .draw_series(LineSeries::new(
            points.iter().copied(),
            blue.stroke_width(2),
        ))
        .map_err(plot_error)?;
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 4, blue.filled())))
        .map_err(plot_error)?;
    chart
        .draw_series(
            points
                .iter()
                .filter(|p| p.0 as usize == chosen_k)
                .map(|&p| Circle::new(p, 9, PALETTE[5].stroke_width(3))),
        )
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

fn cluster_scatter(
    folder: &RunFolder,
    features: &CustomerFeatures,
    s: &Segmentation,
) -> Result<()> {
    let path = folder.path("clusters.svg");
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (_, r_max) = bounds(features.recency_days.iter().copied());
    let (m_min, m_max) = bounds(features.monetary.iter().copied());
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Customers by cluster: recency vs spend (log scales)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (1f64..r_max.max(2.0) * 1.1).log_scale(),
            (m_min.max(0.01) * 0.9..m_max.max(1.0) * 1.1).log_scale(),
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("recency (days since last purchase)")
        .y_desc("monetary (total spend)")
        .draw()
        .map_err(plot_error)?;
    for profile in &s.profiles {
        let colour = PALETTE[profile.cluster % PALETTE.len()];
        let step = profile
            .customers
            .div_ceil(MAX_SCATTER_POINTS_PER_CLUSTER)
            .max(1);
        let members = (0..features.len())
            .filter(|&i| s.assignments[i] == profile.cluster)
            .step_by(step)
            .map(|i| {
                (
                    features.recency_days[i].max(1.0),
                    features.monetary[i].max(0.01),
                )
            });
        chart
            .draw_series(members.map(|p| Circle::new(p, 2, colour.mix(0.55).filled())))
            .map_err(plot_error)?
            .label(format!(
                "{} ({} customers)",
                profile.name, profile.customers
            ))
            .legend(move |(x, y)| Circle::new((x + 8, y), 5, colour.filled()));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// The series labels in a light box at `position`.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(position)
        .draw()
        .map_err(plot_error)
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

fn plot_error(error: impl std::fmt::Debug) -> anyhow::Error {
    anyhow!("drawing a chart: {error:?}")
}

/// Most rows and columns of a frequency/recency matrix picture.
const MATRIX_CELLS: usize = 60;
/// Sequential colour scale (viridis stops), low to high.
const VIRIDIS: [RGBColor; 5] = [
    RGBColor(68, 1, 84),
    RGBColor(59, 82, 139),
    RGBColor(33, 145, 140),
    RGBColor(94, 201, 98),
    RGBColor(253, 231, 37),
];
/// Cells where no customer can be.
const IMPOSSIBLE: RGBColor = RGBColor(225, 225, 225);

/// `btyd_expected_purchases.svg` and `btyd_p_alive.svg`: the transaction model on a
/// frequency x recency grid at the oldest customer's age (lifetimes'
/// `plot_frequency_recency_matrix` and `plot_probability_alive_matrix`).
pub fn write_btyd_matrices(
    folder: &RunFolder,
    model: &BetaGeoModel,
    summary: &CustomerSummary<'_>,
    horizon_days: u32,
    unit: TimeUnit,
) -> Result<()> {
    let t = summary.t().iter().copied().fold(0.0, f64::max);
    let frequencies = grid_frequencies(summary.frequency());
    let columns = (t.ceil() as usize + 1).clamp(2, MATRIX_CELLS);
    let recencies: Vec<f64> = (0..columns)
        .map(|i| t * i as f64 / (columns - 1) as f64)
        .collect();
    let matrix = model.frequency_recency_matrix(
        &frequencies,
        &recencies,
        t,
        unit.days_to_units(f64::from(horizon_days)),
    )?;
    let name = model.variant.name();
    let age = format!("customers aged {t:.0} {unit}");
    heatmap(
        folder,
        "btyd_expected_purchases.svg",
        &format!("Expected purchases in the next {horizon_days} days ({name}, {age})"),
        &matrix,
        &matrix.expected_purchases,
        "expected purchases",
        unit,
    )?;
    heatmap(
        folder,
        "btyd_p_alive.svg",
        &format!("Probability that a customer is alive ({name}, {age})"),
        &matrix,
        &matrix.probability_alive,
        "P(alive)",
        unit,
    )
}

/// Frequencies 0 to the 99th percentile of the customers' (at least 1), at most
/// [`MATRIX_CELLS`] rows: the few heaviest buyers would squeeze everyone else into a
/// corner.
fn grid_frequencies(frequency: &[f64]) -> Vec<f64> {
    let mut sorted = frequency.to_vec();
    sorted.sort_by(f64::total_cmp);
    let p99 = sorted
        .get((sorted.len() * 99 / 100).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(1.0);
    let top = p99.max(1.0);
    let rows = (top as usize + 1).min(MATRIX_CELLS);
    (0..rows)
        .map(|i| (top * i as f64 / (rows - 1) as f64).round())
        .collect()
}

fn heatmap(
    folder: &RunFolder,
    file: &str,
    title: &str,
    matrix: &FrequencyRecencyMatrix,
    values: &[Option<f64>],
    value_name: &str,
    unit: TimeUnit,
) -> Result<()> {
    let path = folder.path(file);
    let root = SVGBackend::new(&path, (900, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let root = root.titled(title, ("sans-serif", 18)).map_err(plot_error)?;
    let (plot_area, bar_area) = root.split_horizontally(760);
    let (low, high) = bounds(values.iter().flatten().copied());
    let (low, high) = if high > low {
        (low, high)
    } else {
        (low, low + 1.0)
    };
    let (f_edges, r_edges) = (
        cell_edges(&matrix.frequencies),
        cell_edges(&matrix.recencies),
    );
    let span = |edges: &[(f64, f64)]| edges[0].0..edges[edges.len() - 1].1;
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(
            "grey: no customer can be there (a recency above 0 needs a repeat purchase)",
            ("sans-serif", 13),
        )
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(70)
        .build_cartesian_2d(span(&f_edges), span(&r_edges))
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc("frequency (repeat purchase days)")
        .y_desc(format!("recency (age at last purchase, {unit})"))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(plot_error)?;
    let columns = r_edges.len();
    let cells = f_edges
        .iter()
        .enumerate()
        .flat_map(|(row, &(f_low, f_high))| {
            r_edges
                .iter()
                .enumerate()
                .map(move |(column, &(r_low, r_high))| {
                    let colour = values[row * columns + column]
                        .map_or(IMPOSSIBLE, |v| colour_scale((v - low) / (high - low)));
                    Rectangle::new([(f_low, r_low), (f_high, r_high)], colour.filled())
                })
        });
    chart.draw_series(cells).map_err(plot_error)?;
    colour_bar(&bar_area, value_name, low, high)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// The extent of each cell of a grid axis: halfway to its neighbours (one unit wide for
/// a single value).
fn cell_edges(axis: &[f64]) -> Vec<(f64, f64)> {
    if axis.len() < 2 {
        return axis.iter().map(|&v| (v - 0.5, v + 0.5)).collect();
    }
    let last = axis.len() - 1;
    let middle = |i: usize| (axis[i] + axis[i + 1]) / 2.0;
    (0..axis.len())
        .map(|i| {
            let low = if i == 0 {
                1.5 * axis[0] - 0.5 * axis[1]
            } else {
                middle(i - 1)
            };
            let high = if i == last {
                1.5 * axis[last] - 0.5 * axis[last - 1]
            } else {
                middle(i)
            };
            (low, high)
        })
        .collect()
}

/// The colour scale's legend: a vertical bar from `low` to `high`.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    value_name: &str,
    low: f64,
    high: f64,
) -> Result<()> {
    let mut bar = ChartBuilder::on(area)
        .margin_top(12)
        .margin_bottom(60)
        .margin_right(12)
        .y_label_area_size(60)
        .caption(value_name, ("sans-serif", 14))
        .build_cartesian_2d(0.0..1.0, low..high)
        .map_err(plot_error)?;
    bar.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(plot_error)?;
    let steps = 100;
    bar.draw_series((0..steps).map(|i| {
        let (from, to) = (i as f64 / steps as f64, (i + 1) as f64 / steps as f64);
        Rectangle::new(
            [
                (0.0, low + from * (high - low)),
                (1.0, low + to * (high - low)),
            ],
            colour_scale((from + to) / 2.0).filled(),
        )
    }))
    .map_err(plot_error)?;
    Ok(())
}

/// The viridis colour of a value in [0, 1], by linear interpolation between stops.
fn colour_scale(value: f64) -> RGBColor {
    let position = value.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let below = (position.floor() as usize).min(VIRIDIS.len() - 2);
    let share = position - below as f64;
    let (from, to) = (VIRIDIS[below], VIRIDIS[below + 1]);
    let mix = |a: u8, b: u8| (f64::from(a) + share * (f64::from(b) - f64::from(a))).round() as u8;
    RGBColor(mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2))
}

/// One number of a calibration vs hold-out row.
type RowValue = fn(&CalibrationHoldoutRow) -> f64;

/// `btyd_calibration_holdout.svg`: mean purchases in the hold-out vs the model's
/// expectation, by calibration frequency (lifetimes'
/// `plot_calibration_purchases_vs_holdout_purchases`).
pub fn write_calibration_holdout(
    folder: &RunFolder,
    rows: &[CalibrationHoldoutRow],
    fitted_at: AsOf,
    holdout_from: AsOf,
    horizon_days: u32,
) -> Result<()> {
    let path = folder.path("btyd_calibration_holdout.svg");
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let root = root
        .titled(
            &format!(
                "BG/NBD calibration vs hold-out: customers at {holdout_from}, their next {horizon_days} days"
            ),
            ("sans-serif", 18),
        )
        .map_err(plot_error)?;
    let (_, y_max) = bounds(rows.iter().flat_map(|r| [r.mean_actual, r.mean_expected]));
    let x_max = rows.last().map_or(1, |r| r.frequency) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("model fitted on the customers at {fitted_at}; numbers: customers per group"),
            ("sans-serif", 13),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5..x_max + 0.5, 0.0..y_max.max(0.1) * 1.12)
        .map_err(plot_error)?;
    let group_label = |x: &f64| {
        rows.iter()
            .find(|r| (r.frequency as f64 - x).abs() < 1e-9)
            .map_or(String::new(), |r| {
                let plus = if r.open_ended { "+" } else { "" };
                format!("{}{plus} (n={})", r.frequency, r.customers)
            })
    };
    chart
        .configure_mesh()
        .x_desc("purchases (repeat purchase days) in the calibration period")
        .y_desc(format!("mean purchases in the {horizon_days}-day hold-out"))
        .x_labels(rows.len() * 2 + 1)
        .x_label_formatter(&group_label)
        .draw()
        .map_err(plot_error)?;
    let series: [(&str, RGBColor, RowValue); 2] = [
        ("actual (mean in the hold-out)", PALETTE[0], |r| {
            r.mean_actual
        }),
        ("model (BG/NBD expected)", PALETTE[5], |r| r.mean_expected),
    ];
    for (label, colour, value) in series {
        let points: Vec<(f64, f64)> = rows
            .iter()
            .map(|r| (r.frequency as f64, value(r)))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(plot_error)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 4, colour.filled())),
            )
            .map_err(plot_error)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// `btyd_tracking.svg`: the customers' cumulative purchases in the hold-out period of
/// the transaction models' comparison, actual and as each model expected them (the
/// tracking plot of lifetimes and CLVTools, over the hold-out period).
pub fn write_tracking(folder: &RunFolder, comparison: &HoldoutComparison) -> Result<()> {
    let path = folder.path("btyd_tracking.svg");
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let root = root
        .titled(
            &format!(
                "Cumulative purchases in the {} days from {}: actual vs expected",
                comparison.holdout_days, comparison.calibration_end
            ),
            ("sans-serif", 18),
        )
        .map_err(plot_error)?;
    let days = &comparison.tracking_days;
    let (_, y_max) = bounds(
        comparison
            .tracking_actual
            .iter()
            .chain(comparison.models.iter().flat_map(|m| &m.tracking_expected))
            .copied(),
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "{} customers with history before {}; models fitted on that history",
                comparison.customers, comparison.calibration_end
            ),
            ("sans-serif", 13),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(
            0.0..f64::from(comparison.holdout_days),
            0.0..y_max.max(1.0) * 1.08,
        )
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .x_desc("days into the hold-out period")
        .y_desc("cumulative purchases (purchase days)")
        .x_label_formatter(&|day| format!("{day:.0}"))
        .y_label_formatter(&|count| format!("{count:.0}"))
        .draw()
        .map_err(plot_error)?;
    let line = |values: &[f64]| -> Vec<(f64, f64)> {
        std::iter::once((0.0, 0.0))
            .chain(days.iter().zip(values).map(|(&d, &v)| (f64::from(d), v)))
            .collect()
    };
    let mut series = vec![(
        "actual".to_string(),
        PALETTE[7],
        line(&comparison.tracking_actual),
    )];
    for (i, model) in comparison.models.iter().enumerate() {
        if model.tracking_expected.is_empty() {
            continue;
        }
        let serves = if comparison.chosen.as_deref() == Some(model.model.as_str()) {
            ", serves"
        } else {
            ""
        };
        series.push((
            format!("{} expected{serves}", model.model),
            PALETTE[i % 7],
            line(&model.tracking_expected),
        ));
    }
    for (label, colour, points) in series {
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))
            .map_err(plot_error)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    root.present().map_err(plot_error)?;
    Ok(())
}

/// `backtest.svg`: every model's test ROC-AUC at each backtest cutoff, oldest first.
pub fn write_backtest(folder: &RunFolder, backtest: &Backtest) -> Result<()> {
    let path = folder.path("backtest.svg");
    let root = SVGBackend::new(&path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let root = root
        .titled(
            &format!(
                "Backtest: test ROC-AUC at each cutoff (buy in the next {} days)",
                backtest.horizon_days
            ),
            ("sans-serif", 18),
        )
        .map_err(plot_error)?;
    let cutoffs: Vec<&rebuy_models::backtest::Cutoff> = backtest.cutoffs.iter().rev().collect();
    let (lo, hi) = bounds(
        cutoffs
            .iter()
            .flat_map(|c| c.models.iter().map(|m| m.roc_auc)),
    );
    let last = cutoffs.len().saturating_sub(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "each model fitted at the cutoff minus the horizon, tested at the cutoff",
            ("sans-serif", 13),
        )
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(-0.3..last + 0.3, (lo - 0.02).max(0.0)..(hi + 0.02).min(1.0))
        .map_err(plot_error)?;
    let date_of = |x: &f64| {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        cutoffs
            .get(i as usize)
            .map_or(String::new(), |c| c.test_as_of.clone())
    };
    chart
        .configure_mesh()
        .x_desc("cutoff (test date)")
        .y_desc("test ROC-AUC")
        .x_labels(cutoffs.len().max(2) * 2 + 1)
        .x_label_formatter(&date_of)
        .y_label_formatter(&|v| format!("{v:.2}"))
        .draw()
        .map_err(plot_error)?;
    let names: Vec<&str> = backtest
        .summary
        .iter()
        .map(|s| s.name.as_str())
        .filter(|&n| n != rebuy_models::backtest::SERVED)
        .collect();
    for (i, name) in names.iter().enumerate() {
        let points: Vec<(f64, f64)> = cutoffs
            .iter()
            .enumerate()
            .filter_map(|(x, c)| {
                let model = c.models.iter().find(|m| m.name == *name)?;
                Some((x as f64, model.roc_auc))
            })
            .collect();
        let colour = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
            .map_err(plot_error)?
            .label(rebuy_server::labels::model_label(name))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Circle::new(p, 3, colour.filled())),
            )
            .map_err(plot_error)?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present().map_err(plot_error)?;
    Ok(())
}
