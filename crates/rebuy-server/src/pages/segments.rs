//! Segments: the RFM segment map and, when the run has them, the KMeans clusters.

use crate::auth::sessions::SignedIn;
use crate::history::picked::Picked;
use crate::html::{
    Page, chart, decimal, escape, json_element, note, page, percent, url_encode, whole,
};
use crate::labels::column_label;
use crate::run::{Clustering, RunData, segment_action};
use axum::Extension;
use axum::response::Html;
use serde_json::{Value, json};

/// One colour per segment name of the default map, so a segment keeps its colour.
pub(crate) fn segment_color(name: &str) -> &'static str {
    match name {
        "Champions" => "#15803d",
        "Loyal Customers" => "#22c55e",
        "Potential Loyalists" => "#84cc16",
        "New Customers" => "#06b6d4",
        "Promising" => "#38bdf8",
        "Need Attention" => "#eab308",
        "About to Sleep" => "#f59e0b",
        "At Risk" => "#f97316",
        "Can't Lose Them" => "#dc2626",
        "Hibernating" => "#9ca3af",
        _ => "#6366f1",
    }
}

/// In `--k auto`, the elbow is kept unless its silhouette is below this share of the
/// best (rebuy_models::segment::ELBOW_SILHOUETTE_FRACTION, the rule the run applied).
const ELBOW_SILHOUETTE_SHARE: f64 = rebuy_models::segment::ELBOW_SILHOUETTE_FRACTION;

const CLUSTER_COLORS: [&str; 8] = [
    "#2563eb", "#f59e0b", "#10b981", "#dc2626", "#8b5cf6", "#0891b2", "#db2777", "#65a30d",
];

pub async fn segments(picked: Picked, signed_in: Option<Extension<SignedIn>>) -> Html<String> {
    let run = &picked.run;
    Html(page(
        &picked,
        signed_in.as_deref(),
        Page::Segments,
        &segments_body(run),
        run.clustering.is_some(),
    ))
}

/// The page's content (also a section of `report.html`).
pub fn segments_body(run: &RunData) -> String {
    let clusters = match (&run.clustering, &run.clustering_skipped) {
        (Some(clustering), _) => clusters(run, clustering),
        (None, Some(reason)) => note(&format!(
            "This run has no KMeans clusters: {}.",
            escape(reason.trim_end_matches('.'))
        )),
        (None, None) => note(
            "No KMeans clusters in this run yet: <code>segments.json</code> comes with \
             <code>rebuy run</code> once clustering is integrated.",
        ),
    };
    format!(
        "<h1>Segments</h1><p class=\"lead\">RFM segments{at}: each customer scored 1-5 on recency (R), \
frequency (F) and net spend (M) against the other customers, then named from the R x F grid.</p>\
<div class=\"two\"><div class=\"panel\">{grid}</div><div class=\"panel\">{shares}</div></div>\
<div class=\"panel\">{table}</div><h2>Behavioural clusters (KMeans)</h2>{clusters}",
        at = run.period.as_of.map_or_else(String::new, |d| {
            format!(" at the as-of date {d} (the sales before it)")
        }),
        grid = rf_grid(run),
        shares = shares(run),
        table = segment_table(run),
    )
}

