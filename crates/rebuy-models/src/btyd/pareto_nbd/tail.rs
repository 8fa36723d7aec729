//! The drop-out integral of the Pareto/NBD likelihood and predictions,
//! `I(τ) = (r+s+x) ∫_τ^∞ (α+u)^-(r+x) (β+u)^-(s+1) du`, as `ln I(τ)` with its gradient in
//! `(r, α, s, β)`, to about 1e-12 relative (1e-15 of a log in the hundreds) for every pair
//! `α, β`, in bounded work.
//!
//! `I(τ) = (m+τ)^-(r+s+x) ₂F₁(r+s+x, b; r+s+x+1; z)` with `m = max(α, β)`,
//! `z = |α-β| / (m+τ)` in `[0, 1)`, and `b = s+1` when `α >= β`, `b = r+x` otherwise. For
//! `z <= 1/2` the power series does it in at most about 55 terms (after Euler's
//! transformation `₂F₁(a, b; a+1; z) = (1-z)^(1-b) ₂F₁(1, a+1-b; a+1; z)`, whose term ratios
//! are below `z`). Near `z = 1` (α and β orders of magnitude apart, as on the ridges an
//! optimiser walks along) the series needs about `35 / (1-z)` terms, and the linear
//! transformation to `1-z` is singular at the integer values of `s` (and `r+x`) it crosses,
//! so the integral is split where `z` would be 1/2 instead:
//!
//! with `d = |α-β|` and `n = min(α, β) + τ`, the part of the integral over the `u` where
//! `min(α, β) + u < d` becomes, by `min(α, β) + u = d e^-w`,
//! `d^-(r+s+x) ∫_0^W e^(λw) (1 + e^-w)^-κ dw` over `W = ln(d / n)` (at most about 37 within
//! the accepted parameter range), with `λ = s, κ = r+x` when `α >= β` and
//! `λ = r+x-1, κ = s+1` otherwise; the rest is `I` at `z = 1/2`, by the series:
//! `d^-(r+s+x) 2^-κ ₂F₁(1, κ; r+s+x+1; 1/2)`. The integrand is smooth (analytic within `π`
//! of the real line) and log-concave, so Gauss-Legendre panels sized to its slope, from its
//! peak outwards until a bound on what is left is negligible, give full accuracy in a few
//! hundred evaluations at most.

use std::cell::Cell;

use crate::btyd::special::{LnHypergeometric, ln_hyp2f1};
use crate::{Error, Result};

/// Above this `z` the integral is split (module doc); at or below it the series is short.
const SPLIT_AT: f64 = 0.5;

/// Gauss-Legendre nodes and weights on `[-1, 1]`, 16 points (the positive half; by mpmath
/// at 40 digits, docs/reference/btyd/pareto_nbd_mpmath.py).
const GAUSS_LEGENDRE_16: [(f64, f64); 8] = [
    (0.095_012_509_837_637_44, 0.189_450_610_455_068_5),
    (0.281_603_550_779_258_9, 0.182_603_415_044_923_6),
    (0.458_016_777_657_227_4, 0.169_156_519_395_002_54),
    (0.617_876_244_402_643_7, 0.149_595_988_816_576_73),
    (0.755_404_408_355_003, 0.124_628_971_255_533_87),
    (0.865_631_202_387_831_7, 0.095_158_511_682_492_79),
    (0.944_575_023_073_232_6, 0.062_253_523_938_647_89),
    (0.989_400_934_991_649_9, 0.027_152_459_411_754_095),
];

/// Widest panel: the integrand's singularities are `π` off the real line, so 16 nodes on a
/// panel this wide are accurate to about 1e-13 (1e-12 in the mpmath test at 8).
const MAX_PANEL_WIDTH: f64 = 6.0;
/// Largest change of the integrand's log across a panel: 16 nodes integrate `e^(cw)` with
/// `c` times the width up to 10 to about 1e-20.
const MAX_PANEL_RISE: f64 = 10.0;
/// The quadrature stops in a direction when what is left there is below this share of
/// the sum.
const QUADRATURE_TOLERANCE: f64 = 1e-17;
/// A bound on the work: `W` of 37 (the accepted parameter range) takes at most about 15
/// panels.
const MAX_PANELS: usize = 512;

