"""Reference numbers for the Pareto/NBD code in crates/rebuy-models/src/btyd/ (special.rs,
pareto_nbd/tail.rs, tests/pareto_nbd.rs), by mpmath (1.3.0; 1.4.1 for tail_table) at 25-30
digits.

The 2F1 terms are taken in the form of Fader, Hardie & Lee's note, *before* Euler's
transformation (the Rust code sums the transformed series up to z = 1/2 and integrates a
split form beyond), with mpmath's own hyp2f1, so the routes are independent.

    python3 docs/reference/btyd/pareto_nbd_mpmath.py

`tail_table` prints the reference rows of `pareto_nbd/tail.rs` (ln I(tau) and its gradient at
z from 1e-3 to 1 - 1e-8, on both sides of alpha = beta), and `gauss_legendre` the 16-point
rule that file integrates with.
"""

import collections
import csv

import mpmath as mp

mp.mp.dps = 30
SUMMARY = "crates/rebuy-models/src/btyd/testdata/cdnow_customers_summary_with_transactions.csv"
FITTED = (0.5532755197551376, 10.577612384717378, 0.6062135092233981, 11.667909240950262)
PUBLISHED = (0.553, 10.578, 0.606, 11.669)


def hyp2f1_table():
    print("ln 2F1(a, b; c; z) and d/da, d/db, d/dc, d/dz of the log")
    cases = [
        (1, 0.55, 2.16, 0.3),
        (1, 2.0, 30.5, 0.9),
        (1, 27.3, 28.9, 0.99),
        (0.5, 0.5, 1.5, 0.25),
        (3.5, 2.5, 1.2, 0.7),
        (1, 1.606, 27.16, 0.0936),
    ]
    for a, b, c, z in cases:
        f = lambda a, b, c, z: mp.log(mp.hyp2f1(a, b, c, z))
        grad = [
            mp.diff(lambda t: f(t, b, c, z), a),
            mp.diff(lambda t: f(a, t, c, z), b),
            mp.diff(lambda t: f(a, b, t, z), c),
            mp.diff(lambda t: f(a, b, c, t), z),
        ]
        print((a, b, c, z), mp.nstr(f(a, b, c, z), 17), [mp.nstr(g, 17) for g in grad])


def ln_tail(r, alpha, s, beta, x, tau):
    """ln I(tau), I(tau) = (r+s+x) int_tau^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du."""
    a = r + s + x
    if alpha >= beta:
        z = (alpha - beta) / (alpha + tau)
        return -a * mp.log(alpha + tau) + mp.log(mp.hyp2f1(a, s + 1, a + 1, z))
    z = (beta - alpha) / (beta + tau)
    return -a * mp.log(beta + tau) + mp.log(mp.hyp2f1(a, r + x, a + 1, z))


def tails():
    print("ln I(tau): closed form, and by quad")
    for (r, alpha, s, beta), x, tau in [
        ((0.55, 10.6, 0.6, 11.7), 2.0, 5.0),
        ((1.3, 20.0, 2.0, 0.5), 0.0, 0.0),
        ((1.3, 20.0, 2.0, 0.5), 26.0, 30.86),
    ]:
        f = lambda u: (alpha + u) ** (-(r + x)) * (beta + u) ** (-(s + 1))
        quad = (r + s + x) * mp.quad(f, mp.linspace(tau, tau + 400, 81) + [mp.inf])
        print((r, alpha, s, beta, x, tau), mp.nstr(ln_tail(r, alpha, s, beta, x, tau), 17),
              mp.nstr(mp.log(quad), 17))