fn rf_grid(run: &RunData) -> String {
    let data: Vec<Value> = run
        .rf_cells
        .iter()
        .map(|c| {
            json!({
                "value": [c.f_score.saturating_sub(1), c.r_score.saturating_sub(1), c.customers],
                "name": format!("{}\n{}", c.segment, c.customers),
                "itemStyle": {"color": segment_color(&c.segment)},
            })
        })
        .collect();
    let option = json!({
        "title": {"text": "Segment map: customers per R x F cell", "textStyle": {"fontSize": 14}},
        "tooltip": {"formatter": "{b} customers"},
        "grid": {"left": 70, "right": 20, "top": 40, "bottom": 50},
        "xAxis": {"type": "category", "data": ["1", "2", "3", "4", "5"], "name": "F (frequency score)",
                  "nameLocation": "middle", "nameGap": 28, "splitArea": {"show": true}},
        "yAxis": {"type": "category", "data": ["1", "2", "3", "4", "5"], "name": "R (recency score)",
                  "nameLocation": "middle", "nameGap": 30, "splitArea": {"show": true}},
        "series": [{
            "type": "heatmap", "data": data,
            "label": {"show": true, "formatter": "{b}", "fontSize": 10, "lineHeight": 13, "color": "#fff",
                      "textBorderColor": "rgba(0,0,0,.35)", "textBorderWidth": 2},
            "itemStyle": {"borderColor": "#fff", "borderWidth": 2}
        }]
    });
    chart("segment-map", &option, 380)
}

fn shares(run: &RunData) -> String {
    let customers = run.overview.customers.max(1) as f64;
    let net_spend = run.overview.net_spend.max(f64::MIN_POSITIVE);
    // Smallest first: a horizontal bar chart draws the first category at the bottom.
    let segments: Vec<_> = run.segments.iter().rev().collect();
    let round = |x: f64| (x * 1000.0).round() / 10.0;
    let option = json!({
        "title": {"text": "Share of customers and of net spend (%)", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 24},
        "grid": {"left": 130, "right": 30, "top": 60, "bottom": 30},
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"}},
        "yAxis": {"type": "category", "data": segments.iter().map(|s| &s.name).collect::<Vec<_>>()},
        "series": [
            {"type": "bar", "name": "customers", "itemStyle": {"color": "#93c5fd"},
             "data": segments.iter().map(|s| round(s.customers as f64 / customers)).collect::<Vec<_>>()},
            {"type": "bar", "name": "net spend", "itemStyle": {"color": "#1e3a5f"},
             "data": segments.iter().map(|s| round(s.net_spend / net_spend)).collect::<Vec<_>>()}
        ]
    });
    chart("segment-shares", &option, 380)
}

fn segment_table(run: &RunData) -> String {
    let customers = run.overview.customers.max(1) as f64;
    let net_spend = run.overview.net_spend.max(f64::MIN_POSITIVE);
    let rows: String = run
        .segments
        .iter()
        .map(|s| {
            format!(
                "<tr><td><span class=\"pill\" data-color=\"{color}\">{name}</span></td>\
<td class=\"num\">{count}</td><td class=\"num\">{count_share}</td><td class=\"num\">{spend}</td>\
<td class=\"num\">{spend_share}</td><td class=\"num\">{recency}</td><td class=\"num\">{frequency}</td>\
<td class=\"num\">{mean_spend}</td><td class=\"action\">{action}</td>\
<td class=\"nowrap\"><a href=\"{list}\">list</a> &middot; <a href=\"{csv}\">CSV</a></td></tr>",
                list = run.href(&format!("/customers?segment={}", url_encode(&s.name))),
                csv = run.href(&format!("/api/customers.csv?segment={}", url_encode(&s.name))),
                color = segment_color(&s.name),
                name = escape(&s.name),
                count = whole(s.customers as f64),
                count_share = percent(s.customers as f64 / customers),
                spend = run.money.whole(s.net_spend),
                spend_share = percent(s.net_spend / net_spend),
                recency = whole(s.mean_recency_days),
                frequency = decimal(s.mean_frequency, 1),
                mean_spend = run.money.whole(s.mean_monetary),
                action = escape(segment_action(&s.name)),
            )
        })
        .collect();
    format!(
        "<table class=\"segments\"><tr><th>segment</th><th class=\"num\">customers</th><th class=\"num\">% customers</th>\
<th class=\"num\">net spend</th><th class=\"num\">% net spend</th><th class=\"num\">avg days since last order</th>\
<th class=\"num\">avg orders</th><th class=\"num\">avg net spend</th><th>what to do</th><th>export</th></tr>{rows}</table>"
    )
}

