//! A small BFGS minimiser and the Hessian-based standard errors of a fit.
//!
//! Why not a crate: the models have 3 or 4 parameters, analytic gradients and a smooth
//! objective, so 100 lines of textbook BFGS (Nocedal & Wright, algorithm 6.1, with an Armijo
//! backtracking line search) do the job; `argmin` would add a dependency tree and generic
//! plumbing for no gain in accuracy or speed here.

/// Largest move of one coordinate in one step. The models optimise log-parameters, so this
/// bounds a step to a factor e^5 and keeps trial points away from overflow.
const MAX_COORDINATE_STEP: f64 = 5.0;
/// Armijo sufficient-decrease constant.
const ARMIJO: f64 = 1e-4;
const MAX_BACKTRACKS: usize = 60;
/// When the line search finds no decrease, or a negligible one, a gradient this many times
/// the tolerance still counts as converged: the objective is flat to rounding there, and
/// along ill-conditioned directions the gradient tolerance may be out of reach of f64.
const STALLED_TOLERANCE_FACTOR: f64 = 100.0;
/// A step that lowers the objective by less than this, relative, is negligible.
const F_TOLERANCE: f64 = 1e-14;

/// Where the minimiser stopped, and why.
#[derive(Debug, Clone)]
pub(crate) struct Minimum {
    pub point: Vec<f64>,
    pub value: f64,
    pub gradient_norm: f64,
    pub iterations: usize,
    pub evaluations: usize,
    pub converged: bool,
    /// The BFGS approximation of the inverse Hessian at `point`.
    pub inverse_hessian: Vec<Vec<f64>>,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

/// A point with its objective value and gradient.
#[derive(Debug, Clone)]
struct Point {
    x: Vec<f64>,
    value: f64,
    gradient: Vec<f64>,
}

impl Point {
    fn new<F>(objective: &mut F, x: Vec<f64>) -> Self
    where
        F: FnMut(&[f64], &mut [f64]) -> f64,
    {
        let mut gradient = vec![0.0; x.len()];
        let value = objective(&x, &mut gradient);
        Self { x, value, gradient }
    }

    fn is_finite(&self) -> bool {
        self.value.is_finite() && self.gradient.iter().all(|g| g.is_finite())
    }
}

fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// Minimises `objective` (value, and gradient written into its second argument) from `start`
/// until the largest gradient component is below `tolerance`; BFGS starts from
/// `inverse_hessian` when given (e.g. from a fit on a sample), else from a scaled identity. Gives up (not converged) as
/// soon as a coordinate leaves `[-bound, bound]`: the minimum is then at infinity, and
/// following it costs many iterations for nothing.
pub(crate) fn minimize<F>(
    mut objective: F,
    start: &[f64],
    inverse_hessian: Option<&[Vec<f64>]>,
    bound: f64,
    max_iterations: usize,
    tolerance: f64,
) -> Minimum
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let mut here = Point::new(&mut objective, start.to_vec());
    let finite = here.is_finite();
    let learnt = inverse_hessian.is_some_and(|h| h.len() == start.len());
    let mut inverse_hessian = match inverse_hessian {
        Some(h) if learnt => h.to_vec(),
        _ => identity(start.len()),
    };
    let (mut iterations, mut evaluations, mut stalled) = (0, 1, false);
    while finite && iterations < max_iterations && max_abs(&here.gradient) >= tolerance {
        let direction = descent_direction(&mut inverse_hessian, &here.gradient);
        let Some(next) = line_search(&mut objective, &here, &direction, &mut evaluations) else {
            stalled = true;
            break;
        };
        let s = difference(&next.x, &here.x);
        let y = difference(&next.gradient, &here.gradient);
        update_inverse_hessian(&mut inverse_hessian, &s, &y, iterations == 0 && !learnt);
        let negligible = here.value - next.value <= F_TOLERANCE * here.value.abs().max(1.0);
        here = next;
        iterations += 1;
        if max_abs(&here.x) > bound {
            break;
        }
        if negligible && max_abs(&here.gradient) < STALLED_TOLERANCE_FACTOR * tolerance {
            stalled = true;
            break;
        }
    }
    let gradient_norm = if finite {
        max_abs(&here.gradient)
    } else {
        f64::INFINITY
    };
    let reachable = if stalled {
        STALLED_TOLERANCE_FACTOR * tolerance
    } else {
        tolerance
    };
    Minimum {
        converged: gradient_norm < reachable,
        point: here.x,
        value: here.value,
        gradient_norm,
        iterations,
        evaluations,
        inverse_hessian,
    }
}

/// `-H g`, or steepest descent (and `H` reset) when rounding made `H` lose positive
/// definiteness.
fn descent_direction(inverse_hessian: &mut Vec<Vec<f64>>, gradient: &[f64]) -> Vec<f64> {
    let direction: Vec<f64> = mat_vec(inverse_hessian, gradient)
        .iter()
        .map(|d| -d)
        .collect();
    if dot(&direction, gradient) < 0.0 {
        return direction;
    }
    *inverse_hessian = identity(gradient.len());
    gradient.iter().map(|g| -g).collect()
}

/// Backtracking from the full step (capped at `MAX_COORDINATE_STEP`) until the Armijo
/// condition holds at a finite point; `None` if no such step is found.
fn line_search<F>(
    objective: &mut F,
    here: &Point,
    direction: &[f64],
    evaluations: &mut usize,
) -> Option<Point>
where
    F: FnMut(&[f64], &mut [f64]) -> f64,
{
    let slope = dot(&here.gradient, direction);
    let mut step = (MAX_COORDINATE_STEP / max_abs(direction)).min(1.0);
    for _ in 0..MAX_BACKTRACKS {
        let x = here
            .x
            .iter()
            .zip(direction)
            .map(|(xi, di)| xi + step * di)
            .collect();
        let trial = Point::new(objective, x);
        *evaluations += 1;
        if trial.is_finite() && trial.value <= here.value + ARMIJO * step * slope {
            return Some(trial);
        }
        step *= 0.5;
    }
    None
}

