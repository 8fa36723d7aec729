"""CDNOW, the reference data of the buy-till-you-die literature, from the repository's
test fixtures (the same files the Rust tests pin)."""

from pathlib import Path

import pandas as pd
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
CDNOW_SUMMARY = REPOSITORY / "crates/rebuy-models/src/btyd/testdata/cdnow_customers_summary_with_transactions.csv"
CDNOW_FIXTURES = REPOSITORY / "crates/rebuy-features/tests/fixtures/cdnow"


@pytest.fixture(scope="session")
def cdnow():
    """Per customer `x` repeat purchases, `t_x` and `T` in weeks (39-week calibration),
    `zbar` mean repeat spend: 2,357 customers."""
    return pd.read_csv(CDNOW_SUMMARY)


@pytest.fixture(scope="session")
def cdnow_transactions():
    """The 6,919 transaction lines of the CDNOW sample: customer, date, CDs, dollars."""
    lines = pd.read_csv(
        CDNOW_FIXTURES / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["full_id", "customer", "date", "cds", "amount"],
        dtype={"date": str},
    )
    lines["date"] = pd.to_datetime(lines["date"], format="%Y%m%d")
    return lines[["customer", "date", "amount"]]


@pytest.fixture(scope="session")
def published_cdnow_summary():
    return pd.read_csv(CDNOW_FIXTURES / "cdnow_customers_summary.csv", index_col="ID")
