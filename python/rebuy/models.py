"""rebuy's purchase classifiers and KMeans as scikit-learn-style estimators, on the same
Rust models as ``rebuy run``.

``LogisticRegression``, ``RandomForest`` and ``BoostedTrees`` take ``fit(X, y)``,
``predict_proba(X)`` (two columns, as scikit-learn's), ``predict(X)``,
``get_params()`` / ``set_params()``, ``classes_``, ``feature_names_in_`` and
``feature_importances_``; ``KMeans`` takes ``fit(X)``, ``predict(X)``,
``fit_predict(X)``, ``cluster_centers_``, ``labels_``, ``inertia_`` and ``n_iter_``.
They follow scikit-learn's estimator conventions (parameters are the constructor's
keywords, fitted state ends in ``_``) and, when scikit-learn is installed, are its
``BaseEstimator`` with ``ClassifierMixin`` / ``ClusterMixin``, so ``clone``, pipelines
and ``cross_val_score`` take them; scikit-learn itself is not needed.

The hyper-parameters are the models crate's, with its names and defaults (docs/
classifiers.md): for example ``RandomForest(n_trees=200, max_depth=None,
min_samples_leaf=1, max_features="sqrt", seed=0)``; ``monotone_constraints`` is a dict
``{feature: "increasing" | "decreasing"}``. A fitted model saves as the JSON of a run
folder's ``models/*.json`` holds it (``to_json`` / ``from_json``), and ``load`` reads the
model of a run folder's file: never pickle.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from rebuy import _rebuy

try:  # scikit-learn's estimator tags, when it is there; plain classes otherwise
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import ClassifierMixin as _ClassifierMixin
    from sklearn.base import ClusterMixin as _ClusterMixin
except ImportError:  # pragma: no cover - the tests install scikit-learn

    class _Base:  # type: ignore[no-redef]
        pass

    class _ClassifierMixin:  # type: ignore[no-redef]
        _estimator_type = "classifier"

    class _ClusterMixin:  # type: ignore[no-redef]
        _estimator_type = "clusterer"

__all__ = ["BoostedTrees", "KMeans", "LogisticRegression", "RandomForest"]


def _matrix(X: Any) -> tuple[np.ndarray, list[str] | None]:
    """A 2-D C-ordered float64 array, and the column names of a DataFrame."""
    names = [str(c) for c in X.columns] if hasattr(X, "columns") else None
    array = np.ascontiguousarray(np.asarray(X, dtype="<f8"))
    if array.ndim != 2:
        raise ValueError(f"X must be two-dimensional (rows x features), got shape {array.shape}")
    return array, names


def _to_rust(name: str, value: Any) -> Any:
    """A keyword as the models crate's parameter JSON spells it."""
    if name == "max_features" and isinstance(value, str):
        return value.capitalize()  # "sqrt" / "all" -> "Sqrt" / "All"
    if name == "max_features" and isinstance(value, int):
        return {"Count": value}
    if name == "monotone_constraints" and isinstance(value, dict):
        return [[feature, direction] for feature, direction in value.items()]
    return value


def _from_rust(name: str, value: Any) -> Any:
    if name == "max_features" and isinstance(value, str):
        return value.lower()
    if name == "max_features" and isinstance(value, dict):
        return value["Count"]
    if name == "monotone_constraints" and isinstance(value, list):
        return {feature: direction for feature, direction in value}
    return value


class _Estimator(_Base):
    """Parameters as attributes named after the constructor's keywords (scikit-learn's
    rule), their defaults from the models crate (so get_params and set_params are ours,
    not BaseEstimator's, which reads the constructor's signature)."""

    _kind: str

    def __init__(self, **params: Any):
        defaults = self._defaults()
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no parameter {', '.join(unknown)}; known: {', '.join(sorted(defaults))}")
        for name, value in {**defaults, **params}.items():
            setattr(self, name, value)

    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        raw = json.loads(_rebuy.default_params(cls._kind))
        defaults = {name: _from_rust(name, value) for name, value in raw.items()}
        if cls._kind != "kmeans":
            # Left out of the JSON when empty, as in saved models.
            defaults.setdefault("monotone_constraints", {})
        return defaults

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._defaults()}

    def set_params(self, **params: Any):
        known = self._defaults()
        for name, value in params.items():
            if name not in known:
                raise ValueError(f"{type(self).__name__} has no parameter {name}")
            setattr(self, name, value)
        return self

    def _params_json(self) -> str:
        params = {name: _to_rust(name, value) for name, value in self.get_params().items()}
        return json.dumps(params)

    def __repr__(self) -> str:
        defaults = self._defaults()
        changed = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items() if v != defaults[k])
        return f"{type(self).__name__}({changed})"


