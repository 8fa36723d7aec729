//! The lines of an invoice: which products, how many, at what price.
//!
//! Each invoice draws from its own random stream named by its customer and
//! purchase attempt, so a cancellation can replay the stream of the sale it
//! cancels and return products that customer really bought.

use rand::Rng;

use super::catalogue::{Catalogue, Fee};
use super::customers::{SaleExtras, WalkIn};
use super::tables::{Stream, stream_rng};

/// Chance that a product line of a known customer is priced at zero.
const ZERO_PRICE_SALE: f64 = 0.0005;
/// Unit price in pence above which even wholesale customers buy single units.
const WHOLESALE_PRICE_LIMIT: i64 = 800;
/// Zero prices are mostly on anonymous lines in the real file (99%).
const ZERO_PRICE_WALK_IN: f64 = 0.03;

/// A product or a fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Item {
    Product(u32),
    Fee(Fee),
}

/// One line before formatting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LineRecord {
    pub item: Item,
    pub quantity: i64,
    pub price_cents: i64,
}

/// Makes the lines of the three kinds of invoice.
#[derive(Debug)]
pub(super) struct LineMaker<'a> {
    pub seed: u64,
    pub catalogue: &'a Catalogue,
}

impl LineMaker<'_> {
    /// A customer's sale: postage first (as in the real file), the products,
    /// maybe one line written twice, then manual and bank-charge lines.
    pub(super) fn sale(
        &self,
        customer: u32,
        event: u32,
        wholesale: bool,
        product_lines: u32,
        extras: SaleExtras,
        out: &mut Vec<LineRecord>,
    ) {
        out.clear();
        let mut rng = stream_rng(
            self.seed,
            Stream::SaleLines,
            u64::from(customer),
            u64::from(event),
        );
        // Products come first in the stream so that a cancellation can replay them.
        for _ in 0..product_lines {
            let product = self.catalogue.draw_product(&mut rng);
            out.push(LineRecord {
                item: Item::Product(product),
                quantity: 0,
                price_cents: 0,
            });
        }
        for line in out.iter_mut() {
            line.price_cents = self.price(&mut rng, line.item, ZERO_PRICE_SALE);
            // Nobody buys dear items by the gross, as in the real file.
            let by_the_pack = wholesale && line.price_cents < WHOLESALE_PRICE_LIMIT;
            line.quantity = self.catalogue.draw_quantity(&mut rng, by_the_pack);
        }
        if extras.duplicate && !out.is_empty() {
            let copied = rng.random_range(0..out.len());
            out.insert(copied + 1, out[copied]);
        }
        if extras.postage {
            let quantity = rng.random_range(1..4);
            let postage = self.fee(&mut rng, Fee::Postage, quantity);
            out.insert(0, postage);
        }
        if extras.manual {
            out.push(self.fee(&mut rng, Fee::Manual, 1));
        }
        if extras.bank_charges {
            out.push(self.fee(&mut rng, Fee::BankCharges, 1));
        }
    }

    /// An anonymous invoice riding along with purchase `event` of `customer`.
    pub(super) fn walk_in(
        &self,
        customer: u32,
        event: u32,
        walk_in: &WalkIn,
        out: &mut Vec<LineRecord>,
    ) {
        out.clear();
        let mut rng = stream_rng(
            self.seed,
            Stream::WalkInLines,
            u64::from(customer),
            u64::from(event),
        );
        for _ in 0..walk_in.product_lines {
            let item = Item::Product(self.catalogue.draw_product(&mut rng));
            let quantity = self.catalogue.draw_quantity(&mut rng, false);
            let price_cents = self.price(&mut rng, item, ZERO_PRICE_WALK_IN);
            out.push(LineRecord {
                item,
                quantity,
                price_cents,
            });
        }
        if walk_in.manual {
            out.push(self.fee(&mut rng, Fee::Manual, 1));
        }
        if walk_in.amazon_fee {
            out.push(self.fee(&mut rng, Fee::Amazon, 1));
        }
    }

    /// Returns of the first `product_lines` products of sale `event`, at
    /// their catalogue price and negative quantity, maybe with a discount.
    pub(super) fn cancellation(
        &self,
        customer: u32,
        event: u32,
        product_lines: u32,
        discount: bool,
        out: &mut Vec<LineRecord>,
    ) {
        out.clear();
        let mut sale_rng = stream_rng(
            self.seed,
            Stream::SaleLines,
            u64::from(customer),
            u64::from(event),
        );
        let mut rng = stream_rng(
            self.seed,
            Stream::CancelLines,
            u64::from(customer),
            u64::from(event),
        );
        for _ in 0..product_lines {
            let product = self.catalogue.draw_product(&mut sale_rng);
            let price_cents = self.catalogue.product(product).price_cents;
            let quantity = -self.catalogue.draw_returned_quantity(&mut rng);
            out.push(LineRecord {
                item: Item::Product(product),
                quantity,
                price_cents,
            });
        }
        if discount {
            out.push(self.fee(&mut rng, Fee::Discount, -1));
        }
    }

    fn fee<R: Rng>(&self, rng: &mut R, fee: Fee, quantity: i64) -> LineRecord {
        LineRecord {
            item: Item::Fee(fee),
            quantity,
            price_cents: fee.price_cents(rng),
        }
    }

    fn price<R: Rng>(&self, rng: &mut R, item: Item, zero_price: f64) -> i64 {
        let zero = rng.random_bool(zero_price);
        match item {
            Item::Product(product) if !zero => self.catalogue.product(product).price_cents,
            _ => 0,
        }
    }
}
