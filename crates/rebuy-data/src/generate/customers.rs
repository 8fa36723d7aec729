//! Customers and when they buy: a buy-till-you-die process.
//!
//! Each customer follows the BG/NBD story (Fader, Hardie & Lee 2005): while
//! alive they buy at a Poisson rate `lambda ~ Gamma(r, alpha)`, and after each
//! purchase they drop out for good with probability `p ~ Beta(a, b)`. The rate
//! is modulated by the shop's calendar (thinning), so November is busy and
//! Saturdays are quiet. Half of the customers are already customers when
//! the period starts; the others join on a date spread over the period (in
//! proportion to the calendar) and buy on that date.
//!
//! The parameters are set so that the shape statistics of 12 generated
//! months match the real 2009-2010 file (`docs/reference/generator/`).
//! `lifetimes` fits BG/NBD on 12 generated months as r 0.44, alpha 31 days,
//! a 0.30, b 11.7 (true: 0.3, about 25 on an average day, 0.5, 9.5); on the
//! real file as r 0.87, alpha 71, a 0.27, b 194. Real customers hardly drop
//! out within a year; we keep more dropout so that lapsing is part of what
//! a model has to learn.

use rand::Rng;
use rand_distr::{Beta, Distribution, Exp, Gamma, LogNormal, Poisson};

use super::calendar::Calendar;
use super::catalogue::{Catalogue, HOME_COUNTRY};
use super::tables::{Stream, stream_rng};

/// Shape `r` of the purchase-rate Gamma. Smaller than the r = 0.87 that
/// lifetimes fits on the real 2009-2010 file, because per-purchase dropout
/// thins out frequent buyers: with it, invoices per customer over 12 months
/// have a coefficient of variation of about 1.5 (real: 1.83).
const RATE_SHAPE: f64 = 0.3;
/// Scale `1/alpha` of the purchase-rate Gamma, in purchases per day at
/// seasonal factor 1: a mean of one purchase every 67 days.
const RATE_SCALE: f64 = 1.0 / 20.0;
/// Beta(a, b) of the dropout probability after each purchase: mean 0.05,
/// most customers near zero and a few who leave quickly.
const DROPOUT_A: f64 = 0.5;
const DROPOUT_B: f64 = 9.5;
/// Share of customers already buying when the period starts.
const EXISTING_SHARE: f64 = 0.5;
/// Median product lines per invoice of a customer, and its spread across customers.
const BASKET_MEDIAN: f64 = 17.0;
const BASKET_SIGMA: f64 = 0.6;
/// Share of customers who buy in wholesale packs.
const WHOLESALE_SHARE: f64 = 0.45;
/// Anonymous invoices (no customer id) ride along with customers' purchases,
/// so that they follow the same seasons; about a fifth of all lines.
const WALK_IN_PER_PURCHASE: f64 = 0.25;
/// Chance that a purchase is partly cancelled later, and the mean delay in days.
const CANCELLATION_SHARE: f64 = 0.32;
const CANCELLATION_DELAY_DAYS: f64 = 5.0;

/// One customer's fixed traits and the count of purchase attempts so far.
#[derive(Debug, Clone)]
pub(super) struct Customer {
    purchase_rate: f32,
    dropout_probability: f32,
    basket_mean: f32,
    attempts: u32,
    joins_in_period: bool,
    pub wholesale: bool,
    pub country: u8,
    /// Whether a line of this customer has been written (for the summary).
    pub seen: bool,
}

/// Extra, non-product lines of a sale.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SaleExtras {
    pub duplicate: bool,
    pub postage: bool,
    pub manual: bool,
    pub bank_charges: bool,
}

/// An anonymous invoice on the same day as a customer's purchase.
#[derive(Debug, Clone, Copy)]
pub(super) struct WalkIn {
    pub minute: u16,
    pub product_lines: u32,
    pub country: u8,
    pub manual: bool,
    pub amazon_fee: bool,
}

/// A later cancellation of some of a purchase's lines.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cancellation {
    pub day: u32,
    pub minute: u16,
    pub product_lines: u32,
    pub discount: bool,
}

/// A purchase and the invoices it brings along.
#[derive(Debug, Clone)]
pub(super) struct Purchase {
    /// Number of the attempt, which names the random stream of its lines.
    pub event: u32,
    pub minute: u16,
    pub product_lines: u32,
    pub extras: SaleExtras,
    pub walk_in: Option<WalkIn>,
    pub cancellation: Option<Cancellation>,
}

impl Purchase {
    pub(super) fn sale_lines(&self) -> u64 {
        let e = self.extras;
        u64::from(self.product_lines)
            + [e.duplicate, e.postage, e.manual, e.bank_charges]
                .iter()
                .map(|&b| u64::from(b))
                .sum::<u64>()
    }

    /// Lines of the sale, its walk-in companion and its cancellation.
    pub(super) fn total_lines(&self) -> u64 {
        let walk_in = self.walk_in.map_or(0, |w| {
            u64::from(w.product_lines) + u64::from(w.manual) + u64::from(w.amazon_fee)
        });
        let cancellation = self
            .cancellation
            .map_or(0, |c| u64::from(c.product_lines) + u64::from(c.discount));
        self.sale_lines() + walk_in + cancellation
    }
}

