"""Compare a generated transaction file with the real UCI Online Retail II file.

Usage (a scratch virtualenv with pandas and lifetimes; the product never uses Python):

    python3 -m venv /tmp/venv-generator
    /tmp/venv-generator/bin/pip install pandas pyarrow lifetimes
    cargo run --release -p rebuy-data --example bench_generate -- 500000 /tmp/gen.csv.gz --months 12 --seed 1
    /tmp/venv-generator/bin/python docs/reference/generator/compare_real.py \
        /work/shared/data/online_retail_II_2009_2010.csv.gz /tmp/gen.csv.gz

Prints one table of shape statistics for both files (the numbers quoted in
the generator's tests and docs come from the "real" column), then fits the
BG/NBD model with `lifetimes` on both files (daily units) and prints the
fitted r, alpha, a, b next to the generator's true parameters.
"""

import sys

import numpy as np
import pandas as pd


def load(path):
    return pd.read_csv(path, dtype={"Invoice": str, "StockCode": str, "Customer ID": "Int64"},
                       keep_default_na=False, na_values={"Customer ID": [""]})


def stats(df):
    out = {}
    canc = df.Invoice.str.startswith("C")
    out["lines"] = len(df)
    out["missing customer id share"] = df["Customer ID"].isna().mean()
    out["cancellation line share"] = canc.mean()
    out["exact duplicate line share"] = df.duplicated().mean()
    out["United Kingdom line share"] = (df.Country == "United Kingdom").mean()
    out["zero price share"] = (df.Price == 0).mean()
    sale = df[~canc & (df.Price > 0)]
    for q in (0.05, 0.5, 0.95):
        out[f"price q{int(q * 100)}"] = sale.Price.quantile(q)
    for q in (0.5, 0.9, 0.99):
        out[f"quantity q{int(q * 100)}"] = sale.Quantity.quantile(q)
    known = df[~canc & df["Customer ID"].notna()]
    per_invoice = known.groupby("Invoice").size()
    for q in (0.25, 0.5, 0.9):
        out[f"lines per customer invoice q{int(q * 100)}"] = per_invoice.quantile(q)
    vc = df[~canc].StockCode.value_counts(normalize=True)
    out["top 10% products' line share"] = vc.head(len(vc) // 10).sum()
    purchases = known.groupby("Customer ID").Invoice.nunique()
    out["customers"] = len(purchases)
    out["invoices per customer, mean"] = purchases.mean()
    out["invoices per customer, CV"] = purchases.std() / purchases.mean()
    dates = pd.to_datetime(known.InvoiceDate)
    last = dates.groupby(known["Customer ID"]).max()
    out["customers without purchase in last 90 days"] = ((dates.max() - last).dt.days > 90).mean()
    inv = df.drop_duplicates("Invoice")
    months = pd.to_datetime(inv.InvoiceDate).dt.month.value_counts()
    out["November invoices / mean month"] = months.get(11, 0) / months.mean()
    out["Saturday invoice share"] = (pd.to_datetime(inv.InvoiceDate).dt.dayofweek == 5).mean()
    return out


def auc(score, label):
    ranks = pd.Series(score).rank().to_numpy()
    positives = label.sum()
    negatives = len(label) - positives
    return (ranks[label].sum() - positives * (positives + 1) / 2) / (positives * negatives)


def label_difficulty(df):
    """Share of customers buying in the last 90 days, and how well recency
    and frequency at the as-of date (end - 90 days) rank them (ROC AUC)."""
    known = df[~df.Invoice.str.startswith("C") & df["Customer ID"].notna()].copy()
    known["date"] = pd.to_datetime(known.InvoiceDate)
    as_of = known.date.max() - pd.Timedelta(days=90)
    before = known[known.date <= as_of]
    after = set(known[known.date > as_of]["Customer ID"])
    per = before.groupby("Customer ID").agg(last=("date", "max"), frequency=("Invoice", "nunique"))
    label = per.index.isin(after)
    recency = (as_of - per["last"]).dt.days.to_numpy()
    return {
        "label: share buying in the last 90 days": label.mean(),
        "label AUC of -recency": auc(-recency, label),
        "label AUC of frequency": auc(per["frequency"].to_numpy(), label),
    }


def fit_bgnbd(df):
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    known = df[~df.Invoice.str.startswith("C") & df["Customer ID"].notna()].copy()
    known["date"] = pd.to_datetime(known.InvoiceDate)
    summary = summary_data_from_transaction_data(known, "Customer ID", "date", freq="D")
    from lifetimes.utils import ConvergenceError

    # Unpenalized first; a tiny penalty only when the optimizer fails.
    for penalizer in (0.0, 0.001):
        try:
            model = BetaGeoFitter(penalizer_coef=penalizer)
            model.fit(summary["frequency"], summary["recency"], summary["T"])
            return model.params_
        except ConvergenceError:
            continue
    raise RuntimeError("BG/NBD fit did not converge")


def main():
    real, generated = load(sys.argv[1]), load(sys.argv[2])
    a, b = stats(real), stats(generated)
    a.update(label_difficulty(real))
    b.update(label_difficulty(generated))
    print(f"| statistic | real 2009-2010 | generated |")
    print("|---|---|---|")
    for key in a:
        print(f"| {key} | {a[key]:.4g} | {b[key]:.4g} |")
    print()
    print("BG/NBD fitted by lifetimes (daily units):")
    for name, df in (("real", real), ("generated", generated)):
        params = fit_bgnbd(df)
        print(f"  {name}: r", round(params["r"], 3), "alpha", round(params["alpha"], 2),
              "a", round(params["a"], 3), "b", round(params["b"], 3))
    print("  generator: r 0.3, alpha 20 days at seasonal factor 1 (about 25 on an average day), a 0.5, b 9.5")


if __name__ == "__main__":
    main()
