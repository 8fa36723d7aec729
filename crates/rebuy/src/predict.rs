//! `rebuy predict` and `rebuy score`: a run's chosen purchase model applied to one
//! customer typed in (with their RFM segment and cluster), or to a table of customers.

use crate::cli::{PredictArgs, ScoreArgs};
use crate::exit::InputError;
use crate::purchase::{self, MISSING_VALUES, ModelFile};
use anyhow::{Context, Result};
use rebuy_features::SegmentMap;
use rebuy_models::classifier::AnyClassifier;
use rebuy_models::kmeans::KMeans;
use rebuy_models::rfm::{score_against, suggested_action};
use rebuy_models::scale::Scaler;
use serde::Deserialize;
use serde_json::json;
use std::path::Path;

/// The run's chosen purchase model, from `metrics.json` and `models/<chosen>.json`.
fn load_chosen(run: &Path) -> Result<(ModelFile, AnyClassifier)> {
    let path = run.join("metrics.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        InputError(format!(
            "{}: {e} (is {} a run folder written by `rebuy run`?)",
            path.display(),
            run.display()
        ))
    })?;
    let metrics: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| InputError(format!("{}: not JSON: {e}", path.display())))?;
    if let Some(reason) = metrics.get("skipped").and_then(|v| v.as_str()) {
        return Err(InputError(format!(
            "the run {} has no purchase model: {reason}",
            run.display()
        ))
        .into());
    }
    let chosen = metrics
        .get("chosen")
        .and_then(|v| v.as_str())
        .ok_or_else(|| InputError(format!("{} names no chosen model", path.display())))?;
    ModelFile::load(&run.join("models").join(format!("{chosen}.json")))
        .map_err(|e| InputError(format!("{e:#}")).into())
}

/// Parses `name=value` pairs of `--feature`.
fn parse_features(pairs: &[String], known: &[String]) -> Result<Vec<(String, f64)>> {
    pairs
        .iter()
        .map(|pair| {
            let (name, value) = pair
                .split_once('=')
                .ok_or_else(|| InputError(format!("--feature {pair:?}: expected NAME=VALUE")))?;
            let name = name.trim();
            if !known.iter().any(|k| k == name) {
                return Err(InputError(format!(
                    "--feature {name}: not a model feature; known: {}",
                    known.join(", ")
                ))
                .into());
            }
            let value: f64 = value.trim().parse().map_err(|_| {
                InputError(format!(
                    "--feature {name}={value}: {value:?} is not a number"
                ))
            })?;
            Ok((name.to_string(), value))
        })
        .collect()
}

