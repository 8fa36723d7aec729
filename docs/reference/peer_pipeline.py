"""The stages of `rebuy run`, done the usual notebook way with pandas, scikit-learn, XGBoost
and lifetimes, to time against rebuy (docs/benchmarks.md, "Python package (issue 20)").
Prints seconds per stage, the total and the peak memory.

Run: python peer_pipeline.py FILE.csv[.gz] [OUT_customers.csv]

Stages, as rebuy's (docs/definitions.md); where this script is simpler it says so:
- read and clean: the cleaning rules of docs/reference/data/pandas_pipeline.py, copied
  (that file is a script with no functions to import);
- features and RFM: recency, frequency, net spend and the other window features below;
  quintile scores with qcut on ranks, net spend <= 0 gets M score 1;
- clusters: log1p + StandardScaler on recency, frequency, net spend (sign(x) log1p|x|, so a
  negative net spend stays defined), KMeans k = 2..10 with n_init = 10, silhouette on all
  rows; k = the best silhouette (rebuy takes the knee unless its silhouette is below 80 %
  of the best);
- purchase models: out of time, as rebuy: fitted on the features at as_of - 2H with the
  label "bought in the next H days", tested at as_of - H, H = 90; logistic regression,
  random forest (200 trees, depth 8, leaf 20: rebuy run's forest) and XGBoost (300
  trees, depth 4, learning rate 0.05); the best test ROC-AUC is refitted at as_of - H and
  scores every customer at as_of (rebuy picks on a validation slice and calibrates; not
  here);
- BTYD: lifetimes' summary in days, BG/NBD, Gamma-Gamma on repeat buyers with a positive
  mean net spend, 12-month CLV discounted 1 % a month (rebuy also fits MBG/NBD and
  Pareto/NBD for its hold-out comparison; not here);
- write: one customers CSV.
Both cores are used where the libraries allow it (KMeans' OpenMP threads, the forest's
n_jobs=-1, XGBoost's default), as rebuy uses its two threads.
"""

import resource
import sys
import time

import numpy as np
import pandas as pd
import xgboost
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, silhouette_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HORIZON = pd.Timedelta(days=90)
NON_PRODUCT = ["POST", "DOT", "M", "C2", "D", "S", "B", "CRUK", "PADS", "BANK CHARGES",
               "AMAZONFEE", "ADJUST", "ADJUST2"]
stages = {}


def timed(name, start):
    stages[name] = time.perf_counter() - start
    return time.perf_counter()


def read_and_clean(path):
    """pandas_pipeline.py's lines: sales and returns (cancellations) of customers."""
    df = pd.read_csv(path, dtype={"Invoice": str, "StockCode": str, "Customer ID": str},
                     parse_dates=["InvoiceDate"])
    df = df.dropna(subset=["Quantity", "Price", "InvoiceDate"])
    df["Customer ID"] = df["Customer ID"].str.replace(r"\.0$", "", regex=True)
    df = df[df["Customer ID"].notna()]
    code = df["StockCode"].str.strip().str.upper()
    df = df[~(code.isin(NON_PRODUCT) | code.str.startswith("TEST"))]
    df = df[df["Price"] > 0]
    ret = df["Invoice"].str.startswith("C")
    df = df[~((df["Quantity"] == 0) | ((df["Quantity"] < 0) & ~ret))]
    df = df.drop_duplicates()
    ret = df["Invoice"].str.startswith("C")
    sales, returns = df[~ret].copy(), df[ret].copy()
    sales["amount"] = sales["Quantity"] * sales["Price"]
    sales["day"] = sales["InvoiceDate"].dt.normalize()
    returns["value"] = returns["Quantity"].abs() * returns["Price"]
    returns["day"] = returns["InvoiceDate"].dt.normalize()
    return sales, returns


def features(sales, returns, as_of):
    """One row per customer with a sale before as_of, from the days before it."""
    sales, returns = sales[sales["day"] < as_of], returns[returns["day"] < as_of]
    g = sales.groupby("Customer ID")
    last, first = g["day"].max(), g["day"].min()
    feat = pd.DataFrame({
        "recency_days": (as_of - last).dt.days,
        "frequency": g["Invoice"].nunique(),
        "gross_spend": g["amount"].sum(),
        "tenure_days": (as_of - first).dt.days,
        "distinct_products": g["StockCode"].nunique(),
    })
    feat["returns_value"] = returns.groupby("Customer ID")["value"].sum().reindex(feat.index).fillna(0)
    feat["monetary"] = feat["gross_spend"] - feat["returns_value"]
    feat["avg_order_value"] = feat["monetary"] / feat["frequency"]
    feat["return_rate"] = feat["returns_value"] / feat["gross_spend"]
    days = sales.groupby("Customer ID")["day"].nunique()
    feat["btyd_frequency"] = days - 1
    # One purchase day has no gap: take the tenure, so the column has no NaN for the
    # logistic regression.
    span = (last - first).dt.days
    feat["mean_days_between_purchases"] = (span / feat["btyd_frequency"]).where(
        feat["btyd_frequency"] > 0, feat["tenure_days"])
    for window in (30, 90, 180):
        recent = sales[sales["day"] >= as_of - pd.Timedelta(days=window)].groupby("Customer ID")
        feat[f"spend_{window}d"] = recent["amount"].sum().reindex(feat.index).fillna(0)
        feat[f"orders_{window}d"] = recent["Invoice"].nunique().reindex(feat.index).fillna(0)
    return feat


