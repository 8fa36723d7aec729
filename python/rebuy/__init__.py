"""rebuy from Python: the buy-till-you-die fitters of the rebuy CLI with lifetimes' names
(:mod:`rebuy.btyd`). The models are rebuy's Rust code; this package adds no modelling of
its own."""

from importlib.metadata import version

from rebuy import btyd

__all__ = ["btyd"]
__version__ = version("rebuy")
