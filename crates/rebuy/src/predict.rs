//! `rebuy predict` and `rebuy score`: a run's chosen purchase model applied to one
//! customer typed in (with their RFM segment and cluster), or to a table of customers.
//! The scoring itself is shared with the server (`rebuy_models::scoring`,
//! `rebuy_server::batch`), so the CLI and the API give the same numbers.

use crate::cli::{PredictArgs, ScoreArgs};
use crate::exit::InputError;
use anyhow::{Context, Result};
use rebuy_models::scoring::Scorer;
use rebuy_server::RunData;
use rebuy_server::batch::{check_value, score_csv};
use std::path::Path;

/// The run folder, which must have a purchase model.
fn load_run(run: &Path) -> Result<RunData> {
    let data = RunData::load(run).map_err(|e| InputError(e.to_string()))?;
    if let Err(reason) = &data.scorer {
        return Err(InputError(format!("{}: {reason}", run.display())).into());
    }
    Ok(data)
}

fn scorer_of(run: &RunData) -> &Scorer {
    run.scorer
        .as_ref()
        .expect("load_run refuses a run without a purchase model")
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
    println!("{}", prediction_json(args)?);
    Ok(())
}

/// The answer of `rebuy predict`, field for field that of `POST /api/predict`, as
/// pretty JSON.
pub fn prediction_json(args: &PredictArgs) -> Result<String> {
    let run = load_run(&args.run)?;
    let scorer = scorer_of(&run);
    let mut given = vec![
        ("recency_days".to_string(), args.recency_days),
        ("frequency".to_string(), args.frequency),
        ("monetary".to_string(), args.monetary),
    ];
    for (name, value) in parse_features(&args.features, scorer.feature_names())? {
        match given.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => given.push((name, value)),
        }
    }
    for (name, value) in &given {
        check_value(name, *value).map_err(|message| InputError(format!("{name}: {message}")))?;
    }
    let pairs: Vec<(&str, f64)> = given.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    // The same answer, field for field, as `POST /api/predict`.
    let prediction =
        rebuy_server::prediction::predict(scorer, &pairs).map_err(|e| InputError(e.to_string()))?;
    Ok(serde_json::to_string_pretty(&prediction)?)
}

pub fn score(args: &ScoreArgs) -> Result<()> {
    let run = load_run(&args.run)?;
    let scorer = scorer_of(&run);
    let input = &args.input;
    let reader =
        std::fs::File::open(input).map_err(|e| InputError(format!("{}: {e}", input.display())))?;
    // Scored into memory first, so that a refused file leaves no half-written output.
    let mut scored = Vec::new();
    let summary = score_csv(scorer, reader, &mut scored, None)
        .map_err(|fault| InputError(format!("{} {fault}", input.display())))?;
    std::fs::write(&args.out, scored)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let model = &summary.answered_by;
    println!(
        "scored {} customers with {} ({} on {}; test ROC-AUC {:.3}; purchase in the next {} \
         days) into {}",
        summary.customers,
        model.model,
        model.kind,
        model.inputs.join(", "),
        model.test_roc_auc,
        scorer.horizon_days(),
        args.out.display()
    );
    if !summary.not_used_by_model.is_empty() {
        println!(
            "columns that model does not read: {}",
            summary.not_used_by_model.join(", ")
        );
    }
    if summary.outside_training_range > 0 {
        println!(
            "{} customers have an input beyond the span of the model's training customers \
             (column outside_training_range): their probabilities are extrapolations",
            summary.outside_training_range
        );
    }
    Ok(())
}
