"""Compares the per-seed inertia of rebuy (bench_kmeans seeds) and scikit-learn
(sklearn_compare.py seeds): both CSVs have k,seed,inertia.

Run: python compare_seeds.py /tmp/kmeans-ref/rust_seeds.csv /tmp/kmeans-ref/sk_seeds.csv
"""
import sys

import pandas as pd

ours = pd.read_csv(sys.argv[1])
ref = pd.read_csv(sys.argv[2])
print("| k | scikit-learn median (min..max) | rebuy median (min..max) | rebuy median vs scikit-learn median | rebuy seeds within 0.1% of scikit-learn's median |")
print("|---|---|---|---|---|")
for k, group in ours.groupby("k"):
    r = ref[ref.k == k].inertia
    o = group.inertia
    within = (o <= r.median() * 1.001).mean()
    print(
        f"| {k} | {r.median():.2f} ({r.min():.2f}..{r.max():.2f}) | {o.median():.2f} ({o.min():.2f}..{o.max():.2f}) "
        f"| {100 * (o.median() / r.median() - 1):+.3f}% | {100 * within:.0f}% |"
    )
