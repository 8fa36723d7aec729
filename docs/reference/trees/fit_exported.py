"""The Python references on feature tables exported by rebuy (docs/classifiers.md).

    cargo run --release -p rebuy-features --example export_windows -- DATA DIR [--columns a,b]
    /tmp/venv-trees/bin/python docs/reference/trees/fit_exported.py DIR

Reads DIR/{train,test}_x.f64, {train,test}_y.u8 and columns.json (the layout of
`bench_classifiers --load`), then fits scikit-learn's LogisticRegression (mean-imputed,
signed log1p on columns.json's `log1p`, standardised), RandomForestClassifier(200) and
XGBClassifier(300 trees, depth 4, eta 0.05, hist) and prints their test metrics.
"""
import json
import sys
from pathlib import Path

import numpy as np

from reference_problem import fit_and_report


def load(directory, name, n_columns):
    x = np.fromfile(directory / f"{name}_x.f64", dtype="<f8").reshape(-1, n_columns)
    y = np.fromfile(directory / f"{name}_y.u8", dtype=np.uint8)
    return x, y


def main():
    directory = Path(sys.argv[1])
    columns = json.loads((directory / "columns.json").read_text())
    names = columns["names"]
    x, y = load(directory, "train", len(names))
    xt, yt = load(directory, "test", len(names))
    print(f"{len(names)} features; train {len(y)} ({y.mean():.3f} buy), test {len(yt)} "
          f"({yt.mean():.3f} buy)")
    fit_and_report(x, y, xt, yt, names, columns["log1p"])


main()
