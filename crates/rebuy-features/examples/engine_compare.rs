//! Times DataFusion's own CSV reader doing the per-customer group-by on a raw file,
//! next to rebuy's path (our reader + cleaning rules, then the feature SQL on
//! DataFusion), for docs/data-engine.md.
//!
//! `cargo run --release -p rebuy-features --example engine_compare -- FILE.csv`
//! (uncompressed CSV with the Online Retail II header and ISO dates).

use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{CsvReadOptions, SessionContext};
use rebuy_data::{RUN_BATCH_ROWS, RUN_PARTITIONS, ReadOptions, read_transactions};
use rebuy_features::FeatureEngine;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: engine_compare FILE.csv")?;

    let started = Instant::now();
    let runtime = tokio::runtime::Runtime::new()?;
    let schema = Schema::new(vec![
        Field::new("Invoice", DataType::Utf8, true),
        Field::new("StockCode", DataType::Utf8, true),
        Field::new("Description", DataType::Utf8, true),
        Field::new("Quantity", DataType::Float64, true),
        Field::new("InvoiceDate", DataType::Utf8, true),
        Field::new("Price", DataType::Float64, true),
        Field::new("Customer ID", DataType::Utf8, true),
        Field::new("Country", DataType::Utf8, true),
    ]);
    let rows = runtime.block_on(async {
        let context = SessionContext::new();
        context
            .register_csv("raw", &path, CsvReadOptions::new().schema(&schema))
            .await?;
        let frame = context
            .sql(
                "SELECT \"Customer ID\", MAX(\"InvoiceDate\"), COUNT(DISTINCT \"Invoice\"), \
                 SUM(\"Quantity\" * \"Price\") FROM raw WHERE \"Customer ID\" IS NOT NULL \
                 GROUP BY \"Customer ID\"",
            )
            .await?;
        let batches = frame.collect().await?;
        Ok::<usize, datafusion::error::DataFusionError>(batches.iter().map(|b| b.num_rows()).sum())
    })?;
    let datafusion_alone = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let transactions = read_transactions(&[path.into()], &ReadOptions::default(), &mut |_| {})?;
    let read = started.elapsed().as_secs_f64();
    let engine = FeatureEngine::new(transactions.into_line_table(RUN_BATCH_ROWS, RUN_PARTITIONS)?)?;
    let features = engine.customer_features(engine.default_as_of())?;
    let total = started.elapsed().as_secs_f64();

    println!("| path | seconds | customers |");
    println!("|---|---|---|");
    println!(
        "| DataFusion CSV scan + group-by (no cleaning, dates as text) | {datafusion_alone:.3} | {rows} |"
    );
    println!("| rebuy: read + clean | {read:.3} | |");
    println!(
        "| rebuy: read + clean + feature SQL | {total:.3} | {} |",
        features.len()
    );
    Ok(())
}
