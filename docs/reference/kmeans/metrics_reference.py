"""Reference numbers for the unit tests of crates/rebuy-models/src/segment.rs.

Run: python docs/reference/kmeans/metrics_reference.py  (numpy, scikit-learn, kneed)
The points are a formula (no random numbers), so the Rust test rebuilds them exactly.
"""
import numpy as np
from kneed import KneeLocator
from sklearn.metrics import davies_bouldin_score, silhouette_score

# 40 points in 3 overlapping groups plus one singleton cluster (label 3).
points, labels = [], []
for i in range(40):
    group = i % 3
    x = group * 1.5 + ((i * 7) % 11) / 10.0
    y = -group + ((i * 5) % 13) / 13.0
    z = ((i * 3) % 17) / 17.0
    points.append((x, y, z))
    labels.append(group)
points.append((10.0, 10.0, 10.0))
labels.append(3)
X, labels = np.array(points), np.array(labels)
print("silhouette", repr(silhouette_score(X, labels)))
print("davies_bouldin", repr(davies_bouldin_score(X, labels)))

curves = {
    "real_inertia": [7199.24, 5656.77, 4600.65, 3601.76, 3046.91, 2689.74, 2422.89, 2231.21, 2064.17],
    "hyperbola": [100.0 / k for k in range(2, 11)],
    "sharp_at_4": [100, 60, 20, 18, 16, 14, 12, 10, 8],
    "straight_line": [100 - 10 * k for k in range(2, 11)],
}
for name, y in curves.items():
    knee = KneeLocator(list(range(2, 11)), y, curve="convex", direction="decreasing").knee
    print(name, knee)