/// The drop-out integral of customers with `x` repeat purchases, at any `τ`: what depends
/// on `x` alone (the series at z = 1/2 of the split form) is computed once, since the
/// likelihood and the predictions need `I` at two or three `τ` per customer.
pub(super) struct Tails {
    theta: [f64; 4],
    x: f64,
    rest: Cell<Option<LnHypergeometric>>,
}

impl Tails {
    pub(super) fn new(theta: [f64; 4], x: f64) -> Self {
        Self {
            theta,
            x,
            rest: Cell::new(None),
        }
    }

    /// The number of repeat purchases these tails are for.
    pub(super) fn x(&self) -> f64 {
        self.x
    }

    /// `ln I(τ)` and its gradient in `(r, α, s, β)`.
    pub(super) fn ln_at(&self, tau: f64) -> Result<(f64, [f64; 4])> {
        let (theta, x) = (self.theta, self.x);
        let [r, alpha, s, beta] = theta;
        let r_x = r + x;
        let (alpha_tau, beta_tau) = (alpha + tau, beta + tau);
        let in_model = |e: Error| Error::NotConverged {
            model: "Pareto/NBD",
            detail: format!("at r = {r}, alpha = {alpha}, s = {s}, beta = {beta}: {e}"),
        };
        let oriented = if alpha >= beta {
            let z = (alpha - beta) / alpha_tau;
            if z <= SPLIT_AT {
                let h = ln_hyp2f1(1.0, r_x, r_x + s + 1.0, z).map_err(in_model)?;
                let (ln_alpha_tau, ln_beta_tau) = (alpha_tau.ln(), beta_tau.ln());
                let value = -s * ln_beta_tau - r_x * ln_alpha_tau + h.value;
                let gradient = [
                    -ln_alpha_tau + h.d_b + h.d_c,
                    -r_x / alpha_tau + h.d_z * beta_tau / (alpha_tau * alpha_tau),
                    -ln_beta_tau + h.d_c,
                    -s / beta_tau - h.d_z / alpha_tau,
                ];
                return Ok((value, gradient));
            }
            Split {
                a: r_x + s,
                lambda: s,
                kappa: r_x,
                gap: alpha - beta,
                near: beta_tau,
            }
        } else {
            let z = (beta - alpha) / beta_tau;
            if z <= SPLIT_AT {
                let h = ln_hyp2f1(1.0, s + 1.0, r_x + s + 1.0, z).map_err(in_model)?;
                let (ln_alpha_tau, ln_beta_tau) = (alpha_tau.ln(), beta_tau.ln());
                let value = -(r_x - 1.0) * ln_alpha_tau - (s + 1.0) * ln_beta_tau + h.value;
                let gradient = [
                    -ln_alpha_tau + h.d_c,
                    -(r_x - 1.0) / alpha_tau - h.d_z / beta_tau,
                    -ln_beta_tau + h.d_b + h.d_c,
                    -(s + 1.0) / beta_tau + h.d_z * alpha_tau / (beta_tau * beta_tau),
                ];
                return Ok((value, gradient));
            }
            Split {
                a: r_x + s,
                lambda: r_x - 1.0,
                kappa: s + 1.0,
                gap: beta - alpha,
                near: alpha_tau,
            }
        };
        let rest = match self.rest.get() {
            Some(rest) => rest,
            None => {
                let rest =
                    ln_hyp2f1(1.0, oriented.kappa, oriented.a + 1.0, 0.5).map_err(in_model)?;
                self.rest.set(Some(rest));
                rest
            }
        };
        let (value, d) = oriented.ln_tail(rest).map_err(in_model)?;
        // Back to (r, alpha, s, beta): a = r+s+x always; lambda, kappa, gap and near swap
        // roles between the two orientations.
        let gradient = if alpha >= beta {
            [d.a + d.kappa, d.gap, d.a + d.lambda, d.near - d.gap]
        } else {
            [d.a + d.lambda, d.near - d.gap, d.a + d.kappa, d.gap]
        };
        Ok((value, gradient))
    }
}

/// `I(τ)` in the split form of the module doc, for `z > 1/2`: `gap = d`, `near = n`.
struct Split {
    a: f64,
    lambda: f64,
    kappa: f64,
    gap: f64,
    near: f64,
}

/// Partial derivatives of `ln I` with respect to the quantities of [`Split`], each with
/// the others held fixed.
struct SplitGradient {
    a: f64,
    lambda: f64,
    kappa: f64,
    gap: f64,
    near: f64,
}