fn clusters(run: &RunData, clustering: &Clustering) -> String {
    let scatter = if run.cluster_points.is_empty() {
        note(
            "customers.csv has no <code>cluster_name</code> column, so the scatter plot is missing.",
        )
    } else {
        cluster_scatter(run)
    };
    format!(
        "<p class=\"lead\">Customers grouped by KMeans on recency, frequency and net spend.</p>\
<div class=\"panel\" id=\"k-choice\"><h2 class=\"top\">Why {k} clusters</h2>{why}</div>\
<div class=\"panel\">{scatter}</div><div class=\"two\"><div class=\"panel\">{elbow}</div>\
<div class=\"panel\">{silhouette}</div></div><div class=\"panel\">{profiles}</div>",
        k = clustering
            .chosen_k
            .map_or_else(|| "these".to_string(), |k| k.to_string()),
        why = k_choice_words(clustering),
        elbow = sweep_chart(
            clustering,
            "elbow",
            "Elbow: inertia by k (lower = tighter clusters)",
            |p| p.inertia
        ),
        silhouette = sweep_chart(
            clustering,
            "silhouette",
            "Silhouette by k (higher = better separated)",
            |p| p.silhouette
        ),
        profiles = cluster_profiles(run, clustering),
    )
}

/// The choice of k in plain words, from what segments.json records: the elbow, the
/// silhouettes, and whether k was forced; the run's own sentence below it.
fn k_choice_words(clustering: &Clustering) -> String {
    let technical = clustering.reason.as_deref().map_or_else(String::new, |r| {
        format!(
            "<details><summary class=\"muted\">The run's reason, as recorded</summary>\
             <p class=\"muted\">{}.</p></details>",
            escape(r.trim_end_matches('.'))
        )
    });
    let Some(k) = clustering.chosen_k else {
        return format!("<p>segments.json does not say which k the run chose.</p>{technical}");
    };
    let silhouette_of = |k: u32| {
        clustering
            .sweep
            .iter()
            .find(|p| p.k == k)
            .and_then(|p| p.silhouette)
    };
    let best = clustering
        .sweep
        .iter()
        .filter_map(|p| p.silhouette.map(|s| (p.k, s)))
        .fold(None, |best: Option<(u32, f64)>, (k, s)| match best {
            Some((_, b)) if b >= s => best,
            _ => Some((k, s)),
        });
    let tried = match (clustering.sweep.first(), clustering.sweep.last()) {
        (Some(first), Some(last)) if first.k != last.k => {
            format!("The run tried {} to {} clusters. ", first.k, last.k)
        }
        _ => String::new(),
    };
    let elbow = match clustering.knee {
        Some(knee) => format!(
            "More clusters always fit the customers more tightly (inertia, left chart, goes \
             down), but past <b>k = {knee}</b> each extra cluster gains much less: that bend is \
             the elbow. "
        ),
        None => "The inertia curve (left chart) bends nowhere clearly: it has no elbow. ".into(),
    };
    let silhouette_words = |k: u32| match (silhouette_of(k), best) {
        (Some(s), Some((best_k, _))) if best_k == k => format!(
            "At k = {k} the clusters are the best separated of all (silhouette {s:.2}; 1 would \
             be perfectly apart, 0 overlapping)."
        ),
        (Some(s), Some((best_k, best_s))) => format!(
            "At k = {k} the silhouette, how clearly each customer sits in its own cluster rather \
             than the next (1 = perfectly apart, 0 = overlapping), is {s:.2}, against the best \
             {best_s:.2} at k = {best_k} ({:.0}% of it).",
            100.0 * s / best_s
        ),
        _ => String::new(),
    };
    let fraction = ELBOW_SILHOUETTE_SHARE * 100.0;
    let decision = if let Some(fixed) = clustering.fixed_k() {
        format!(
            "<b>k = {fixed} was set with <code>--k {fixed}</code></b>, so the run used it \
             whatever the scores say. {}",
            silhouette_words(k)
        )
    } else {
        match clustering.knee {
            Some(knee) if knee == k => format!(
                "{} The clusters at the elbow separate well enough (a silhouette of at least \
                 {fraction:.0}% of the best), so the run kept the elbow: <b>k = {k}</b>.",
                silhouette_words(k)
            ),
            Some(knee) => format!(
                "{} Below {fraction:.0}% of the best, the clusters at the elbow overlap too much, \
                 so the run chose the best separated: <b>k = {k}</b>. Ask for more clusters with \
                 <code>rebuy run --k {knee}</code> if you need finer groups (they overlap more).",
                silhouette_words(knee)
            ),
            None => format!(
                "So the run chose the best separated clusters: <b>k = {k}</b>. {}",
                silhouette_words(k)
            ),
        }
    };
    let sample = match clustering.fit_customer_share {
        Some(share) if share < 1.0 => format!(
            " k was chosen and the clusters fitted on a sample of {} of the customers; every \
             customer was then put in the nearest cluster.",
            percent(share)
        ),
        _ => String::new(),
    };
    format!("<p>{tried}{elbow}{decision}{sample}</p>{technical}")
}

