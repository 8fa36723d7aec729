"""Buy-till-you-die fitters with lifetimes' names and signatures, on rebuy's Rust models.

A lifetimes notebook switches with its import line::

    from rebuy.btyd import BetaGeoFitter, GammaGammaFitter, summary_data_from_transaction_data

    summary = summary_data_from_transaction_data(df, "customer", "date", "amount")
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"])

The fits are rebuy's (several starting points, checked optimum; the same code as
``rebuy run``), so parameters equal lifetimes' to the precision of its optimiser.
Per-customer results are numpy arrays, or pandas Series on the same index when the
``frequency`` given is a Series (as lifetimes' arithmetic gives for most of them).

Not carried over from lifetimes: ``weights``, ``initial_params``, ``tol`` and the other
optimiser arguments of ``fit`` (identical customers are merged with weights inside the
fit anyway), ``summary``/standard errors, the plotting helpers, and pickling with dill.
"""

import numpy as np
import pandas as pd

from rebuy import _rebuy

__all__ = [
    "BetaGeoFitter",
    "GammaGammaFitter",
    "ModifiedBetaGeoFitter",
    "summary_data_from_transaction_data",
]

# Summary time units per month, as lifetimes' customer_lifetime_value counts them.
_PERIODS_PER_MONTH = {"W": 4.345, "M": 1.0, "D": 30.0, "H": 30.0 * 24}


def _column(name, values):
    """A one-dimensional little-endian float64 array, whose bytes the Rust side reads (a
    number is one customer, as lifetimes allows)."""
    array = np.asarray(values, dtype="<f8")
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def _raw(*columns):
    """The columns as bytes for the Rust side, which copies them into its own vectors."""
    return [column.tobytes() for column in columns]


def _like(values, template):
    """Per-customer results on the caller's index when it gave a pandas Series, a number
    when it gave one."""
    values = np.frombuffer(values, dtype="<f8")
    if np.ndim(template) == 0:
        return float(values[0])
    if isinstance(template, pd.Series):
        return pd.Series(values, index=template.index)
    return values


def _unfitted(fitter):
    return ValueError(f"{type(fitter).__name__} is not fitted yet: call fit(...) first")


class _Fitter:
    """What every fitter shares: the penalty, and how its fit went."""

    def __init__(self, penalizer_coef=0.0):
        self.penalizer_coef = penalizer_coef
        self._model = None

    @property
    def log_likelihood_(self):
        """Log-likelihood of the fitted data, summed over customers (lifetimes keeps the
        mean of its negative as ``_negative_log_likelihood_``)."""
        return self._fitted().report.log_likelihood

    @property
    def fit_status_(self):
        """``"converged"``, or ``"degenerate"`` when the fit ran to an implausible limit:
        nobody ever leaves (P(alive) is then an upper bound), or a spend model without a
        finite mean (``q <= 1``); ``fit_warnings_`` says which."""
        return self._fitted().report.status

    @property
    def fit_warnings_(self):
        return self._fitted().report.warnings

    def _fitted(self):
        if self._model is None:
            raise _unfitted(self)
        return self._model


class _BetaGeoFamily(_Fitter):
    _variant = ""

    def fit(self, frequency, recency, T):
        """Maximum-likelihood fit on one row per customer: ``frequency`` repeat purchases,
        ``recency`` age at the last purchase, ``T`` age at the end of observation, in one
        time unit. Bad input (negative frequency, recency > T, NaN, columns of different
        lengths...) raises ValueError naming the row; a fit without optimum RuntimeError."""
        columns = self._summary(frequency, recency, T)
        self._model = _rebuy.BetaGeoModel.fit(self._variant, *_raw(*columns), float(self.penalizer_coef))
        self.params_ = pd.Series(self._model.params, index=["r", "alpha", "a", "b"])
        self.data = pd.DataFrame(dict(zip(["frequency", "recency", "T"], columns)))
        return self

    def _summary(self, frequency, recency, T):
        return [_column(n, v) for n, v in [("frequency", frequency), ("recency", recency), ("T", T)]]

    def conditional_probability_alive(self, frequency, recency, T):
        """P(alive) at the end of observation, per customer."""
        alive = self._fitted().probability_alive(*_raw(*self._summary(frequency, recency, T)))
        return _like(alive, frequency)

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        """Expected purchases in the next ``t`` time units, per customer."""
        expected = self._fitted().expected_purchases(float(t), *_raw(*self._summary(frequency, recency, T)))
        return _like(expected, frequency)

    predict = conditional_expected_number_of_purchases_up_to_time

    def expected_number_of_purchases_up_to_time(self, t):
        """Expected repeat purchases in ``(0, t]`` of a customer who has just bought first."""
        return self._fitted().expected_purchases_new_customer(float(t))


class BetaGeoFitter(_BetaGeoFamily):
    """BG/NBD (Fader, Hardie & Lee 2005): a customer may leave only after a repeat purchase."""

    _variant = "bg_nbd"


