"""Reference values for crates/rebuy-models/src/metrics.rs tests.

Run: python3 -m venv /tmp/venv-trees && /tmp/venv-trees/bin/pip install scikit-learn
     /tmp/venv-trees/bin/python docs/reference/trees/metrics_reference.py
Prints the fixed scores (with many ties) and scikit-learn's metrics on them;
the Rust tests pin these numbers.
"""
import numpy as np
import sklearn
from sklearn.metrics import (average_precision_score, brier_score_loss, log_loss,
                             roc_auc_score)

rng = np.random.default_rng(20101209)
n = 60
labels = rng.random(n) < 0.4
# Scores rounded to one decimal so that many ties cross the two classes.
scores = np.clip(np.round(0.35 * labels + rng.random(n) * 0.65, 1), 0.05, 0.95)

print("sklearn", sklearn.__version__)
print("const LABELS: [bool; %d] = [%s];" % (n, ", ".join("true" if v else "false" for v in labels)))
print("const SCORES: [f64; %d] = [%s];" % (n, ", ".join(repr(float(v)) for v in scores)))
print("roc_auc_score           =", repr(roc_auc_score(labels, scores)))
print("average_precision_score =", repr(average_precision_score(labels, scores)))
print("log_loss                =", repr(log_loss(labels, scores)))
print("brier_score_loss        =", repr(brier_score_loss(labels, scores)))