pub fn predict(args: &PredictArgs) -> Result<()> {
    let (file, model) = load_chosen(&args.run)?;
    let mut given = vec![
        ("recency_days".to_string(), args.recency_days),
        ("frequency".to_string(), args.frequency),
        ("monetary".to_string(), args.monetary),
    ];
    for (name, value) in parse_features(&args.features, &file.feature_names)? {
        match given.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => given.push((name, value)),
        }
    }
    if let Some((name, value)) = given.iter().find(|(_, v)| !v.is_finite()) {
        return Err(InputError(format!("{name} = {value}: expected a finite number")).into());
    }
    let values: Vec<[f64; 1]> = file
        .feature_names
        .iter()
        .map(|name| {
            [given
                .iter()
                .find(|(n, _)| n == name)
                .map_or(f64::NAN, |g| g.1)]
        })
        .collect();
    let columns: Vec<(&str, &[f64])> = file
        .feature_names
        .iter()
        .zip(&values)
        .map(|(name, value)| (name.as_str(), value.as_slice()))
        .collect();
    let probability = model.predict_proba(&purchase::model_matrix(&columns)?)?;
    let missing: Vec<&String> = file
        .feature_names
        .iter()
        .filter(|name| !given.iter().any(|(n, _)| n == *name))
        .collect();
    let output = json!({
        "purchase_probability": probability.first(),
        "horizon_days": file.training_window.horizon_days,
        "model": file.name,
        "model_training_as_of": file.training_window.as_of,
        "features_given": given.iter().map(|(n, v)| (n.clone(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "features_missing": missing,
        "missing_values": MISSING_VALUES,
        "rfm": rfm_of(&args.run, args.recency_days, args.frequency, args.monetary)?,
        "cluster": cluster_of(&args.run, args.recency_days, args.frequency, args.monetary)?,
    });
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

/// RFM scores against the run's customers (customers.csv) and the run's segment map
/// (segments.json).
fn rfm_of(
    run: &Path,
    recency_days: f64,
    frequency: f64,
    monetary: f64,
) -> Result<serde_json::Value> {
    let path = run.join("customers.csv");
    let mut reader = csv::Reader::from_path(&path)
        .map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    let headers = reader.headers()?.clone();
    let index = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| InputError(format!("{} has no column {name}", path.display())))
    };
    let columns = [
        index("recency_days")?,
        index("frequency")?,
        index("monetary")?,
    ];
    let mut sorted: [Vec<f64>; 3] = Default::default();
    for (line, record) in reader.records().enumerate() {
        let record = record?;
        for (values, &column) in sorted.iter_mut().zip(&columns) {
            let cell = record.get(column).unwrap_or("");
            values.push(cell.parse().map_err(|_| {
                InputError(format!(
                    "{} line {}: {cell:?} is not a number",
                    path.display(),
                    line + 2
                ))
            })?);
        }
    }
    for values in &mut sorted {
        values.sort_by(f64::total_cmp);
    }
    let r = score_against(&sorted[0], recency_days, true);
    let f = score_against(&sorted[1], frequency, false);
    let m = score_against(&sorted[2], monetary, false);
    let map = segment_map(run)?;
    let segment = map.segment(r, f, m).unwrap_or("Unassigned");
    Ok(json!({
        "r_score": r,
        "f_score": f,
        "m_score": m,
        "segment": segment,
        "suggested_action": suggested_action(segment),
        "scored_against": format!("the quintiles of the run's {} customers", sorted[0].len()),
    }))
}

fn segment_map(run: &Path) -> Result<SegmentMap> {
    #[derive(Deserialize)]
    struct SegmentsFile {
        segment_map: Option<SegmentMap>,
    }
    let path = run.join("segments.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    let file: SegmentsFile =
        serde_json::from_str(&text).map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    Ok(file.segment_map.unwrap_or_default())
}

/// The nearest cluster of `models/kmeans.json`, or null when the run has no clusters.
fn cluster_of(
    run: &Path,
    recency_days: f64,
    frequency: f64,
    monetary: f64,
) -> Result<serde_json::Value> {
    #[derive(Deserialize)]
    struct SavedKMeans {
        scaler: Scaler,
        model: KMeans,
        cluster_names: Vec<String>,
    }
    let path = run.join("models").join("kmeans.json");
    if !path.exists() {
        return Ok(serde_json::Value::Null);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let saved: SavedKMeans =
        serde_json::from_str(&text).map_err(|e| InputError(format!("{}: {e}", path.display())))?;
    let scaled = saved
        .scaler
        .transform_row(&[recency_days, frequency, monetary])?;
    let cluster = saved.model.predict(&scaled)?;
    Ok(json!({
        "cluster": cluster,
        "name": saved.cluster_names.get(cluster),
        "explanation": "nearest centroid of the run's KMeans on log1p-standardised recency, frequency and monetary",
    }))
}

/// Columns `rebuy score` replaces when the input already has them (e.g. a run's
/// customers.csv).
const SCORE_COLUMNS: [&str; 3] = [
    "purchase_probability",
    "churn_risk",
    "probability_percentile",
];

pub fn score(args: &ScoreArgs) -> Result<()> {
    let (file, model) = load_chosen(&args.run)?;
    let input = &args.input;
    let mut reader = csv::Reader::from_path(input)
        .map_err(|e| InputError(format!("{}: {e}", input.display())))?;
    let headers = reader
        .headers()
        .map_err(|e| InputError(format!("{}: {e}", input.display())))?
        .clone();
    let kept: Vec<usize> = (0..headers.len())
        .filter(|&i| !SCORE_COLUMNS.contains(&&headers[i]))
        .collect();
    let feature_columns: Vec<Option<usize>> = file
        .feature_names
        .iter()
        .map(|name| headers.iter().position(|h| h == name))
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut values: Vec<Vec<f64>> = vec![Vec::new(); file.feature_names.len()];
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record =
            record.map_err(|e| InputError(format!("{} line {line}: {e}", input.display())))?;
        for ((name, column), out) in file
            .feature_names
            .iter()
            .zip(&feature_columns)
            .zip(&mut values)
        {
            let cell = column.and_then(|c| record.get(c)).unwrap_or("").trim();
            out.push(if cell.is_empty() {
                f64::NAN
            } else {
                match cell.parse::<f64>() {
                    Ok(v) if !v.is_infinite() => v,
                    _ => {
                        return Err(InputError(format!(
                            "{} line {line}, column {name}: {cell:?} is not a number",
                            input.display()
                        ))
                        .into());
                    }
                }
            });
        }
        rows.push(
            kept.iter()
                .map(|&c| record.get(c).unwrap_or("").to_string())
                .collect(),
        );
    }
    let columns: Vec<(&str, &[f64])> = file
        .feature_names
        .iter()
        .zip(&values)
        .map(|(name, v)| (name.as_str(), v.as_slice()))
        .collect();
    let probability = if rows.is_empty() {
        Vec::new()
    } else {
        model.predict_proba(&purchase::model_matrix(&columns)?)?
    };
    let (risk, percentile) = purchase::risk_columns(&probability);
    let mut writer = csv::Writer::from_path(&args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let mut header: Vec<&str> = kept.iter().map(|&c| &headers[c]).collect();
    header.extend(SCORE_COLUMNS);
    writer.write_record(&header)?;
    for (i, mut row) in rows.into_iter().enumerate() {
        row.extend([
            probability[i].to_string(),
            risk[i].clone(),
            percentile[i].clone(),
        ]);
        writer.write_record(&row)?;
    }
    writer.flush()?;
    let missing: Vec<&String> = file
        .feature_names
        .iter()
        .zip(&feature_columns)
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| n)
        .collect();
    println!(
        "scored {} customers with {} (purchase in the next {} days) into {}",
        probability.len(),
        file.name,
        file.training_window.horizon_days,
        args.out.display()
    );
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        println!(
            "missing feature columns (NaN for every customer): {}",
            names.join(", ")
        );
    }
    Ok(())
}
