"""The fitters against published figures and on bad input; no lifetimes needed."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from rebuy.btyd import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, summary_data_from_transaction_data


def columns(cdnow):
    return cdnow["x"], cdnow["t_x"], cdnow["T"]


def test_bg_nbd_reproduces_the_published_cdnow_fit(cdnow):
    # Fader, Hardie & Lee (2005), section 5.
    bgf = BetaGeoFitter().fit(*columns(cdnow))
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert bgf.params_[name] == pytest.approx(value, abs=1e-3), name
    assert bgf.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)
    assert bgf.fit_status_ == "converged"
    # Customer 1 (x = 2, t_x = 30.43, T = 38.86) in the next 39 weeks.
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(39, *columns(cdnow.head(1)))
    assert expected.iloc[0] == pytest.approx(1.226, abs=1e-3)


def test_mbg_nbd_reproduces_the_published_cdnow_fit(cdnow):
    # Batislam, Denizel & Filiztekin (2007).
    mbgf = ModifiedBetaGeoFitter().fit(*columns(cdnow))
    for name, value in {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}.items():
        assert mbgf.params_[name] == pytest.approx(value, abs=1e-3), name
    # One-time buyers may have left: P(alive) below 1, unlike the BG/NBD's.
    one_time = cdnow[cdnow["x"] == 0]
    assert (mbgf.conditional_probability_alive(*columns(one_time)) < 1).all()
    assert (BetaGeoFitter().fit(*columns(cdnow)).conditional_probability_alive(*columns(one_time)) == 1).all()


def test_gamma_gamma_reproduces_the_published_cdnow_fit(cdnow):
    # Fader, Hardie & Lee, "RFM and CLV" (2005): 946 repeat buyers.
    repeat = cdnow[cdnow["x"] > 0]
    ggf = GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert ggf.params_[name] == pytest.approx(value, abs=1e-2), name
    spend = ggf.conditional_expected_average_profit(cdnow["x"], cdnow["zbar"])
    np.testing.assert_allclose(spend.head(6), [24.65, 18.91, 35.17, 35.17, 35.17, 71.46], atol=0.1)


def test_results_keep_the_callers_index_and_type(cdnow):
    bgf = BetaGeoFitter().fit(*columns(cdnow))
    shuffled = cdnow.sample(frac=1, random_state=1).set_index("ID")
    alive = bgf.conditional_probability_alive(*columns(shuffled))
    assert isinstance(alive, pd.Series) and alive.index.equals(shuffled.index)
    as_arrays = bgf.conditional_probability_alive(*(c.to_numpy() for c in columns(shuffled)))
    assert isinstance(as_arrays, np.ndarray)
    np.testing.assert_array_equal(alive.to_numpy(), as_arrays)
    assert bgf.predict(13, 2, 30.0, 38.0) == bgf.conditional_expected_number_of_purchases_up_to_time(13, 2, 30.0, 38.0)


def test_clv_adds_up_the_discounted_months(cdnow):
    bgf = BetaGeoFitter().fit(*columns(cdnow))
    repeat = cdnow[cdnow["x"] > 0]
    ggf = GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
    one = cdnow.head(1)
    clv = ggf.customer_lifetime_value(bgf, *columns(one), one["zbar"], time=2, discount_rate=0.01, freq="W")
    spend = ggf.conditional_expected_average_profit(one["x"], one["zbar"]).iloc[0]
    month_1 = bgf.predict(4.345, *columns(one)).iloc[0]
    month_2 = bgf.predict(2 * 4.345, *columns(one)).iloc[0] - month_1
    assert clv.iloc[0] == pytest.approx(spend * (month_1 / 1.01 + month_2 / 1.01**2), rel=1e-12)


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([-1, 2], [0, 3], [5, 5], "row 0: frequency -1 is not a whole number >= 0"),
        ([1.5, 2], [1, 3], [5, 5], "row 0: frequency 1.5 is not a whole number >= 0"),
        ([1, 2], [1, 6], [5, 5], "row 1: recency 6 is after the end of observation T = 5"),
        ([1, 2], [-1, 3], [5, 5], "row 0: recency -1 is negative"),
        ([0, 2], [1, 3], [5, 5], "row 0: recency 1 must be 0 for a customer with frequency 0"),
        ([1, 2, 3], [1, 3], [5, 5, 5], "frequency, recency and T must have the same length (got 3, 2, 3)"),
        ([1, 2], [1, math.nan], [5, 5], "feature `recency` is not finite (NaN) in row 1"),
        ([1, 2], [1, 3], [5, math.inf], "feature `T` is not finite (inf) in row 1"),
    ],
)
def test_bad_customers_are_refused_with_the_row(frequency, recency, T, message):
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        BetaGeoFitter().fit(frequency, recency, T)


def test_bad_arguments_are_python_exceptions(cdnow):
    bgf = BetaGeoFitter()
    with pytest.raises(ValueError, match="BetaGeoFitter is not fitted yet"):
        bgf.conditional_probability_alive([1], [1], [2])
    with pytest.raises(ValueError, match="must be one-dimensional"):
        bgf.fit([[1, 2]], [[1, 2]], [[3, 3]])
    with pytest.raises(ValueError, match="could not convert string to float"):
        bgf.fit(["one"], [1], [2])
    with pytest.raises(ValueError, match="invalid parameter `penalty`: must be finite and >= 0, got -1"):
        BetaGeoFitter(penalizer_coef=-1).fit(*columns(cdnow))
    bgf.fit(*columns(cdnow))
    with pytest.raises(ValueError, match="invalid parameter `horizon`: must be finite and >= 0, got -1"):
        bgf.conditional_expected_number_of_purchases_up_to_time(-1, [1], [1], [2])
    with pytest.raises(ValueError, match="all 3 customers are one-time buyers"):
        BetaGeoFitter().fit([0, 0, 0], [0, 0, 0], [5, 6, 7])

    ggf = GammaGammaFitter()
    with pytest.raises(ValueError, match="row 1: monetary_value -3 of a repeat buyer must be > 0"):
        ggf.fit([1, 2, 3], [10, -3, 5])
    repeat = cdnow[cdnow["x"] > 0]
    ggf.fit(repeat["x"], repeat["zbar"])
    with pytest.raises(ValueError, match=r"freq must be one of \['D', 'H', 'M', 'W'\], got 'Y'"):
        ggf.customer_lifetime_value(bgf, [1], [1], [2], [10], freq="Y")
    with pytest.raises(ValueError, match="time must be a whole number of months >= 1, got 0"):
        ggf.customer_lifetime_value(bgf, [1], [1], [2], [10], time=0)
    with pytest.raises(TypeError, match="must be a fitted rebuy.btyd BetaGeoFitter"):
        ggf.customer_lifetime_value(object(), [1], [1], [2], [10])


def test_summary_from_transactions_is_the_published_cdnow_summary(cdnow_transactions, published_cdnow_summary):
    # The published summary: distinct purchase days to 1997-09-30, recency and T in weeks.
    summary = summary_data_from_transaction_data(
        cdnow_transactions, "customer", "date", observation_period_end="1997-09-30", freq="D", freq_multiplier=7
    )
    assert len(summary) == 2357
    pd.testing.assert_frame_equal(
        summary.round(2), published_cdnow_summary.astype(float), check_names=False, check_index_type=False
    )
