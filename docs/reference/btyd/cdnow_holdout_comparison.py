"""lifetimes' side of the hold-out comparison of the transaction models on CDNOW (pinned in
crates/rebuy-features/tests/cdnow_summary.rs, shown in docs/btyd.md "Choosing the
transaction model"): BG/NBD, MBG/NBD and Pareto/NBD fitted on the 39-week calibration period (to
1997-09-30), each customer's expected purchases in the 39-week hold-out (to 1998-06-30)
against the distinct purchase days they had there; the tracking curve every 7 days.

    python3 -m venv /tmp/lt-venv && /tmp/lt-venv/bin/pip install lifetimes==0.11.3 pandas
    /tmp/lt-venv/bin/python docs/reference/btyd/cdnow_holdout_comparison.py
"""

import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import calibration_and_holdout_data

FIXTURES = "crates/rebuy-features/tests/fixtures/cdnow/"
tx = pd.read_csv(FIXTURES + "CDNOW_sample.txt", sep=r"\s+", header=None,
                 names=["cid", "id", "date", "cds", "value"], dtype={"date": str})
tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
# monetary_value_col keeps a column beside id and date, which lifetimes 0.11.3 needs with pandas 3.
s = calibration_and_holdout_data(tx, "id", "date", calibration_period_end="1997-09-30",
                                 observation_period_end="1998-06-30", freq="D", freq_multiplier=7,
                                 monetary_value_col="value")
actual = s["frequency_holdout"].to_numpy()
holdout = tx[(tx["date"] > "1997-09-30") & (tx["date"] <= "1998-06-30")]
per_day = holdout.drop_duplicates(["id", "date"]).groupby("date").size()
days = list(range(7, 274, 7))
if days[-1] != 273:
    days.append(273)
start = pd.Timestamp("1997-10-01")
tracking_actual = [int(per_day[per_day.index < start + pd.Timedelta(days=d)].sum()) for d in days]
print("customers", len(s), "actual total", actual.sum())
print("tracking actual", tracking_actual)
np.set_printoptions(precision=10, linewidth=200)
for fitter in [BetaGeoFitter(), ModifiedBetaGeoFitter(), ParetoNBDFitter()]:
    model = fitter.fit(s["frequency_cal"], s["recency_cal"], s["T_cal"])
    expected = model.conditional_expected_number_of_purchases_up_to_time(
        39.0, s["frequency_cal"], s["recency_cal"], s["T_cal"]).to_numpy()
    error = expected - actual
    print(type(fitter).__name__, dict(model.params_))
    print("  MAE %.10f RMSE %.10f correlation %.10f expected total %.10f" % (
        np.abs(error).mean(), np.sqrt((error ** 2).mean()),
        np.corrcoef(expected, actual)[0, 1], expected.sum()))
    tracking = [float(model.conditional_expected_number_of_purchases_up_to_time(
        d / 7.0, s["frequency_cal"], s["recency_cal"], s["T_cal"]).sum()) for d in days]
    print("  tracking expected at days 7, 91, 182, 273:",
          ["%.8f" % tracking[i] for i in (0, 12, 25, 38)])