fn identity(n: usize) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect())
        .collect()
}

fn mat_vec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

/// The BFGS update of the inverse Hessian; skipped when the curvature condition fails, which
/// a backtracking (non-Wolfe) line search does not guarantee.
fn update_inverse_hessian(h: &mut [Vec<f64>], s: &[f64], y: &[f64], first: bool) {
    let sy = dot(s, y);
    if sy <= 1e-12 * dot(s, s).sqrt() * dot(y, y).sqrt() {
        return;
    }
    if first {
        let scale = sy / dot(y, y);
        for (i, row) in h.iter_mut().enumerate() {
            row.iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v = if i == j { scale } else { 0.0 });
        }
    }
    let rho = 1.0 / sy;
    let hy = mat_vec(h, y);
    let yhy = dot(y, &hy);
    let n = s.len();
    for i in 0..n {
        for j in 0..n {
            h[i][j] += rho * ((1.0 + rho * yhy) * s[i] * s[j] - hy[i] * s[j] - s[i] * hy[j]);
        }
    }
}

/// Standard errors `sqrt(diag(H^-1))` where `H` is the Hessian of the negative
/// log-likelihood at `theta` (natural, positive parameters), by forward differences of the
/// analytic gradient (n + 1 gradients: on a million customers each costs as much as an
/// optimiser step, and a relative error of 1e-5 is plenty for a standard error). `None` when
/// the Hessian is not positive definite (a flat or boundary optimum), so that callers report
/// "not available" instead of a NaN.
#[allow(clippy::needless_range_loop)] // matrix algebra reads best with indices
pub(crate) fn standard_errors<G>(mut gradient_of_nll: G, theta: &[f64]) -> Option<Vec<f64>>
where
    G: FnMut(&[f64], &mut [f64]),
{
    let n = theta.len();
    let mut hessian = vec![vec![0.0; n]; n];
    let (mut at_theta, mut moved) = (vec![0.0; n], vec![0.0; n]);
    gradient_of_nll(theta, &mut at_theta);
    for j in 0..n {
        let h = 1e-5 * theta[j];
        let mut point = theta.to_vec();
        point[j] = theta[j] + h;
        gradient_of_nll(&point, &mut moved);
        for i in 0..n {
            hessian[i][j] = (moved[i] - at_theta[i]) / h;
        }
    }
    for i in 0..n {
        for j in 0..i {
            let mean = 0.5 * (hessian[i][j] + hessian[j][i]);
            hessian[i][j] = mean;
            hessian[j][i] = mean;
        }
    }
    let inverse = invert_positive_definite(&hessian)?;
    let errors: Vec<f64> = (0..n).map(|i| inverse[i][i].sqrt()).collect();
    errors.iter().all(|e| e.is_finite()).then_some(errors)
}

/// Inverse of a symmetric positive definite matrix through its Cholesky factor.
#[allow(clippy::needless_range_loop)] // matrix algebra reads best with indices
fn invert_positive_definite(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - sum;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - sum) / l[j][j];
            }
        }
    }
    // Columns of L^-1 by forward substitution, then A^-1 = L^-T L^-1.
    let mut l_inv = vec![vec![0.0; n]; n];
    for col in 0..n {
        for i in col..n {
            let sum: f64 = (col..i).map(|k| l[i][k] * l_inv[k][col]).sum();
            let rhs = if i == col { 1.0 } else { 0.0 };
            l_inv[i][col] = (rhs - sum) / l[i][i];
        }
    }
    let inverse = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| l_inv[k][i] * l_inv[k][j]).sum())
                .collect()
        })
        .collect();
    Some(inverse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bfgs_finds_the_rosenbrock_minimum() {
        let rosenbrock = |x: &[f64], g: &mut [f64]| {
            g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
            g[1] = 200.0 * (x[1] - x[0] * x[0]);
            (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
        };
        let m = minimize(rosenbrock, &[-1.2, 1.0], None, 10.0, 500, 1e-9);
        assert!(m.converged, "{m:?}");
        assert!(
            (m.point[0] - 1.0).abs() < 1e-6 && (m.point[1] - 1.0).abs() < 1e-6,
            "{m:?}"
        );
        // Unbounded below along x: stops at the bound instead of iterating on.
        let slope = |x: &[f64], g: &mut [f64]| {
            g[0] = -1.0;
            -x[0]
        };
        let m = minimize(slope, &[0.0], None, 20.0, 1000, 1e-9);
        assert!(
            !m.converged && m.point[0] > 20.0 && m.iterations < 50,
            "{m:?}"
        );
    }

    #[test]
    fn standard_errors_of_a_quadratic_are_its_inverse_curvature() {
        // nll = 0.5 * (4 (x-1)^2 + 9 (y-2)^2): variances 1/4 and 1/9.
        let gradient = |t: &[f64], g: &mut [f64]| {
            g[0] = 4.0 * (t[0] - 1.0);
            g[1] = 9.0 * (t[1] - 2.0);
        };
        let errors = standard_errors(gradient, &[1.0, 2.0]).expect("positive definite");
        assert!((errors[0] - 0.5).abs() < 1e-9 && (errors[1] - 1.0 / 3.0).abs() < 1e-9);
        let flat = |_: &[f64], g: &mut [f64]| g.iter_mut().for_each(|v| *v = 0.0);
        assert!(standard_errors(flat, &[1.0, 2.0]).is_none());
    }
}