impl Split {
    /// `ln I` from the quadrature and `rest`, `ln ₂F₁(1, κ; r+s+x+1; 1/2)` with its
    /// derivatives.
    fn ln_tail(&self, rest: LnHypergeometric) -> Result<(f64, SplitGradient)> {
        let Self {
            a,
            lambda,
            kappa,
            gap,
            near,
        } = *self;
        let upper = (gap / near).ln();
        let quadrature = Quadrature::new(lambda, kappa, upper)?;
        // ln(a Q + 2^-κ F) from the two logs, and the share of the first.
        let ln_first = a.ln() + quadrature.ln_value;
        let ln_second = -kappa * std::f64::consts::LN_2 + rest.value;
        let high = ln_first.max(ln_second);
        let ln_sum = high + ((ln_first - high).exp() + (ln_second - high).exp()).ln();
        let first_share = (ln_first - ln_sum).exp();
        let rest_share = 1.0 - first_share;
        let ln_gap = gap.ln();
        let value = -a * ln_gap + ln_sum;
        // d ln Q / dW is the integrand at W over Q; W = ln(gap / near).
        let d_upper = first_share * quadrature.at_upper;
        let gradient = SplitGradient {
            a: -ln_gap + first_share / a + rest_share * rest.d_c,
            lambda: first_share * quadrature.d_lambda,
            kappa: first_share * quadrature.d_kappa
                + rest_share * (rest.d_b - std::f64::consts::LN_2),
            gap: -a / gap + d_upper / gap,
            near: -d_upper / near,
        };
        let finite = [gradient.a, gradient.lambda, gradient.kappa, gradient.gap]
            .iter()
            .chain([&gradient.near, &value])
            .all(|v| v.is_finite());
        if !finite {
            return Err(Error::NotConverged {
                model: "the Pareto/NBD drop-out integral",
                detail: format!(
                    "not finite for a = {a}, lambda = {lambda}, kappa = {kappa}, d = {gap}, n = {near}"
                ),
            });
        }
        Ok((value, gradient))
    }
}

/// `Q = ∫_0^W e^φ(w) dw`, `φ(w) = λw - κ ln(1 + e^-w)`, as its log and the derivatives of
/// that log in `λ`, `κ` (from the same nodes), and the integrand at `W` over `Q`.
struct Quadrature {
    ln_value: f64,
    d_lambda: f64,
    d_kappa: f64,
    at_upper: f64,
}

/// Running sums over the nodes of `e^(φ - φ_peak)`, times `w` and times `ln(1 + e^-w)`.
#[derive(Default)]
struct Sums {
    value: f64,
    w: f64,
    softplus: f64,
}

impl Quadrature {
    fn new(lambda: f64, kappa: f64, upper: f64) -> Result<Self> {
        let log_integrand = |w: f64| lambda * w - kappa * (-w).exp().ln_1p();
        let slope = |w: f64| lambda + kappa / (1.0 + w.exp());
        // φ is concave (its slope falls with w): it peaks where the slope is 0, or at an end.
        let peak = if slope(upper) >= 0.0 {
            upper
        } else if slope(0.0) <= 0.0 {
            0.0
        } else {
            (-kappa / lambda - 1.0).ln().clamp(0.0, upper)
        };
        let ln_peak = log_integrand(peak);
        let mut sums = Sums::default();
        let mut panels = 0;
        // Away from the peak the integrand falls, so each side stops once its length left
        // times the integrand at the edge reached is negligible.
        for (from, to) in [(peak, 0.0), (peak, upper)] {
            let mut edge = from;
            while edge != to {
                panels += 1;
                if panels > MAX_PANELS {
                    return Err(Error::NotConverged {
                        model: "the Pareto/NBD drop-out integral",
                        detail: format!(
                            "{MAX_PANELS} quadrature panels do not reach its accuracy \
                             (lambda = {lambda}, kappa = {kappa}, W = {upper})"
                        ),
                    });
                }
                let next = panel_end(edge, to, slope);
                sums.add_panel(edge, next, |w| {
                    let softplus = (-w).exp().ln_1p();
                    (lambda * w - kappa * softplus - ln_peak, softplus)
                });
                edge = next;
                let left = (to - edge).abs() * (log_integrand(edge) - ln_peak).exp();
                if left <= QUADRATURE_TOLERANCE * sums.value {
                    break;
                }
            }
        }
        Ok(Self {
            ln_value: ln_peak + sums.value.ln(),
            d_lambda: sums.w / sums.value,
            d_kappa: -sums.softplus / sums.value,
            at_upper: (log_integrand(upper) - ln_peak).exp() / sums.value,
        })
    }
}

