"""rebuy from Python: the rebuy pipeline (:func:`run`, :class:`Run`), the
buy-till-you-die fitters of the rebuy CLI with lifetimes' names (:mod:`rebuy.btyd`), and
its classifiers and KMeans as scikit-learn-style estimators (:mod:`rebuy.models`). All
of it is rebuy's Rust code; this package adds no modelling of its own."""

import importlib
from importlib.metadata import version

from rebuy import btyd
from rebuy.pipeline import Run, generate, run

__all__ = ["Run", "btyd", "generate", "models", "run"]
__version__ = version("rebuy")


def __getattr__(name):
    # rebuy.models imports scikit-learn when it is installed (about a second): only
    # when the estimators are used, not on every `import rebuy`.
    if name == "models":
        return importlib.import_module("rebuy.models")
    raise AttributeError(f"module 'rebuy' has no attribute {name!r}")
