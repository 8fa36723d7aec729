//! Value parsers for the forms users really have: ISO and US dates, Excel serial
//! dates, decimal commas, customer ids written as floats (`13085.0`).
//!
//! Dates and numbers are parsed by hand rather than with `chrono`'s format strings or
//! only `str::parse`: these run for every line, and were the slowest steps of reading
//! a file in our measurements. Unit tests check the hand-written parts against
//! `chrono` and `str::parse`.

/// How to read a date written with slashes or dots, such as `1/12/2010`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DayOrder {
    /// `12/1/2010` is 1 December 2010 (the widely shared Online Retail CSV).
    #[default]
    MonthFirst,
    /// `1/12/2010` is 1 December 2010.
    DayFirst,
}

/// The forms [`parse_timestamp`] accepts, for error messages.
pub const TIMESTAMP_FORMS: &str = "a date and time such as 2010-12-01 08:26:00, 2010-12-01 08:26, 2010-12-01T08:26:00 or 12/1/2010 8:26";

pub(crate) const SECONDS_PER_DAY: i64 = 86_400;

/// Seconds since 1970-01-01 00:00 of a date and time without a time zone, or `None`
/// when the text is not one of the accepted forms.
pub fn parse_timestamp(text: &str, order: DayOrder) -> Option<i64> {
    let text = text.trim_ascii();
    if let Some(seconds) = parse_iso_fast(text.as_bytes()) {
        return Some(seconds);
    }
    let bytes = text.as_bytes();
    let (date_part, time_part) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], text[i + 1..].trim()),
        None => (text, ""),
    };
    let (year, month, day) = if bytes.len() >= 5 && bytes[4] == b'-' {
        split3(date_part, '-')?
    } else if let Some((a, b, c)) = split3(date_part, '/').or_else(|| split3(date_part, '.')) {
        if a.len() == 4 {
            (a, b, c)
        } else {
            match order {
                DayOrder::MonthFirst => (c, a, b),
                DayOrder::DayFirst => (c, b, a),
            }
        }
    } else {
        return None;
    };
    if year.len() != 4 {
        return None;
    }
    let days = days_since_epoch(digits(year)?, digits(month)?, digits(day)?)?;
    Some(days * SECONDS_PER_DAY + parse_time_of_day(time_part)?)
}

