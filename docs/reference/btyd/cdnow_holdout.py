"""CDNOW calibration (to 1997-09-30) and 39-week hold-out summary, in weeks, for
`bench_btyd --summary` (BG/NBD vs MBG/NBD against what customers then bought):

    /tmp/venv-btyd/bin/python docs/reference/btyd/cdnow_holdout.py /tmp/btyd_cdnow_holdout.csv
    cargo run --release -p rebuy-models --example bench_btyd -- --summary /tmp/btyd_cdnow_holdout.csv 39
"""

import sys

import pandas as pd
from lifetimes.utils import calibration_and_holdout_data

OUT = sys.argv[1] if len(sys.argv) > 1 else "/tmp/btyd_cdnow_holdout.csv"
lines = pd.read_csv(
    "/work/shared/data/cdnow/CDNOW_sample.txt",
    sep=r"\s+",
    header=None,
    names=["master_id", "id", "date", "cds", "amount"],
    dtype={"date": str},
)
lines["date"] = pd.to_datetime(lines["date"], format="%Y%m%d")
summary = calibration_and_holdout_data(
    lines, "id", "date", calibration_period_end="1997-09-30", observation_period_end="1998-06-30",
    freq="D", monetary_value_col="amount",
)
out = pd.DataFrame(
    {
        "frequency": summary["frequency_cal"],
        "recency": (summary["recency_cal"] / 7).round(2),
        "T": (summary["T_cal"] / 7).round(2),
        "monetary_value": summary["monetary_value_cal"],
        "future_purchases": summary["frequency_holdout"],
    }
)
out.to_csv(OUT, index=False)
print("customers", len(out), "repeat purchases in the hold-out", int(out["future_purchases"].sum()))
