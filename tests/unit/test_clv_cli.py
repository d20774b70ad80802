"""``formwork clv fit`` end to end: CDNOW as a CSV file in, parameters as JSON and
per-customer predictions as CSV out; refusals on stderr with a non-zero exit code."""

from __future__ import annotations

import csv
import importlib.resources
import json
import subprocess
import sys
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from formwork.value import clv
from formwork.value.clv_cli import PREDICTION_COLUMNS, clv_group
from formwork.value.transactions import read_csv, summarise

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CDNOW_sample.txt (whitespace-separated, no header) as the documented CSV input."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes and pandas warn on import
        source = importlib.resources.files("lifetimes") / "datasets" / "CDNOW_sample.txt"
        text = source.read_text()
    path = tmp_path_factory.mktemp("cdnow") / "cdnow.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer_id", "master_id", "date", "cds", "amount"])
        writer.writerows(line.split() for line in text.splitlines() if line.strip())
    return path


def _fit(path: Path, *extra: str) -> list[str]:
    return [
        "fit",
        str(path),
        "--customer-col",
        "customer_id",
        "--date-col",
        "date",
        "--amount-col",
        "amount",
        *extra,
    ]


def test_fit_prints_the_published_cdnow_parameters_and_writes_predictions(
    cdnow_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "predictions.csv"
    options = ("--observation-end", "1997-09-30", "--time-unit", "weeks", "--horizon", "273")
    result = CliRunner().invoke(clv_group, _fit(cdnow_csv, *options, "--out", str(out)))
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)
    for key, published in PUBLISHED.items():
        assert fitted[key] == pytest.approx(published, rel=0.005), key
    assert fitted["log_likelihood"] == pytest.approx(-9582.4, abs=0.05)
    assert fitted["customers"] == 2357
    assert fitted["gamma_gamma_customers"] == 946
    assert (fitted["time_unit"], fitted["observation_end"]) == ("weeks", "1997-09-30")

    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == PREDICTION_COLUMNS
    table = {row[0]: [float(value) for value in row[1:]] for row in rows[1:]}
    assert len(table) == 2357
    # Customer 00004: repeat purchases on 1997-01-18 and 1997-08-02 (1997-12-12 is later).
    x, tx, age, m, expected, alive, spend, value = table["00004"]
    assert (x, tx, age, m) == pytest.approx((2, 213 / 7, 272 / 7, (29.73 + 14.96) / 2))
    bg = clv.BgNbdParams(
        fitted["r"], fitted["alpha"], fitted["a"], fitted["b"], fitted["log_likelihood"], 2357
    )
    gg = clv.GammaGammaParams(fitted["p"], fitted["q"], fitted["v"], 0.0, 946)
    assert expected == pytest.approx(clv.expected_purchases(bg, 39, x, tx, age)[0], rel=1e-8)
    assert alive == pytest.approx(clv.probability_alive(bg, x, tx, age)[0], rel=1e-8)
    assert spend == pytest.approx(clv.expected_average_spend(gg, x, m)[0], rel=1e-8)
    assert 0 < value < spend * expected  # discounted at 10 % a year
    columns = np.array(list(table.values()))
    assert np.all((columns[:, 5] > 0) & (columns[:, 5] <= 1))  # p_alive
    # The CSV carries every customer's prediction, the same as computed directly.
    found = read_csv(cdnow_csv, "customer_id", "date", "amount")
    summary = summarise(
        found.customers,
        found.dates,
        found.amounts,
        observation_end=date(1997, 9, 30),
        time_unit="weeks",
    )
    direct = clv.customer_value(
        bg,
        gg,
        summary.frequency,
        summary.recency,
        summary.T,
        summary.monetary,
        horizon=273,
        discount_rate=0.1,
        time_unit="weeks",
    )
    written = np.array([table[customer][7] for customer in summary.customers])
    np.testing.assert_allclose(written, direct, rtol=1e-6)


def test_fit_defaults_to_the_last_transaction_day_and_weeks(cdnow_csv: Path) -> None:
    result = CliRunner().invoke(clv_group, _fit(cdnow_csv))
    assert result.exit_code == 0, result.output
    fitted = json.loads(result.stdout)
    assert (fitted["time_unit"], fitted["observation_end"]) == ("weeks", "1998-06-30")
    in_days = CliRunner().invoke(clv_group, _fit(cdnow_csv, "--time-unit", "days"))
    assert in_days.exit_code == 0, in_days.output
    assert json.loads(in_days.stdout)["alpha"] == pytest.approx(7 * fitted["alpha"], rel=1e-5)


def _small_csv(tmp_path: Path, customers: int) -> Path:
    path = tmp_path / "small.csv"
    lines = ["customer_id,date,amount"]
    lines += [f"c{n},2024-01-0{1 + n % 5},{10 + n}" for n in range(customers)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_refusal_goes_to_stderr_with_a_non_zero_exit_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(clv_group, _fit(_small_csv(tmp_path, 5), "--locale", "en"))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "at least 20 customers; there are 5" in result.stderr
    chinese = CliRunner().invoke(clv_group, _fit(_small_csv(tmp_path, 5), "--locale", "zh-CN"))
    assert chinese.exit_code == 1
    assert "模型至少需要 20 位客户，当前只有 5 位" in chinese.stderr  # noqa: RUF001


def test_bad_csv_input_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("customer_id,date,amount\nc1,2024-01-01,5\nc2,01/02/2024,5\n")
    result = CliRunner().invoke(clv_group, _fit(path, "--locale", "en"))
    assert result.exit_code == 1
    assert "Line 3, column “date”: “01/02/2024” is not a date" in result.stderr


def test_bad_options_are_usage_errors(cdnow_csv: Path) -> None:
    for options in (
        ("--observation-end", "30/09/1997"),
        ("--time-unit", "months"),
        ("--horizon", "0"),
        ("--discount-rate", "-1"),
    ):
        result = CliRunner().invoke(clv_group, _fit(cdnow_csv, *options))
        assert result.exit_code == 2, options
        assert options[0] in result.stderr


def test_the_formwork_command_runs_clv_fit_and_exits_non_zero_on_a_refusal(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "-m", "formwork.cli", "clv", *_fit(_small_csv(tmp_path, 3))]
    result = subprocess.run(
        [*command, "--locale", "en"], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "at least 20 customers; there are 3" in result.stderr
    # Offline: the command never builds the app (no instance folder, no database).
    assert not (tmp_path / "instance").exists()