# (r, s, x, tau): tiny shapes; the CDNOW fit's; a heavy buyer (a = r+s+x large); a large s
# (an interior peak of the integrand when beta > alpha); s = r = 1, integers, where the
# linear transformation to 1-z is singular.
TAIL_SHAPES = [
    (0.05, 0.02, 0.0, 0.0),
    (0.55, 0.6, 2.0, 30.0),
    (1.3, 0.5, 200.0, 38.0),
    (0.5, 80.0, 1.0, 5.0),
    (1.0, 1.0, 3.0, 10.0),
]
TAIL_Z = [1e-3, 0.5, 0.9, 0.99, 0.9999, 1 - 1e-8]


def tail_table():
    """Rust rows ([r, alpha, s, beta], x, tau, ln I, gradient) at the z of TAIL_Z."""
    print("ln I(tau) and its gradient in (r, alpha, s, beta)")
    for r, s, x, tau in TAIL_SHAPES:
        for z in TAIL_Z:
            # alpha >= beta: z = (alpha - beta) / (alpha + tau) with beta = 0.5; then the
            # mirror image, beta > alpha.
            small = 0.5
            big = float((small + tau) / mp.mpf(1 - z) - tau)
            for alpha, beta in [(big, small), (small, big)]:
                theta = [r, alpha, s, beta]
                f = lambda *t: ln_tail(*t, x, tau)
                value = f(*theta)
                grad = []
                for j in range(4):
                    def g(v, j=j):
                        t = list(map(mp.mpf, theta))
                        t[j] = v
                        return f(*t)
                    grad.append(mp.diff(g, mp.mpf(theta[j])))
                # Shortest round-trip doubles, as Rust literals.
                print(f"    ([{r!r}, {alpha!r}, {s!r}, {beta!r}], {x!r}, {tau!r}, "
                      f"{float(value)!r}, [{', '.join(repr(float(g)) for g in grad)}]),")


def gauss_legendre(n=16):
    """Positive nodes and weights of the n-point Gauss-Legendre rule, by Newton's method."""
    with mp.workdps(40):
        def legendre_and_slope(t):
            p0, p1 = mp.mpf(1), t
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k
            return p1, n * (t * p1 - p0) / (t * t - 1)

        rows = []
        for i in range(1, n // 2 + 1):
            t = mp.cos(mp.pi * (i - mp.mpf(1) / 4) / (n + mp.mpf(1) / 2))
            for _ in range(50):
                p, dp = legendre_and_slope(t)
                t -= p / dp
            p, dp = legendre_and_slope(t)
            rows.append((t, 2 / ((1 - t * t) * dp * dp)))
    print(f"Gauss-Legendre, {n} points: (node, weight)")
    for t, w in sorted(rows):
        print(f"    ({mp.nstr(t, 17)}, {mp.nstr(w, 17)}),")


def log_likelihood_and_alive(theta, x, t_x, t):
    r, alpha, s, beta = theta
    c = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
    alive_part = mp.exp(-(r + x) * mp.log(alpha + t) - s * mp.log(beta + t))
    dead_part = s / (r + s + x) * (mp.exp(ln_tail(*theta, x, t_x)) - mp.exp(ln_tail(*theta, x, t)))
    return c + mp.log(alive_part + dead_part), alive_part / (alive_part + dead_part)


def cdnow():
    rows = collections.Counter()
    with open(SUMMARY) as f:
        for d in csv.DictReader(f):
            rows[(int(d["x"]), float(d["t_x"]), float(d["T"]))] += 1
    for name, theta in [("published", PUBLISHED), ("rebuy's fit", FITTED)]:
        total = sum(w * log_likelihood_and_alive(theta, *row)[0] for row, w in rows.items())
        print(f"CDNOW log-likelihood at the {name} parameters:", mp.nstr(total, 17))
    print("P(alive) at rebuy's fit")
    for row in [(2, 30.43, 38.86), (1, 1.71, 38.86), (0, 0.0, 38.86), (26, 30.86, 31.0)]:
        print(row, mp.nstr(log_likelihood_and_alive(FITTED, *row)[1], 17))


if __name__ == "__main__":
    hyp2f1_table()
    tails()
    tail_table()
    gauss_legendre()
    cdnow()