/// Where a panel from `edge` towards `to` ends: at most [`MAX_PANEL_WIDTH`] wide, and
/// narrow enough that the log of the integrand changes by at most [`MAX_PANEL_RISE`] (its
/// slope is monotone, so largest in size at one of the panel's ends). Halving, rather than
/// the width the steepest slope allows, keeps panels within 2x of the widest that pass
/// where the slope changes fast (large κ).
fn panel_end(edge: f64, to: f64, slope: impl Fn(f64) -> f64) -> f64 {
    let remaining = (to - edge).abs();
    let direction = (to - edge).signum();
    let mut width = MAX_PANEL_WIDTH.min(remaining);
    let edge_slope = slope(edge).abs();
    loop {
        let end = edge + direction * width;
        let steepest = edge_slope.max(slope(end).abs());
        // A slope that is not finite ends the halving; the bound on the panels then ends
        // the quadrature.
        if steepest * width <= MAX_PANEL_RISE || !steepest.is_finite() {
            return if width >= remaining { to } else { end };
        }
        width *= 0.5;
    }
}

impl Sums {
    /// Adds the 16-point Gauss-Legendre rule on `[from, to]` (either order);
    /// `ln_integrand` gives `(φ - φ_peak, ln(1 + e^-w))`.
    fn add_panel(&mut self, from: f64, to: f64, ln_integrand: impl Fn(f64) -> (f64, f64)) {
        let (middle, half) = (0.5 * (from + to), 0.5 * (to - from).abs());
        for (node, weight) in GAUSS_LEGENDRE_16 {
            for w in [middle - half * node, middle + half * node] {
                let (ln_value, softplus) = ln_integrand(w);
                let value = half * weight * ln_value.exp();
                self.value += value;
                self.w += value * w;
                self.softplus += value * softplus;
            }
        }
    }
}

