//! Seeded samples of customers, for fitting models on very many customers.

/// The customers a model is fitted on: every customer when the run has at most
/// `max_customers`, else each one with probability max_customers / customers, by a
/// seeded hash of their id. The same customers are then drawn in every window of the
/// purchase models and for the clusters, and the tables the models are fitted on stay
/// a bounded size whatever the number of customers (every customer is still scored).
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub share: f64,
    threshold: u64,
    seed: u64,
}

impl Sample {
    pub fn new(max_customers: u64, customers: usize, seed: u64) -> Self {
        let share = if customers as u64 <= max_customers {
            1.0
        } else {
            max_customers as f64 / customers as f64
        };
        Sample {
            share,
            // 2^64 * share, computed as a float: exact enough for a sampling rate.
            threshold: (share * 18_446_744_073_709_551_616.0) as u64,
            seed,
        }
    }

    pub fn keeps(&self, customer_id: &str) -> bool {
        self.share >= 1.0 || id_hash(customer_id, self.seed) < self.threshold
    }
}

/// FNV-1a of the id's bytes, seeded and mixed by splitmix64: the same on every platform.
fn id_hash(customer_id: &str, seed: u64) -> u64 {
    let mut hash = 0xCBF2_9CE4_8422_2325 ^ seed;
    for byte in customer_id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01B3);
    }
    splitmix64(&mut hash)
}

/// One step of splitmix64: the output for `state`, which then advances by the golden
/// gamma.
pub fn splitmix64(state: &mut u64) -> u64 {
    let out = rebuy_data::generate::splitmix(*state);
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_keeps_about_its_share_and_depends_on_the_seed() {
        let ids: Vec<String> = (0..100_000).map(|i| (12_000 + i).to_string()).collect();
        let sample = Sample::new(10_000, ids.len(), 42);
        assert_eq!(sample.share, 0.1);
        let kept: Vec<&String> = ids.iter().filter(|id| sample.keeps(id)).collect();
        // Binomial(100,000, 0.1): sd 95.
        assert!(
            (kept.len() as f64 - 10_000.0).abs() < 500.0,
            "{}",
            kept.len()
        );
        let again: Vec<&String> = ids.iter().filter(|id| sample.keeps(id)).collect();
        assert_eq!(kept, again);
        let other = Sample::new(10_000, ids.len(), 43);
        assert_ne!(
            kept,
            ids.iter().filter(|id| other.keeps(id)).collect::<Vec<_>>()
        );
        let everyone = Sample::new(100_000, ids.len(), 42);
        assert!(ids.iter().all(|id| everyone.keeps(id)));
    }
}
