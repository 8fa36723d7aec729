//! Money as every page shows it: the run's currency (`currency` in manifest.json, from
//! `rebuy run --currency CODE`) and thousands separators. `£1,234.56` for GBP, `€` and
//! `$` for EUR and USD, `1,234.56 CHF` for any other code, `1,234.56` when the run
//! names no currency (older runs, or none given).
//!
//! [`Money::format`] is the one function that writes an amount; the charts' tooltips and
//! axes use its twin in the page script (`rebuyMoney`), fed by [`Money::script_style`].

use crate::html::decimal;
use serde_json::{Value, json};

/// How the run's amounts are written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Money {
    /// Before the number: a currency symbol, or nothing.
    prefix: String,
    /// After the number: ` CODE` for a currency without a symbol here, or nothing.
    suffix: String,
}

impl Money {
    /// The style of a run's currency code (ISO 4217, any case); none for `None` or an
    /// empty code. Only letters and digits of the code are kept, so the text is safe in
    /// HTML as it is.
    pub fn new(currency: Option<&str>) -> Money {
        let code = currency.map(|c| {
            c.chars()
                .filter(char::is_ascii_alphanumeric)
                .take(8)
                .collect::<String>()
                .to_ascii_uppercase()
        });
        let symbol = |s: &str| Money {
            prefix: s.to_string(),
            suffix: String::new(),
        };
        match code.as_deref() {
            None | Some("") => Money::default(),
            Some("GBP") => symbol("£"),
            Some("EUR") => symbol("€"),
            Some("USD") => symbol("$"),
            Some(code) => Money {
                prefix: String::new(),
                suffix: format!(" {code}"),
            },
        }
    }

    /// `-1234.5` with 2 decimals -> `-£1,234.50`; an amount that rounds to zero has no
    /// sign; empty for NaN or infinity.
    pub fn format(&self, value: f64, decimals: usize) -> String {
        if !value.is_finite() {
            return String::new();
        }
        let number = decimal(value.abs(), decimals);
        let sign = if value < 0.0 && number.bytes().any(|b| (b'1'..=b'9').contains(&b)) {
            "-"
        } else {
            ""
        };
        format!("{sign}{}{number}{}", self.prefix, self.suffix)
    }

    /// An amount with cents: `£1,234.56`.
    pub fn cents(&self, value: f64) -> String {
        self.format(value, 2)
    }

    /// A rounded amount: `£1,235`.
    pub fn whole(&self, value: f64) -> String {
        self.format(value, 0)
    }

    /// The prefix and suffix for the page script's `rebuyMoney`.
    pub fn script_style(&self) -> Value {
        json!({"prefix": self.prefix, "suffix": self.suffix})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_carry_the_runs_currency_and_separators() {
        let gbp = Money::new(Some("GBP"));
        assert_eq!(gbp.cents(1234.56), "£1,234.56");
        assert_eq!(gbp.cents(17068582.724), "£17,068,582.72");
        assert_eq!(gbp.whole(11598357.6), "£11,598,358");
        assert_eq!(gbp.cents(-65.5), "-£65.50");
        assert_eq!(gbp.cents(-0.001), "£0.00");
        assert_eq!(gbp.cents(0.0), "£0.00");
        assert_eq!(Money::new(Some("eur")).cents(999.999), "€1,000.00");
        assert_eq!(Money::new(Some(" USD ")).whole(1e6), "$1,000,000");
        assert_eq!(Money::new(Some("CHF")).cents(1234.56), "1,234.56 CHF");
        assert_eq!(Money::new(Some("JPY")).cents(-1234.0), "-1,234.00 JPY");
        assert_eq!(Money::new(Some("<b>x")).cents(1.0), "1.00 BX");
        for none in [None, Some(""), Some("  ")] {
            assert_eq!(Money::new(none).cents(1234.56), "1,234.56");
        }
        assert_eq!(gbp.cents(f64::NAN), "");
    }

    #[test]
    fn the_page_script_gets_the_same_style() {
        assert_eq!(
            Money::new(Some("GBP")).script_style(),
            json!({"prefix": "£", "suffix": ""})
        );
        assert_eq!(
            Money::new(Some("CHF")).script_style(),
            json!({"prefix": "", "suffix": " CHF"})
        );
    }
}