/// The outcome of one purchase attempt: maybe a purchase, maybe a next attempt.
#[derive(Debug)]
pub(super) struct Attempt {
    pub purchase: Option<Purchase>,
    pub next_time: Option<f64>,
}

/// Draws customers and their purchases; times are in days since the start.
#[derive(Debug)]
pub(super) struct Population<'a> {
    pub seed: u64,
    pub calendar: &'a Calendar,
    pub catalogue: &'a Catalogue,
}

impl Population<'_> {
    /// Customer `id` (0-based) and the time of their first purchase attempt,
    /// `None` when it falls after the period.
    pub(super) fn customer(&self, id: u32) -> (Customer, Option<f64>) {
        let mut rng = stream_rng(self.seed, Stream::Customer, u64::from(id), 0);
        let purchase_rate = Gamma::new(RATE_SHAPE, RATE_SCALE).map_or(0.0, |d| d.sample(&mut rng));
        let dropout_probability =
            Beta::new(DROPOUT_A, DROPOUT_B).map_or(0.5, |d| d.sample(&mut rng));
        let basket_mean = LogNormal::new(BASKET_MEDIAN.ln(), BASKET_SIGMA)
            .map_or(BASKET_MEDIAN, |d| d.sample(&mut rng));
        let joins_in_period = !rng.random_bool(EXISTING_SHARE);
        let customer = Customer {
            purchase_rate: purchase_rate as f32,
            dropout_probability: dropout_probability as f32,
            basket_mean: basket_mean as f32,
            attempts: 0,
            joins_in_period,
            wholesale: rng.random_bool(WHOLESALE_SHARE),
            country: self.catalogue.draw_customer_country(&mut rng),
            seen: false,
        };
        let first = if joins_in_period {
            Some(self.join_time(&mut rng))
        } else {
            self.after_wait(&mut rng, &customer, 0.0)
        };
        (customer, first)
    }

    /// A joining date drawn in proportion to the calendar's intensity, so
    /// that new customers also peak in November.
    fn join_time<R: Rng>(&self, rng: &mut R) -> f64 {
        let days = f64::from(self.calendar.days());
        let mut time = 0.0;
        // A bounded rejection loop: acceptance is about 0.5 per draw.
        for _ in 0..1000 {
            time = rng.random::<f64>() * days;
            if rng.random::<f64>() * self.calendar.max_factor() < self.calendar.factor(time as u32)
            {
                break;
            }
        }
        time
    }

    /// Next attempt of a Poisson process at the envelope rate, or `None`
    /// when it falls after the period.
    fn after_wait<R: Rng>(&self, rng: &mut R, customer: &Customer, time: f64) -> Option<f64> {
        let rate = f64::from(customer.purchase_rate) * self.calendar.max_factor();
        let wait = Exp::new(rate).ok()?.sample(rng);
        let next = time + wait;
        (next < f64::from(self.calendar.days())).then_some(next)
    }

    /// One purchase attempt of customer `id` at `time`.
    pub(super) fn attempt(&self, id: u32, customer: &mut Customer, time: f64) -> Attempt {
        let event = customer.attempts;
        customer.attempts += 1;
        let mut rng = stream_rng(self.seed, Stream::Purchase, u64::from(id), u64::from(event));
        let day = time as u32;
        let forced = event == 0 && customer.joins_in_period;
        let accepted =
            forced || rng.random::<f64>() * self.calendar.max_factor() < self.calendar.factor(day);
        let mut next_time = self.after_wait(&mut rng, customer, time);
        if !accepted {
            return Attempt {
                purchase: None,
                next_time,
            };
        }
        let purchase = self.purchase(&mut rng, customer, event, day);
        if rng.random_bool(f64::from(customer.dropout_probability).clamp(0.0, 1.0)) {
            next_time = None;
        }
        Attempt {
            purchase: Some(purchase),
            next_time,
        }
    }

    fn purchase<R: Rng>(&self, rng: &mut R, customer: &Customer, event: u32, day: u32) -> Purchase {
        let product_lines = basket_size(rng, f64::from(customer.basket_mean));
        let abroad = customer.country != HOME_COUNTRY;
        let extras = SaleExtras {
            duplicate: rng.random_bool(0.08),
            postage: rng.random_bool(if abroad { 0.6 } else { 0.01 }),
            manual: rng.random_bool(0.02),
            bank_charges: rng.random_bool(0.002),
        };
        let minute = self.calendar.minute_of_day(rng);
        let walk_in = rng.random_bool(WALK_IN_PER_PURCHASE).then(|| WalkIn {
            minute: self.calendar.minute_of_day(rng),
            product_lines: walk_in_size(rng),
            country: self.catalogue.draw_walk_in_country(rng),
            manual: rng.random_bool(0.03),
            amazon_fee: rng.random_bool(0.002),
        });
        let cancellation = if rng.random_bool(CANCELLATION_SHARE) {
            self.cancellation(rng, day, product_lines)
        } else {
            None
        };
        Purchase {
            event,
            minute,
            product_lines,
            extras,
            walk_in,
            cancellation,
        }
    }

    /// Returns of one to three of the purchase's first lines, one or more
    /// days later on a trading day; `None` when that is after the period.
    fn cancellation<R: Rng>(
        &self,
        rng: &mut R,
        day: u32,
        product_lines: u32,
    ) -> Option<Cancellation> {
        let delay = Exp::new(1.0 / CANCELLATION_DELAY_DAYS).map_or(0.0, |d| d.sample(rng));
        let lines = match rng.random_range(0..20) {
            0..=12 => 1,
            13..=16 => 2,
            _ => 3,
        };
        let minute = self.calendar.minute_of_day(rng);
        let discount = rng.random_bool(0.03);
        // At least a day later, so the cancellation follows the sale in the file.
        let wanted = day.saturating_add(1 + delay.min(1e6) as u32);
        let day = self.calendar.next_open_day(wanted)?;
        Some(Cancellation {
            day,
            minute,
            product_lines: lines.min(product_lines),
            discount,
        })
    }

    /// Lines customer `id` contributes over the whole period, without
    /// drawing their contents: how `--lines N` picks the number of customers.
    pub(super) fn lines_of_customer(&self, id: u32) -> u64 {
        let (mut customer, mut next) = self.customer(id);
        let mut lines = 0;
        while let Some(time) = next {
            let attempt = self.attempt(id, &mut customer, time);
            lines += attempt.purchase.as_ref().map_or(0, Purchase::total_lines);
            next = attempt.next_time;
        }
        lines
    }
}

