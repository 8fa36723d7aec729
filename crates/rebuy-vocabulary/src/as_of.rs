//! The as-of date: the first day that features do not see.

use chrono::{Duration, NaiveDate};

/// The first day that features do not see: features use the lines of days before it,
/// labels the days from it on. Held as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AsOf(i32);

impl AsOf {
    pub fn from_date(date: NaiveDate) -> Self {
        AsOf((date - epoch()).num_days() as i32)
    }

    /// The as-of date `day` days after 1970-01-01.
    pub fn from_day(day: i32) -> Self {
        AsOf(day)
    }

    pub fn date(self) -> NaiveDate {
        epoch() + Duration::days(i64::from(self.0))
    }

    /// Days since 1970-01-01.
    pub fn day(self) -> i32 {
        self.0
    }

    /// The as-of date `days` later (earlier when negative).
    pub fn plus_days(self, days: i32) -> Self {
        AsOf(self.0 + days)
    }
}

impl std::fmt::Display for AsOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date())
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::AsOf;
    use chrono::NaiveDate;

    #[test]
    fn days_count_from_1970() {
        let date = NaiveDate::from_ymd_opt(2011, 12, 10).unwrap();
        let as_of = AsOf::from_date(date);
        assert_eq!(
            as_of.day(),
            15_318,
            "python: (date(2011,12,10) - date(1970,1,1)).days"
        );
        assert_eq!(as_of.date(), date);
        assert_eq!(AsOf::from_day(15_318), as_of);
        assert_eq!(as_of.plus_days(-90).to_string(), "2011-09-11");
    }
}
