//! One clear line for the user, and an exit status that tells bad input from an
//! internal failure: 0 success, 2 bad command line (clap), 65 bad input data or
//! files, 70 internal failure, 75 another run is writing the same run folder.

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

/// Another process is writing the same run folder.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OutputLocked(pub String);

pub fn report(error: &anyhow::Error) -> ExitCode {
    let bad_input = error.chain().any(|cause| {
        cause.downcast_ref::<InputError>().is_some()
            || cause.downcast_ref::<rebuy_data::Error>().is_some_and(|e| {
                !matches!(
                    e,
                    rebuy_data::Error::Io { .. } | rebuy_data::Error::Write { .. }
                )
            })
            || cause
                .downcast_ref::<rebuy_data::generate::GenerateError>()
                .is_some()
            || cause
                .downcast_ref::<rebuy_features::Error>()
                .is_some_and(|e| matches!(e, rebuy_features::Error::Database(_)))
            || cause
                .downcast_ref::<rebuy_server::ServerError>()
                .is_some_and(|e| {
                    use rebuy_server::ServerError::{
                        Invalid, NotARunFolder, PublicWithoutLogin, Read, Tls, Users,
                    };
                    matches!(
                        e,
                        NotARunFolder(_)
                            | Read { .. }
                            | Invalid { .. }
                            | PublicWithoutLogin(_)
                            | Tls { .. }
                            | Users(_)
                    )
                })
    });
    let mut message = format!("error: {error}");
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(&format!(": {text}"));
        }
    }
    eprintln!("{message}");
    let locked = error
        .chain()
        .any(|c| c.downcast_ref::<OutputLocked>().is_some());
    ExitCode::from(match (locked, bad_input) {
        (true, _) => OUTPUT_LOCKED,
        (false, true) => BAD_INPUT,
        (false, false) => INTERNAL,
    })
}
