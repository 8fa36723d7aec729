//! RFM scores (quintiles 1-5) and the named segments of the R x F grid: plain columns
//! in, so the server can score a new customer without the data engine.

use serde::{Deserialize, Serialize};

/// Quintile scores 1-5 of `values`, ties broken by position so that every quintile
/// is filled: the same bins as pandas' `qcut(values.rank(method="first"), 5)`.
/// With `reverse`, the smallest values score 5 (recency: most recent = 5).
pub fn quintile_scores(values: &[f64], reverse: bool) -> Vec<u8> {
    let n = values.len();
    let mut order: Vec<usize> = (0..n).collect();
    // A stable sort keeps equal values in table order, like rank(method="first").
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut scores = vec![0u8; n];
    for (rank_index, &row) in order.iter().enumerate() {
        let bin = quintile_of_rank(rank_index, n);
        scores[row] = if reverse { 6 - bin } else { bin };
    }
    scores
}

/// The score a new customer with `value` gets against the customers of a run, whose
/// values are `sorted_values` (ascending): the new value takes the rank of the first
/// equal or larger value, then the bins of [`quintile_scores`] apply. Used to score a
/// customer typed into a form with the run's own quintiles.
pub fn score_against(sorted_values: &[f64], value: f64, reverse: bool) -> u8 {
    let rank_index = sorted_values.partition_point(|v| *v < value);
    let bin = quintile_of_rank(rank_index, sorted_values.len());
    if reverse { 6 - bin } else { bin }
}

/// pandas' qcut edges on ranks 1..=n sit at 1 + q (n - 1) for q in 0, 0.2, ..., 1; a
/// rank r > 1 falls in bin ceil(5 (r - 1) / (n - 1)).
fn quintile_of_rank(rank_index: usize, n: usize) -> u8 {
    if n <= 1 || rank_index == 0 {
        return 1;
    }
    let bin = (5 * rank_index).div_ceil(n - 1);
    bin.clamp(1, 5) as u8
}

/// One rule of a segment map: a name for ranges of R, F and M scores (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRule {
    pub name: String,
    pub r: [u8; 2],
    pub f: [u8; 2],
    #[serde(default = "all_scores")]
    pub m: [u8; 2],
}

fn all_scores() -> [u8; 2] {
    [1, 5]
}

/// Ordered rules naming RFM cells; the first rule that matches names the customer.
/// A valid map is a partition: every one of the 125 (R, F, M) cells is named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentMap {
    pub rules: Vec<SegmentRule>,
}

impl Default for SegmentMap {
    /// The R x F grid map commonly used for the Online Retail data.
    fn default() -> Self {
        let rule = |name: &str, r: [u8; 2], f: [u8; 2]| SegmentRule {
            name: name.to_string(),
            r,
            f,
            m: all_scores(),
        };
        SegmentMap {
            rules: vec![
                rule("Hibernating", [1, 2], [1, 2]),
                rule("At Risk", [1, 2], [3, 4]),
                rule("Can't Lose Them", [1, 2], [5, 5]),
                rule("About to Sleep", [3, 3], [1, 2]),
                rule("Need Attention", [3, 3], [3, 3]),
                rule("Loyal Customers", [3, 4], [4, 5]),
                rule("Promising", [4, 4], [1, 1]),
                rule("New Customers", [5, 5], [1, 1]),
                rule("Potential Loyalists", [4, 5], [2, 3]),
                rule("Champions", [5, 5], [4, 5]),
            ],
        }
    }
}

