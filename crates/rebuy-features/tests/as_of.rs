//! The features API cannot see past its as-of date, and labels look only at the
//! horizon after it.

// The helpers of a test crate unwrap too: a value that is not there fails the test.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use proptest::prelude::*;
use rebuy_data::{ReadOptions, read_transactions};
use rebuy_features::{AsOf, CustomerFeatures, FeatureEngine};

const HEADER: &str =
    "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n";

/// (customer, day offset from 2010-01-01, quantity, price, is_return)
type Line = (u8, u16, u8, u16, bool);

fn csv_of(lines: &[Line]) -> String {
    let start = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    let mut text = HEADER.to_string();
    for (i, (customer, day, quantity, price, is_return)) in lines.iter().enumerate() {
        let date = start + chrono::Duration::days(i64::from(*day));
        let invoice = if *is_return {
            format!("C{}", 500_000 + i)
        } else {
            format!("{}", 500_000 + i / 2)
        };
        let quantity = if *is_return {
            -i32::from(*quantity) - 1
        } else {
            i32::from(*quantity) + 1
        };
        text.push_str(&format!(
            "{invoice},P{},ITEM,{quantity},{date} 10:00:00,{}.5,{},United Kingdom\n",
            i % 7,
            price + 1,
            12_000 + u32::from(*customer)
        ));
    }
    text
}

fn engine_of(lines: &[Line]) -> FeatureEngine {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, csv_of(lines)).unwrap();
    let transactions = read_transactions(&[path], &ReadOptions::default(), &mut |_| {}).unwrap();
    FeatureEngine::new(transactions.into_line_table(7, 2).unwrap()).unwrap()
}

fn as_rows(f: &CustomerFeatures) -> Vec<String> {
    (0..f.len())
        .map(|i| {
            let values: Vec<String> = f
                .columns()
                .iter()
                .map(|(_, c)| format!("{:?}", c[i]))
                .collect();
            format!("{} {}", f.customer_id[i], values.join(" "))
        })
        .collect()
}

fn line() -> impl Strategy<Value = Line> {
    (
        0u8..6,
        0u16..200,
        0u8..20,
        0u16..30,
        proptest::bool::weighted(0.1),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn lines_after_the_as_of_date_never_change_a_feature(
        past in proptest::collection::vec(line(), 1..60),
        future in proptest::collection::vec(line(), 1..40),
    ) {
        // The as-of date is day 100: past lines are moved before it, future ones on or after it.
        let past: Vec<Line> = past.into_iter().map(|(c, d, q, p, r)| (c, d % 100, q, p, r)).collect();
        let future: Vec<Line> = future.into_iter().map(|(c, d, q, p, r)| (c, 100 + d, q, p, r)).collect();
        prop_assume!(past.iter().any(|l| !l.4));
        let as_of = AsOf::from_date(NaiveDate::from_ymd_opt(2010, 4, 11).unwrap());
        let mut both = past.clone();
        both.extend(future);
        let alone = engine_of(&past).customer_features(as_of).unwrap();
        let with_future = engine_of(&both).customer_features(as_of).unwrap();
        prop_assert_eq!(as_rows(&alone), as_rows(&with_future));
    }
}

#[test]
fn labels_look_at_the_horizon_only() {
    // Customer 12000 buys on days 0 and 50; 12001 on day 0 and 120; 12002 on day 0 only.
    let lines = [
        (0, 0, 1, 1, false),
        (0, 50, 1, 1, false),
        (1, 0, 1, 1, false),
        (1, 120, 1, 1, false),
        (2, 0, 1, 1, false),
        (0, 60, 2, 3, false),
        (0, 60, 1, 1, false),
    ];
    let engine = engine_of(&lines);
    let as_of = AsOf::from_date(NaiveDate::from_ymd_opt(2010, 1, 21).unwrap()); // day 20
    let features = engine.customer_features(as_of).unwrap();
    assert_eq!(
        features.customer_id,
        ["12000", "12001", "12002"].map(std::sync::Arc::<str>::from)
    );
    assert_eq!(features.recency_days, vec![20.0, 20.0, 20.0]);
    let labels = engine
        .purchase_labels(&features.customer_id, as_of, 90)
        .unwrap();
    assert_eq!(
        labels,
        vec![true, false, false],
        "day 50 is inside (day 20, day 110], day 120 is not"
    );
    let longer = engine
        .purchase_labels(&features.customer_id, as_of, 101)
        .unwrap();
    assert_eq!(longer, vec![true, true, false]);
    let hold_out_purchases = engine
        .purchase_days(&features.customer_id, as_of, 101)
        .unwrap();
    assert_eq!(
        hold_out_purchases,
        vec![2, 1, 0],
        "days 50 and 60 (twice on day 60) for the first customer"
    );
    assert_eq!(
        engine.default_as_of(),
        AsOf::from_date(NaiveDate::from_ymd_opt(2010, 5, 2).unwrap())
    );
    let err = engine.customer_features(AsOf::from_date(
        NaiveDate::from_ymd_opt(2009, 1, 1).unwrap(),
    ));
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("not after the first sale")
    );
}

#[test]
fn the_seasonal_window_is_as_long_as_the_horizon() {
    // Two customers buy on days 0, 20, 50 and 150 (one invoice a day each). At day 380
    // the window starts at day 15 (one year earlier) and lasts the horizon.
    let lines: Vec<Line> = [0, 20, 50, 150]
        .into_iter()
        .flat_map(|day| [(0, day, 1, 1, false), (1, day, 1, 1, false)])
        .collect();
    let start = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    let as_of = AsOf::from_date(start + chrono::Duration::days(380));
    for (horizon_days, orders) in [(30, 1.0), (90, 2.0), (136, 3.0), (135, 2.0)] {
        let features = engine_of(&lines)
            .horizon_days(horizon_days)
            .customer_features(as_of)
            .unwrap();
        assert_eq!(
            features.orders_same_season_last_year,
            vec![orders, orders],
            "horizon {horizon_days}: days 15 to {} (day 150 is inside from 136 days on)",
            14 + horizon_days
        );
        let share = orders / 4.0; // every line is the same sale
        assert_eq!(features.same_season_spend_share, vec![share, share]);
    }
}
