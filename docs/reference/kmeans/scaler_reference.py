"""Reference numbers for the unit tests of crates/rebuy-models/src/scale.rs.

Run: python docs/reference/kmeans/scaler_reference.py  (numpy, scikit-learn)
"""
import numpy as np
from sklearn.preprocessing import StandardScaler

recency = [1.0, 10.0, 30.0, 200.0, 365.0]
frequency = [12.0, 1.0, 3.0, 1.0, 2.0]
monetary = [5200.5, 80.0, 310.25, -12.5, 99.0]
X = np.column_stack([recency, frequency, monetary])
log_cols = [True, True, False]
Xl = X.copy()
for j, flag in enumerate(log_cols):
    if flag:
        Xl[:, j] = np.sign(X[:, j]) * np.log1p(np.abs(X[:, j]))
scaled = StandardScaler().fit_transform(Xl)
print("first row:", [repr(v) for v in scaled[0]])