class _Classifier(_ClassifierMixin, _Estimator):
    def fit(self, X: Any, y: Any):
        array, names = _matrix(X)
        labels = np.asarray(y)
        if labels.shape != (array.shape[0],):
            raise ValueError(f"y must hold one label per row of X: {labels.shape} for {array.shape[0]} rows")
        self.classes_ = np.unique(labels)
        if len(self.classes_) != 2:
            raise ValueError(f"y must hold two classes (bought or not), got {len(self.classes_)}")
        names = names or [f"x{j}" for j in range(array.shape[1])]
        bought = (labels == self.classes_[1]).astype(np.uint8)
        self._model = _rebuy.FittedClassifier.fit(self._kind, self._params_json(), array.tobytes(), array.shape[1], names, bought.tobytes())
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = array.shape[1]
        return self

    def _fitted(self):
        if not hasattr(self, "_model"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit first")
        return self._model

    def predict_proba(self, X: Any) -> np.ndarray:
        """Columns P(classes_[0]), P(classes_[1]), as scikit-learn's."""
        array, _ = _matrix(X)
        model = self._fitted()
        bought = np.frombuffer(model.predict_proba(array.tobytes(), array.shape[1]), dtype="<f8")
        return np.column_stack([1.0 - bought, bought])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    @property
    def feature_importances_(self) -> np.ndarray:
        return np.asarray(self._fitted().feature_importance)

    def to_json(self) -> str:
        """The fitted model in the envelope of a run folder's models/*.json."""
        return self._fitted().to_json()

    @classmethod
    def from_json(cls, text: str) -> _Classifier:
        """A model saved by :meth:`to_json` (any of the three kinds: the result is of the
        class of its kind); predicts P(bought) as classes ``[0, 1]``."""
        return cls._wrap(_rebuy.FittedClassifier.from_json(text))

    @classmethod
    def load(cls, path: Any) -> _Classifier:
        """The classifier of a run folder's ``models/<name>.json`` (``rebuy run`` wrote it):
        its probabilities before the run's Platt calibration, which ``Run.score`` applies."""
        return cls._wrap(_rebuy.FittedClassifier.load_run_model(str(path)))

    @classmethod
    def _wrap(cls, model) -> _Classifier:
        kind = {c._kind: c for c in (LogisticRegression, RandomForest, BoostedTrees)}[model.kind]
        estimator = kind()
        estimator._model = model
        estimator.classes_ = np.array([0, 1])
        estimator.feature_names_in_ = np.asarray(model.feature_names, dtype=object)
        estimator.n_features_in_ = len(model.feature_names)
        return estimator


class LogisticRegression(_Classifier):
    """L2-penalised logistic regression on standardised (and, by default, log1p'd
    non-negative) features, fitted by Newton's method."""

    _kind = "logistic_regression"


class RandomForest(_Classifier):
    """A random forest of histogram-split trees (scikit-learn's defaults: 200 trees, no depth
    limit, sqrt of the features per split, bootstrap)."""

    _kind = "random_forest"


class BoostedTrees(_Classifier):
    """Gradient-boosted trees on the log loss (XGBoost's histogram method: 300 trees,
    learning rate 0.05, depth 4 by default)."""

    _kind = "gradient_boosting"


class KMeans(_ClusterMixin, _Estimator):
    """k-means with k-means++ seeding and ``n_init`` restarts run in parallel, the lowest
    inertia kept (scikit-learn's KMeans; ``n_clusters=8`` by default). The data are used
    as given: scale them first, as rebuy run does (docs/definitions.md)."""

    _kind = "kmeans"

    def __init__(self, n_clusters: int = 8, **params: Any):
        super().__init__(n_clusters=n_clusters, **params)

    def fit(self, X: Any, y: Any = None):
        array, _ = _matrix(X)
        self._model, labels = _rebuy.FittedKMeans.fit(self._params_json(), array.tobytes(), array.shape[1])
        self.labels_ = np.asarray(labels)
        self.cluster_centers_ = np.frombuffer(self._model.centroids(), dtype="<f8").reshape(self.n_clusters, array.shape[1])
        self.inertia_ = self._model.inertia
        self.n_iter_ = self._model.n_iter
        self.n_features_in_ = array.shape[1]
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        return self.fit(X).labels_

    def predict(self, X: Any) -> np.ndarray:
        if not hasattr(self, "_model"):
            raise ValueError("this KMeans is not fitted yet: call fit first")
        array, _ = _matrix(X)
        return np.asarray(self._model.predict(array.tobytes(), array.shape[1]))
