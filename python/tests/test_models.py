"""The scikit-learn-style estimators against scikit-learn itself on the same data, its
estimator machinery (clone, pipelines, cross-validation), and the models a run saves."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans as SkKMeans
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import rebuy
from rebuy.models import BoostedTrees, KMeans, LogisticRegression, RandomForest


@pytest.fixture(scope="module")
def purchases():
    """4,000 customers, four features (one non-linear, one noise), a train/test split."""
    rng = np.random.default_rng(7)
    X = pd.DataFrame(rng.normal(size=(4000, 4)), columns=["recency", "orders", "spend", "noise"])
    logit = -1.2 * X["recency"] + 0.8 * X["orders"] + 0.6 * X["spend"] ** 2 - 0.5
    y = (rng.random(4000) < 1 / (1 + np.exp(-logit))).astype(int)
    return X[:3000], y[:3000], X[3000:], y[3000:]


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (LogisticRegression(log1p_columns=[]), SkLogisticRegression()),
        (RandomForest(seed=1), RandomForestClassifier(n_estimators=200, random_state=1)),
        (BoostedTrees(seed=1), HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, max_depth=4, random_state=1)),
    ],
    ids=["logistic", "forest", "boosting"],
)
def test_test_auc_is_scikit_learns(purchases, ours, theirs):
    X, y, X_test, y_test = purchases
    auc = roc_auc_score(y_test, ours.fit(X, y).predict_proba(X_test)[:, 1])
    reference = roc_auc_score(y_test, theirs.fit(X, y).predict_proba(X_test)[:, 1])
    assert abs(auc - reference) < 0.015, (auc, reference)
    assert list(ours.classes_) == [0, 1] and list(ours.feature_names_in_) == list(X.columns)
    assert ours.feature_importances_.sum() == pytest.approx(1.0)
    assert set(ours.predict(X_test)) <= {0, 1}


def test_logistic_regression_gives_scikit_learns_probabilities_at_the_same_penalty(purchases):
    # rebuy penalises the standardised coefficients by l2_penalty / 2 |w|^2 beside the
    # summed log loss: scikit-learn's C = 1 / l2_penalty on standardised columns.
    X, y, X_test, _ = purchases
    ours = LogisticRegression(log1p_columns=[], l2_penalty=1.0).fit(X, y).predict_proba(X_test)[:, 1]
    theirs = make_pipeline(StandardScaler(), SkLogisticRegression(C=1.0, tol=1e-10)).fit(X, y).predict_proba(X_test)[:, 1]
    assert np.max(np.abs(ours - theirs)) < 1e-4


def test_scikit_learns_machinery_takes_the_estimators(purchases):
    X, y, _, _ = purchases
    forest = RandomForest(n_trees=40, max_features=2, seed=3)
    copy = clone(forest)
    assert copy.get_params() == forest.get_params() and copy is not forest
    scores = cross_val_score(forest, X, y, scoring="roc_auc", cv=3)
    assert len(scores) == 3 and (scores > 0.7).all()
    piped = make_pipeline(StandardScaler(), LogisticRegression()).fit(X.abs(), y)
    assert piped.predict_proba(X.abs()).shape == (3000, 2)
    assert forest.set_params(n_trees=10) is forest and forest.n_trees == 10
    assert repr(forest) == "RandomForest(n_trees=10, max_features=2, seed=3)"


def test_bad_input_and_parameters_are_refused(purchases):
    X, y, _, _ = purchases
    with pytest.raises(TypeError, match="no parameter trees"):
        RandomForest(trees=10)
    with pytest.raises(ValueError, match="not fitted"):
        BoostedTrees().predict_proba(X)
    with pytest.raises(ValueError, match="two classes"):
        LogisticRegression().fit(X, np.zeros(len(X)))
    holed = X.copy()
    holed.iloc[17, 1] = np.inf
    with pytest.raises(ValueError, match="orders"):
        LogisticRegression().fit(holed, y)
    with pytest.raises(ValueError, match="n_trees"):
        RandomForest(n_trees=0).fit(X, y)


def test_a_model_saves_as_a_run_folders_json_and_loads_back(purchases, tmp_path):
    X, y, X_test, _ = purchases
    model = BoostedTrees(n_trees=30, seed=2).fit(X, y)
    loaded = BoostedTrees.from_json(model.to_json())
    assert np.array_equal(loaded.predict_proba(X_test), model.predict_proba(X_test))
    assert json.loads(model.to_json())["kind"] == "gradient_boosting"
    # The models `rebuy run` wrote load as the estimator of their kind.
    transactions = rebuy.generate(tmp_path / "transactions.csv", customers=300, seed=5)
    run = rebuy.run(transactions, tmp_path / "run")
    for kind, estimator in [("logistic_regression", LogisticRegression), ("random_forest", RandomForest), ("gradient_boosting", BoostedTrees)]:
        file = run.path / "models" / f"{kind}.json"
        saved = RandomForest.load(file)
        assert type(saved) is estimator
        assert json.loads(saved.to_json()) == json.loads(file.read_text())["model"]
        features = run.customers.to_pandas()[list(saved.feature_names_in_)]
        probability = saved.predict_proba(features)[:, 1]
        assert ((0 <= probability) & (probability <= 1)).all()


def blobs():
    rng = np.random.default_rng(3)
    centres = rng.normal(scale=4, size=(6, 3))
    return np.vstack([c + rng.normal(size=(500, 3)) for c in centres])


def test_kmeans_inertia_is_no_worse_than_scikit_learns_median():
    X = blobs()
    ours = KMeans(6, seed=0).fit(X)
    theirs = np.median([SkKMeans(6, n_init=10, random_state=s).fit(X).inertia_ for s in range(5)])
    assert ours.inertia_ <= theirs * (1 + 1e-6), (ours.inertia_, theirs)
    assert ours.cluster_centers_.shape == (6, 3) and ours.n_iter_ >= 1
    assert np.array_equal(ours.predict(X), ours.labels_)
    inertia = sum(((X[ours.labels_ == j] - c) ** 2).sum() for j, c in enumerate(ours.cluster_centers_))
    assert inertia == pytest.approx(ours.inertia_, rel=1e-9)


def test_kmeans_is_deterministic_for_a_seed():
    X = blobs()
    first, again = KMeans(6, seed=9).fit(X), KMeans(6, seed=9).fit(X)
    assert np.array_equal(first.cluster_centers_, again.cluster_centers_)
    assert np.array_equal(KMeans(6, seed=9).fit_predict(X), first.labels_)
    with pytest.raises(ValueError, match="distinct rows"):
        KMeans(4).fit(np.ones((10, 2)))
