//! What the shop sells and to whom: products, fee codes, quantities, countries.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, LogNormal};

use super::tables::{CumulativeTable, Stream, stream_rng};

/// Number of products; the real 2009-2010 file has 4,632 stock codes.
const PRODUCTS: usize = 4200;
/// Zipf-Mandelbrot popularity `(rank + OFFSET)^-1`, fitted to the real file:
/// top product 0.66% of lines, top 10% of products 50%, top 20% 70%.
const POPULARITY_OFFSET: f64 = 30.0;
/// Log-normal unit prices: median 2.10, 90% between 0.42 and 9.95 as in the real file.
const PRICE_MEDIAN: f64 = 2.10;
const PRICE_SIGMA: f64 = 0.95;

/// Countries with their customer counts in the real 2009-2010 file, and
/// their share of walk-in (no customer id) lines.
const COUNTRIES: [(&str, f64, f64); 24] = [
    ("United Kingdom", 4034.0, 98.6),
    ("Germany", 68.0, 0.0),
    ("France", 47.0, 0.0),
    ("Spain", 24.0, 0.0),
    ("Netherlands", 23.0, 0.0),
    ("Portugal", 18.0, 0.1),
    ("Belgium", 16.0, 0.0),
    ("Sweden", 16.0, 0.0),
    ("Australia", 14.0, 0.0),
    ("Switzerland", 13.0, 0.0),
    ("Channel Islands", 12.0, 0.0),
    ("Italy", 11.0, 0.0),
    ("Austria", 10.0, 0.0),
    ("Denmark", 9.0, 0.0),
    ("Finland", 8.0, 0.0),
    ("Cyprus", 7.0, 0.0),
    ("USA", 6.0, 0.0),
    ("Japan", 6.0, 0.0),
    ("EIRE", 5.0, 0.9),
    ("Norway", 5.0, 0.0),
    ("Greece", 4.0, 0.0),
    ("United Arab Emirates", 4.0, 0.1),
    ("Poland", 2.0, 0.0),
    ("Hong Kong", 0.0, 0.1),
];

/// Index of the United Kingdom in [`COUNTRIES`]: postage is charged to the others.
pub(super) const HOME_COUNTRY: u8 = 0;

/// Quantities of a retail customer's lines (value, weight).
const RETAIL_QUANTITIES: [(i64, f64); 10] = [
    (1, 40.0),
    (2, 20.0),
    (3, 9.0),
    (4, 8.0),
    (5, 3.0),
    (6, 9.0),
    (8, 2.0),
    (10, 3.0),
    (12, 5.0),
    (24, 1.0),
];

/// Quantities of a wholesale customer's lines: packs of 6, 12, 24, 48...
const WHOLESALE_QUANTITIES: [(i64, f64); 17] = [
    (1, 10.0),
    (2, 7.0),
    (3, 4.0),
    (4, 4.0),
    (6, 8.0),
    (8, 3.0),
    (10, 5.0),
    (12, 20.0),
    (16, 2.0),
    (20, 2.0),
    (24, 14.0),
    (25, 2.0),
    (36, 2.0),
    (48, 6.0),
    (72, 2.0),
    (96, 3.0),
    (144, 1.0),
];

/// Quantities taken back in a cancellation (negated when written).
const RETURNED_QUANTITIES: [(i64, f64); 6] = [
    (1, 45.0),
    (2, 20.0),
    (3, 8.0),
    (6, 10.0),
    (12, 12.0),
    (24, 5.0),
];

/// Lines that are not products, with the real file's codes and descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fee {
    Postage,
    Manual,
    BankCharges,
    Amazon,
    Discount,
}

impl Fee {
    pub(super) fn stock_code(self) -> &'static str {
        match self {
            Fee::Postage => "POST",
            Fee::Manual => "M",
            Fee::BankCharges => "BANK CHARGES",
            Fee::Amazon => "AMAZONFEE",
            Fee::Discount => "D",
        }
    }

    pub(super) fn description(self) -> &'static str {
        match self {
            Fee::Postage => "POSTAGE",
            Fee::Manual => "Manual",
            Fee::BankCharges => "Bank Charges",
            Fee::Amazon => "AMAZON FEE",
            Fee::Discount => "Discount",
        }
    }

    /// Unit price in pence.
    pub(super) fn price_cents<R: Rng>(self, rng: &mut R) -> i64 {
        match self {
            Fee::Postage => [1800, 1800, 1800, 4000, 1500][rng.random_range(0..5)],
            Fee::Manual => log_normal_cents(rng, 5.0, 1.4),
            Fee::BankCharges => 1500,
            Fee::Amazon => rng.random_range(100_000..1_000_000),
            Fee::Discount => log_normal_cents(rng, 15.0, 0.8),
        }
    }
}

fn log_normal_cents<R: Rng>(rng: &mut R, median: f64, sigma: f64) -> i64 {
    let price = LogNormal::new(median.ln(), sigma).map_or(median, |d| d.sample(rng));
    ((price * 100.0).round() as i64).max(1)
}

