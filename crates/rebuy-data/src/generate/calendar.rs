//! The shop's calendar: which days trade how much, and at which hours.

use chrono::{Datelike, Months, NaiveDate, Weekday};
use rand::Rng;

use super::GenerateError;
use super::tables::CumulativeTable;

/// Relative purchase intensity by calendar month (January first), read off
/// the invoices per month of Online Retail II 2009-2010: a slow January, a
/// build-up from September and the November peak.
const MONTH_FACTOR: [f64; 12] = [
    0.8, 0.9, 1.05, 0.9, 1.0, 0.95, 0.9, 0.85, 1.0, 1.2, 1.45, 1.35,
];

/// Relative intensity Monday..Sunday: the real shop hardly trades on Saturdays.
const WEEKDAY_FACTOR: [f64; 7] = [1.0, 1.0, 0.96, 1.05, 0.76, 0.004, 0.8];

/// Share of invoices per opening hour, 07:00 to 20:00, from the real data.
const HOUR_WEIGHTS: [(u16, f64); 14] = [
    (7, 1.4),
    (8, 13.5),
    (9, 64.7),
    (10, 84.1),
    (11, 122.0),
    (12, 154.4),
    (13, 148.5),
    (14, 140.9),
    (15, 110.0),
    (16, 75.2),
    (17, 55.3),
    (18, 17.2),
    (19, 10.2),
    (20, 2.5),
];

/// Days from a start date to the end of the generated period, with the
/// relative trading intensity of each day.
#[derive(Debug)]
pub(super) struct Calendar {
    start: NaiveDate,
    day_factor: Vec<f64>,
    max_factor: f64,
    hours: CumulativeTable,
}

impl Calendar {
    pub(super) fn new(start: NaiveDate, months: u32) -> Result<Calendar, GenerateError> {
        if months == 0 || months > 1200 {
            return Err(GenerateError::InvalidConfig(format!(
                "months must be between 1 and 1200, got {months}"
            )));
        }
        let end = start
            .checked_add_months(Months::new(months))
            .ok_or_else(|| {
                GenerateError::InvalidConfig(format!(
                    "start {start} plus {months} months is out of the calendar"
                ))
            })?;
        let days = (end - start).num_days();
        let day_factor: Vec<f64> = start
            .iter_days()
            .take(days as usize)
            .map(day_factor)
            .collect();
        let max_factor = day_factor.iter().copied().fold(0.0, f64::max);
        let hours = CumulativeTable::new(HOUR_WEIGHTS.iter().map(|&(_, w)| w));
        Ok(Calendar {
            start,
            day_factor,
            max_factor,
            hours,
        })
    }

    pub(super) fn days(&self) -> u32 {
        self.day_factor.len() as u32
    }

    /// Upper bound of [`Calendar::factor`], the thinning envelope.
    pub(super) fn max_factor(&self) -> f64 {
        self.max_factor
    }

    /// Relative purchase intensity on `day` (0 = start); 0 outside the period.
    pub(super) fn factor(&self, day: u32) -> f64 {
        self.day_factor.get(day as usize).copied().unwrap_or(0.0)
    }

    pub(super) fn date(&self, day: u32) -> NaiveDate {
        self.start + chrono::Days::new(u64::from(day))
    }

    /// First day on or after `day` when the shop trades at least a little.
    pub(super) fn next_open_day(&self, day: u32) -> Option<u32> {
        (day..self.days()).find(|&d| self.factor(d) > 0.01)
    }

    /// Minute of the day of an invoice, drawn from the real hourly profile.
    pub(super) fn minute_of_day<R: Rng>(&self, rng: &mut R) -> u16 {
        let hour = HOUR_WEIGHTS[self.hours.sample(rng)].0;
        hour * 60 + rng.random_range(0..60)
    }
}

fn day_factor(date: NaiveDate) -> f64 {
    // Closed between Christmas Eve and the first working days of January.
    let closed = matches!((date.month(), date.day()), (12, 24..=31) | (1, 1..=3));
    if closed {
        return 0.0;
    }
    let weekday = match date.weekday() {
        Weekday::Mon => 0,
        Weekday::Tue => 1,
        Weekday::Wed => 2,
        Weekday::Thu => 3,
        Weekday::Fri => 4,
        Weekday::Sat => 5,
        Weekday::Sun => 6,
    };
    MONTH_FACTOR[date.month0() as usize] * WEEKDAY_FACTOR[weekday]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn november_trades_more_than_january_and_christmas_is_closed() {
        let start = NaiveDate::from_ymd_opt(2009, 12, 1).unwrap();
        let calendar = Calendar::new(start, 24).unwrap();
        assert_eq!(calendar.days(), 730);
        let day_of =
            |y, m, d| (NaiveDate::from_ymd_opt(y, m, d).unwrap() - start).num_days() as u32;
        // Both Mondays.
        assert!(calendar.factor(day_of(2010, 11, 8)) > 1.5 * calendar.factor(day_of(2011, 1, 10)));
        assert_eq!(calendar.factor(day_of(2010, 12, 25)), 0.0);
        assert_eq!(
            calendar.next_open_day(day_of(2010, 12, 24)),
            Some(day_of(2011, 1, 4))
        );
        assert_eq!(calendar.factor(10_000), 0.0);
    }

    #[test]
    fn minutes_fall_in_shop_hours() {
        let calendar = Calendar::new(NaiveDate::from_ymd_opt(2010, 1, 1).unwrap(), 1).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let minute = calendar.minute_of_day(&mut rng);
            assert!((7 * 60..21 * 60).contains(&minute));
        }
    }

    #[test]
    fn bad_month_counts_are_errors() {
        let start = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
        assert!(Calendar::new(start, 0).is_err());
        assert!(Calendar::new(start, 5000).is_err());
    }
}
