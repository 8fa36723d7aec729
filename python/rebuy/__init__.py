"""rebuy from Python: the rebuy pipeline (:func:`run`, :class:`Run`), the
buy-till-you-die fitters of the rebuy CLI with lifetimes' names (:mod:`rebuy.btyd`), and
its classifiers and KMeans as scikit-learn-style estimators (:mod:`rebuy.models`). All
of it is rebuy's Rust code; this package adds no modelling of its own."""

from importlib.metadata import version

from rebuy import btyd, models
from rebuy.pipeline import Run, generate, run

__all__ = ["Run", "btyd", "generate", "models", "run"]
__version__ = version("rebuy")
