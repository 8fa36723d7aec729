"""The reference problem for docs/classifiers.md: will a customer buy in the next 90 days?

    /tmp/venv-trees/bin/python docs/reference/trees/reference_problem.py DIR
    cargo run --release -p rebuy-models --example bench_classifiers -- --load DIR

Per-customer features at an as-of date from the UCI Online Retail II 2009-2010 log
(/work/shared/data/online_retail_II_2009_2010.csv.gz); train at 2010-06-10, test at
2010-09-10, label = at least one purchase in (as_of, as_of + 90 days]. Writes the two
sets to DIR in the raw layout the Rust example reads (little-endian f64 rows, u8 labels,
columns.json), then fits scikit-learn's LogisticRegression and RandomForestClassifier(200)
and XGBoost's XGBClassifier(300 trees, depth 4, eta 0.05, hist) and prints their test
metrics. `mean_gap_days` is missing (NaN) for customers with one purchase.
"""
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import xgboost
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

DATA = "/work/shared/data/online_retail_II_2009_2010.csv.gz"
HORIZON = pd.Timedelta(days=90)
NAMES = ["recency_days", "frequency", "monetary", "tenure_days", "lines", "products",
         "mean_basket", "returns", "spend_90d", "orders_90d", "mean_gap_days"]
LOG1P = ["frequency", "monetary", "lines", "products", "mean_basket", "returns",
         "spend_90d", "orders_90d"]


def load_transactions():
    df = pd.read_csv(DATA, dtype={"Invoice": str, "StockCode": str, "Customer ID": "Int64"},
                     parse_dates=["InvoiceDate"])
    df = df.dropna(subset=["Customer ID"])
    df["amount"] = df["Quantity"] * df["Price"]
    df["cancelled"] = df["Invoice"].str.startswith("C")
    return df


def features_at(df, as_of):
    before = df[df["InvoiceDate"] < as_of]
    sales = before[~before["cancelled"]]
    by = sales.groupby("Customer ID")
    f = pd.DataFrame({
        "last": by["InvoiceDate"].max(),
        "first": by["InvoiceDate"].min(),
        "frequency": by["Invoice"].nunique(),
        "lines": by.size(),
        "products": by["StockCode"].nunique(),
    })
    f["monetary"] = before.groupby("Customer ID")["amount"].sum().reindex(f.index).fillna(0)
    f["returns"] = before[before["cancelled"]].groupby("Customer ID")["Invoice"].nunique() \
        .reindex(f.index).fillna(0)
    recent = sales[sales["InvoiceDate"] >= as_of - HORIZON].groupby("Customer ID")
    f["spend_90d"] = recent["amount"].sum().reindex(f.index).fillna(0)
    f["orders_90d"] = recent["Invoice"].nunique().reindex(f.index).fillna(0)
    f["recency_days"] = (as_of - f["last"]).dt.days
    f["tenure_days"] = (as_of - f["first"]).dt.days
    f["mean_basket"] = f["monetary"] / f["frequency"]
    span_days = (f["last"] - f["first"]).dt.total_seconds() / 86400
    f["mean_gap_days"] = np.where(f["frequency"] > 1, span_days / (f["frequency"] - 1), np.nan)
    after = df[(df["InvoiceDate"] >= as_of) & (df["InvoiceDate"] < as_of + HORIZON) & ~df["cancelled"]]
    y = f.index.isin(after["Customer ID"].unique())
    return f[NAMES].to_numpy(dtype=float), y.astype(np.uint8)


def write(directory, name, x, y):
    x.astype("<f8").tofile(directory / f"{name}_x.f64")
    y.astype(np.uint8).tofile(directory / f"{name}_y.u8")


def signed_log1p(names, columns):
    idx = [names.index(c) for c in columns]

    def transform(a):
        a = a.copy()
        a[:, idx] = np.sign(a[:, idx]) * np.log1p(np.abs(a[:, idx]))
        return a
    return FunctionTransformer(transform)


def main():
    directory = Path(sys.argv[1])
    directory.mkdir(parents=True, exist_ok=True)
    df = load_transactions()
    x, y = features_at(df, pd.Timestamp("2010-06-10"))
    xt, yt = features_at(df, pd.Timestamp("2010-09-10"))
    write(directory, "train", x, y)
    write(directory, "test", xt, yt)
    (directory / "columns.json").write_text(json.dumps({"names": NAMES, "log1p": LOG1P}))
    print(f"sklearn {sklearn.__version__}, xgboost {xgboost.__version__}; train {len(y)} customers "
          f"({y.mean():.3f} buy), test {len(yt)} ({yt.mean():.3f} buy)")
    fit_and_report(x, y, xt, yt, NAMES, LOG1P)


def fit_and_report(x, y, xt, yt, names, log1p):
    """Fits the three Python references on (x, y) and prints their metrics on (xt, yt)."""
    print("| model | fit s | ROC-AUC | PR-AUC (AP) | log loss | Brier |")
    print("|---|---|---|---|---|---|")
    models = {
        "sklearn LogisticRegression(C=1)": make_pipeline(
            SimpleImputer(strategy="mean"), signed_log1p(names, log1p), StandardScaler(),
            LogisticRegression(C=1.0, max_iter=10000)),
        "sklearn RandomForestClassifier(200)": RandomForestClassifier(200, n_jobs=2, random_state=0),
        "XGBClassifier(300, depth 4, eta 0.05, hist)": xgboost.XGBClassifier(
            n_estimators=300, max_depth=4, learning_rate=0.05, tree_method="hist", n_jobs=2),
    }
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - start
        p = model.predict_proba(xt)[:, 1]
        print(f"| {name} | {seconds:.2f} | {roc_auc_score(yt, p):.4f} | "
              f"{average_precision_score(yt, p):.4f} | {log_loss(yt, p):.4f} | "
              f"{brier_score_loss(yt, p):.4f} |")


if __name__ == "__main__":
    main()
