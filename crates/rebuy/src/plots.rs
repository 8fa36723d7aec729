//! Pictures for people who never open the dashboard: SVG files in the run folder.

use crate::run_folder::RunFolder;
use crate::segments::Segmentation;
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use rebuy_features::CustomerFeatures;

const SIZE: (u32, u32) = (800, 500);
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
        let members = (0..features.len())
            .filter(|&i| s.assignments[i] == profile.cluster)
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
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(plot_error)?;
    root.present().map_err(plot_error)?;
    Ok(())
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