class ModifiedBetaGeoFitter(_BetaGeoFamily):
    """MBG/NBD (Batislam et al. 2007): a customer may also leave right after the first
    purchase, so one-time buyers get a P(alive) below 1."""

    _variant = "mbg_nbd"


class GammaGammaFitter(_Fitter):
    """Gamma-Gamma spend per order, fitted on repeat buyers (``frequency > 0``)."""

    def fit(self, frequency, monetary_value):
        """Fits ``p, q, v``; rows with ``frequency == 0`` are ignored (their mean repeat
        spend is undefined), a repeat buyer's ``monetary_value`` must be > 0."""
        columns = [_column("frequency", frequency), _column("monetary_value", monetary_value)]
        self._model = _rebuy.GammaGammaModel.fit(*_raw(*columns), float(self.penalizer_coef))
        self.params_ = pd.Series(self._model.params, index=["p", "q", "v"])
        self.data = pd.DataFrame({"frequency": columns[0], "monetary_value": columns[1]})
        return self

    def conditional_expected_average_profit(self, frequency=None, monetary_value=None):
        """Expected spend per order of each customer; by default of the fitted data."""
        model = self._fitted()
        if frequency is None:
            frequency = self.data["frequency"]
        if monetary_value is None:
            monetary_value = self.data["monetary_value"]
        spend = model.expected_average_order_value(
            *_raw(_column("frequency", frequency), _column("monetary_value", monetary_value))
        )
        return _like(spend, frequency)

    def customer_lifetime_value(
        self, transaction_prediction_model, frequency, recency, T, monetary_value, time=12, discount_rate=0.01, freq="D"
    ):
        """Discounted value of the next ``time`` months: expected purchases per month from
        ``transaction_prediction_model`` (a fitted BetaGeoFitter or ModifiedBetaGeoFitter)
        times the expected spend per order, at ``discount_rate`` a month. ``freq`` is the
        summary's time unit: "D" days (30 a month), "W" weeks (4.345), "M", "H"."""
        if not isinstance(transaction_prediction_model, _BetaGeoFamily):
            raise TypeError(
                "transaction_prediction_model must be a fitted rebuy.btyd BetaGeoFitter or ModifiedBetaGeoFitter"
            )
        if freq not in _PERIODS_PER_MONTH:
            raise ValueError(f"freq must be one of {sorted(_PERIODS_PER_MONTH)}, got {freq!r}")
        if time != int(time) or time < 1:
            raise ValueError(f"time must be a whole number of months >= 1, got {time!r}")
        value = self._fitted().customer_lifetime_value(
            transaction_prediction_model._fitted(),
            *_raw(
                *transaction_prediction_model._summary(frequency, recency, T), _column("monetary_value", monetary_value)
            ),
            int(time),
            float(discount_rate),
            _PERIODS_PER_MONTH[freq],
        )
        return _like(value, frequency)


def summary_data_from_transaction_data(
    transactions,
    customer_id_col,
    datetime_col,
    monetary_value_col=None,
    datetime_format=None,
    observation_period_end=None,
    freq="D",
    freq_multiplier=1,
    include_first_transaction=False,
):
    """One row per customer (``frequency``, ``recency``, ``T`` [, ``monetary_value``]) from
    a transaction log, exactly as lifetimes computes it (same arguments): dates are cut to
    periods of ``freq``, lines after ``observation_period_end`` (default: the last date)
    are left out, purchases in one period count once with their amounts summed, and
    ``monetary_value`` is the mean of the repeat periods (0 without any). Pure pandas: the
    work is a group-by, where pandas is already fast."""
    if observation_period_end is None:
        observation_period_end = transactions[datetime_col].max()
    end = pd.to_datetime(observation_period_end, format=datetime_format).to_period(freq).to_timestamp()

    columns = [customer_id_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])
    lines = transactions[columns].copy()
    periods = pd.to_datetime(lines[datetime_col], format=datetime_format).dt.to_period(freq).dt.to_timestamp()
    lines[datetime_col] = periods
    lines = lines[periods <= end]

    by_period = lines.groupby([customer_id_col, datetime_col], sort=True)
    purchases = (by_period.sum() if monetary_value_col else by_period.size().to_frame("lines")).reset_index()
    by_customer = purchases.groupby(customer_id_col, sort=True)
    first, last = by_customer[datetime_col].min(), by_customer[datetime_col].max()
    unit = np.timedelta64(1, freq)

    summary = pd.DataFrame(index=first.index)
    summary["frequency"] = by_customer.size() - (0 if include_first_transaction else 1)
    summary["recency"] = (last - first) / unit / freq_multiplier
    summary["T"] = (end - first) / unit / freq_multiplier
    if monetary_value_col:
        is_first = purchases[datetime_col] == purchases[customer_id_col].map(first)
        repeat = purchases if include_first_transaction else purchases[~is_first]
        spend = repeat.groupby(customer_id_col)[monetary_value_col].mean()
        summary["monetary_value"] = spend.reindex(summary.index).fillna(0)
    return summary.astype(float)