/// A 3D R/F/M scatter with echarts-gl, or a 2D recency x spend scatter when the
/// browser has no WebGL.
fn cluster_scatter(run: &RunData) -> String {
    let series = |kind: &str| -> Vec<Value> {
        run.cluster_points
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let data: Vec<Value> = c
                    .points
                    .iter()
                    .map(|p| if kind == "scatter3D" { json!(p) } else { json!([p[0], p[2], p[1]]) })
                    .collect();
                json!({"type": kind, "name": c.name, "data": data, "symbolSize": 6,
                       "itemStyle": {"color": CLUSTER_COLORS[i % CLUSTER_COLORS.len()], "opacity": 0.8}})
            })
            .collect()
    };
    let names: Vec<&str> = run.cluster_points.iter().map(|c| c.name.as_str()).collect();
    let three_d = json!({
        "title": {"text": "Clusters in R / F / M (drag to rotate)", "textStyle": {"fontSize": 14}},
        "tooltip": {},
        "legend": {"data": names, "top": 24},
        "grid3D": {"boxWidth": 130, "boxDepth": 90, "boxHeight": 90,
                   "viewControl": {"distance": 210, "alpha": 18, "beta": 40},
                   "axisLabel": {"textStyle": {"fontSize": 13, "color": "#374151"}},
                   "axisPointer": {"show": false}},
        "xAxis3D": {"type": "value", "name": "days since last order", "nameTextStyle": {"fontSize": 14}},
        "yAxis3D": {"type": "log", "name": "orders", "nameTextStyle": {"fontSize": 14}},
        "zAxis3D": {"type": "log", "name": "net spend", "nameTextStyle": {"fontSize": 14}},
        "series": series("scatter3D"),
    });
    let two_d = json!({
        "title": {"text": "Clusters: days since last order vs net spend", "textStyle": {"fontSize": 14}},
        "tooltip": {},
        "legend": {"data": names, "top": 24},
        "grid": {"left": 70, "right": 30, "top": 60, "bottom": 50},
        "xAxis": {"type": "value", "name": "days since last order", "nameLocation": "middle", "nameGap": 30},
        "yAxis": {"type": "log", "name": "net spend"},
        "series": series("scatter"),
    });
    // The spend axis is logarithmic (spend spans orders of magnitude), so customers who
    // returned as much as they bought cannot be drawn on it; say so rather than lose them.
    let not_drawn = run
        .customers
        .required("monetary")
        .iter()
        .filter(|&m| m <= 0.0)
        .count();
    let not_drawn = if not_drawn > 0 {
        format!(
            "<p class=\"muted\" id=\"cluster-scatter-not-drawn\">{} customers with a net spend \
             of zero or less are not drawn: the spend axis is logarithmic. They are in the \
             profiles below.</p>",
            whole(not_drawn as f64)
        )
    } else {
        String::new()
    };
    format!(
        "{}{not_drawn}<p class=\"muted\" id=\"cluster-scatter-note\" hidden>This browser has \
no WebGL: showing a flat scatter instead of the 3D one.</p>{}",
        chart("cluster-scatter", &three_d, 460),
        json_element("data-chart-flat=\"cluster-scatter\"", &two_d)
    )
}