#[derive(Debug, Clone)]
pub(super) struct Product {
    pub stock_code: String,
    pub description: String,
    pub price_cents: i64,
}

/// The product list, the popularity to draw from it, and the fixed tables.
#[derive(Debug)]
pub(super) struct Catalogue {
    products: Vec<Product>,
    popularity: CumulativeTable,
    customer_countries: CumulativeTable,
    walk_in_countries: CumulativeTable,
    retail_quantities: CumulativeTable,
    wholesale_quantities: CumulativeTable,
    returned_quantities: CumulativeTable,
}

impl Catalogue {
    pub(super) fn new(seed: u64) -> Catalogue {
        let mut rng = stream_rng(seed, Stream::Catalogue, 0, 0);
        let products = products(&mut rng);
        let mut rank: Vec<usize> = (0..products.len()).collect();
        rank.shuffle(&mut rng);
        let popularity = CumulativeTable::new(
            rank.iter()
                .map(|&r| 1.0 / (r as f64 + 1.0 + POPULARITY_OFFSET)),
        );
        let table = |pairs: &[(i64, f64)]| CumulativeTable::new(pairs.iter().map(|&(_, w)| w));
        Catalogue {
            products,
            popularity,
            customer_countries: CumulativeTable::new(COUNTRIES.iter().map(|c| c.1)),
            walk_in_countries: CumulativeTable::new(COUNTRIES.iter().map(|c| c.2)),
            retail_quantities: table(&RETAIL_QUANTITIES),
            wholesale_quantities: table(&WHOLESALE_QUANTITIES),
            returned_quantities: table(&RETURNED_QUANTITIES),
        }
    }

    pub(super) fn product(&self, index: u32) -> &Product {
        &self.products[index as usize]
    }

    pub(super) fn draw_product<R: Rng>(&self, rng: &mut R) -> u32 {
        self.popularity.sample(rng) as u32
    }

    pub(super) fn draw_quantity<R: Rng>(&self, rng: &mut R, wholesale: bool) -> i64 {
        if wholesale {
            WHOLESALE_QUANTITIES[self.wholesale_quantities.sample(rng)].0
        } else {
            RETAIL_QUANTITIES[self.retail_quantities.sample(rng)].0
        }
    }

    pub(super) fn draw_returned_quantity<R: Rng>(&self, rng: &mut R) -> i64 {
        RETURNED_QUANTITIES[self.returned_quantities.sample(rng)].0
    }

    pub(super) fn draw_customer_country<R: Rng>(&self, rng: &mut R) -> u8 {
        self.customer_countries.sample(rng) as u8
    }

    pub(super) fn draw_walk_in_country<R: Rng>(&self, rng: &mut R) -> u8 {
        self.walk_in_countries.sample(rng) as u8
    }

    pub(super) fn country_name(country: u8) -> &'static str {
        COUNTRIES[usize::from(country)].0
    }
}

const COLOURS: [&str; 16] = [
    "RED", "PINK", "BLUE", "WHITE", "IVORY", "CREAM", "GREEN", "BLACK", "GREY", "PURPLE", "YELLOW",
    "ORANGE", "SILVER", "GOLD", "PASTEL", "VINTAGE",
];
const MOTIFS: [&str; 32] = [
    "RETROSPOT",
    "HANGING HEART",
    "SPOTTY",
    "POLKADOT",
    "REGENCY",
    "PAISLEY",
    "SKULL",
    "VINTAGE DOILY",
    "ORIENTAL",
    "BIRD",
    "CHRISTMAS",
    "SWEETHEART",
    "STRAWBERRY",
    "FAIRY CAKE",
    "JAM MAKING",
    "RABBIT",
    "OWL",
    "DOLLY GIRL",
    "SPACEBOY",
    "WOODLAND",
    "ENGLISH ROSE",
    "LOVEBIRD",
    "BAROQUE",
    "GINGHAM",
    "PANTRY",
    "UNION JACK",
    "SCANDINAVIAN",
    "WICKER",
    "FLORAL",
    "STAR",
    "SNOWFLAKE",
    "\"HOME SWEET HOME\"",
];
const ITEMS: [&str; 40] = [
    "T-LIGHT HOLDER",
    "LUNCH BAG",
    "JUMBO BAG",
    "CAKE TIN",
    "TEA CUP AND SAUCER",
    "MUG",
    "DOORMAT",
    "CUSHION COVER",
    "GIFT WRAP",
    "PAPER NAPKINS",
    "PARTY BUNTING",
    "WALL CLOCK",
    "PHOTO FRAME",
    "TRINKET BOX",
    "HOT WATER BOTTLE",
    "CANDLE",
    "LANTERN",
    "NOTEBOOK",
    "PENCILS",
    "WATER BOTTLE",
    "KEY RING",
    "METAL SIGN",
    "CHARM",
    "GARLAND",
    "BAKING SET",
    "PLATE",
    "BOWL",
    "COASTER",
    "TISSUE BOX",
    "STORAGE JAR",
    "WASHBAG",
    "UMBRELLA",
    "SHOPPING BAG",
    "CHALKBOARD",
    "MIRROR",
    "EGG CUP",
    "DOG BOWL",
    "FAIRY LIGHTS",
    "DOOR STOP",
    "HAND WARMER",
];
const SIZES: [&str; 5] = ["SMALL", "LARGE", "JUMBO", "MINI", "MEDIUM"];

