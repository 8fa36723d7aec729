"""The rebuy pipeline from Python: :func:`run` makes a run folder exactly as ``rebuy run``
does (the same Rust code, options and files), :class:`Run` reads one.

Options are the command line's: every ``rebuy run --help`` option is a keyword argument
with ``-`` written ``_`` (``max_model_customers=5000`` is ``--max-model-customers 5000``,
``day_first=True`` is ``--day-first``), checked by the command line's own parser. Errors
are the command line's one-line messages: ``ValueError`` for bad input or options (its
exit status 65 or 2), ``BlockingIOError`` when another run writes the same folder (75),
``RuntimeError`` for an internal failure (70).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from rebuy import _rebuy

__all__ = ["Run", "generate", "run"]

# Text columns of customers.csv, kept as text when read (a customer id such as 12346
# is a name, not a number); pyarrow ignores those a file does not have.
_TEXT_COLUMNS = ("customer_id",)


def _read_customers_csv(path: Path) -> pa.Table:
    """A customers.csv-shaped file (a run's, or a scored one) as a pyarrow Table."""
    types = {name: pa.string() for name in _TEXT_COLUMNS}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _options(options: dict[str, Any]) -> list[str]:
    """Keyword arguments as command-line options; None leaves an option at its default."""
    args: list[str] = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        if value is True:
            args.append(_flag(name))
        elif isinstance(value, (list, tuple)):
            args.append(_flag(name))
            args.extend(str(v) for v in value)
        else:
            args.extend([_flag(name), str(value)])
    return args


def _as_arrow(table: Any) -> pa.Table:
    """A pandas, polars or pyarrow table as a pyarrow Table."""
    if isinstance(table, pa.Table):
        return table
    if hasattr(table, "to_arrow"):  # polars
        return table.to_arrow()
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - pandas is a dependency
        pd = None
    if pd is not None and isinstance(table, pd.DataFrame):
        return pa.Table.from_pandas(table, preserve_index=False)
    raise TypeError(
        f"source must be a path, a list of paths, or a pandas, polars or pyarrow table; got {type(table).__name__}"
    )


def _inputs(source: Any, scratch: Path) -> list[str]:
    """The input paths of ``source``. A table is written to a Parquet file in ``scratch``
    (the command line reads Parquet with its column types, so dates and amounts cross
    exactly, without text formatting)."""
    if isinstance(source, (str, os.PathLike)):
        return [os.fspath(source)]
    if isinstance(source, (list, tuple)) and all(isinstance(s, (str, os.PathLike)) for s in source):
        return [os.fspath(s) for s in source]
    path = scratch / "transactions.parquet"
    pq.write_table(_as_arrow(source), path)
    return [os.fspath(path)]


def run(
    source: Any,
    out: str | os.PathLike | None = None,
    *,
    as_of: str | None = None,
    horizon_days: int = 90,
    seed: int = 42,
    **options: Any,
) -> Run:
    """Runs the pipeline (``rebuy run``) on ``source`` and returns the run.

    ``source`` is a path (CSV, CSV.gz, XLSX or Parquet, Online Retail II or I column
    names), a list of paths, or a pandas / polars / pyarrow table with those columns.
    ``out`` is the run folder to create or replace; by default a new temporary folder
    (``Run.path`` says where). ``as_of`` (YYYY-MM-DD) defaults to the day after the last
    sale, as on the command line; the other options are ``rebuy run``'s (see the module's
    text)."""
    with tempfile.TemporaryDirectory(prefix="rebuy-input-") as scratch:
        inputs = _inputs(source, Path(scratch))
        folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="rebuy-run-")) / "run"
        args = ["run", "--input", *inputs, "--out", os.fspath(folder)]
        args += _options({"as_of": as_of, "horizon_days": horizon_days, "seed": seed, **options})
        _rebuy.execute(args)
    return Run(folder)


def generate(out: str | os.PathLike, *, customers: int | None = None, lines: int | None = None, seed: int = 42, **options: Any) -> Path:
    """Writes synthetic transactions in the Online Retail II columns (``rebuy generate``):
    ``customers`` to simulate or an exact number of ``lines``; CSV, CSV.gz or Parquet by
    the extension of ``out``. The same seed gives the same bytes."""
    args = ["generate", "--out", os.fspath(out)]
    args += _options({"customers": customers, "lines": lines, "seed": seed, **options})
    _rebuy.execute(args)
    return Path(out)


class Run:
    """A run folder (``rebuy run --out``): its files as Python values.

    ``customers`` is customers.csv as a pyarrow Table (``.to_pandas()`` for pandas);
    ``manifest``, ``metrics``, ``segments`` and ``quality`` are its JSON files as dicts
    (docs/definitions.md says what each field is)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not (self.path / "manifest.json").is_file():
            raise ValueError(f"{self.path}: not a run folder (no manifest.json); make one with rebuy.run or `rebuy run`")
        self._customers: pa.Table | None = None

    @classmethod
    def load(cls, path: str | os.PathLike) -> Run:
        """An existing run folder, made by the command line or by :func:`run`."""
        return cls(path)

    def _json(self, name: str) -> dict:
        with open(self.path / name, encoding="utf-8") as file:
            return json.load(file)

    @property
    def manifest(self) -> dict:
        return self._json("manifest.json")

    @property
    def metrics(self) -> dict:
        return self._json("metrics.json")

    @property
    def segments(self) -> dict:
        return self._json("segments.json")

    @property
    def quality(self) -> dict:
        return self._json("quality.json")

    @property
    def customers(self) -> pa.Table:
        if self._customers is None:
            self._customers = _read_customers_csv(self.path / "customers.csv")
        return self._customers

    def predict(self, recency_days: float, frequency: float, monetary: float, **features: float) -> dict:
        """The run's answer for one customer (``rebuy predict``, the same JSON as
        ``POST /api/predict``): purchase probability, churn risk, the RFM segment, the
        cluster, P(alive) and CLV, and which model answered on which inputs. Other model
        features (``tenure_days=400``) as keywords; a set no model of the run was
        fitted on is refused, naming what is missing (nothing is imputed)."""
        args = ["predict", "--run", os.fspath(self.path)]
        args += ["--recency-days", repr(float(recency_days)), "--frequency", repr(float(frequency))]
        args += ["--monetary", repr(float(monetary))]
        for name, value in features.items():
            args += ["--feature", f"{name}={float(value)!r}"]
        return json.loads(_rebuy.predict(args))

    def score(self, table: Any) -> pa.Table:
        """``table`` (pandas, polars or pyarrow) scored by the run (``rebuy score``): its
        columns plus purchase_probability, churn_risk, probability_percentile and the
        answering model. Every feature column of customers.csv is scored by the chosen
        model; recency_days, frequency and monetary alone by the R/F/M-only model."""
        with tempfile.TemporaryDirectory(prefix="rebuy-score-") as scratch:
            given, scored = Path(scratch) / "customers.csv", Path(scratch) / "scored.csv"
            pacsv.write_csv(_as_arrow(table), given)
            _rebuy.execute(["score", "--run", os.fspath(self.path), "--input", os.fspath(given), "--out", os.fspath(scored)])
            return _read_customers_csv(scored)

    def __repr__(self) -> str:
        manifest = self.manifest
        return f"Run({os.fspath(self.path)!r}, as_of={manifest.get('as_of')!r}, horizon_days={manifest.get('horizon_days')})"
