"""Reference numbers pinned in the boosting and logistic unit tests.

    /tmp/venv-trees/bin/python docs/reference/trees/model_reference.py

The data set is a formula of the row index (no random generator), written the same way in
the Rust tests (`formula_data` in crates/rebuy-models/src/classifier.rs).
"""
import numpy as np
import sklearn
import xgboost
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

n = 200
i = np.arange(n)
x0 = (i * 37 % 101).astype(float)
x1 = (i * 53 % 17).astype(float)
x2 = (i * 7 % 13) / 3.0
noise = (i * 7919 % 97) / 97.0
y = (x0 / 101 + x1 / 17 + 1.2 * noise) > 1.3
x = np.column_stack([x0, x1, x2])
print("sklearn", sklearn.__version__, "xgboost", xgboost.__version__, "buyers", y.sum())

booster = xgboost.XGBClassifier(n_estimators=3, max_depth=2, learning_rate=0.3, reg_lambda=1.0,
                                min_child_weight=1.0, tree_method="hist", max_bin=256,
                                base_score=float(y.mean()))
booster.fit(x, y)
p = booster.predict_proba(x)[:, 1]
print("xgboost rows 0, 1, 2, 50, 199:", [repr(float(p[k])) for k in (0, 1, 2, 50, 199)])

logged = np.column_stack([np.log1p(x0), x1, x2])
scaled = StandardScaler().fit_transform(logged)
logistic = LogisticRegression(C=1.0, tol=1e-12, max_iter=10000).fit(scaled, y)
print("logistic intercept:", repr(float(logistic.intercept_[0])))
print("logistic coefficients:", [repr(float(c)) for c in logistic.coef_[0]])

# Larger problem for the cut points and the split rules (boosting test
# `grows_xgboosts_trees_with_pruned_cuts_and_missing_values`): 3,000 rows, a continuous
# column that XGBoost prunes to 256 bins, negative values, and a column with missing values.
n = 3000
i = np.arange(n)
spend = (i * 7919 % 10007) / 7.0
orders = (i * 53 % 17).astype(float)
gap = np.where(i % 11 == 0, np.nan, (i * 31 % 200) / 10.0)
trend = (i * 104729 % 4099) / 4099.0 * 3.0 - 1.5
noise = (i * 7919 % 97) / 97.0
signal = spend / 1430.0 + orders / 17.0 + np.where(np.isnan(gap), 0.8, gap / 20.0) + 0.3 * trend
y = signal + 1.5 * noise > 2.2
x = np.column_stack([spend, orders, gap, trend])
booster = xgboost.XGBClassifier(n_estimators=50, max_depth=4, learning_rate=0.1,
                                tree_method="hist", max_bin=256)
booster.fit(x, y)
p = booster.predict_proba(x)[:, 1]
print("larger problem: buyers", y.sum(), "rows 0, 7, 11, 500, 2999:",
      [repr(float(p[k])) for k in (0, 7, 11, 500, 2999)])
