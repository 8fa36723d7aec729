"""lifetimes' side of the calibration vs hold-out table on CDNOW (pinned in
crates/rebuy-features/tests/cdnow_summary.rs, shown in docs/btyd.md), and the check that
the published summary is `freq="D", freq_multiplier=7`, not `freq="W"`:

    /tmp/venv-btyd/bin/python docs/reference/btyd/cdnow_holdout_table.py
"""

import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import calibration_and_holdout_data, summary_data_from_transaction_data

FIXTURES = "crates/rebuy-features/tests/fixtures/cdnow/"
tx = pd.read_csv(FIXTURES + "CDNOW_sample.txt", sep=r"\s+", header=None,
                 names=["cid", "id", "date", "cds", "value"], dtype={"date": str})
tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
published = pd.read_csv(FIXTURES + "cdnow_customers_summary.csv", index_col="ID")

for kw in [dict(freq="W"), dict(freq="D", freq_multiplier=7)]:
    s = summary_data_from_transaction_data(tx, "id", "date", observation_period_end="1997-09-30", **kw)
    s = s.reindex(published.index)
    worst = {c: float((s[c].round(2) - published[c]).abs().max()) for c in ["frequency", "recency", "T"]}
    print(kw, "largest difference from the published summary:", worst)

# monetary_value_col keeps a column beside id and date, which lifetimes 0.11.3 needs with pandas 3.
s = calibration_and_holdout_data(tx, "id", "date", calibration_period_end="1997-09-30",
                                 observation_period_end="1998-06-30", freq="D", freq_multiplier=7,
                                 monetary_value_col="value")
model = BetaGeoFitter().fit(s["frequency_cal"], s["recency_cal"], s["T_cal"])
print(model.params_)
s["model"] = model.conditional_expected_number_of_purchases_up_to_time(
    s["duration_holdout"], s["frequency_cal"], s["recency_cal"], s["T_cal"])
s["group"] = s["frequency_cal"].clip(upper=6)
pd.set_option("display.precision", 10)
print(s.groupby("group").agg(customers=("model", "size"), actual=("frequency_holdout", "mean"),
                             model=("model", "mean")))
