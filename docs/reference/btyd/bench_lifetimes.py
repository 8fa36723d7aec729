"""Times lifetimes 0.11.3 on the 1M-customer summary that bench_btyd simulates, for the
ratio in docs/benchmarks.md.

    cargo run --release -p rebuy-models --example bench_btyd -- --write-csv /tmp/btyd_1m.csv
    /tmp/venv-btyd/bin/python docs/reference/btyd/bench_lifetimes.py /tmp/btyd_1m.csv
"""

import sys
import time

import pandas as pd
from lifetimes import BetaGeoFitter

summary = pd.read_csv(sys.argv[1] if len(sys.argv) > 1 else "/tmp/btyd_1m.csv")
f, r, T = summary["frequency"], summary["recency"], summary["T"]
print("customers", len(summary))

start = time.perf_counter()
model = BetaGeoFitter().fit(f, r, T)
print(f"fit {time.perf_counter() - start:.2f} s", dict(model.params_.round(4)))

start = time.perf_counter()
alive = model.conditional_probability_alive(f, r, T)
print(f"P(alive) {time.perf_counter() - start:.3f} s, mean {alive.mean():.4f}")

start = time.perf_counter()
expected = model.conditional_expected_number_of_purchases_up_to_time(39.0, f, r, T)
print(f"E[purchases in next 39] {time.perf_counter() - start:.3f} s, mean {expected.mean():.4f}")
