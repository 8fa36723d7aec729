//! The command line's pipeline for `rebuy/pipeline.py`: `rebuy run` and `rebuy predict`
//! given as command lines, so that Python gets exactly the CLI's checks, files, numbers
//! and one-line errors, with no second parser of options to keep in step.

use pyo3::exceptions::{PyBlockingIOError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use rebuy::exit::{BAD_INPUT, Failure, OUTPUT_LOCKED};

/// The CLI's exit status as a Python exception with the CLI's message: bad input (65)
/// is a `ValueError`, another run writing the same folder (75) a `BlockingIOError`,
/// anything else a `RuntimeError`.
fn to_python(failure: Failure) -> PyErr {
    let message = failure.message;
    match failure.status {
        BAD_INPUT => PyValueError::new_err(message),
        OUTPUT_LOCKED => PyBlockingIOError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// The program name first, as the CLI's parser expects.
fn command_line(args: Vec<String>) -> impl Iterator<Item = String> {
    std::iter::once("rebuy".to_string()).chain(args)
}

/// Runs the `rebuy` command line `args` (without the program name). The GIL is released
/// meanwhile: a run takes seconds and may start its own threads.
#[pyfunction]
pub fn execute(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    py.detach(|| rebuy::execute_args(command_line(args)))
        .map_err(to_python)
}

/// The JSON answer of the `rebuy predict` command line `args`.
#[pyfunction]
pub fn predict(py: Python<'_>, args: Vec<String>) -> PyResult<String> {
    py.detach(|| rebuy::prediction_args(command_line(args)))
        .map_err(to_python)
}
