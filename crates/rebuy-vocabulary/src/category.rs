//! Whose fault a failure is, decided where the error is made.

/// Whose fault a failure is: the input's (files, options, data: the user can fix it;
/// exit status 65) or rebuy's (exit status 70).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    BadInput,
    Internal,
}

/// An error that knows its [`Category`]: each crate decides it for its own variants,
/// so the binary reads the exit status off the error instead of matching variants.
pub trait Categorized {
    fn category(&self) -> Category;
}
