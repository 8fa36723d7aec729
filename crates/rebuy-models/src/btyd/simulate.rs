//! Customers simulated from a BG/NBD, MBG/NBD or Pareto/NBD model: for benchmarks, for
//! checking that a fit recovers known parameters, and for checking predictions against what
//! happens next.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::beta_geo::BetaGeoVariant;
use crate::{Error, Result};

/// Customers per random stream; each chunk has its own ChaCha stream of the master seed,
/// so the output does not depend on the number of threads.
const CHUNK: usize = 4096;

/// The true model to simulate from, and the seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimulationSettings {
    pub variant: BetaGeoVariant,
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
    /// Length of the period after `T` whose purchases are counted in `future_purchases`.
    pub horizon: f64,
    pub seed: u64,
}

/// The true Pareto/NBD model to simulate from ([`simulate_pareto_nbd`]), and the seed:
/// purchase rates `Gamma(r, alpha)`, drop-out rates `Gamma(s, beta)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParetoNbdSimulation {
    pub r: f64,
    pub alpha: f64,
    pub s: f64,
    pub beta: f64,
    /// Length of the period after `T` whose purchases are counted in `future_purchases`.
    pub horizon: f64,
    pub seed: u64,
}

/// A simulated summary, plus what each customer then buys in `(T, T + horizon]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimulatedCustomers {
    pub frequency: Vec<f64>,
    pub recency: Vec<f64>,
    pub t: Vec<f64>,
    pub future_purchases: Vec<f64>,
}

/// Simulates one BG/NBD or MBG/NBD customer per entry of `t` (the customer's age at the end
/// of observation).
pub fn simulate_customers(settings: &SimulationSettings, t: &[f64]) -> Result<SimulatedCustomers> {
    let s = settings;
    check_positive(&[("r", s.r), ("alpha", s.alpha), ("a", s.a), ("b", s.b)])?;
    simulate(s.horizon, s.seed, t, |age, rng| one_customer(s, age, rng))
}

/// Simulates one Pareto/NBD customer per entry of `t` (the customer's age at the end of
/// observation).
pub fn simulate_pareto_nbd(
    settings: &ParetoNbdSimulation,
    t: &[f64],
) -> Result<SimulatedCustomers> {
    let s = settings;
    check_positive(&[("r", s.r), ("alpha", s.alpha), ("s", s.s), ("beta", s.beta)])?;
    simulate(s.horizon, s.seed, t, |age, rng| {
        one_pareto_customer(s, age, rng)
    })
}

/// The tests' ridge data: 5,000 simulated Pareto/NBD customers of whom nobody leaves (a
/// mean drop-out rate of 5e-6 a week over at most a year), with the truth.
#[cfg(test)]
pub(crate) fn nobody_leaves() -> (ParetoNbdSimulation, SimulatedCustomers) {
    let truth = ParetoNbdSimulation {
        r: 0.8,
        alpha: 8.0,
        s: 0.5,
        beta: 1e5,
        horizon: 0.0,
        seed: 3,
    };
    let t: Vec<f64> = (0..5_000).map(|i| 10.0 + (i % 43) as f64).collect();
    let customers = simulate_pareto_nbd(&truth, &t).expect("valid settings");
    (truth, customers)
}

fn check_positive(parameters: &[(&'static str, f64)]) -> Result<()> {
    for &(name, value) in parameters {
        if !(value.is_finite() && value > 0.0) {
            return Err(Error::InvalidParameter {
                name,
                reason: format!("must be finite and > 0, got {value}"),
            });
        }
    }
    Ok(())
}

/// The customers `customer(age, rng)` draws, chunk by chunk in parallel, each chunk with its
/// own stream of the seed.
fn simulate<F>(horizon: f64, seed: u64, t: &[f64], customer: F) -> Result<SimulatedCustomers>
where
    F: Fn(f64, &mut ChaCha8Rng) -> [f64; 3] + Sync,
{
    if !(horizon.is_finite() && horizon >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "horizon",
            reason: format!("must be finite and >= 0, got {horizon}"),
        });
    }
    if let Some(row) = t.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
        return Err(Error::InvalidInput(format!(
            "row {row}: T = {} must be finite and >= 0",
            t[row]
        )));
    }
    let chunks: Vec<Vec<[f64; 3]>> = t
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, ages)| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(chunk as u64);
            ages.iter().map(|&age| customer(age, &mut rng)).collect()
        })
        .collect();
    let mut out = SimulatedCustomers {
        t: t.to_vec(),
        ..Default::default()
    };
    for [x, recency, future] in chunks.into_iter().flatten() {
        out.frequency.push(x);
        out.recency.push(recency);
        out.future_purchases.push(future);
    }
    Ok(out)
}