/// Five-digit codes in increasing order with gaps; about one base product in
/// five comes in colour variants that share the number and add a letter
/// (`85123A`), as in the real catalogue.
fn products<R: Rng>(rng: &mut R) -> Vec<Product> {
    let prices = LogNormal::new(PRICE_MEDIAN.ln(), PRICE_SIGMA).ok();
    let mut products = Vec::with_capacity(PRODUCTS + 4);
    let mut number = 10_002u32;
    while products.len() < PRODUCTS {
        number += rng.random_range(1..19);
        let price = prices.as_ref().map_or(PRICE_MEDIAN, |d| d.sample(rng));
        let price_cents = round_price(price);
        let motif = MOTIFS[rng.random_range(0..MOTIFS.len())];
        let item = ITEMS[rng.random_range(0..ITEMS.len())];
        if rng.random_bool(0.2) {
            let variants = rng.random_range(2..5);
            let first_colour = rng.random_range(0..COLOURS.len());
            for (v, letter) in ('A'..='Z').take(variants).enumerate() {
                let colour = COLOURS[(first_colour + v) % COLOURS.len()];
                products.push(Product {
                    stock_code: format!("{number}{letter}"),
                    description: format!("{motif} {item} {colour}"),
                    price_cents,
                });
            }
        } else {
            products.push(Product {
                stock_code: number.to_string(),
                description: description(rng, motif, item),
                price_cents,
            });
        }
    }
    products.truncate(PRODUCTS);
    products
}

fn description<R: Rng>(rng: &mut R, motif: &str, item: &str) -> String {
    match rng.random_range(0..20) {
        0..=6 => format!(
            "{} {motif} {item}",
            COLOURS[rng.random_range(0..COLOURS.len())]
        ),
        7..=10 => format!("{motif} {item}"),
        11..=13 => format!("SET OF {} {motif} {item}", rng.random_range(2..7)),
        14..=17 => format!("{} {motif} {item}", SIZES[rng.random_range(0..SIZES.len())]),
        18 => format!("{item} {motif} DESIGN"),
        _ => format!("{item} , {motif} DESIGN"),
    }
}

/// Pence, to the penny below one pound and to five pence above, like shelf prices.
fn round_price(price: f64) -> i64 {
    let cents = (price.clamp(0.10, 250.0) * 100.0).round() as i64;
    if cents < 100 {
        cents
    } else {
        (cents + 2) / 5 * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn catalogue_looks_like_the_real_one() {
        let catalogue = Catalogue::new(3);
        assert_eq!(catalogue.products.len(), PRODUCTS);
        let mut codes: Vec<&str> = catalogue
            .products
            .iter()
            .map(|p| p.stock_code.as_str())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), PRODUCTS, "stock codes are unique");
        for product in &catalogue.products {
            let (digits, suffix) = product.stock_code.split_at(5);
            assert!(
                digits.bytes().all(|b| b.is_ascii_digit()),
                "{}",
                product.stock_code
            );
            assert!(suffix.len() <= 1 && suffix.bytes().all(|b| b.is_ascii_uppercase()));
            assert_eq!(product.description, product.description.to_uppercase());
            assert!(product.price_cents >= 10);
        }
        let mut prices: Vec<i64> = catalogue.products.iter().map(|p| p.price_cents).collect();
        prices.sort_unstable();
        let median = prices[prices.len() / 2];
        assert!((150..=300).contains(&median), "median price {median}");
    }

    #[test]
    fn popularity_is_skewed_like_the_real_file() {
        let catalogue = Catalogue::new(5);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut counts = vec![0u32; PRODUCTS];
        let draws = 200_000;
        for _ in 0..draws {
            counts[catalogue.draw_product(&mut rng) as usize] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top_tenth: u32 = counts[..PRODUCTS / 10].iter().sum();
        let share = f64::from(top_tenth) / f64::from(draws);
        // Real file: the top 10% of stock codes carry 50% of the lines.
        assert!((0.45..0.60).contains(&share), "top 10% share {share}");
    }

    #[test]
    fn prices_round_like_shelf_prices() {
        assert_eq!(round_price(0.853), 85);
        assert_eq!(round_price(2.93), 295);
        assert_eq!(round_price(1000.0), 25_000);
        assert_eq!(round_price(0.01), 10);
    }
}