/// Product lines of a customer's invoice: 1 + negative binomial around the
/// customer's mean (real median 15, 90th percentile 48).
fn basket_size<R: Rng>(rng: &mut R, mean: f64) -> u32 {
    1 + gamma_poisson(rng, 2.0, (mean - 1.0).max(0.1)).min(600)
}

/// Anonymous invoices are mostly one or two lines with a long tail of big
/// ones (real quantiles: median 1, 90th percentile 35, 99th 405).
fn walk_in_size<R: Rng>(rng: &mut R) -> u32 {
    if rng.random_bool(0.78) {
        1 + u32::from(rng.random_bool(0.2))
    } else {
        1 + gamma_poisson(rng, 1.0, 90.0).min(800)
    }
}

/// Negative binomial draw with the given shape and mean, as a Gamma-Poisson mixture.
fn gamma_poisson<R: Rng>(rng: &mut R, shape: f64, mean: f64) -> u32 {
    let rate = Gamma::new(shape, mean / shape).map_or(mean, |d| d.sample(rng));
    if rate <= 0.0 {
        return 0;
    }
    Poisson::new(rate).map_or(0.0, |d| d.sample(rng)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn population_for<T>(f: impl FnOnce(&Population) -> T) -> T {
        let calendar = Calendar::new(NaiveDate::from_ymd_opt(2009, 12, 1).unwrap(), 24).unwrap();
        let catalogue = Catalogue::new(11);
        f(&Population {
            seed: 11,
            calendar: &calendar,
            catalogue: &catalogue,
        })
    }

    #[test]
    fn a_customer_does_not_depend_on_the_others() {
        population_for(|population| {
            let first = population.lines_of_customer(5);
            for id in 0..5 {
                population.lines_of_customer(id);
            }
            assert_eq!(first, population.lines_of_customer(5));
        });
    }

    #[test]
    fn purchase_counts_are_heterogeneous() {
        let purchases: Vec<f64> = population_for(|population| {
            (0..2000)
                .map(|id| {
                    let (mut customer, mut next) = population.customer(id);
                    let mut count = 0.0;
                    while let Some(time) = next {
                        let attempt = population.attempt(id, &mut customer, time);
                        count += f64::from(u8::from(attempt.purchase.is_some()));
                        next = attempt.next_time;
                    }
                    count
                })
                .collect()
        });
        let mean = purchases.iter().sum::<f64>() / purchases.len() as f64;
        let variance =
            purchases.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / purchases.len() as f64;
        // The real 2009-2010 file: 4.45 invoices per customer, coefficient of variation 1.83.
        assert!(
            variance.sqrt() / mean > 1.0,
            "mean {mean}, variance {variance}"
        );
        assert!((2.0..12.0).contains(&mean), "mean {mean}");
    }

    #[test]
    fn basket_sizes_look_like_the_real_ones() {
        let mut rng = stream_rng(1, Stream::Purchase, 0, 0);
        let mut sizes: Vec<u32> = (0..20_000).map(|_| basket_size(&mut rng, 14.0)).collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        assert!((9..=16).contains(&median), "median {median}");
        assert!(sizes[0] >= 1);
        let mut walk_ins: Vec<u32> = (0..20_000).map(|_| walk_in_size(&mut rng)).collect();
        walk_ins.sort_unstable();
        assert_eq!(walk_ins[walk_ins.len() / 2], 1);
        assert!(walk_ins[walk_ins.len() * 9 / 10] > 20);
    }
}