/// `[frequency, recency, purchases after T]` of one customer of age `age`.
fn one_customer(s: &SimulationSettings, age: f64, rng: &mut ChaCha8Rng) -> [f64; 3] {
    let rate = gamma(s.r, rng).exp() / s.alpha;
    let (ln_x, ln_y) = (gamma(s.a, rng), gamma(s.b, rng));
    let dropout = 1.0 / (1.0 + (ln_y - ln_x).exp());
    let (mut x, mut recency, mut future) = (0.0, 0.0, 0.0);
    let mut alive = !(s.variant == BetaGeoVariant::MbgNbd && rng.random::<f64>() < dropout);
    let mut time = 0.0;
    while alive {
        time += exponential(rng) / rate;
        if time > age + s.horizon {
            break;
        }
        if time <= age {
            x += 1.0;
            recency = time;
        } else {
            future += 1.0;
        }
        alive = rng.random::<f64>() >= dropout;
    }
    [x, recency, future]
}

/// `[frequency, recency, purchases after T]` of one Pareto/NBD customer of age `age`: Poisson
/// purchases at rate `λ` until an exponential lifetime of rate `μ` ends.
fn one_pareto_customer(s: &ParetoNbdSimulation, age: f64, rng: &mut ChaCha8Rng) -> [f64; 3] {
    let rate = gamma(s.r, rng).exp() / s.alpha;
    let dropout_rate = gamma(s.s, rng).exp() / s.beta;
    let lifetime = exponential(rng) / dropout_rate;
    let end = lifetime.min(age + s.horizon);
    let (mut x, mut recency, mut future) = (0.0, 0.0, 0.0);
    let mut time = exponential(rng) / rate;
    while time <= end {
        if time <= age {
            x += 1.0;
            recency = time;
        } else {
            future += 1.0;
        }
        time += exponential(rng) / rate;
    }
    [x, recency, future]
}

/// A standard exponential draw.
fn exponential(rng: &mut ChaCha8Rng) -> f64 {
    -(1.0 - rng.random::<f64>()).ln()
}

/// `ln` of a standard gamma draw (Marsaglia & Tsang 2000), in logs so that tiny shapes do not
/// underflow to 0.
fn gamma(shape: f64, rng: &mut ChaCha8Rng) -> f64 {
    if shape < 1.0 {
        // Gamma(k) = Gamma(k+1) * U^(1/k).
        let u: f64 = 1.0 - rng.random::<f64>();
        return gamma(shape + 1.0, rng) + u.ln() / shape;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let normal = standard_normal(rng);
        let v = (1.0 + c * normal).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * normal * normal + d - d * v + d * v.ln() {
            return d.ln() + v.ln();
        }
    }
}

fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_draws_have_the_right_mean_and_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for shape in [0.3, 2.5] {
            let n = 100_000;
            let draws: Vec<f64> = (0..n).map(|_| gamma(shape, &mut rng).exp()).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
            assert!(
                (mean - shape).abs() < 0.02 * shape.max(1.0),
                "shape {shape}: mean {mean}"
            );
            assert!(
                (var - shape).abs() < 0.05 * shape.max(1.0),
                "shape {shape}: variance {var}"
            );
        }
    }

    #[test]
    fn same_seed_same_customers() {
        let settings = SimulationSettings {
            variant: BetaGeoVariant::BgNbd,
            r: 0.25,
            alpha: 4.0,
            a: 0.8,
            b: 2.4,
            horizon: 10.0,
            seed: 3,
        };
        let t: Vec<f64> = (0..10_000).map(|i| 20.0 + (i % 20) as f64).collect();
        let first = simulate_customers(&settings, &t).unwrap();
        assert_eq!(first, simulate_customers(&settings, &t).unwrap());
        assert!(
            first
                .frequency
                .iter()
                .zip(&first.recency)
                .zip(&first.t)
                .all(|((x, r), t)| r <= t && (*x > 0.0 || *r == 0.0))
        );
        let other = simulate_customers(
            &SimulationSettings {
                seed: 4,
                ..settings
            },
            &t,
        )
        .unwrap();
        assert_ne!(first.frequency, other.frequency);
    }
}
