//! CSV cells that a spreadsheet opens as text, never as a formula (OWASP's advice on
//! CSV injection): every CSV rebuy writes for people (the run's `customers.csv`, the
//! dashboard's exports, `POST /api/score.csv`, `rebuy score`'s output) goes through
//! [`escape`], and every CSV rebuy reads back goes through [`unescape`].
//!
//! A text cell starting with `=`, `+`, `-`, `@`, tab or carriage return (after any
//! leading `'`) is written behind one more `'`, which a spreadsheet shows as text and
//! hides: `=HYPERLINK("http://x")` is written `'=HYPERLINK("http://x")`. A number such
//! as `-65.5` or `+3` stays as it is. Reading takes the `'` off again, so an id
//! round-trips exactly, even one that itself starts with `'=` (written `''=`).
//!
//! ```
//! use rebuy_server::spreadsheet::{escape_str, unescape_str};
//! assert_eq!(escape_str("=1+2"), "'=1+2");
//! assert_eq!(unescape_str("'=1+2"), "=1+2");
//! assert_eq!(escape_str("-65.5"), "-65.5");
//! ```

use std::borrow::Cow;

/// The first characters with which a spreadsheet reads a cell as a formula.
const FORMULA_STARTS: [u8; 6] = [b'=', b'+', b'-', b'@', b'\t', b'\r'];

/// Whether the text after the cell's leading `'`s starts like a formula.
fn starts_like_formula(cell: &[u8]) -> bool {
    let start = cell.iter().position(|&b| b != b'\'').unwrap_or(cell.len());
    let rest = &cell[start..];
    rest.first()
        .is_some_and(|first| FORMULA_STARTS.contains(first) && !is_plain_number(rest))
}

/// `-65.5`, `+3`, `1e-6`: digits with a sign, a point and an exponent only (no `inf`,
/// no `-1+2`), which a spreadsheet reads as the number it is.
fn is_plain_number(cell: &[u8]) -> bool {
    cell.iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && std::str::from_utf8(cell).is_ok_and(|text| text.parse::<f64>().is_ok())
}

/// A cell as a spreadsheet can open it safely: as it is, or behind a `'`.
pub fn escape(cell: &[u8]) -> Cow<'_, [u8]> {
    if starts_like_formula(cell) {
        let mut quoted = Vec::with_capacity(cell.len() + 1);
        quoted.push(b'\'');
        quoted.extend_from_slice(cell);
        Cow::Owned(quoted)
    } else {
        Cow::Borrowed(cell)
    }
}

/// The text a cell written by [`escape`] stands for.
pub fn unescape(cell: &[u8]) -> &[u8] {
    match cell.split_first() {
        Some((b'\'', rest)) if starts_like_formula(cell) => rest,
        _ => cell,
    }
}

/// [`escape`] for text.
pub fn escape_str(cell: &str) -> Cow<'_, str> {
    if starts_like_formula(cell.as_bytes()) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// [`unescape`] for text.
pub fn unescape_str(cell: &str) -> &str {
    // `'` is one byte, so what follows it starts on a character.
    let kept = unescape(cell.as_bytes()).len();
    &cell[cell.len() - kept..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_written_as_text() {
        for formula in [
            "=HYPERLINK(\"http://x\")",
            "=cmd|' /C calc'!A0",
            "+1+2",
            "-1+2",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
            "-inf",
            "=1",
            "'=1",
            "''-1+2",
        ] {
            assert_eq!(escape_str(formula), format!("'{formula}"), "{formula:?}");
            assert_eq!(unescape_str(&escape_str(formula)), formula, "{formula:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_stay_as_they_are() {
        for kept in [
            "-65.5",
            "-0.01",
            "+3",
            "1e-6",
            "-2E+3",
            "12346",
            "Champions",
            "",
            "0",
            "a=b",
            "2011-06-01",
            "'",
            "'abc",
            "'-5",
            "Ünïcode",
        ] {
            assert_eq!(escape_str(kept), kept, "{kept:?}");
            assert_eq!(unescape_str(kept), kept, "{kept:?}");
        }
    }

    #[test]
    fn bytes_and_text_agree() {
        for cell in ["=1", "'=1", "-5", "x"] {
            assert_eq!(
                escape(cell.as_bytes()).as_ref(),
                escape_str(cell).as_bytes()
            );
            assert_eq!(unescape(cell.as_bytes()), unescape_str(cell).as_bytes());
        }
    }
}