fn sweep_chart(
    clustering: &Clustering,
    id: &str,
    title: &str,
    value: impl Fn(&crate::run::SweepPoint) -> Option<f64>,
) -> String {
    let points: Vec<(u32, f64)> = clustering
        .sweep
        .iter()
        .filter_map(|p| value(p).map(|v| (p.k, v)))
        .collect();
    if points.is_empty() {
        return note(&format!("segments.json has no {id} values."));
    }
    let mut chosen: Vec<Value> = points
        .iter()
        .filter(|(k, _)| Some(*k) == clustering.chosen_k)
        .map(|(k, _)| json!({"xAxis": k.to_string()}))
        .collect();
    // The elbow, where the run did not choose it.
    if let Some(knee) = clustering.knee.filter(|&k| Some(k) != clustering.chosen_k) {
        chosen.push(
            json!({"xAxis": knee.to_string(), "label": {"formatter": "elbow"},
                           "lineStyle": {"color": "#9ca3af", "type": "dotted"}}),
        );
    }
    let option = json!({
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 60, "right": 20, "top": 50, "bottom": 40},
        "xAxis": {"type": "category", "name": "k", "data": points.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>()},
        "yAxis": {"type": "value", "scale": true},
        "series": [{"type": "line", "name": id, "data": points.iter().map(|(_, v)| v).collect::<Vec<_>>(),
                    "itemStyle": {"color": "#1e3a5f"}, "symbolSize": 8,
                    "markLine": {"symbol": "none", "data": chosen, "lineStyle": {"color": "#f59e0b", "width": 2},
                                 "label": {"formatter": "chosen k", "color": "#b45309"}}}]
    });
    chart(&format!("cluster-{id}"), &option, 300)
}

/// The heading of a measure of segments.json's cluster profiles.
fn profile_label(key: &str) -> std::borrow::Cow<'_, str> {
    let known = match key {
        "customers" => "customers",
        "customer_share" => "share of customers",
        "revenue_share" => "share of net spend",
        "median_recency_days" => "days since last order (median)",
        "median_frequency" => "orders (median)",
        "median_monetary" => "net spend (median)",
        "mean_recency_days" => "days since last order (mean)",
        "mean_frequency" => "orders (mean)",
        "mean_monetary" => "net spend (mean)",
        "dominant_segment" => "most common RFM segment",
        "dominant_segment_share" => "share in that segment",
        other => return column_label(other),
    };
    std::borrow::Cow::Borrowed(known)
}

/// The order of the profile rows: size, then the medians the names come from, then
/// the means and the rest.
fn profile_order(key: &str) -> usize {
    [
        "customers",
        "customer_share",
        "revenue_share",
        "median_recency_days",
        "median_frequency",
        "median_monetary",
        "mean_recency_days",
        "mean_frequency",
        "mean_monetary",
        "dominant_segment",
        "dominant_segment_share",
    ]
    .iter()
    .position(|k| *k == key)
    .unwrap_or(usize::MAX)
}

