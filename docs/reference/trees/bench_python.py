"""Times scikit-learn and XGBoost on the data written by the Rust benchmark.

    cargo run --release -p rebuy-models --example bench_classifiers -- ROWS FOREST_TREES DIR
    /tmp/venv-trees/bin/python docs/reference/trees/bench_python.py DIR FOREST_TREES

Same models and settings as the Rust table: XGBClassifier(300 trees, depth 4, eta 0.05,
tree_method hist, 256 bins), RandomForestClassifier(FOREST_TREES, n_jobs=2),
LogisticRegression(C=1) on log1p + standardised features (missing basket -> 0).
"""
import sys
import time

import numpy as np
import xgboost
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

N_FEATURES = 10


def load(directory, name):
    x = np.fromfile(f"{directory}/{name}_x.f64", dtype="<f8").reshape(-1, N_FEATURES)
    y = np.fromfile(f"{directory}/{name}_y.u8", dtype=np.uint8)
    return x, y


def report(name, model, x, y, xt, yt):
    start = time.perf_counter()
    model.fit(x, y)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    p = model.predict_proba(xt)[:, 1]
    predict_seconds = time.perf_counter() - start
    auc = roc_auc_score(yt, p)
    print(f"| {name} | {fit_seconds:.2f} | {predict_seconds:.3f} | "
          f"{len(yt) / predict_seconds / 1e6:.2f} M | {auc:.4f} |", flush=True)


def main():
    directory, forest_trees = sys.argv[1], int(sys.argv[2])
    x, y = load(directory, "train")
    xt, yt = load(directory, "test")
    print(f"{len(y)} x {N_FEATURES} train, {len(yt)} test rows; xgboost {xgboost.__version__}")
    print("| model | fit s | predict s | predict rows/s | test ROC-AUC |")
    print("|---|---|---|---|---|")
    report("XGBoost hist (300, depth 4, eta 0.05)",
           xgboost.XGBClassifier(n_estimators=300, max_depth=4, learning_rate=0.05,
                                 tree_method="hist", max_bin=256, n_jobs=2), x, y, xt, yt)
    if forest_trees > 0:
        report(f"sklearn random forest ({forest_trees} trees)",
               RandomForestClassifier(forest_trees, n_jobs=2, random_state=0),
               np.nan_to_num(x), y, np.nan_to_num(xt), yt)
    log_columns = [1, 2, 4, 5]
    transform = FunctionTransformer(
        lambda a: np.where(np.isin(np.arange(N_FEATURES), log_columns), np.log1p(np.abs(a)) * np.sign(a), a))
    report("sklearn logistic regression",
           make_pipeline(transform, StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)),
           np.nan_to_num(x), y, np.nan_to_num(xt), yt)


main()
