"""scikit-learn reference for rebuy's KMeans, on the real sheet and on the 1M benchmark.

real:  python sklearn_compare.py real /tmp/kmeans-ref/rfm.csv
       signed log1p + StandardScaler on recency_days, frequency, monetary, then for
       k = 2..10 KMeans(n_init=10, random_state=0): inertia, silhouette (all rows),
       Davies-Bouldin, and the Kneedle knee of the inertia curve (package `kneed`).
seeds: python sklearn_compare.py seeds /tmp/kmeans-ref/rfm.csv 10
       the same input, inertia for k = 2..10 and random_state = 0..9 (n_init=10).
bench: python sklearn_compare.py bench /tmp/kmeans-ref/bench_1m.f64 3 8
       raw little-endian f64 rows written by `bench_kmeans write`; KMeans(k, n_init=10)
       timed (median of 3) with peak RSS from getrusage.
"""
import resource
import sys
import time

import numpy as np
import pandas as pd
from kneed import KneeLocator
from sklearn.cluster import KMeans
from sklearn.metrics import davies_bouldin_score, silhouette_score
from sklearn.preprocessing import StandardScaler


def scaled_rfm(path):
    rfm = pd.read_csv(path)
    X = rfm[["recency_days", "frequency", "monetary"]].to_numpy(dtype=float)
    return StandardScaler().fit_transform(np.sign(X) * np.log1p(np.abs(X)))


def seeds(path, n_seeds):
    X = scaled_rfm(path)
    print("k,seed,inertia")
    for k in range(2, 11):
        for seed in range(n_seeds):
            inertia = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X).inertia_
            print(f"{k},{seed},{inertia:.6f}")


def real(path):
    X = scaled_rfm(path)
    rows = []
    start = time.perf_counter()
    for k in range(2, 11):
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
        rows.append(
            dict(
                k=k,
                inertia=km.inertia_,
                silhouette=silhouette_score(X, km.labels_),
                davies_bouldin=davies_bouldin_score(X, km.labels_),
                n_iter=int(km.n_iter_),
            )
        )
    elapsed = time.perf_counter() - start
    ks = [r["k"] for r in rows]
    knee = KneeLocator(ks, [r["inertia"] for r in rows], curve="convex", direction="decreasing").knee
    print(f"{len(X)} customers; sweep k=2..10 (fit + silhouette + DB) {elapsed:.2f} s; knee {knee}")
    print("k,inertia,silhouette,davies_bouldin,n_iter")
    for r in rows:
        print(f"{r['k']},{r['inertia']:.6f},{r['silhouette']:.6f},{r['davies_bouldin']:.6f},{r['n_iter']}")


def bench(path, n_cols, k):
    X = np.fromfile(path, dtype="<f8").reshape(-1, n_cols)
    times = []
    for seed in range(3):
        start = time.perf_counter()
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(X)
        times.append(time.perf_counter() - start)
        print(f"seed {seed}: {times[-1]:.2f} s, inertia {km.inertia_:.6f}, n_iter {km.n_iter_}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{X.shape[0]} x {n_cols}, k={k}, n_init=10: median {sorted(times)[1]:.2f} s, peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    if sys.argv[1] == "real":
        real(sys.argv[2])
    elif sys.argv[1] == "seeds":
        seeds(sys.argv[2], int(sys.argv[3]))
    else:
        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
