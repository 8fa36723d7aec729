//! `rebuy convert IN... OUT.parquet`.

use crate::cli::ConvertArgs;
use crate::exit::InputError;
use crate::run::{read_options, with_read_progress};
use anyhow::Result;
use rebuy_data::convert_to_parquet;
use rebuy_data::quality::thousands;
use std::time::Instant;

pub fn convert(args: &ConvertArgs) -> Result<()> {
    let Some((out, inputs)) = args.files.split_last() else {
        return Err(
            InputError("give the input files, then the Parquet file to write".into()).into(),
        );
    };
    let options = read_options(&args.read)?;
    let started = Instant::now();
    let summary =
        with_read_progress(|progress| convert_to_parquet(inputs, &options, out, progress))?;
    let seconds = started.elapsed().as_secs_f64();
    for input in &summary.inputs {
        println!(
            "read {} ({}, {}): {} lines",
            input.path,
            input.format,
            input.detail,
            thousands(input.lines)
        );
    }
    println!(
        "wrote {}: {} lines, {:.1} MB, in {seconds:.2} s ({:.0}k lines/s)",
        out.display(),
        thousands(summary.lines),
        summary.bytes as f64 / 1e6,
        summary.lines as f64 / seconds.max(1e-3) / 1e3
    );
    if summary.unreadable_lines > 0 {
        println!(
            "{} lines have an invoice, quantity, price or date that cannot be read: written \
             with an empty value there, counted as unparseable by `rebuy run` \
             (`rebuy inspect` on the original lists where they are)",
            thousands(summary.unreadable_lines)
        );
    }
    Ok(())
}