/// `ln(I(t_x) - I(T))` and its gradient, from the two logs; `None` when the difference is
/// zero (`t_x = T`, or so close that it rounds away): the customer cannot have died unseen.
pub(super) fn ln_tail_difference(
    at_recency: (f64, [f64; 4]),
    at_age: (f64, [f64; 4]),
) -> Option<(f64, [f64; 4])> {
    let ((ln_first, g_first), (ln_second, g_second)) = (at_recency, at_age);
    let gap = ln_second - ln_first;
    if gap >= 0.0 || gap.is_nan() {
        return None;
    }
    // d ln(I1 - I2) = g1 + (g1 - g2) / (e^-gap - 1).
    let weight = 1.0 / (-gap).exp_m1();
    let gradient = std::array::from_fn(|i| g_first[i] + (g_first[i] - g_second[i]) * weight);
    Some((ln_first + (-gap.exp_m1()).ln(), gradient))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `([r, alpha, s, beta], x, tau, ln I(tau), gradient)`.
    type Reference = ([f64; 4], f64, f64, f64, [f64; 4]);

    /// By mpmath 1.4.1 at 30 digits from `hyp2f1` of the un-transformed form (its own 1-z
    /// transformations near z = 1) and `diff` (`tail_table` in
    /// docs/reference/btyd/pareto_nbd_mpmath.py): five shapes, each at z = 1e-3, 0.5, 0.9,
    /// 0.99, 0.9999 and 1 - 1e-8, alpha above beta and below.
    const MPMATH: [Reference; 60] = [
        (
            [0.05, 0.5005005005005005, 0.02, 0.5],
            0.0,
            0.0,
            0.04851702922054802,
            [
                0.6930380094023663,
                -0.006538525656166104,
                0.6931034770359659,
                -0.133454929273107,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 0.5005005005005005],
            0.0,
            0.0,
            0.0484535395266204,
            [
                0.6922558032323305,
                -0.006539042250824612,
                0.6921903642778856,
                -0.13332749679142622,
            ],
        ),
        (
            [0.05, 1.0, 0.02, 0.5],
            0.0,
            0.0,
            0.045868941558602265,
            [
                0.6053513734862408,
                -0.0044098917736888526,
                0.6579504376842358,
                -0.1311802164526223,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 1.0],
            0.0,
            0.0,
            0.0019288871433006441,
            [
                0.06474160939255108,
                -0.004657791503179353,
                0.025874820228601533,
                -0.06767110424841033,
            ],
        ),
        (
            [0.05, 5.000000000000001, 0.02, 0.5],
            0.0,
            0.0,
            0.03627831765169828,
            [
                0.295279366982153,
                -0.0015208872576744005,
                0.5333265744283392,
                -0.124791127423256,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 5.000000000000001],
            0.0,
            0.0,
            -0.10826053481487798,
            [
                -1.4600825707352165,
                -0.0018214355496323938,
                -1.5499793639343284,
                -0.013817856445036759,
            ],
        ),
        (
            [0.05, 49.99999999999996, 0.02, 0.5],
            0.0,
            0.0,
            0.013075854935270961,
            [
                -0.4264719772280783,
                -0.00025032046830088874,
                0.24376186176802198,
                -0.11496795316991115,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 49.99999999999996],
            0.0,
            0.0,
            -0.268384088413687,
            [
                -3.7252842135490027,
                -0.00035646759400912153,
                -3.8379687983725237,
                -0.00139643532405991,
            ],
        ),
        (
            [0.05, 5000.00000000055, 0.02, 0.5],
            0.0,
            0.0,
            -0.0641851193943426,
            [
                -2.68629564809617,
                -4.1131644336359616e-06,
                -0.6496663695800928,
                -0.09886835566363586,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 5000.00000000055],
            0.0,
            0.0,
            -0.5905271274092468,
            [
                -8.322378800478623,
                -8.063717124805377e-06,
                -8.440081294256935,
                -1.399919362828598e-05,
            ],
        ),
        (
            [0.05, 49999999.748762034, 0.02, 0.5],
            0.0,
            0.0,
            -0.3034723096100861,
            [
                -9.078554826701039,
                -6.075050928761205e-10,
                -3.068712736924463,
                -0.07924949101764465,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 49999999.748762034],
            0.0,
            0.0,
            -1.2352463419879347,
            [
                -17.532536413800415,
                -2.096719612681246e-09,
                -17.650356683928123,
                -1.3999999860674668e-09,
            ],
        ),
        (
            [0.55, 0.5305305305305306, 0.6, 0.5],
            2.0,
            30.0,
            -10.767775636491795,
            [
                -3.4186342381704904,
                -0.06340168719547924,
                -3.4178748391373412,
                -0.0398135361767631,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 0.5305305305305306],
            2.0,
            30.0,
            -10.767054191367864,
            [
                -3.417819634250955,
                -0.06345564597863028,
                -3.4185790670567595,
                -0.03978321950341392,
            ],
        ),
        (
            [0.55, 31.0, 0.6, 0.5],
            2.0,
            30.0,
            -12.142680633815925,
            [
                -4.04833699177657,
                -0.033400936322141715,
                -3.5290627681894664,
                -0.03647681588030673,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 31.0],
            2.0,
            30.0,
            -11.641585792999836,
            [
                -3.4825174215342978,
                -0.06029923601518545,
                -4.017879598918397,
                -0.021489726254702357,
            ],
        ),
        (
            [0.55, 275.00000000000006, 0.6, 0.5],
            2.0,
            30.0,
            -15.60374642985637,
            [
                -5.53940011215661,
                -0.00739367599084332,
                -3.8336317018718136,
                -0.029341928616156948,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 275.00000000000006],
            2.0,
            30.0,
            -13.900017666148026,
            [
                -3.6164145641101926,
                -0.05473475694070108,
                -5.486491548055059,
                -0.004854393158388907,
            ],
        ),
        (
            [0.55, 3019.9999999999973, 0.6, 0.5],
            2.0,
            30.0,
            -21.04497185807583,
            [
                -7.750977844473287,
                -0.0008019252689279164,
                -4.257551814471689,
                -0.0230861616317986,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 3019.9999999999973],
            2.0,
            30.0,
            -17.448477469580354,
            [
                -3.716831678588305,
                -0.05151111150378418,
                -7.719141335605289,
                -0.0005176757702080603,
            ],
        ),
        (
            [0.55, 304970.0000000336, 0.6, 0.5],
            2.0,
            30.0,
            -32.60823337419252,
            [
                -12.314149949299496,
                -8.33324671224827e-06,
                -4.680269402871221,
                -0.01994622140209829,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 304970.0000000336],
            2.0,
            30.0,
            -24.79352141325627,
            [
                -3.7449442296640783,
                -0.05082892739571317,
                -12.310783794273238,
                -5.2449761128871225e-06,
            ],
        ),
        (
            [0.55, 3049999954.6744843, 0.6, 0.5],
            2.0,
            30.0,
            -56.08040566449771,
            [
                -21.520961972211175,
                -8.360540180993398e-10,
                -4.766056965981608,
                -0.019673287134753203,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 3049999954.6744843],
            2.0,
            30.0,
            -39.52978074284713,
            [
                -3.745427603645686,
                -0.05081967308476106,
                -21.520947123259333,
                -5.245901570342303e-10,
            ],
        ),
        (
            [1.3, 0.5385385385385386, 0.5, 0.5],
            200.0,
            38.0,
            -736.9032407136833,
            [
                -3.6516587051197926,
                -5.197586917475957,
                -3.6506631406281524,
                -0.03876873437530155,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 0.5385385385385386],
            200.0,
            38.0,
            -736.7043264470637,
            [
                -3.650658277766007,
                -5.2027893293477065,
                -3.651653847072811,
                -0.03873034309852456,
            ],
        ),
        (
            [1.3, 39.0, 0.5, 0.5],
            200.0,
            38.0,
            -875.5475474234003,
            [
                -4.343769558558588,
                -2.601487601291692,
                -3.6554942087172964,
                -0.03858323897505715,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 39.0],
            200.0,
            38.0,
            -737.7388396663425,
            [
                -3.6506766347167456,
                -5.202694293505704,
                -4.341343102396276,
                -0.019432074026368557,
            ],
        ),
        (
            [1.3, 347.0000000000001, 0.5, 0.5],
            200.0,
            38.0,
            -1197.9726819404466,
            [
                -5.9529568912213,
                -0.5204273158932791,
                -3.6905811369373613,
                -0.03728528262564937,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 347.0000000000001],
            200.0,
            38.0,
            -740.1500018370193,
            [
                -3.650691581437811,
                -5.202616917046367,
                -5.948789055889474,
                -0.003894152451207464,
            ],
        ),
        (
            [1.3, 3811.9999999999964, 0.5, 0.5],
            200.0,
            38.0,
            -1659.5749744072205,
            [
                -8.25426050495762,
                -0.0521092321729155,
                -3.9096481774789735,
                -0.03063522426689648,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 3811.9999999999964],
            200.0,
            38.0,
            -743.6032027635777,
            [
                -3.6506949735675507,
                -5.202599357145785,
                -8.250923195165527,
                -0.0003895908441265638,
            ],
        ),
        (
            [1.3, 384962.0000000424, 0.5, 0.5],
            200.0,
            38.0,
            -2584.9868078340496,
            [
                -12.85662707062913,
                -0.0005225523612530393,
                -4.90627876196979,
                -0.016034829027472594,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 384962.0000000424],
            200.0,
            38.0,
            -750.5108835384267,
            [
                -3.6506953473629946,
                -5.202597422146309,
                -12.85604371363803,
                -3.8961019412128475e-06,
            ],
        ),
        (
            [1.3, 3849999942.654677, 0.5, 0.5],
            200.0,
            38.0,
            -4438.787953883596,
            [
                -22.066389824721774,
                -5.228538838409172e-08,
                -5.617596055676527,
                -0.013019629421418131,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 3849999942.654677],
            200.0,
            38.0,
            -764.3263933362954,
            [
                -3.6506953511389986,
                -5.202597402599357,
                -22.066383578884007,
                -3.8961039154853907e-10,
            ],
        ),
        (
            [0.5, 0.5055055055055055, 80.0, 0.5],
            1.0,
            5.0,
            -138.93845208573475,
            [
                -1.7057366913943852,
                -0.26915523101659705,
                -1.7047483126332115,
                -14.548757162509549,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 0.5055055055055055],
            1.0,
            5.0,
            -139.01702774375673,
            [
                -1.7047600046257636,
                -0.2694183166231983,
                -1.705748371974856,
                -14.534214738057061,
            ],
        ),
        (
            [0.5, 6.0, 80.0, 0.5],
            1.0,
            5.0,
            -139.96750272783206,
            [
                -2.391854899019522,
                -0.13551944125031,
                -1.7048606307388185,
                -14.547142935681197,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 6.0],
            1.0,
            5.0,
            -194.40656062416,
            [
                -1.7163136029587287,
                -0.2663764592099188,
                -2.397683507550887,
                -7.27590267948595,
            ],
        ),
        (
            [0.5, 50.000000000000014, 80.0, 0.5],
            1.0,
            5.0,
            -142.37416524071458,
            [
                -3.9963250032186037,
                -0.02723835958689338,
                -1.704954227694273,
                -14.545798222312884,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 50.000000000000014],
            1.0,
            5.0,
            -323.2840998851902,
            [
                -1.7914636887296969,
                -0.24803218485514364,
                -4.00584830267068,
                -1.457014963332667,
            ],
        ),
        (
            [0.5, 544.9999999999995, 80.0, 0.5],
            1.0,
            5.0,
            -145.82633824144605,
            [
                -6.29777488099724,
                -0.002726927658525404,
                -1.704975751220628,
                -14.545489052329279,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 544.9999999999995],
            1.0,
            5.0,
            -508.16094214478636,
            [
                -2.1265821399559868,
                -0.18690551650919793,
                -6.304215763176064,
                -0.14631276301672633,
            ],
        ),
        (
            [0.5, 54995.00000000606, 80.0, 0.5],
            1.0,
            5.0,
            -152.73390558855306,
            [
                -10.902819791383108,
                -2.727269275044043e-05,
                -1.7049781295536182,
                -14.545454890677384,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 54995.00000000606],
            1.0,
            5.0,
            -880.036612571244,
            [
                -3.119094330936665,
                -0.1047667934701606,
                -10.903762954755704,
                -0.0014713415024710035,
            ],
        ),
        (
            [0.5, 549999992.2363824, 80.0, 0.5],
            1.0,
            5.0,
            -166.54941424044,
            [
                -20.113158892642307,
                -2.727272740631392e-09,
                -1.704978153585715,
                -14.545454545489068,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 549999992.2363824],
            1.0,
            5.0,
            -1625.9199515668922,
            [
                -3.673231400586457,
                -0.09105382233497725,
                -20.113168750350937,
                -1.4727128069847116e-07,
            ],
        ),
        (
            [1.0, 0.5105105105105106, 1.0, 0.5],
            3.0,
            10.0,
            -11.760211366378265,
            [
                -2.352320172066414,
                -0.3171579679990145,
                -2.3514864416462444,
                -0.1587150327480192,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 0.5105105105105106],
            3.0,
            10.0,
            -11.758543865813461,
            [
                -2.3514308384327456,
                -0.31744519400022597,
                -2.3522646085751724,
                -0.15858653690805993,
            ],
        ),
        (
            [1.0, 11.0, 1.0, 0.5],
            3.0,
            10.0,
            -14.106660726589023,
            [
                -3.005648999369772,
                -0.1641872111011508,
                -2.436328147003244,
                -0.14781605398817457,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 11.0],
            3.0,
            10.0,
            -12.94851528035838,
            [
                -2.388271299718453,
                -0.3077316983331216,
                -2.9763696873070673,
                -0.0842293889286773,
            ],
        ),
        (
            [1.0, 95.00000000000003, 1.0, 0.5],
            3.0,
            10.0,
            -19.86868350765743,
            [
                -4.5357424662497285,
                -0.03527197281016751,
                -2.67081935186964,
                -0.12347074808880103,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 95.00000000000003],
            3.0,
            10.0,
            -15.936780288076863,
            [
                -2.45022982411094,
                -0.29290782296812573,
                -4.493691510529771,
                -0.01832826532223504,
            ],
        ),
        (
            [1.0, 1039.999999999999, 1.0, 0.5],
            3.0,
            10.0,
            -28.682119017666405,
            [
                -6.777977007858375,
                -0.003731840295161484,
                -2.9610439833150584,
                -0.10300644667432811,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 1039.999999999999],
            3.0,
            10.0,
            -20.466171025201795,
            [
                -2.4800134647555976,
                -0.2866266392235618,
                -6.7613751193529525,
                -0.0018956383696691458,
            ],
        ),
        (
            [1.0, 104990.00000001157, 1.0, 0.5],
            3.0,
            10.0,
            -46.99165632581413,
            [
                -11.362342265534469,
                -3.807180196011813e-05,
                -3.1408082363536445,
                -0.095472456589253,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 104990.00000001157],
            3.0,
            10.0,
            -29.666831381086897,
            [
                -2.484658630057798,
                -0.2857238047844562,
                -11.361765609226339,
                -1.9046667140599898e-05,
            ],
        ),
        (
            [1.0, 1049999984.7240028, 1.0, 0.5],
            3.0,
            10.0,
            -83.83016198258787,
            [
                -20.572056150611758,
                -3.8095232443853975e-09,
                -3.151369881656132,
                -0.09523815366613017,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 1049999984.7240028],
            3.0,
            10.0,
            -48.08741214990661,
            [
                -2.4847085854968114,
                -0.28571428666666665,
                -20.572056001091084,
                -1.9047619048090657e-09,
            ],
        ),
    ];

    #[test]
    fn the_tail_integral_matches_mpmath_for_every_z() {
        let mut worst: (f64, f64) = (0.0, 0.0);
        for (theta, x, tau, expected, gradient) in MPMATH {
            let (value, got) = Tails::new(theta, x).ln_at(tau).unwrap();
            // An error in the log is the relative error of I itself.
            let error = (value - expected).abs();
            assert!(error < 1e-10, "{theta:?} {x} {tau}: {value} vs {expected}");
            for j in 0..4 {
                let relative = (got[j] - gradient[j]).abs() / gradient[j].abs().max(1.0);
                assert!(
                    relative < 1e-9,
                    "{theta:?} {x} {tau}, d/d{j}: {got:?} vs {gradient:?}"
                );
                worst.1 = worst.1.max(relative);
            }
            worst.0 = worst.0.max(error);
        }
        eprintln!(
            "worst relative error: value {:e}, gradient {:e}",
            worst.0, worst.1
        );
    }

    #[test]
    fn the_tail_integral_matches_numerical_integration() {
        // mpmath at 30 digits: `(m+τ)^-(r+s+x) hyp2f1(r+s+x, b, r+s+x+1, z)`, and `quad` of
        // the integral agrees to 1e-11 (`tails` in docs/reference/btyd/pareto_nbd_mpmath.py).
        let cases = [
            ([0.55, 10.6, 0.6, 11.7], 2.0, 5.0, -8.736989605940503),
            ([1.3, 20.0, 2.0, 0.5], 0.0, 0.0, -2.035951386056029),
            ([1.3, 20.0, 2.0, 0.5], 26.0, 30.86, -113.73011046507771),
        ];
        for (theta, x, tau, expected) in cases {
            let (value, _) = Tails::new(theta, x).ln_at(tau).unwrap();
            assert!(
                (value - expected).abs() < 1e-12,
                "{theta:?} {x} {tau}: {value}"
            );
        }
    }

    #[test]
    fn the_accepted_parameter_range_gives_finite_tails() {
        // Each parameter from 1e-8 to 1e8 (PARAMETER_RANGE), light to heavy buyers, new to
        // old customers: large s or r+x (kappa) makes the integrand's slope change fast.
        let values = [1e-8, 1e-4, 0.01, 0.5, 3.0, 50.0, 1e3, 1e5, 1e8];
        for r in values {
            for alpha in values {
                for s in values {
                    for beta in values {
                        for (x, tau) in [(0.0, 0.0), (1.0, 0.5), (10.0, 30.0), (60.0, 400.0)] {
                            let tails = Tails::new([r, alpha, s, beta], x);
                            let (value, gradient) = tails.ln_at(tau).unwrap();
                            assert!(
                                value.is_finite() && gradient.iter().all(|g| g.is_finite()),
                                "{r} {alpha} {s} {beta} {x} {tau}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn alpha_and_beta_far_apart_stay_finite() {
        // Beyond the accepted parameter range on both sides: W near 60.
        for theta in [[0.5, 1e13, 0.3, 1e-13], [2.0, 1e-13, 40.0, 1e13]] {
            let (value, gradient) = Tails::new(theta, 3.0).ln_at(0.0).unwrap();
            assert!(value.is_finite() && gradient.iter().all(|g| g.is_finite()));
        }
    }
}
