"""Reference predictions of XGBoost with `monotone_constraints`, pinned by the boosting
test `matches_xgboost_with_monotone_constraints`.

    python3 -m venv /tmp/venv-x && /tmp/venv-x/bin/pip install xgboost numpy
    /tmp/venv-x/bin/python docs/reference/trees/monotone_reference.py \
        > crates/rebuy-models/src/tree/testdata/xgboost_monotone.csv

The data set is a formula of the row index (no random generator), written the same way in
the Rust test: buying is U-shaped in `recency_days` (so an unconstrained model rises along
it for the longest-lapsed customers), rises with `orders`, and `noise` carries none of it.
`recency_days` is constrained to decrease and `orders` to increase; `recency_days` has
missing values, so the backward (missing values left) search runs on a constrained
feature too. Two shapes of trees: depth-limited, and leaf-limited (best split first).
The script checks that XGBoost's constrained depth-limited model is monotone and its
unconstrained one is not, then prints both models' probabilities, one CSV row per data row.
"""
import sys

import numpy as np
import xgboost

n = 600
i = np.arange(n)
recency_days = np.where(i % 13 == 0, np.nan, (i * 37 % 101).astype(float) * 3.0)
orders = (i * 53 % 17).astype(float)
noise = (i * 7919 % 97) / 97.0
u_shape = np.where(np.isnan(recency_days), 0.5, np.abs(recency_days - 150.0) / 150.0)
y = u_shape + orders / 17.0 + 1.2 * (i * 104729 % 89) / 89.0 > 1.4
x = np.column_stack([recency_days, orders, noise])


def fit(constraints, **shape):
    booster = xgboost.XGBClassifier(n_estimators=20, reg_lambda=1.0, min_child_weight=1.0,
                                    tree_method="hist", max_bin=256, base_score=float(y.mean()),
                                    monotone_constraints=constraints, **shape)
    return booster.fit(x, y)


depth_limited = dict(max_depth=3, learning_rate=0.3)
# Best split first up to 8 leaves (the Rust `max_leaves`), no depth limit.
leaf_limited = dict(max_depth=0, max_leaves=8, grow_policy="lossguide", learning_rate=0.2)
constrained = fit((-1, 1, 0), **depth_limited)
free = fit((0, 0, 0), **depth_limited)

# Along recency_days, for every (orders, noise) of the data: never up when constrained.
grid = np.linspace(-1.0, 310.0, 400)
rises_free = 0
for orders_value, noise_value in x[:, 1:]:
    rows = np.column_stack([grid, np.full_like(grid, orders_value), np.full_like(grid, noise_value)])
    assert np.all(np.diff(constrained.predict_proba(rows)[:, 1]) <= 0)
    rises_free += np.any(np.diff(free.predict_proba(rows)[:, 1]) > 1e-3)
assert rises_free == n, rises_free

p = constrained.predict_proba(x)[:, 1]
p_leaves = fit((-1, 1, 0), **leaf_limited).predict_proba(x)[:, 1]
print("# xgboost", xgboost.__version__, "buyers", int(y.sum()), "of", n, file=sys.stderr)
print("row,depth_limited,leaf_limited")
for row in range(n):
    print(f"{row},{float(p[row])!r},{float(p_leaves[row])!r}")
