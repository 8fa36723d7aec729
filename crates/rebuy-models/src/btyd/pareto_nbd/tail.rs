//! The drop-out integral of the Pareto/NBD likelihood and predictions,
//! `I(τ) = (r+s+x) ∫_τ^∞ (α+u)^-(r+x) (β+u)^-(s+1) du`, as `ln I(τ)` with its gradient in
//! `(r, α, s, β)`, to about 1e-14 relative for every pair `α, β` and in bounded work.
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

    /// `([r, alpha, s, beta], x, tau, ln I(tau), gradient)` by mpmath 1.4.1 at 30 digits from
    /// `hyp2f1` of the un-transformed form (its own 1-z transformations near z = 1) and
    /// `diff` (`tail_table` in docs/reference/btyd/pareto_nbd_mpmath.py): five shapes, each
    /// at z = 1e-3, 0.5, 0.9, 0.99, 0.9999 and 1 - 1e-8, alpha above beta and below.
    const MPMATH: [([f64; 4], f64, f64, f64, [f64; 4]); 60] = [
        (
            [0.05, 0.5005005005005005, 0.02, 0.5],
            0.0,
            0.0,
            0.048517029220548021,
            [
                0.69303800940236628,
                -0.0065385256561661038,
                0.69310347703596583,
                -0.13345492927310701,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 0.5005005005005005],
            0.0,
            0.0,
            0.048453539526620393,
            [
                0.6922558032323305,
                -0.0065390422508246122,
                0.69219036427788566,
                -0.13332749679142621,
            ],
        ),
        (
            [0.05, 1.0, 0.02, 0.5],
            0.0,
            0.0,
            0.045868941558602266,
            [
                0.60535137348624084,
                -0.0044098917736888528,
                0.65795043768423576,
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
                -0.0046577915031793533,
                0.025874820228601534,
                -0.067671104248410327,
            ],
        ),
        (
            [0.05, 5.000000000000001, 0.02, 0.5],
            0.0,
            0.0,
            0.036278317651698286,
            [
                0.295279366982153,
                -0.0015208872576744005,
                0.53332657442833916,
                -0.124791127423256,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 5.000000000000001],
            0.0,
            0.0,
            -0.10826053481487797,
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
                -0.42647197722807827,
                -0.00025032046830088873,
                0.24376186176802198,
                -0.11496795316991116,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 49.99999999999996],
            0.0,
            0.0,
            -0.26838408841368702,
            [
                -3.7252842135490029,
                -0.00035646759400912155,
                -3.8379687983725236,
                -0.00139643532405991,
            ],
        ),
        (
            [0.05, 5000.00000000055, 0.02, 0.5],
            0.0,
            0.0,
            -0.064185119394342597,
            [
                -2.6862956480961702,
                -4.1131644336359616e-6,
                -0.64966636958009281,
                -0.098868355663635864,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 5000.00000000055],
            0.0,
            0.0,
            -0.59052712740924682,
            [
                -8.3223788004786227,
                -8.0637171248053762e-6,
                -8.4400812942569346,
                -1.399919362828598e-5,
            ],
        ),
        (
            [0.05, 49999999.748762034, 0.02, 0.5],
            0.0,
            0.0,
            -0.30347230961008607,
            [
                -9.0785548267010382,
                -6.0750509287612046e-10,
                -3.068712736924463,
                -0.079249491017644648,
            ],
        ),
        (
            [0.05, 0.5, 0.02, 49999999.748762034],
            0.0,
            0.0,
            -1.2352463419879347,
            [
                -17.532536413800415,
                -2.0967196126812457e-9,
                -17.650356683928125,
                -1.3999999860674669e-9,
            ],
        ),
        (
            [0.55, 0.5305305305305306, 0.6, 0.5],
            2.0,
            30.0,
            -10.767775636491795,
            [
                -3.4186342381704902,
                -0.063401687195479237,
                -3.417874839137341,
                -0.039813536176763101,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 0.5305305305305306],
            2.0,
            30.0,
            -10.767054191367864,
            [
                -3.4178196342509552,
                -0.063455645978630279,
                -3.4185790670567595,
                -0.039783219503413926,
            ],
        ),
        (
            [0.55, 31.0, 0.6, 0.5],
            2.0,
            30.0,
            -12.142680633815925,
            [
                -4.0483369917765699,
                -0.033400936322141714,
                -3.5290627681894666,
                -0.036476815880306736,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 31.0],
            2.0,
            30.0,
            -11.641585792999836,
            [
                -3.4825174215342979,
                -0.060299236015185449,
                -4.017879598918397,
                -0.021489726254702358,
            ],
        ),
        (
            [0.55, 275.00000000000006, 0.6, 0.5],
            2.0,
            30.0,
            -15.603746429856369,
            [
                -5.5394001121566103,
                -0.0073936759908433203,
                -3.8336317018718135,
                -0.029341928616156948,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 275.00000000000006],
            2.0,
            30.0,
            -13.900017666148026,
            [
                -3.6164145641101927,
                -0.054734756940701084,
                -5.486491548055059,
                -0.0048543931583889072,
            ],
        ),
        (
            [0.55, 3019.9999999999973, 0.6, 0.5],
            2.0,
            30.0,
            -21.044971858075831,
            [
                -7.7509778444732863,
                -0.00080192526892791637,
                -4.2575518144716887,
                -0.023086161631798599,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 3019.9999999999973],
            2.0,
            30.0,
            -17.448477469580355,
            [
                -3.716831678588305,
                -0.051511111503784182,
                -7.719141335605289,
                -0.00051767577020806029,
            ],
        ),
        (
            [0.55, 304970.0000000336, 0.6, 0.5],
            2.0,
            30.0,
            -32.608233374192524,
            [
                -12.314149949299496,
                -8.3332467122482701e-6,
                -4.6802694028712204,
                -0.019946221402098287,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 304970.0000000336],
            2.0,
            30.0,
            -24.793521413256268,
            [
                -3.7449442296640784,
                -0.050828927395713166,
                -12.310783794273239,
                -5.2449761128871223e-6,
            ],
        ),
        (
            [0.55, 3049999954.6744843, 0.6, 0.5],
            2.0,
            30.0,
            -56.080405664497713,
            [
                -21.520961972211177,
                -8.3605401809933978e-10,
                -4.7660569659816087,
                -0.019673287134753204,
            ],
        ),
        (
            [0.55, 0.5, 0.6, 3049999954.6744843],
            2.0,
            30.0,
            -39.529780742847128,
            [
                -3.7454276036456861,
                -0.050819673084761062,
                -21.520947123259333,
                -5.2459015703423028e-10,
            ],
        ),
        (
            [1.3, 0.5385385385385386, 0.5, 0.5],
            200.0,
            38.0,
            -736.90324071368332,
            [
                -3.6516587051197925,
                -5.1975869174759569,
                -3.6506631406281523,
                -0.038768734375301555,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 0.5385385385385386],
            200.0,
            38.0,
            -736.70432644706377,
            [
                -3.6506582777660069,
                -5.2027893293477063,
                -3.6516538470728109,
                -0.038730343098524559,
            ],
        ),
        (
            [1.3, 39.0, 0.5, 0.5],
            200.0,
            38.0,
            -875.5475474234003,
            [
                -4.3437695585585874,
                -2.6014876012916922,
                -3.6554942087172962,
                -0.038583238975057154,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 39.0],
            200.0,
            38.0,
            -737.73883966634258,
            [
                -3.6506766347167456,
                -5.2026942935057044,
                -4.3413431023962754,
                -0.019432074026368558,
            ],
        ),
        (
            [1.3, 347.0000000000001, 0.5, 0.5],
            200.0,
            38.0,
            -1197.9726819404466,
            [
                -5.9529568912212998,
                -0.52042731589327907,
                -3.6905811369373611,
                -0.037285282625649372,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 347.0000000000001],
            200.0,
            38.0,
            -740.15000183701926,
            [
                -3.6506915814378109,
                -5.2026169170463669,
                -5.9487890558894739,
                -0.0038941524512074637,
            ],
        ),
        (
            [1.3, 3811.9999999999964, 0.5, 0.5],
            200.0,
            38.0,
            -1659.5749744072205,
            [
                -8.2542605049576187,
                -0.0521092321729155,
                -3.9096481774789735,
                -0.030635224266896481,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 3811.9999999999964],
            200.0,
            38.0,
            -743.60320276357767,
            [
                -3.6506949735675505,
                -5.2025993571457852,
                -8.250923195165526,
                -0.0003895908441265638,
            ],
        ),
        (
            [1.3, 384962.0000000424, 0.5, 0.5],
            200.0,
            38.0,
            -2584.9868078340497,
            [
                -12.856627070629131,
                -0.00052255236125303938,
                -4.9062787619697903,
                -0.016034829027472595,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 384962.0000000424],
            200.0,
            38.0,
            -750.51088353842672,
            [
                -3.6506953473629947,
                -5.2025974221463088,
                -12.856043713638031,
                -3.8961019412128478e-6,
            ],
        ),
        (
            [1.3, 3849999942.654677, 0.5, 0.5],
            200.0,
            38.0,
            -4438.7879538835957,
            [
                -22.066389824721773,
                -5.2285388384091723e-8,
                -5.6175960556765272,
                -0.013019629421418131,
            ],
        ),
        (
            [1.3, 0.5, 0.5, 3849999942.654677],
            200.0,
            38.0,
            -764.32639333629542,
            [
                -3.6506953511389988,
                -5.2025974025993575,
                -22.066383578884008,
                -3.8961039154853909e-10,
            ],
        ),
        (
            [0.5, 0.5055055055055055, 80.0, 0.5],
            1.0,
            5.0,
            -138.93845208573476,
            [
                -1.7057366913943852,
                -0.26915523101659708,
                -1.7047483126332114,
                -14.548757162509549,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 0.5055055055055055],
            1.0,
            5.0,
            -139.01702774375672,
            [
                -1.7047600046257637,
                -0.26941831662319834,
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
                -0.13551944125031001,
                -1.7048606307388186,
                -14.547142935681198,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 6.0],
            1.0,
            5.0,
            -194.40656062416,
            [
                -1.7163136029587288,
                -0.26637645920991879,
                -2.3976835075508868,
                -7.2759026794859497,
            ],
        ),
        (
            [0.5, 50.000000000000014, 80.0, 0.5],
            1.0,
            5.0,
            -142.37416524071457,
            [
                -3.9963250032186035,
                -0.027238359586893382,
                -1.7049542276942731,
                -14.545798222312884,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 50.000000000000014],
            1.0,
            5.0,
            -323.28409988519021,
            [
                -1.7914636887296968,
                -0.24803218485514363,
                -4.0058483026706795,
                -1.4570149633326671,
            ],
        ),
        (
            [0.5, 544.9999999999995, 80.0, 0.5],
            1.0,
            5.0,
            -145.82633824144605,
            [
                -6.2977748809972398,
                -0.002726927658525404,
                -1.7049757512206281,
                -14.545489052329278,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 544.9999999999995],
            1.0,
            5.0,
            -508.16094214478635,
            [
                -2.1265821399559868,
                -0.18690551650919791,
                -6.3042157631760639,
                -0.14631276301672632,
            ],
        ),
        (
            [0.5, 54995.00000000606, 80.0, 0.5],
            1.0,
            5.0,
            -152.73390558855306,
            [
                -10.902819791383108,
                -2.7272692750440429e-5,
                -1.7049781295536181,
                -14.545454890677384,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 54995.00000000606],
            1.0,
            5.0,
            -880.03661257124391,
            [
                -3.1190943309366652,
                -0.10476679347016061,
                -10.903762954755705,
                -0.0014713415024710036,
            ],
        ),
        (
            [0.5, 549999992.2363824, 80.0, 0.5],
            1.0,
            5.0,
            -166.54941424044,
            [
                -20.113158892642307,
                -2.727272740631392e-9,
                -1.704978153585715,
                -14.545454545489068,
            ],
        ),
        (
            [0.5, 0.5, 80.0, 549999992.2363824],
            1.0,
            5.0,
            -1625.9199515668923,
            [
                -3.6732314005864568,
                -0.09105382233497725,
                -20.113168750350936,
                -1.4727128069847115e-7,
            ],
        ),
        (
            [1.0, 0.5105105105105106, 1.0, 0.5],
            3.0,
            10.0,
            -11.760211366378265,
            [
                -2.352320172066414,
                -0.31715796799901452,
                -2.3514864416462446,
                -0.15871503274801921,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 0.5105105105105106],
            3.0,
            10.0,
            -11.758543865813461,
            [
                -2.3514308384327455,
                -0.317445194000226,
                -2.3522646085751723,
                -0.15858653690805994,
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
                -0.14781605398817458,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 11.0],
            3.0,
            10.0,
            -12.94851528035838,
            [
                -2.3882712997184531,
                -0.30773169833312158,
                -2.9763696873070675,
                -0.084229388928677306,
            ],
        ),
        (
            [1.0, 95.00000000000003, 1.0, 0.5],
            3.0,
            10.0,
            -19.868683507657428,
            [
                -4.5357424662497284,
                -0.035271972810167506,
                -2.6708193518696397,
                -0.12347074808880103,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 95.00000000000003],
            3.0,
            10.0,
            -15.936780288076862,
            [
                -2.45022982411094,
                -0.29290782296812572,
                -4.4936915105297704,
                -0.018328265322235042,
            ],
        ),
        (
            [1.0, 1039.999999999999, 1.0, 0.5],
            3.0,
            10.0,
            -28.682119017666405,
            [
                -6.7779770078583749,
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
                -2.4800134647555977,
                -0.28662663922356177,
                -6.7613751193529522,
                -0.0018956383696691458,
            ],
        ),
        (
            [1.0, 104990.00000001157, 1.0, 0.5],
            3.0,
            10.0,
            -46.991656325814128,
            [
                -11.362342265534469,
                -3.8071801960118124e-5,
                -3.1408082363536447,
                -0.095472456589252999,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 104990.00000001157],
            3.0,
            10.0,
            -29.666831381086897,
            [
                -2.4846586300577978,
                -0.28572380478445622,
                -11.361765609226339,
                -1.9046667140599899e-5,
            ],
        ),
        (
            [1.0, 1049999984.7240028, 1.0, 0.5],
            3.0,
            10.0,
            -83.83016198258786,
            [
                -20.572056150611757,
                -3.8095232443853972e-9,
                -3.1513698816561321,
                -0.095238153666130169,
            ],
        ),
        (
            [1.0, 0.5, 1.0, 1049999984.7240028],
            3.0,
            10.0,
            -48.08741214990661,
            [
                -2.4847085854968114,
                -0.28571428666666662,
                -20.572056001091084,
                -1.9047619048090656e-9,
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
