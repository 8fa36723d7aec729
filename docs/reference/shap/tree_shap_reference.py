"""SHAP values of rebuy's own fitted trees from the `shap` package, pinned by the Rust test
`tree::shap::tests::matches_the_shap_package` (crates/rebuy-models/src/tree/shap.rs).

    python3 -m venv /tmp/shap-venv && /tmp/shap-venv/bin/pip install shap numpy
    cargo run --release -p rebuy-models --example shap_reference -- crates/rebuy-models/src/tree/testdata
    /tmp/shap-venv/bin/python docs/reference/shap/tree_shap_reference.py crates/rebuy-models/src/tree/testdata

The example writes two saved models (boosted trees, random forest) and the rows to explain;
this script hands every tree to shap.TreeExplainer as a "custom tree" dictionary (children,
default child for a missing value, feature, threshold, leaf value, and the node's cover as
`node_sample_weight`), explains the rows with its exact path-dependent TreeSHAP, and writes
shap_reference.csv: per model and row, shap's expected value and one value per feature.

Our split sends `value <= threshold` left and a missing value to the learned side, which is
shap's numerical split (threshold type 0) with `children_default`. The boosted model's
`base_log_odds` is shap's `base_offset`; the forest's leaves are scaled by 1 / n_trees, as
shap does for scikit-learn's RandomForestClassifier, so both explain the model's margin.
"""
import json
import sys
from pathlib import Path

import numpy as np
import shap


def tree_dict(tree, scale):
    nodes = tree["nodes"]
    leaf = [n["left"] == i and n["right"] == i for i, n in enumerate(nodes)]
    left = np.array([-1 if leaf[i] else n["left"] for i, n in enumerate(nodes)])
    right = np.array([-1 if leaf[i] else n["right"] for i, n in enumerate(nodes)])
    default = np.array([-1 if leaf[i] else (n["left"] if n["missing_left"] else n["right"])
                        for i, n in enumerate(nodes)])
    return {
        "children_left": left,
        "children_right": right,
        "children_default": default,
        "features": np.array([-1 if leaf[i] else n["feature"] for i, n in enumerate(nodes)]),
        "thresholds": np.array([n["threshold"] for n in nodes], dtype=np.float64),
        "values": np.array([[n["value"] * scale] for n in nodes], dtype=np.float64),
        "node_sample_weight": np.array([n["cover"] for n in nodes], dtype=np.float64),
    }


def explainer(path):
    saved = json.loads(path.read_text())
    model = saved["model"]
    trees = model["trees"]
    if saved["kind"] == "random_forest":
        scale, offset = 1.0 / len(trees), 0.0
    else:
        scale, offset = 1.0, model["base_log_odds"]
    custom = {
        "trees": [tree_dict(tree, scale) for tree in trees],
        "base_offset": offset,
        "internal_dtype": np.float64,
        "input_dtype": np.float64,
    }
    return saved["kind"], shap.TreeExplainer(custom, model_output="raw")


def main():
    folder = Path(sys.argv[1])
    rows = np.genfromtxt(folder / "shap_rows.csv", delimiter=",", skip_header=1)
    n_features = rows.shape[1]
    print("shap", shap.__version__, "numpy", np.__version__, "rows", rows.shape)
    lines = ["model,row,expected_value," + ",".join(f"phi_{j}" for j in range(n_features))]
    for name in ("shap_boosted.json", "shap_forest.json"):
        kind, tree_explainer = explainer(folder / name)
        values = tree_explainer.shap_values(rows)
        expected = float(np.ravel(tree_explainer.expected_value)[0])
        margin = tree_explainer.model.predict(rows)
        accuracy = np.max(np.abs(expected + values.sum(axis=1) - margin))
        print(kind, "expected value", repr(expected), "worst local accuracy", accuracy)
        for index, phi in enumerate(values):
            cells = [kind, str(index), repr(expected)] + [repr(float(v)) for v in phi]
            lines.append(",".join(cells))
    (folder / "shap_reference.csv").write_text("\n".join(lines) + "\n")


main()
