"""Reference numbers for the rebuy buy-till-you-die models on the CDNOW sample.

Run (scratch virtualenv, never a dependency of the product):
    python3 -m venv /tmp/venv-btyd && /tmp/venv-btyd/bin/pip install lifetimes pandas
    /tmp/venv-btyd/bin/python docs/reference/btyd/cdnow_reference.py

Writes crates/rebuy-models/src/btyd/testdata/cdnow_lifetimes_predictions.csv (lifetimes
0.11.3's predictions for every CDNOW customer, which the Rust tests compare with) and prints
the fitted parameters, log-likelihoods and a first-principles check of P(X(t) = 0 | history)
by numerical integration over the posterior of (lambda, p), pinned in the Rust tests.
"""

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter
from scipy import integrate
from scipy.stats import beta as beta_dist
from scipy.stats import gamma as gamma_dist

DATA = "crates/rebuy-models/src/btyd/testdata/"
HORIZON = 39.0

summary = pd.read_csv(DATA + "cdnow_customers_summary_with_transactions.csv")
x, tx, T, zbar = summary["x"], summary["t_x"], summary["T"], summary["zbar"]

out = pd.DataFrame({"ID": summary["ID"]})
for name, fitter in [("bg", BetaGeoFitter()), ("mbg", ModifiedBetaGeoFitter())]:
    fitter.fit(x, tx, T)
    ll = -fitter._negative_log_likelihood_ * len(summary)
    print(name, dict(fitter.params_.round(6)), "log-likelihood", round(ll, 4))
    print(name, "new customer E[X(39)] =", repr(float(fitter.expected_number_of_purchases_up_to_time(HORIZON))))
    out[name + "_p_alive"] = fitter.conditional_probability_alive(x, tx, T)
    out[name + "_expected_39"] = fitter.conditional_expected_number_of_purchases_up_to_time(HORIZON, x, tx, T)
    if name == "bg":
        bgf = fitter

repeat = summary[x > 0]
ggf = GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
print("gg", dict(ggf.params_.round(6)))
print("gg frequency/spend correlation", repr(float(np.corrcoef(repeat["x"], repeat["zbar"])[0, 1])))
out["gg_expected_spend"] = ggf.conditional_expected_average_profit(x, zbar)
out["clv_12_months"] = ggf.customer_lifetime_value(bgf, x, tx, T, zbar, time=12, discount_rate=0.01, freq="W")
out.to_csv(DATA + "cdnow_lifetimes_predictions.csv", index=False, float_format="%.10g")


def no_purchase_probability(params, x, tx, T, t):
    """P(X(T, T+t] = 0 | x, t_x, T) for BG/NBD from first principles: integrate the joint
    likelihood of the history and of 'no purchase next' over the gamma x beta prior."""
    r, alpha, a, b = params

    def joint(lam, p, future):
        alive = lam**x * (1 - p) ** x * np.exp(-lam * T) * (np.exp(-lam * t) if future else 1.0)
        dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * tx) if x > 0 else 0.0
        prior = gamma_dist.pdf(lam, r, scale=1 / alpha) * beta_dist.pdf(p, a, b)
        return (alive + dead) * prior

    opts = dict(epsabs=1e-14, epsrel=1e-10)
    num = integrate.dblquad(lambda lam, p: joint(lam, p, True), 0, 1, 0, np.inf, **opts)[0]
    den = integrate.dblquad(lambda lam, p: joint(lam, p, False), 0, 1, 0, np.inf, **opts)[0]
    return num / den


params = [bgf.params_[k] for k in ["r", "alpha", "a", "b"]]
for cx, ctx, cT, ct in [(2, 30.43, 38.86, 39.0), (0, 0.0, 38.86, 39.0), (5, 20.0, 38.0, 13.0)]:
    p0 = no_purchase_probability(params, cx, ctx, cT, ct)
    print(f"P(at least one purchase) x={cx} t_x={ctx} T={cT} t={ct}: {1 - p0!r}")
print("at params", params)
