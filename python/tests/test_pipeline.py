"""rebuy.run, Run and Run.predict against the command line itself: the same files, the
same answers and the same one-line errors. The command line is the binary of the cargo
build (`REBUY_BIN`, set by scripts/test-python)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

import rebuy

BINARY = os.environ.get("REBUY_BIN")
needs_binary = pytest.mark.skipif(not BINARY or not Path(BINARY).is_file(), reason="REBUY_BIN: no rebuy binary to compare with")
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "campaign_list.py"
# Every file of a run folder that does not hold timings or the run's own path.
SAME_BYTES = ["customers.csv", "segments.json", "quality.json", "months.csv"]


def cli(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("pipeline")


@pytest.fixture(scope="module")
def transactions(workdir):
    return rebuy.generate(workdir / "transactions.csv", customers=400, seed=7)


@pytest.fixture(scope="module")
def made(transactions, workdir):
    return rebuy.run(transactions, workdir / "run", as_of="2011-09-01", currency="GBP")


def test_a_run_reads_back_as_its_files(made):
    customers = made.customers
    assert customers.num_rows == made.manifest["counts"]["customers"] <= made.quality["customers"]
    assert customers.schema.field("customer_id").type == pa.string()
    assert customers.column("customer_id").to_pylist() == sorted(set(customers.column("customer_id").to_pylist()))
    assert made.manifest["as_of"] == "2011-09-01" and made.manifest["currency"] == "GBP"
    assert made.metrics["chosen"] in {m["name"] for m in made.metrics["models"]}
    assert sum(s["customers"] for s in made.segments["rfm_segments"]) == customers.num_rows
    again = rebuy.Run.load(made.path)
    assert again.customers.equals(customers) and again.metrics == made.metrics
    assert "2011-09-01" in repr(made)


def test_a_folder_that_is_no_run_is_refused(workdir):
    with pytest.raises(ValueError, match="not a run folder"):
        rebuy.Run.load(workdir)


@needs_binary
def test_python_and_the_command_line_write_the_same_run(transactions, made, workdir):
    out = workdir / "cli-run"
    done = cli("run", "--input", str(transactions), "--out", str(out), "--as-of", "2011-09-01", "--currency", "GBP")
    assert done.returncode == 0, done.stderr
    for name in SAME_BYTES:
        assert (out / name).read_bytes() == (made.path / name).read_bytes(), name
    for model in sorted((out / "models").iterdir()):
        assert model.read_bytes() == (made.path / "models" / model.name).read_bytes(), model.name


def test_a_table_gives_the_same_customers_as_its_file(transactions, made, workdir):
    lines = pd.read_csv(transactions, dtype={"Customer ID": str, "Invoice": str, "StockCode": str})
    lines["InvoiceDate"] = pd.to_datetime(lines["InvoiceDate"])
    from_table = rebuy.run(lines, workdir / "table-run", as_of="2011-09-01", currency="GBP")
    assert from_table.customers.equals(made.customers)
    assert rebuy.run(pa.Table.from_pandas(lines), as_of="2011-09-01", currency="GBP").customers.equals(made.customers)


@needs_binary
def test_predict_gives_the_command_lines_answer(made):
    for r, f, m in [(2, 40, 20000), (400, 1, 100), (30, 3, 450.5)]:
        done = cli("predict", "--run", str(made.path), "--recency-days", str(r), "--frequency", str(f), "--monetary", str(m))
        assert done.returncode == 0, done.stderr
        assert made.predict(recency_days=r, frequency=f, monetary=m) == json.loads(done.stdout)
    answer = made.predict(2, 40, 20000)
    assert 0 <= answer["purchase_probability"] <= 1
    assert answer["answered_by"]["inputs"] == ["recency_days", "frequency", "monetary"]


def test_recency_never_raises_the_probability(made):
    for f, m in [(1, 100), (5, 500), (40, 20000)]:
        probabilities = [made.predict(r, f, m)["purchase_probability"] for r in (0, 7, 30, 90, 180, 365, 730)]
        assert probabilities == sorted(probabilities, reverse=True), (f, m, probabilities)


@needs_binary
def test_errors_are_the_command_lines_lines(made, workdir):
    missing = workdir / "missing.csv"
    done = cli("run", "--input", str(missing), "--out", str(workdir / "never"))
    assert done.returncode == 65
    with pytest.raises(ValueError) as refused:
        rebuy.run(missing, workdir / "never")
    assert str(refused.value) == done.stderr.strip()

    done = cli("predict", "--run", str(made.path), "--recency-days", "2", "--frequency", "4", "--monetary", "9", "--feature", "spend_30d=1")
    assert done.returncode == 65
    with pytest.raises(ValueError) as refused:
        made.predict(2, 4, 9, spend_30d=1)
    assert str(refused.value) == done.stderr.strip()


def test_bad_options_are_refused_by_the_command_lines_parser(transactions, workdir):
    with pytest.raises(ValueError, match="--horizon-days"):
        rebuy.run(transactions, workdir / "never", horizon_days=0)
    with pytest.raises(ValueError, match="--no-such-option"):
        rebuy.run(transactions, workdir / "never", no_such_option=1)
    with pytest.raises(TypeError, match="a path, a list of paths"):
        rebuy.run(42)
    assert not (workdir / "never").exists()


def test_score_gives_predicts_answers(made):
    table = pd.DataFrame({"customer_id": ["a", "b", "c"], "recency_days": [2, 400, 30], "frequency": [40, 1, 3], "monetary": [20000, 100, 450.5]})
    scored = made.score(table).to_pandas()
    assert list(scored["customer_id"]) == ["a", "b", "c"]
    for row in scored.itertuples():
        answer = made.predict(row.recency_days, row.frequency, row.monetary)
        assert row.purchase_probability == pytest.approx(answer["purchase_probability"], rel=1e-12)
        assert row.churn_risk == answer["churn_risk"]


def test_the_example_writes_a_ranked_campaign_list(transactions, workdir):
    out = workdir / "campaign.csv"
    done = subprocess.run([sys.executable, str(EXAMPLE), str(transactions), str(out), "--top", "20"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listing = pd.read_csv(out, dtype={"customer_id": str})
    assert 0 < len(listing) <= 20
    assert ((listing["p_alive"] >= 0.5) & (listing["purchase_probability"] < 0.5)).all()
    assert list(listing["clv_12m"]) == sorted(listing["clv_12m"], reverse=True)
    # The head of the list the script chose from the whole run, recomputed here.
    everyone = rebuy.run(transactions).customers.to_pandas()
    eligible = everyone[(everyone["p_alive"] >= 0.5) & (everyone["purchase_probability"] < 0.5)]
    assert listing["clv_12m"].iloc[0] == pytest.approx(eligible["clv_12m"].max())
    assert "customers to call first" in done.stdout


def test_importing_rebuy_leaves_scikit_learn_until_the_estimators_are_used():
    # scikit-learn's import was 40 % of rebuy.run on the real sheet (docs/benchmarks.md).
    check = "import sys, rebuy; assert 'sklearn' not in sys.modules; rebuy.models.KMeans; assert 'sklearn' in sys.modules"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