/// `YYYY-MM-DD HH:MM[:SS]` (or with `T`), the form of nearly every line of the files
/// we see, read straight from the bytes; anything else goes the general way.
fn parse_iso_fast(b: &[u8]) -> Option<i64> {
    if !(b.len() == 16 || b.len() == 19)
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || (b.len() == 19 && b[16] != b':')
    {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        b[range].iter().try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let days = days_since_epoch(number(0..4)?, number(5..7)?, number(8..10)?)?;
    let (hour, minute) = (number(11..13)?, number(14..16)?);
    let second = if b.len() == 19 { number(17..19)? } else { 0 };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second))
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (year 0 to
/// 9999), or `None` when the month or day does not exist. Howard Hinnant's
/// `days_from_civil`.
fn days_since_epoch(year: u32, month: u32, day: u32) -> Option<i64> {
    const MONTH_DAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month) || year > 9999 {
        return None;
    }
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let month_days = MONTH_DAYS[month as usize - 1] + u32::from(month == 2 && leap);
    if day == 0 || day > month_days {
        return None;
    }
    // Years start in March, so that the leap day is the last day of a year.
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// `08:26`, `8:26:00`, `08:26:00.000`, `8:26 AM`, optionally with a trailing `Z`.
fn parse_time_of_day(text: &str) -> Option<i64> {
    if text.is_empty() {
        return Some(0);
    }
    let text = text.trim_end_matches('Z');
    let (clock, meridiem) = match text.rsplit_once(' ') {
        Some((clock, m)) if m.eq_ignore_ascii_case("am") => (clock, Some(false)),
        Some((clock, m)) if m.eq_ignore_ascii_case("pm") => (clock, Some(true)),
        _ => (text, None),
    };
    let mut parts = clock.split(':');
    let mut hour = digits(parts.next()?)?;
    let minute = digits(parts.next()?)?;
    let second = match parts.next() {
        Some(s) => digits(s.split('.').next()?)?,
        None => 0,
    };
    if parts.next().is_some() || minute > 59 || second > 60 {
        return None;
    }
    if let Some(pm) = meridiem {
        if !(1..=12).contains(&hour) {
            return None;
        }
        hour = hour % 12 + if pm { 12 } else { 0 };
    }
    if hour > 23 {
        return None;
    }
    Some(i64::from(hour * 3600 + minute * 60 + second))
}

fn split3(text: &str, sep: char) -> Option<(&str, &str, &str)> {
    let mut parts = text.split(sep);
    let triple = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(triple)
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Seconds since 1970 of an Excel serial date (1900 date system: day 25569 is 1970-01-01),
/// rounded to the second.
pub fn excel_serial_to_timestamp(serial: f64) -> Option<i64> {
    const EXCEL_DAYS_BEFORE_UNIX_EPOCH: f64 = 25_569.0;
    let seconds = ((serial - EXCEL_DAYS_BEFORE_UNIX_EPOCH) * SECONDS_PER_DAY as f64).round();
    (serial.is_finite() && serial > 0.0 && seconds.abs() < 1e13).then_some(seconds as i64)
}

/// The largest |quantity|, |unit price| and |quantity x unit price| a line may have
/// (10^15). Far beyond any real shop (the Online Retail sheets stay below 10^5), yet a
/// billion lines at the bound still sum to 10^24 and their squares to 10^48, far from
/// the largest float (about 1.8 x 10^308): no sum, mean or variance a run computes can
/// overflow. Below 2^53, so every whole quantity up to it is exact.
pub const MAX_ABS_VALUE: f64 = 1e15;

/// [`MAX_ABS_VALUE`] as the readers' messages say it.
pub const VALUE_RANGE: &str = "a number from -1e15 to 1e15";

/// A decimal number; with `decimal_comma`, `2,55` is read as 2.55 (files written with
/// `;` as the delimiter often use a decimal comma).
pub fn parse_number(text: &str, decimal_comma: bool) -> Option<f64> {
    let text = text.trim_ascii();
    if let Some(value) = parse_plain_decimal(text.as_bytes()) {
        return Some(value);
    }
    let value = match text.parse::<f64>() {
        Ok(v) => v,
        Err(_) if decimal_comma && text.contains(',') && !text.contains('.') => {
            text.replacen(',', ".", 1).parse().ok()?
        }
        Err(_) => return None,
    };
    value.is_finite().then_some(value)
}

/// `-12`, `2.55`: an optional sign, at most 15 digits and at most one point, read
/// exactly as `str::parse` reads it. The digits make an integer below 2^53 and the
/// power of ten is exact, so one division is correctly rounded (Clinger's fast
/// path); other forms return `None` and go the general way.
fn parse_plain_decimal(text: &[u8]) -> Option<f64> {
    const POWERS_OF_TEN: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let (mut mantissa, mut count, mut decimals) = (0u64, 0usize, None);
    for &b in digits {
        match b {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(b - b'0');
                count += 1;
                if count > 15 {
                    return None;
                }
                decimals = decimals.map(|d: usize| d + 1);
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    let value = mantissa as f64 / POWERS_OF_TEN[decimals.unwrap_or(0)];
    Some(if negative { -value } else { value })
}

/// The canonical text of a customer id, or `None` when it is missing: empty, `nan`,
/// `null`, `none`, `na`. Whole numbers written as floats lose their `.0`, so that
/// `13085.0` and `13085` are the same customer.
pub fn normalise_customer_id(text: &str) -> Option<&str> {
    let text = text.trim_ascii();
    let first = text.bytes().next()?;
    if !first.is_ascii_digit()
        && ["nan", "null", "none", "na", "n/a"]
            .iter()
            .any(|m| text.eq_ignore_ascii_case(m))
    {
        return None;
    }
    match text.split_once('.') {
        Some((whole, fraction))
            if !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b == b'0') =>
        {
            Some(whole)
        }
        _ => Some(text),
    }
}

/// The text of a customer id given as a number, with the same canonical form as
/// [`normalise_customer_id`].
pub fn customer_id_from_float(value: f64) -> Option<String> {
    if !value.is_finite() {
        None
    } else if value.fract() == 0.0 && value.abs() < 1e15 {
        Some(format!("{}", value as i64))
    } else {
        Some(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEC_1_2010_0826: i64 = 1_291_191_960;

    #[test]
    fn every_date_form_users_have() {
        for text in [
            "2010-12-01 08:26:00",
            "2010-12-01 08:26",
            "2010-12-01T08:26:00",
            "2010-12-01T08:26:00Z",
            "2010-12-01 08:26:00.000",
            " 12/1/2010 8:26 ",
            "12/01/2010 08:26:00",
            "12/1/2010 8:26:00 AM",
            "2010/12/01 08:26",
        ] {
            assert_eq!(
                parse_timestamp(text, DayOrder::MonthFirst),
                Some(DEC_1_2010_0826),
                "{text}"
            );
        }
        assert_eq!(
            parse_timestamp("1/12/2010 8:26", DayOrder::DayFirst),
            Some(DEC_1_2010_0826)
        );
        assert_eq!(
            parse_timestamp("01.12.2010 08:26", DayOrder::DayFirst),
            Some(DEC_1_2010_0826)
        );
        assert_eq!(
            parse_timestamp("12/1/2010 8:26 PM", DayOrder::MonthFirst),
            Some(DEC_1_2010_0826 + 12 * 3600)
        );
        assert_eq!(
            parse_timestamp("2010-12-01", DayOrder::MonthFirst),
            Some(DEC_1_2010_0826 - 8 * 3600 - 26 * 60)
        );
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for text in [
            "",
            "yesterday",
            "2010-13-01 08:00",
            "2010-02-30",
            "13/1/2010 8:26",
            "2010-12-01 25:00",
            "2010-12-01 08:61",
            "12/1/10 8:26",
            "2010-12-01 08",
            "1e5",
        ] {
            assert_eq!(parse_timestamp(text, DayOrder::MonthFirst), None, "{text}");
        }
    }

    #[test]
    fn excel_serial_dates() {
        // 40513.35138888889 is 2010-12-01 08:26:00 in Excel's 1900 system.
        assert_eq!(
            excel_serial_to_timestamp(40_513.351_388_888_89),
            Some(DEC_1_2010_0826)
        );
        assert_eq!(excel_serial_to_timestamp(f64::NAN), None);
    }

    #[test]
    fn numbers_with_decimal_commas_only_when_asked() {
        assert_eq!(parse_number("2.55", false), Some(2.55));
        assert_eq!(parse_number(" -12 ", false), Some(-12.0));
        assert_eq!(parse_number("2,55", true), Some(2.55));
        assert_eq!(parse_number("2,55", false), None);
        assert_eq!(parse_number("NaN", false), None);
        assert_eq!(parse_number("inf", false), None);
        assert_eq!(parse_number("", false), None);
    }

    #[test]
    fn calendar_days_equal_chrono() {
        use chrono::{Datelike, NaiveDate};
        for year in (0..=9999).step_by(7).chain(1896..=2104) {
            for month in 0..=13 {
                for day in 0..=32 {
                    let expected = NaiveDate::from_ymd_opt(year as i32, month, day)
                        .map(|d| i64::from(d.num_days_from_ce() - 719_163));
                    assert_eq!(
                        days_since_epoch(year, month, day),
                        expected,
                        "{year}-{month}-{day}"
                    );
                }
            }
        }
    }

    #[test]
    fn plain_decimals_equal_str_parse() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "+0",
            "0.0",
            "-0.00",
            "5.",
            ".5",
            "-.5",
            "2.55",
            "1.25",
            "0.1",
            "0.3",
            "-12",
            "+7",
            "123456789012345",
            "99999999999999.9",
            "0.00000000000001",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let digits = (state % 15 + 1) as usize;
            let whole = (state >> 8) % 10u64.pow(digits as u32);
            let point = (state >> 40) as usize % (digits + 1);
            let text = format!("{whole:0digits$}");
            texts.push(format!("{}.{}", &text[..point], &text[point..]));
            texts.push(format!("-{text}"));
        }
        for text in &texts {
            let fast = parse_plain_decimal(text.as_bytes());
            assert_eq!(
                fast.map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text}"
            );
        }
        // Not plain, or more than 15 digits: read the general way.
        let general = [
            "",
            ".",
            "-",
            "1.2.3",
            "1e5",
            "1234567890123456",
            "4.6500000000000004",
            "1,5",
            "NaN",
        ];
        for text in general {
            assert_eq!(parse_plain_decimal(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn customer_ids_as_users_write_them() {
        assert_eq!(normalise_customer_id("13085.0"), Some("13085"));
        assert_eq!(normalise_customer_id(" 13085 "), Some("13085"));
        assert_eq!(normalise_customer_id("C-0042"), Some("C-0042"));
        assert_eq!(normalise_customer_id("13085.5"), Some("13085.5"));
        for missing in ["", "  ", "nan", "NaN", "NULL", "None", "NA"] {
            assert_eq!(normalise_customer_id(missing), None, "{missing}");
        }
        assert_eq!(customer_id_from_float(13085.0).as_deref(), Some("13085"));
        assert_eq!(customer_id_from_float(f64::NAN), None);
    }
}
