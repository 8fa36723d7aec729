//! Small sampling helpers shared by the generator's parts.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Draws an index with probability proportional to its weight.
#[derive(Debug, Clone)]
pub(super) struct CumulativeTable {
    cumulative: Vec<f64>,
}

impl CumulativeTable {
    /// The weights must be finite, non-negative and not all zero (they are
    /// compile-time tables or generated positive numbers).
    pub(super) fn new(weights: impl IntoIterator<Item = f64>) -> CumulativeTable {
        let mut total = 0.0;
        let cumulative = weights
            .into_iter()
            .map(|weight| {
                total += weight;
                total
            })
            .collect();
        CumulativeTable { cumulative }
    }

    pub(super) fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let target = rng.random::<f64>() * total;
        let index = self.cumulative.partition_point(|&c| c <= target);
        index.min(self.cumulative.len().saturating_sub(1))
    }
}

/// What a random stream is used for, so that streams of one customer differ.
#[derive(Debug, Clone, Copy)]
pub(super) enum Stream {
    Catalogue = 1,
    Customer = 2,
    Purchase = 3,
    SaleLines = 4,
    WalkInLines = 5,
    CancelLines = 6,
}

/// An independent random stream for (`seed`, `stream`, `owner`, `event`).
///
/// Every customer and every purchase attempt gets its own stream so that a
/// customer's history does not depend on the others: the same seed gives the
/// same customers whatever their number, and a dry run can count one
/// customer's lines without simulating the rest.
pub(super) fn stream_rng(seed: u64, stream: Stream, owner: u64, event: u64) -> ChaCha8Rng {
    let mixed = splitmix(seed ^ splitmix(stream as u64 ^ splitmix(owner ^ splitmix(event))));
    ChaCha8Rng::seed_from_u64(mixed)
}

/// splitmix64's output for state `x` (Steele, Lea and Flood 2014): `x` plus the golden
/// gamma, mixed. A fast, well-mixed 64-bit hash; the same on every platform.
pub fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_table_follows_weights_and_skips_zero_weights() {
        let table = CumulativeTable::new([1.0, 0.0, 3.0]);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[table.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        let share = f64::from(counts[2]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "share {share}");
    }

    #[test]
    fn streams_differ_by_every_part_of_their_name() {
        let first =
            |seed, stream, owner, event| stream_rng(seed, stream, owner, event).random::<u64>();
        let base = first(1, Stream::Purchase, 2, 3);
        assert_eq!(base, first(1, Stream::Purchase, 2, 3));
        assert_ne!(base, first(2, Stream::Purchase, 2, 3));
        assert_ne!(base, first(1, Stream::SaleLines, 2, 3));
        assert_ne!(base, first(1, Stream::Purchase, 3, 3));
        assert_ne!(base, first(1, Stream::Purchase, 2, 4));
    }
}
