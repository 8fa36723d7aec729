"""Reference numbers for crates/rebuy-models/src/calibration.rs (Platt scaling).

    python3 -m venv /tmp/venv-x && /tmp/venv-x/bin/pip install scikit-learn numpy
    /tmp/venv-x/bin/python docs/reference/calibration/platt_reference.py

An over-confident model's probabilities on a validation slice: the true log-odds are
half the model's, minus 0.4, and two rows have the exact 0 and 1 a pure forest leaf
gives. rebuy calibrates `sigmoid(slope * logit(p) + intercept)` with `p` clipped to
[1e-12, 1 - 1e-12], so the script hands scikit-learn's `_sigmoid_calibration` (Platt's
method with the smoothed targets, as `CalibratedClassifierCV(method="sigmoid")` fits it)
those logits; it fits `1 / (1 + exp(A f + B))`, so `slope = -A` and `intercept = -B`.
It also minimises the same objective by Newton's method to near machine precision, to
show how far scikit-learn's L-BFGS-B (gtol 1e-6) stops from the exact optimum.
"""
import numpy as np
import sklearn
from scipy.special import expit
from sklearn.calibration import _sigmoid_calibration

rng = np.random.default_rng(19990326)
n = 80
model_log_odds = rng.normal(0.0, 2.5, n)
probabilities = np.round(expit(model_log_odds), 4)
probabilities[[5, 17]] = [0.0, 1.0]
labels = rng.random(n) < expit(0.5 * model_log_odds - 0.4)

clipped = np.clip(probabilities, 1e-12, 1 - 1e-12)
logits = np.log(clipped / (1 - clipped))
A, B = _sigmoid_calibration(logits, labels)

# The same objective (Platt's smoothed targets), minimised exactly.
positives = labels.sum()
negatives = n - positives
targets = np.where(labels, (positives + 1.0) / (positives + 2.0), 1.0 / (negatives + 2.0))
slope, intercept = 0.0, np.log((positives + 1.0) / (negatives + 1.0))
for _ in range(50):
    p = expit(slope * logits + intercept)
    gradient = np.array([np.sum((p - targets) * logits), np.sum(p - targets)])
    w = p * (1 - p)
    hessian = np.array([[np.sum(w * logits**2), np.sum(w * logits)],
                        [np.sum(w * logits), np.sum(w)]])
    slope, intercept = np.array([slope, intercept]) - np.linalg.solve(hessian, gradient)

print("sklearn", sklearn.__version__, "buyers", int(positives), "of", n)
print("const PROBABILITIES: [f64; %d] = [%s];" % (n, ", ".join(repr(float(v)) for v in probabilities)))
print("const LABELS: [bool; %d] = [%s];" % (n, ", ".join("true" if v else "false" for v in labels)))
print("scikit-learn slope     =", repr(float(-A)))
print("scikit-learn intercept =", repr(float(-B)))
print("exact slope            =", repr(float(slope)), " difference", float(abs(slope + A)))
print("exact intercept        =", repr(float(intercept)), " difference", float(abs(intercept + B)))
