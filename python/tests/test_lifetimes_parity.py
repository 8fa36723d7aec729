"""rebuy.btyd beside lifetimes 0.11.3 on CDNOW: parameters, log-likelihood and every
prediction agree to 1e-6 (absolute; and relative for money and for the expected purchases
of the heaviest buyers over two years, about 40, which differ by up to 1.6e-6). Skipped where lifetimes is not
installed; scripts/test-python installs it.

lifetimes is fitted with tol=1e-8: at its default 1e-7 its optimiser stops 3.5e-6 short
of the MBG/NBD optimum in alpha (rebuy's fit stops at a gradient below 1e-8)."""

import numpy as np
import pandas as pd
import pytest

from rebuy import btyd

lifetimes = pytest.importorskip("lifetimes")

TOLERANCE = 1e-6
LIFETIMES_TOL = 1e-8


def columns(cdnow):
    return cdnow["x"].to_numpy(), cdnow["t_x"].to_numpy(), cdnow["T"].to_numpy()


def lifetimes_log_likelihood(fitter_class, params, *data):
    """lifetimes' own likelihood in the data's time unit: its fit works on times scaled to
    a largest T of 1, whose likelihood differs by a constant from the one in weeks."""
    weights = np.ones(len(data[0]))
    return -fitter_class._negative_log_likelihood(np.log(params), *data, weights, 0.0) * len(data[0])


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (btyd.BetaGeoFitter, lifetimes.BetaGeoFitter),
        (btyd.ModifiedBetaGeoFitter, lifetimes.ModifiedBetaGeoFitter),
    ],
)
def test_transaction_model_equals_lifetimes_on_cdnow(cdnow, ours, theirs):
    data = columns(cdnow)
    rebuy_fit = ours().fit(*data)
    reference = theirs().fit(*data, tol=LIFETIMES_TOL)
    np.testing.assert_allclose(rebuy_fit.params_, reference.params_[["r", "alpha", "a", "b"]], rtol=0, atol=TOLERANCE)
    log_likelihood = lifetimes_log_likelihood(theirs, reference.params_.to_numpy(), *data)
    assert rebuy_fit.log_likelihood_ == pytest.approx(log_likelihood, abs=TOLERANCE)
    np.testing.assert_allclose(
        rebuy_fit.conditional_probability_alive(*data),
        reference.conditional_probability_alive(*data),
        rtol=0,
        atol=TOLERANCE,
    )
    for weeks in [1, 13, 39, 104]:
        np.testing.assert_allclose(
            rebuy_fit.conditional_expected_number_of_purchases_up_to_time(weeks, *data),
            reference.conditional_expected_number_of_purchases_up_to_time(weeks, *data),
            rtol=TOLERANCE,
            atol=TOLERANCE,
        )
        assert rebuy_fit.expected_number_of_purchases_up_to_time(weeks) == pytest.approx(
            reference.expected_number_of_purchases_up_to_time(weeks), abs=TOLERANCE
        )


def test_spend_model_and_clv_equal_lifetimes_on_cdnow(cdnow):
    data = columns(cdnow)
    frequency, spend = cdnow["x"], cdnow["zbar"]
    repeat = cdnow[cdnow["x"] > 0]
    rebuy_fit = btyd.GammaGammaFitter().fit(repeat["x"], repeat["zbar"])
    reference = lifetimes.GammaGammaFitter().fit(repeat["x"], repeat["zbar"], tol=LIFETIMES_TOL)
    np.testing.assert_allclose(rebuy_fit.params_, reference.params_[["p", "q", "v"]], rtol=0, atol=TOLERANCE)
    log_likelihood = lifetimes_log_likelihood(
        lifetimes.GammaGammaFitter, reference.params_.to_numpy(), repeat["x"].to_numpy(), repeat["zbar"].to_numpy()
    )
    assert rebuy_fit.log_likelihood_ == pytest.approx(log_likelihood, abs=TOLERANCE)
    np.testing.assert_allclose(
        rebuy_fit.conditional_expected_average_profit(frequency, spend),
        reference.conditional_expected_average_profit(frequency, spend),
        rtol=TOLERANCE,
    )
    rebuy_transactions = btyd.BetaGeoFitter().fit(*data)
    lifetimes_transactions = lifetimes.BetaGeoFitter().fit(*data, tol=LIFETIMES_TOL)
    for months, rate in [(12, 0.01), (3, 0.0)]:
        clv = rebuy_fit.customer_lifetime_value(
            rebuy_transactions, frequency, cdnow["t_x"], cdnow["T"], spend, time=months, discount_rate=rate, freq="W"
        )
        expected = reference.customer_lifetime_value(
            lifetimes_transactions,
            frequency,
            cdnow["t_x"],
            cdnow["T"],
            spend,
            time=months,
            discount_rate=rate,
            freq="W",
        )
        np.testing.assert_allclose(clv, expected, rtol=TOLERANCE)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"monetary_value_col": "amount"},
        {"monetary_value_col": "amount", "observation_period_end": "1997-09-30", "freq": "W"},
        {"observation_period_end": "1997-09-30", "freq": "D", "freq_multiplier": 7},
        {"monetary_value_col": "amount", "include_first_transaction": True},
    ],
    ids=["days", "days-spend", "weeks-spend-calibration", "days-in-weeks", "with-first-purchase"],
)
def test_summary_from_transactions_equals_lifetimes(cdnow_transactions, options):
    ours = btyd.summary_data_from_transaction_data(cdnow_transactions, "customer", "date", **options)
    theirs = lifetimes.utils.summary_data_from_transaction_data(cdnow_transactions, "customer", "date", **options)
    pd.testing.assert_frame_equal(ours, theirs)
