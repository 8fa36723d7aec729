"""A first look at BG/NBD vs MBG/NBD on the real Online Retail II sheet (2009-12-01..2010-12-09).

Builds the buy-till-you-die summary in days with lifetimes' own helper (calibration up to
2010-09-10, a 90-day hold-out after it), cross-checks lifetimes' fits, and writes the summary
for `bench_btyd --summary`:

    /tmp/venv-btyd/bin/python docs/reference/btyd/online_retail_summary.py /tmp/btyd_online_retail.csv
    cargo run --release -p rebuy-models --example bench_btyd -- --summary /tmp/btyd_online_retail.csv 90
"""

import sys

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter
from lifetimes.utils import calibration_and_holdout_data

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/btyd_online_retail.csv"
lines = pd.read_csv("/work/shared/data/online_retail_II_2009_2010.csv.gz", dtype={"Invoice": str, "StockCode": str})
sales = lines[
    lines["Customer ID"].notna()
    & ~lines["Invoice"].str.startswith("C")
    & (lines["Quantity"] > 0)
    & (lines["Price"] > 0)
].copy()
sales["amount"] = sales["Quantity"] * sales["Price"]
sales["InvoiceDate"] = pd.to_datetime(sales["InvoiceDate"]).dt.normalize()
print("sale lines", len(sales), "customers", sales["Customer ID"].nunique())

summary = calibration_and_holdout_data(
    sales,
    "Customer ID",
    "InvoiceDate",
    calibration_period_end="2010-09-10",
    observation_period_end="2010-12-09",
    freq="D",
    monetary_value_col="amount",
)
print("customers in calibration", len(summary))
print("one-time buyers", float((summary["frequency_cal"] == 0).mean()))
repeat = summary[summary["frequency_cal"] > 0]
corr = np.corrcoef(repeat["frequency_cal"], repeat["monetary_value_cal"])[0, 1]
print("corr(frequency, monetary_value) among repeat buyers", round(float(corr), 4))

f, r, T = summary["frequency_cal"], summary["recency_cal"], summary["T_cal"]
for name, fitter in [("BG/NBD", BetaGeoFitter()), ("MBG/NBD", ModifiedBetaGeoFitter())]:
    fitter.fit(f, r, T)
    alive = fitter.conditional_probability_alive(f, r, T)
    print(name, "lifetimes", dict(fitter.params_.round(4)), "mean P(alive) of one-time buyers", round(float(alive[f == 0].mean()), 4))

out = pd.DataFrame(
    {
        "frequency": f,
        "recency": r,
        "T": T,
        "monetary_value": summary["monetary_value_cal"],
        "future_purchases": summary["frequency_holdout"],
    }
)
out.to_csv(OUT, index=False)
print("wrote", OUT)
