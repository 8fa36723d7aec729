//! Special functions the buy-till-you-die likelihoods need, for positive real arguments.
//!
//! Written here rather than taken from a crate because the standard library has no stable
//! `ln_gamma`, and the functions below (Stirling/asymptotic series after an upward shift, the
//! hypergeometric power series with a bound on its rest) are short, accurate to about 1e-14
//! relative on the ranges the models use, and tested against SciPy and mpmath.

use crate::{Error, Result};

/// Below this the series are not accurate enough, so the argument is shifted upwards first.
const SHIFT_TO: f64 = 10.0;

/// `ln Γ(x)` for `x > 0`.
pub fn ln_gamma(x: f64) -> f64 {
    let mut shifted = x;
    let mut product = 1.0;
    while shifted < SHIFT_TO {
        product *= shifted;
        shifted += 1.0;
    }
    let inv = 1.0 / shifted;
    let inv2 = inv * inv;
    // Stirling series; the next term is below 1e-15 for shifted >= 10.
    let series = inv
        * (1.0 / 12.0
            - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 / 1188.0))));
    (shifted - 0.5) * shifted.ln() - shifted + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
        - product.ln()
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`.
pub fn digamma(x: f64) -> f64 {
    let mut shifted = x;
    let mut correction = 0.0;
    while shifted < SHIFT_TO {
        correction -= 1.0 / shifted;
        shifted += 1.0;
    }
    let inv2 = 1.0 / (shifted * shifted);
    let series = inv2
        * (1.0 / 12.0
            - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 / 132.0))));
    shifted.ln() - 0.5 / shifted - series + correction
}

/// `(sigmoid(x), softplus(x))`, softplus being `ln(1 + e^x)`, from one exponential and without
/// overflow for large `x` nor loss of precision for very negative `x`.
pub fn sigmoid_and_softplus(x: f64) -> (f64, f64) {
    let e = (-x.abs()).exp();
    let sigmoid = if x >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (sigmoid, x.max(0.0) + e.ln_1p())
}

/// The logistic function `1 / (1 + e^-x)`, stable at both ends.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Most terms of a hypergeometric series before [`ln_hyp2f1`] gives up: enough for `z` up to
/// about `1 - 3e-4` at the worst, where the terms fall no faster than `zⁿ`.
const MAX_HYPERGEOMETRIC_TERMS: usize = 100_000;
/// Relative accuracy of [`ln_hyp2f1`]: a proven bound on the neglected rest of the series.
const HYPERGEOMETRIC_TOLERANCE: f64 = 1e-15;
/// A partial sum above this is scaled down (its log kept aside), so that series whose value
/// overflows f64 still have a finite log.
const RESCALE_ABOVE: f64 = 1e200;

/// `ln ₂F₁(a, b; c; z)` with its partial derivatives, as [`ln_hyp2f1`] returns it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LnHypergeometric {
    pub value: f64,
    pub d_a: f64,
    pub d_b: f64,
    pub d_c: f64,
    pub d_z: f64,
}

/// `ln ₂F₁(a, b; c; z)` of the Gaussian hypergeometric function and the derivatives of that
/// log with respect to `a, b, c, z`, for `a, b, c > 0` and `0 <= z < 1`, from the power series
/// `Σ (a)ₙ (b)ₙ / ((c)ₙ n!) zⁿ` (all terms positive, so no cancellation).
///
/// The series stops when a bound on its rest, not the last term, is below 1e-15 of the sum:
/// from term `n` on the term ratios `z (a+m)(b+m) / ((c+m)(1+m))` stay below
/// `ρ = z · max(1, (u+n)/(v+n)) · max(1, (u'+n)/(v'+n))` for either pairing of the upper
/// with the lower parameters (each `(u+m)/(v+m)` moves monotonically towards 1), so the rest
/// is below `termₙ ρ / (1 - ρ)`. Errors: arguments outside the domain
/// ([`Error::InvalidInput`]); `z` so close to 1 that the series needs more than 100,000 terms
/// ([`Error::NotConverged`]) — never a NaN.
pub fn ln_hyp2f1(a: f64, b: f64, c: f64, z: f64) -> Result<LnHypergeometric> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if !(positive(a) && positive(b) && positive(c) && (0.0..1.0).contains(&z)) {
        return Err(Error::InvalidInput(format!(
            "2F1(a, b; c; z) needs a, b, c > 0 and 0 <= z < 1, got a = {a}, b = {b}, c = {c}, z = {z}"
        )));
    }
    if z == 0.0 {
        let d_z = a * b / c;
        return Ok(LnHypergeometric {
            value: 0.0,
            d_a: 0.0,
            d_b: 0.0,
            d_c: 0.0,
            d_z,
        });
    }
    // Running sums: the terms, and the terms times d(ln term)/d(a, b, c) and times n.
    let (mut term, mut sum, mut ln_scale) = (1.0, 1.0, 0.0);
    let (mut sum_a, mut sum_b, mut sum_c, mut sum_n) = (0.0, 0.0, 0.0, 0.0);
    let (mut ln_term_a, mut ln_term_b, mut ln_term_c) = (0.0, 0.0, 0.0);
    for k in 0..MAX_HYPERGEOMETRIC_TERMS {
        let n = k as f64;
        let (up_a, up_b, down_c, down_n) = (a + n, b + n, c + n, 1.0 + n);
        // One division gives the ratio and the three reciprocals: it, not the
        // multiplications, bounds the speed.
        let (upper, lower) = (up_a * up_b, down_c * down_n);
        let inverse = 1.0 / (upper * lower);
        ln_term_a += up_b * lower * inverse;
        ln_term_b += up_a * lower * inverse;
        ln_term_c -= upper * down_n * inverse;
        term *= upper * upper * z * inverse;
        sum += term;
        sum_a += term * ln_term_a;
        sum_b += term * ln_term_b;
        sum_c += term * ln_term_c;
        sum_n += term * down_n;
        if sum > RESCALE_ABOVE {
            let shrink = 1.0 / RESCALE_ABOVE;
            term *= shrink;
            sum *= shrink;
            sum_a *= shrink;
            sum_b *= shrink;
            sum_c *= shrink;
            sum_n *= shrink;
            ln_scale += RESCALE_ABOVE.ln();
        }
        // `ρ >= z`, so the rest cannot be small before `term z / (1 - z)` is: a cheap
        // test first, the divisions of the real bound only near the end.
        if term * z <= HYPERGEOMETRIC_TOLERANCE * (1.0 - z) * sum {
            let next = n + 1.0;
            let factor = |u: f64, v: f64| ((u + next) / (v + next)).max(1.0);
            let ratio_bound =
                z * (factor(a, c) * factor(b, 1.0)).min(factor(a, 1.0) * factor(b, c));
            if ratio_bound < 1.0
                && term * ratio_bound <= HYPERGEOMETRIC_TOLERANCE * (1.0 - ratio_bound) * sum
            {
                return finish(
                    sum,
                    ln_scale,
                    [sum_a, sum_b, sum_c, sum_n / z],
                    [a, b, c, z],
                );
            }
        }
    }
    Err(Error::NotConverged {
        model: "the hypergeometric series 2F1",
        detail: format!(
            "{MAX_HYPERGEOMETRIC_TERMS} terms of 2F1({a}, {b}; {c}; {z}) do not reach a relative \
             accuracy of {HYPERGEOMETRIC_TOLERANCE:e}: z is too close to 1"
        ),
    })
}

fn finish(
    sum: f64,
    ln_scale: f64,
    weighted: [f64; 4],
    arguments: [f64; 4],
) -> Result<LnHypergeometric> {
    let [d_a, d_b, d_c, d_z] = weighted.map(|w| w / sum);
    let value = sum.ln() + ln_scale;
    if [value, d_a, d_b, d_c, d_z].iter().all(|v| v.is_finite()) {
        return Ok(LnHypergeometric {
            value,
            d_a,
            d_b,
            d_c,
            d_z,
        });
    }
    let [a, b, c, z] = arguments;
    Err(Error::NotConverged {
        model: "the hypergeometric series 2F1",
        detail: format!("2F1({a}, {b}; {c}; {z}) overflows: its parameters are too large"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (x, ln Γ(x), ψ(x)) from SciPy 1.17.1 `gammaln` and `digamma`
    /// (see docs/reference/btyd/README.md).
    const SCIPY: [(f64, f64, f64); 9] = [
        (1e-3, 6.907178885383853, -1000.5755719318103),
        (0.2426, 1.3197854750907922, -4.358361853222514),
        (0.5, 0.5723649429247, -1.9635100260214235),
        (1.0, 0.0, -0.5772156649015329),
        (2.5, 0.2846828704729192, 0.7031566406452432),
        (7.3, 7.147892523022249, 1.917820335637986),
        (11.0, 15.104412573075516, 2.3517525890667215),
        (150.5, 602.5139548705853, 5.010637145933704),
        (1e5, 1051287.7089736569, 11.512920464961896),
    ];

    #[test]
    fn ln_gamma_and_digamma_match_scipy() {
        for (x, lg, dg) in SCIPY {
            let tolerance = 1e-13 * lg.abs().max(1.0);
            assert!((ln_gamma(x) - lg).abs() < tolerance, "ln_gamma({x})");
            assert!(
                (digamma(x) - dg).abs() < 1e-13 * dg.abs().max(1.0),
                "digamma({x})"
            );
        }
    }

    #[test]
    fn hypergeometric_matches_mpmath() {
        // (a, b, c, z, ln 2F1, d/da, d/db, d/dc, d/dz of the log) from mpmath 1.3.0 `hyp2f1`
        // and `diff` at 30 digits (docs/reference/btyd/pareto_nbd_mpmath.py).
        let mpmath = [
            (
                [1.0, 0.55, 2.16, 0.3],
                0.08640426438347679,
                [
                    0.09008681382039728,
                    0.15981818985670074,
                    -0.04304300941462321,
                    0.3284718686140264,
                ],
            ),
            (
                [1.0, 2.0, 30.5, 0.9],
                0.06271649604870601,
                [
                    0.06369881129748965,
                    0.03235447149141823,
                    -0.002185108620351219,
                    0.07429239474405047,
                ],
            ),
            (
                [1.0, 27.3, 28.9, 0.99],
                3.1413104140299692,
                [
                    3.3481476204447027,
                    0.6402384090769736,
                    -0.6169278776079655,
                    33.63723786675148,
                ],
            ),
            (
                [0.5, 0.5, 1.5, 0.25],
                0.046117597181290486,
                [
                    0.09403057224208856,
                    0.09403057224208856,
                    -0.032426255558791646,
                    0.2053155816871682,
                ],
            ),
            (
                [3.5, 2.5, 1.2, 0.7],
                6.826610294282417,
                [
                    1.512965206371962,
                    1.8287510396448914,
                    -2.6955193398724773,
                    16.97985019675878,
                ],
            ),
            (
                [1.0, 1.606, 27.16, 0.0936],
                0.005567644707616469,
                [
                    0.005576480206142287,
                    0.0034758107182673984,
                    -0.0002061570296046167,
                    0.059839498143235095,
                ],
            ),
        ];
        for ([a, b, c, z], value, gradient) in mpmath {
            let got = ln_hyp2f1(a, b, c, z).unwrap();
            let close = |x: f64, y: f64| (x - y).abs() < 1e-12 * y.abs().max(1.0);
            assert!(close(got.value, value), "{a} {b} {c} {z}: {got:?}");
            for (x, y) in [got.d_a, got.d_b, got.d_c, got.d_z]
                .into_iter()
                .zip(gradient)
            {
                assert!(close(x, y), "{a} {b} {c} {z}: {got:?} vs {gradient:?}");
            }
        }
        // Closed forms: 2F1(1, 1; 2; z) = -ln(1-z)/z, 2F1(a, b; b; z) = (1-z)^-a.
        let z = 0.6f64;
        let log = ln_hyp2f1(1.0, 1.0, 2.0, z).unwrap().value;
        assert!((log - (-(1.0 - z).ln() / z).ln()).abs() < 1e-14);
        let power = ln_hyp2f1(40.0, 3.0, 3.0, 0.95).unwrap().value;
        assert!((power - -40.0 * 0.05f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn hypergeometric_failures_are_errors_not_nan() {
        assert!(matches!(
            ln_hyp2f1(1.0, 2.0, 3.0, 1.0),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            ln_hyp2f1(1.0, f64::NAN, 3.0, 0.5),
            Err(Error::InvalidInput(_))
        ));
        let err = ln_hyp2f1(1.0, 0.5, 2.0, 1.0 - 1e-7).unwrap_err();
        assert!(
            matches!(err, Error::NotConverged { .. }) && err.to_string().contains("close to 1"),
            "{err}"
        );
        // Huge values keep a finite log: (1-z)^-a with a ln(1-z) = 1e4.
        let huge = ln_hyp2f1(5000.0, 3.0, 3.0, 1.0 - (-2f64).exp())
            .unwrap()
            .value;
        assert!((huge - 1e4).abs() < 1e-8, "{huge}");
    }

    #[test]
    fn softplus_and_sigmoid_are_finite_at_the_extremes() {
        let softplus = |x: f64| sigmoid_and_softplus(x).1;
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
        assert!((softplus(-3.0) - (-3f64).exp().ln_1p()).abs() < 1e-16);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((sigmoid(0.3) + sigmoid(-0.3) - 1.0).abs() < 1e-15);
        for x in [-800.0, -3.0, 0.0, 0.7, 40.0, 800.0] {
            assert_eq!(sigmoid_and_softplus(x).0, sigmoid(x));
        }
    }
}