impl SegmentMap {
    /// Checks that the map names every cell; the error lists the first unnamed ones.
    pub fn validate(&self) -> Result<(), String> {
        let mut missing = Vec::new();
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    if self.segment(r, f, m).is_none() {
                        missing.push(format!("R{r}F{f}M{m}"));
                    }
                }
            }
        }
        match missing.len() {
            0 => Ok(()),
            n => Err(format!(
                "the segment map leaves {n} of the 125 RFM cells without a segment, e.g. {}",
                missing
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The name of a cell.
    pub fn segment(&self, r: u8, f: u8, m: u8) -> Option<&str> {
        let within = |range: [u8; 2], v: u8| range[0] <= v && v <= range[1];
        self.rules
            .iter()
            .find(|rule| within(rule.r, r) && within(rule.f, f) && within(rule.m, m))
            .map(|rule| rule.name.as_str())
    }
}

/// What marketers usually do with a segment of the default map.
pub fn suggested_action(segment: &str) -> Option<&'static str> {
    Some(match segment {
        "Champions" => "Reward them; ask for reviews and referrals; early access to new products",
        "Loyal Customers" => "Upsell higher-value products; loyalty programme",
        "Potential Loyalists" => "Membership or loyalty offer; recommend related products",
        "New Customers" => "Onboarding: welcome series, help with the first repeat purchase",
        "Promising" => "Build the relationship: brand content, a small first-repeat incentive",
        "Need Attention" => "Limited-time offer based on past purchases",
        "About to Sleep" => "Reactivate with popular products and a discount",
        "At Risk" => "Personal win-back emails; renewals and helpful resources",
        "Can't Lose Them" => {
            "Win them back with the newest products; talk to them; do not lose them to a competitor"
        }
        "Hibernating" => "Low-cost reactivation only; otherwise let them rest",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quintiles_match_pandas_qcut_of_first_rank() {
        // pandas: pd.qcut(pd.Series(v).rank(method="first"), 5, labels=[1,2,3,4,5])
        let values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0];
        assert_eq!(quintile_scores(&values, false), vec![1, 1, 2, 3, 4, 5, 5]);
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(
            quintile_scores(&ten, false),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
    }

    #[test]
    fn a_new_value_scores_like_a_customer_of_the_run_with_that_value() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let scores = quintile_scores(&values, false);
        for (value, score) in values.iter().zip(&scores) {
            assert_eq!(score_against(&values, *value, false), *score, "{value}");
        }
        assert_eq!(score_against(&values, 0.5, false), 1);
        assert_eq!(score_against(&values, 99.0, false), 5);
        assert_eq!(score_against(&values, 0.5, true), 5, "most recent scores 5");
        assert_eq!(score_against(&[], 3.0, false), 1);
    }

    #[test]
    fn ties_are_broken_by_position_so_every_quintile_exists() {
        let values = [1.0; 10];
        let scores = quintile_scores(&values, false);
        assert_eq!(scores, vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        let recency = quintile_scores(&[1.0, 1.0, 5.0, 9.0, 100.0], true);
        assert_eq!(recency, vec![5, 4, 3, 2, 1]);
    }

    #[test]
    fn the_default_map_is_a_partition_of_the_grid() {
        let map = SegmentMap::default();
        map.validate().unwrap();
        // Every cell is matched by exactly one rule, not only by a first one.
        for r in 1..=5u8 {
            for f in 1..=5u8 {
                let matching = map
                    .rules
                    .iter()
                    .filter(|rule| {
                        rule.r[0] <= r && r <= rule.r[1] && rule.f[0] <= f && f <= rule.f[1]
                    })
                    .count();
                assert_eq!(matching, 1, "R{r}F{f}");
            }
        }
        assert_eq!(map.segment(5, 5, 1), Some("Champions"));
        assert_eq!(map.segment(1, 5, 3), Some("Can't Lose Them"));
        assert_eq!(map.segment(3, 3, 3), Some("Need Attention"));
        assert_eq!(map.segment(4, 1, 3), Some("Promising"));
        for rule in &map.rules {
            assert!(suggested_action(&rule.name).is_some(), "{}", rule.name);
        }
    }

    #[test]
    fn the_default_map_matches_the_definitions_table() {
        let table = [
            [
                "Hibernating",
                "Hibernating",
                "At Risk",
                "At Risk",
                "Can't Lose Them",
            ],
            [
                "Hibernating",
                "Hibernating",
                "At Risk",
                "At Risk",
                "Can't Lose Them",
            ],
            [
                "About to Sleep",
                "About to Sleep",
                "Need Attention",
                "Loyal Customers",
                "Loyal Customers",
            ],
            [
                "Promising",
                "Potential Loyalists",
                "Potential Loyalists",
                "Loyal Customers",
                "Loyal Customers",
            ],
            [
                "New Customers",
                "Potential Loyalists",
                "Potential Loyalists",
                "Champions",
                "Champions",
            ],
        ];
        let map = SegmentMap::default();
        for (r, row) in table.iter().enumerate() {
            for (f, name) in row.iter().enumerate() {
                for m in 1..=5 {
                    assert_eq!(
                        map.segment(r as u8 + 1, f as u8 + 1, m),
                        Some(*name),
                        "r={r} f={f}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_map_with_holes_is_rejected() {
        let mut map = SegmentMap::default();
        map.rules.pop();
        let err = map.validate().unwrap_err();
        assert!(err.contains("R5F4"), "{err}");
    }
}