/// One column per cluster, one row per measure: fits the page for any k.
fn cluster_profiles(run: &RunData, clustering: &Clustering) -> String {
    let Some(first) = clustering.clusters.first() else {
        return note("segments.json lists no cluster profiles.");
    };
    let mut keys: Vec<&String> = first
        .keys()
        .filter(|k| !matches!(k.as_str(), "cluster" | "name"))
        .collect();
    keys.sort_by_key(|k| profile_order(k));
    let header: String = clustering
        .clusters
        .iter()
        .map(|cluster| {
            let name = match (cluster.get("name"), cluster.get("cluster")) {
                (Some(Value::String(name)), _) => escape(name),
                (_, Some(id)) => format!("cluster {id}"),
                _ => String::new(),
            };
            format!("<th class=\"num\">{name}</th>")
        })
        .collect();
    let rows: String = keys
        .iter()
        .map(|k| {
            let cells: String = clustering
                .clusters
                .iter()
                .map(|cluster| match cluster.get(*k) {
                    Some(Value::Number(n)) => {
                        let v = n.as_f64().unwrap_or(0.0);
                        let text = if k.ends_with("_share") {
                            percent(v)
                        } else if k.ends_with("_monetary") {
                            run.money.cents(v)
                        } else if v.fract() == 0.0 {
                            whole(v)
                        } else {
                            decimal(v, 1)
                        };
                        format!("<td class=\"num\">{text}</td>")
                    }
                    Some(Value::String(s)) => format!("<td class=\"num\">{}</td>", escape(s)),
                    Some(other) => format!("<td class=\"num\">{}</td>", escape(&other.to_string())),
                    None => "<td></td>".to_string(),
                })
                .collect();
            format!("<tr><td>{}</td>{cells}</tr>", escape(&profile_label(k)))
        })
        .collect();
    format!(
        "<h2 class=\"top\">Cluster profiles</h2><p class=\"muted\">A cluster's \
         name comes from its medians: two clusters get different words for recency, orders or \
         spend only where their medians differ by at least a quarter (of one plus the value), \
         in the direction the words say.</p>\
         <table id=\"cluster-profiles\"><tr><th></th>{header}</tr>{rows}</table>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::SweepPoint;

    /// A sweep of k = 2..=5 with these silhouettes.
    fn sweep(silhouettes: [f64; 4], knee: Option<u32>, chosen_k: u32) -> Clustering {
        Clustering {
            chosen_k: Some(chosen_k),
            knee,
            sweep: (2..=5)
                .zip(silhouettes)
                .map(|(k, s)| SweepPoint {
                    k,
                    silhouette: Some(s),
                    ..SweepPoint::default()
                })
                .collect(),
            ..Clustering::default()
        }
    }

    #[test]
    fn the_choice_of_k_is_said_as_the_run_made_it() {
        let kept = k_choice_words(&sweep([0.41, 0.30, 0.35, 0.28], Some(4), 4));
        assert!(kept.contains("tried 2 to 5 clusters"), "{kept}");
        assert!(kept.contains("past <b>k = 4</b>"), "{kept}");
        assert!(
            kept.contains("so the run kept the elbow: <b>k = 4</b>"),
            "{kept}"
        );
        assert!(kept.contains("is 0.35, against the best 0.41 at k = 2 (85% of it)"));

        let vetoed = k_choice_words(&sweep([0.41, 0.30, 0.25, 0.28], Some(4), 2));
        assert!(vetoed.contains("overlap too much"), "{vetoed}");
        assert!(
            vetoed.contains("the best separated: <b>k = 2</b>"),
            "{vetoed}"
        );
        assert!(vetoed.contains("rebuy run --k 4"), "{vetoed}");

        let no_elbow = k_choice_words(&sweep([0.41, 0.30, 0.25, 0.28], None, 2));
        assert!(no_elbow.contains("has no elbow"), "{no_elbow}");
        assert!(no_elbow.contains("best separated of all (silhouette 0.41"));

        let mut fixed = sweep([0.41, 0.30, 0.25, 0.28], Some(4), 5);
        fixed.k_choice = Some(json!({"Fixed": 5}));
        let fixed = k_choice_words(&fixed);
        assert!(fixed.contains("set with <code>--k 5</code>"), "{fixed}");
        assert!(fixed.contains("is 0.28, against the best 0.41"), "{fixed}");
    }
}
