//! The data-quality report: what came in, what each cleaning rule removed, what is left.

use serde::{Deserialize, Serialize};

/// The cleaning rules, in the order they are applied. A line removed by several rules
/// is counted once, under the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Unparseable,
    FutureDate,
    MissingCustomerId,
    NonProductCode,
    PriceNotPositive,
    QuantityNotPositive,
    Duplicate,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Unparseable,
        Rule::FutureDate,
        Rule::MissingCustomerId,
        Rule::NonProductCode,
        Rule::PriceNotPositive,
        Rule::QuantityNotPositive,
        Rule::Duplicate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Rule::Unparseable => "unparseable",
            Rule::FutureDate => "future_date",
            Rule::MissingCustomerId => "missing_customer_id",
            Rule::NonProductCode => "non_product_code",
            Rule::PriceNotPositive => "price_not_positive",
            Rule::QuantityNotPositive => "quantity_not_positive",
            Rule::Duplicate => "duplicate",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Rule::Unparseable => "a field could not be read (see parse_issues)",
            Rule::FutureDate => {
                "dated after the day after the day of the run: a date in the future (see future_dates)"
            }
            Rule::MissingCustomerId => "no customer id",
            Rule::NonProductCode => "stock code is a charge, fee or adjustment, not a product",
            Rule::PriceNotPositive => "unit price is zero or negative",
            Rule::QuantityNotPositive => {
                "quantity is zero, or negative on a sale (cancellations are kept as returns)"
            }
            Rule::Duplicate => "exact copy of an earlier line that passed the rules above",
        }
    }

    pub(crate) fn index(self) -> usize {
        Rule::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }
}

/// One file (or sheet) that was read.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InputReport {
    pub path: String,
    pub format: String,
    /// Encoding, delimiter or sheet names: how the file was read.
    pub detail: String,
    pub lines: u64,
}

/// Lines removed by one rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleCount {
    pub rule: Rule,
    pub description: String,
    pub lines: u64,
}

/// A value that could not be read, with where it was.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParseIssue {
    pub location: String,
    pub column: String,
    pub value: String,
    pub expected: String,
}

/// What the `future_date` rule removed, beyond its count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FutureDates {
    /// The last day a line may be dated, `YYYY-MM-DD`: the day after the day of the run.
    pub latest_allowed: String,
    /// The latest invoice date of those lines, `YYYY-MM-DD HH:MM:SS`.
    pub latest_seen: String,
    /// The first few (at most [`MAX_PARSE_ISSUES`]), with where they are; empty when the
    /// rules ran in a database or on a cluster.
    pub examples: Vec<ParseIssue>,
}

/// The report `rebuy inspect` prints and `rebuy run` writes as `quality.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QualityReport {
    pub inputs: Vec<InputReport>,
    pub lines_read: u64,
    pub dropped: Vec<RuleCount>,
    /// Cancellation lines (invoice starting with `C`) of known customers: not sales,
    /// kept as the customers' returns.
    pub returns_kept: u64,
    pub sales_lines: u64,
    /// The first few values that could not be read (at most [`MAX_PARSE_ISSUES`]).
    pub parse_issues: Vec<ParseIssue>,
    /// The lines dated in the future, when there are any (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub future_dates: Option<FutureDates>,
    pub customers: u64,
    pub invoices: u64,
    /// First and last sale, `YYYY-MM-DD HH:MM:SS`; absent when no sale is left.
    pub first_sale: Option<String>,
    pub last_sale: Option<String>,
    /// Sum of quantity x price over the clean sales lines.
    pub revenue: f64,
    /// Sum of |quantity| x price over the returns.
    pub returns_value: f64,
}

/// How many unreadable values the report lists by location.
pub const MAX_PARSE_ISSUES: usize = 10;

impl QualityReport {
    /// Lines removed by a rule.
    pub fn dropped_by(&self, rule: Rule) -> u64 {
        self.dropped
            .iter()
            .find(|c| c.rule == rule)
            .map_or(0, |c| c.lines)
    }

    /// A plain-text table for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut line = |label: &str, value: String| {
            out.push_str(&format!("  {label:<34} {value:>14}\n"));
        };
        line("lines read", thousands(self.lines_read));
        for count in &self.dropped {
            line(&format!("- {}", count.rule.key()), thousands(count.lines));
        }
        line("= sales lines kept", thousands(self.sales_lines));
        line(
            "  returns kept (cancellations)",
            thousands(self.returns_kept),
        );
        line("customers", thousands(self.customers));
        line("invoices", thousands(self.invoices));
        line(
            "first sale",
            self.first_sale.clone().unwrap_or_else(|| "-".into()),
        );
        line(
            "last sale",
            self.last_sale.clone().unwrap_or_else(|| "-".into()),
        );
        line("revenue", format!("{:.2}", self.revenue));
        line("returns value", format!("{:.2}", self.returns_value));
        let mut text = String::new();
        for input in &self.inputs {
            text.push_str(&format!(
                "{} ({}, {}): {} lines\n",
                input.path,
                input.format,
                input.detail,
                thousands(input.lines)
            ));
        }
        text.push_str(&out);
        let mut list = |title: String, issues: &[ParseIssue]| {
            if issues.is_empty() {
                return;
            }
            text.push_str(&format!("  {title} (first ones):\n"));
            for issue in issues {
                text.push_str(&format!(
                    "    {}, column {:?}: {:?}, expected {}\n",
                    issue.location, issue.column, issue.value, issue.expected
                ));
            }
        };
        list(
            "values that could not be read".to_string(),
            &self.parse_issues,
        );
        if let Some(future) = &self.future_dates {
            list(
                format!("lines dated after {}", future.latest_allowed),
                &future.examples,
            );
        }
        text
    }

    /// What the user should hear about before trusting the numbers, one line each: for
    /// the terminal (stderr), next to the report.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(future) = &self.future_dates {
            let lines = self.dropped_by(Rule::FutureDate);
            warnings.push(format!(
                "warning: {} line{} dated after {} (the day after the day of the run), the latest {}, \
                 left out as {}; if the clock is wrong, give the day of the run with --today YYYY-MM-DD",
                thousands(lines),
                if lines == 1 { " is" } else { "s are" },
                future.latest_allowed,
                future.latest_seen,
                Rule::FutureDate.key(),
            ));
        }
        warnings
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(525_461), "525,461");
        assert_eq!(thousands(100_000_000), "100,000,000");
    }
}
