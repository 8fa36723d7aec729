//! One clear line for the user, and an exit status that tells bad input from an
//! internal failure: 0 success, 2 bad command line (clap), 65 bad input data or
//! files, 70 internal failure, 75 another run is writing the same run folder.

use rebuy_vocabulary::{Categorized, Category};
use std::process::ExitCode;

/// The input (files, options, data) is at fault, not rebuy.
pub const BAD_INPUT: u8 = 65;
/// rebuy failed on input it should have handled.
pub const INTERNAL: u8 = 70;
/// Another run holds the lock of the run folder (sysexits' EX_TEMPFAIL: try again
/// once it has ended).
pub const OUTPUT_LOCKED: u8 = 75;

/// An error that the user can fix by changing the input or the options.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl Categorized for InputError {
    fn category(&self) -> Category {
        Category::BadInput
    }
}

/// Another process is writing the same run folder.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutputLocked(pub String);

/// The category of one cause of a failure, when its crate gives one. anyhow hands out
/// each cause as a plain error, so every error type that knows its category is named
/// once here; which of its variants are bad input is the crate's decision.
fn category_of(cause: &(dyn std::error::Error + 'static)) -> Option<Category> {
    macro_rules! first_of {
        ($($error:ty),+) => {
            None $(.or_else(|| cause.downcast_ref::<$error>().map(Categorized::category)))+
        };
    }
    first_of!(
        InputError,
        rebuy_data::Error,
        rebuy_data::generate::GenerateError,
        rebuy_features::Error,
        rebuy_server::ServerError
    )
}

/// What the user is told about a failed command: one line, and the exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `error: ...` with every cause that adds words.
    pub message: String,
    /// [`BAD_INPUT`], [`INTERNAL`] or [`OUTPUT_LOCKED`].
    pub status: u8,
}

impl Failure {
    /// The one line and the status of `error`: the status is that of the first cause
    /// whose category is known (bad input wins over an internal cause).
    pub fn of(error: &anyhow::Error) -> Failure {
        let bad_input = error
            .chain()
            .any(|cause| category_of(cause) == Some(Category::BadInput));
        let mut message = format!("error: {error}");
        for cause in error.chain().skip(1) {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(&format!(": {text}"));
            }
        }
        let locked = error
            .chain()
            .any(|c| c.downcast_ref::<OutputLocked>().is_some());
        let status = match (locked, bad_input) {
            (true, _) => OUTPUT_LOCKED,
            (false, true) => BAD_INPUT,
            (false, false) => INTERNAL,
        };
        Failure { message, status }
    }
}

/// Prints the failure on standard error and gives the exit status.
pub fn report(error: &anyhow::Error) -> ExitCode {
    let failure = Failure::of(error);
    eprintln!("{}", failure.message);
    ExitCode::from(failure.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_status_comes_from_the_category_of_any_cause() {
        let file = || std::path::PathBuf::from("/data/x.csv");
        let cases = [
            (anyhow::Error::from(InputError("bad".into())), BAD_INPUT),
            (
                anyhow::Error::from(rebuy_data::Error::io(file(), std::io::Error::other("disk")))
                    .context("reading the inputs"),
                INTERNAL,
            ),
            (
                anyhow::Error::from(rebuy_features::Error::Data(rebuy_data::Error::Empty {
                    path: file(),
                }))
                .context("customer features"),
                BAD_INPUT,
            ),
            (
                anyhow::Error::from(rebuy_features::Error::Database("refused".into())),
                BAD_INPUT,
            ),
            (
                anyhow::Error::from(rebuy_features::Error::Invalid("no sale".into())),
                INTERNAL,
            ),
            (anyhow::anyhow!("a plain failure"), INTERNAL),
            (
                anyhow::Error::from(OutputLocked("busy".into())),
                OUTPUT_LOCKED,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(Failure::of(&error).status, status, "{error:#}");
        }
    }
}