def rfm_scores(feat):
    feat["r_score"] = pd.qcut(feat["recency_days"].rank(method="first"), 5, labels=[5, 4, 3, 2, 1]).astype(int)
    feat["f_score"] = pd.qcut(feat["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    feat["m_score"] = pd.qcut(feat["monetary"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5]).astype(int)
    feat.loc[feat["monetary"] <= 0, "m_score"] = 1


def clusters(feat):
    rfm = feat[["recency_days", "frequency", "monetary"]].to_numpy(dtype=float)
    X = StandardScaler().fit_transform(np.sign(rfm) * np.log1p(np.abs(rfm)))
    sweep = {}
    for k in range(2, 11):
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
        sweep[k] = (silhouette_score(X, km.labels_), km)
    best = max(sweep, key=lambda k: sweep[k][0])
    return best, sweep[best][0], sweep[best][1].labels_


def labelled(sales, returns, as_of):
    feat = features(sales, returns, as_of)
    ahead = sales[(sales["day"] >= as_of) & (sales["day"] < as_of + HORIZON)]
    label = feat.index.isin(ahead["Customer ID"].unique()).astype(int)
    return feat, label


def classifiers():
    return {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "random_forest": RandomForestClassifier(n_estimators=200, max_depth=8, min_samples_leaf=20,
                                                n_jobs=-1, random_state=0),
        "gradient_boosting": xgboost.XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05,
                                                   tree_method="hist", random_state=0),
    }


def purchase_models(sales, returns, as_of):
    test_as_of = as_of - HORIZON
    X_train, y_train = labelled(sales, returns, test_as_of - HORIZON)
    X_test, y_test = labelled(sales, returns, test_as_of)
    auc = {}
    for name, model in classifiers().items():
        model.fit(X_train, y_train)
        auc[name] = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])
    chosen = max(auc, key=auc.get)
    final = classifiers()[chosen].fit(X_test, y_test)
    return auc, chosen, final, list(X_train.columns)


def btyd(sales, feat, as_of):
    """lifetimes' summary in days of each customer's net spend per purchase day (each day's
    sales times monetary / gross_spend, as rebuy spreads returns), BG/NBD, Gamma-Gamma, CLV."""
    sales = sales[sales["day"] < as_of]
    per_day = sales.groupby(["Customer ID", "day"], as_index=False)["amount"].sum()
    share = (feat["monetary"] / feat["gross_spend"]).clip(lower=0)
    per_day["net"] = per_day["amount"] * per_day["Customer ID"].map(share)
    summary = summary_data_from_transaction_data(per_day, "Customer ID", "day", monetary_value_col="net",
                                                 observation_period_end=as_of - pd.Timedelta(days=1), freq="D")
    summary = summary.reindex(feat.index)
    f, r, T, m = summary["frequency"], summary["recency"], summary["T"], summary["monetary_value"]
    bgf = BetaGeoFitter().fit(f, r, T)
    repeat = (f > 0) & (m > 0)
    ggf = GammaGammaFitter().fit(f[repeat], m[repeat])
    out = pd.DataFrame(index=feat.index)
    out["p_alive"] = bgf.conditional_probability_alive(f, r, T)
    out["expected_purchases_90d"] = bgf.conditional_expected_number_of_purchases_up_to_time(90, f, r, T)
    out["expected_order_value"] = ggf.conditional_expected_average_profit(f, m)
    out["clv_12m"] = ggf.customer_lifetime_value(bgf, f, r, T, m, time=12, freq="D", discount_rate=0.01)
    not_positive = feat["monetary"] <= 0
    out.loc[not_positive, ["expected_order_value", "clv_12m"]] = 0.0
    return out, bgf, ggf


def main(path, out_path):
    start = t = time.perf_counter()
    sales, returns = read_and_clean(path)
    t = timed("read_and_clean", t)
    as_of = sales["day"].max() + pd.Timedelta(days=1)
    feat = features(sales, returns, as_of)
    rfm_scores(feat)
    t = timed("features_and_rfm", t)
    k, silhouette, feat["cluster"] = clusters(feat)
    t = timed("clusters", t)
    auc, chosen, final, columns = purchase_models(sales, returns, as_of)
    feat["purchase_probability"] = final.predict_proba(feat[columns])[:, 1]
    t = timed("purchase_models", t)
    lifetime, bgf, ggf = btyd(sales, feat, as_of)
    feat = feat.join(lifetime)
    t = timed("btyd", t)
    feat.index.name = "customer_id"
    feat.to_csv(out_path)
    t = timed("write", t)
    total = t - start

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"pandas {pd.__version__}, scikit-learn {__import__('sklearn').__version__}, "
          f"xgboost {xgboost.__version__}, lifetimes {__import__('lifetimes').__version__}")
    print(f"{len(feat)} customers, {len(sales)} sales lines, as of {as_of.date()}")
    print(f"k = {k} (silhouette {silhouette:.3f}); test ROC-AUC "
          + ", ".join(f"{name} {value:.4f}" for name, value in auc.items()) + f"; chosen {chosen}")
    print("BG/NBD", {k: round(float(v), 4) for k, v in bgf.params_.items()},
          "Gamma-Gamma", {k: round(float(v), 4) for k, v in ggf.params_.items()},
          f"sum clv_12m {feat['clv_12m'].sum():.0f}")
    print(", ".join(f"{name} {seconds:.2f} s" for name, seconds in stages.items())
          + f"; total {total:.2f} s, peak {peak_mb:.0f} MB")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "/tmp/peer_customers.csv")
