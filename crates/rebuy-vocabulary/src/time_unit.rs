//! The time unit of the buy-till-you-die summary.

use serde::{Deserialize, Serialize};

/// The unit of the BTYD recency and T (`btyd_recency_days` or `btyd_recency_weeks`...).
///
/// Purchases are always grouped per calendar day (`btyd_frequency` counts repeat purchase
/// days); the unit only scales the ages: weeks are days / 7, as fractions, which is how
/// the published CDNOW summary (Fader, Hardie & Lee 2005) is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    #[default]
    Days,
    Weeks,
}

impl TimeUnit {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Weeks => 7.0,
        }
    }

    /// A number of days in this unit (a horizon of 90 days is 12.86 weeks).
    pub fn days_to_units(self, days: f64) -> f64 {
        days / self.days()
    }

    /// `"days"` or `"weeks"`.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
        }
    }

    /// The names of the BTYD recency and T columns in this unit.
    pub fn column_names(self) -> [&'static str; 2] {
        match self {
            TimeUnit::Days => ["btyd_recency_days", "btyd_t_days"],
            TimeUnit::Weeks => ["btyd_recency_weeks", "btyd_t_weeks"],
        }
    }
}

impl std::fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for TimeUnit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "days" => Ok(TimeUnit::Days),
            "weeks" => Ok(TimeUnit::Weeks),
            other => Err(format!("time unit {other:?}: expected days or weeks")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::TimeUnit;

    #[test]
    fn units_parse_print_and_name_their_columns() {
        for unit in [TimeUnit::Days, TimeUnit::Weeks] {
            assert_eq!(unit.to_string().parse::<TimeUnit>(), Ok(unit));
            assert!(unit.column_names()[1].ends_with(unit.name()));
        }
        assert_eq!(TimeUnit::Weeks.days(), 7.0);
        assert_eq!(TimeUnit::Weeks.days_to_units(91.0), 13.0);
        assert!(
            "months"
                .parse::<TimeUnit>()
                .unwrap_err()
                .contains("days or weeks")
        );
    }
}
