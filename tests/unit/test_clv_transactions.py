"""From transactions to the customer summary: same-day merges, the observation end,
the repeat-day mean; reading CSV files with errors that name the line and column."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

from formwork.value.transactions import (
    TransactionsInvalid,
    parse_amount,
    parse_date,
    read_csv,
    summarise,
)

# -- summaries -------------------------------------------------------------------------------


def test_same_day_purchases_count_once_with_their_amounts_summed() -> None:
    result = summarise(
        ["a", "a", "a", "a", "b", "b"],
        [
            date(2024, 1, 1),
            date(2024, 1, 1),
            date(2024, 1, 8),
            datetime(2024, 1, 8, 17, 30),
            date(2024, 1, 3),
            date(2024, 1, 3),
        ],
        [10.0, 5.0, 20.0, 2.5, 7.0, 1.0],
        observation_end=date(2024, 1, 15),
        time_unit="days",
    )
    assert result.customers.tolist() == ["a", "b"]
    assert result.frequency.tolist() == [1.0, 0.0]
    assert result.recency.tolist() == [7.0, 0.0]
    assert result.T.tolist() == [14.0, 12.0]
    # The first day (15.0) is left out; the repeat day is 20 + 2.5.
    assert result.monetary.tolist() == [22.5, 0.0]


def test_transactions_after_the_observation_end_are_ignored() -> None:
    result = summarise(
        np.array([7, 7, 7, 8]),
        np.array(["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"], dtype="datetime64[D]"),
        [1.0, 3.0, 100.0, 5.0],
        observation_end=date(2024, 1, 15),
        time_unit="weeks",
    )
    assert result.customers.tolist() == ["7"]  # customer 8 was not born yet
    assert result.frequency.tolist() == [1.0]
    assert result.recency.tolist() == pytest.approx([10 / 7])
    assert result.T.tolist() == pytest.approx([2.0])
    assert result.monetary.tolist() == [3.0]


def test_monetary_is_the_mean_of_the_repeat_days() -> None:
    result = summarise(
        ["c"] * 4,
        [date(2024, 1, d) for d in (1, 2, 3, 4)],
        [1000.0, 10.0, 20.0, 60.0],
        observation_end=date(2024, 1, 4),
        time_unit="days",
    )
    assert result.frequency.tolist() == [3.0]
    assert result.monetary.tolist() == [30.0]
    assert result.recency.tolist() == result.T.tolist() == [3.0]


# -- reading transactions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024.03.05", date(2024, 3, 5)),
        ("19970101", date(1997, 1, 1)),
        ("2024-03-05 14:30:00", date(2024, 3, 5)),
        ("2024-03-05T14:30:00+08:00", date(2024, 3, 5)),
        (" 2024-03-05 ", date(2024, 3, 5)),
        ("2024-02-30", None),
        ("2024-03/05", None),
        ("05/03/2024", None),
        ("yesterday", None),
        ("1997011", None),
    ],
)
def test_dates_are_parsed_in_the_usual_forms(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("12.50", 12.5),
        ("-3", -3.0),
        ("1,234.5", 1234.5),
        ("¥1234", 1234.0),
        ("$ 9.99", 9.99),
        ("1e3", 1000.0),
        ("12,5", None),
        ("nan", None),
        ("inf", None),
        ("abc", None),
        ("", None),
    ],
)
def test_amounts_are_parsed_strictly(text: str, expected: float | None) -> None:
    assert parse_amount(text) == expected


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "transactions.csv"
    path.write_text(text, encoding=encoding)
    return path


def test_read_csv_detects_the_delimiter_and_matches_columns_ignoring_case(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        "Kunde;Datum;Betrag;Note\n"
        "c1;2024-01-02;10.5;x\n\n"
        "c2;20240103;7;y\n"
        'c1;2024/01/09;"1,000.25";z\n',
        encoding="utf-8-sig",
    )
    found = read_csv(path, "kunde", "DATUM", "Betrag")
    assert found.customers.tolist() == ["c1", "c2", "c1"]
    assert found.dates.astype(str).tolist() == ["2024-01-02", "2024-01-03", "2024-01-09"]
    assert found.amounts.tolist() == [10.5, 7.0, 1000.25]


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("id,day,amt\nc1,2024-01-02,5\nc2,2024-13-01,5\n", "clv_csv_bad_date", 3, "day"),
        ("id,day,amt\nc1,2024-01-02,five\n", "clv_csv_bad_amount", 2, "amt"),
        ("id,day,amt\nc1,2024-01-02,-5\n", "clv_csv_negative_amount", 2, "amt"),
        ("id,day,amt\n,2024-01-02,5\n", "clv_csv_empty_value", 2, "id"),
        ("id,day,amt\nc1,2024-01-02,\n", "clv_csv_empty_value", 2, "amt"),
        ("id,day,amt\nc1,2024-01-02\n", "clv_csv_short_line", 2, "amt"),
    ],
)
def test_read_csv_names_the_line_and_column_of_bad_input(
    tmp_path: Path, text: str, code: str, line: int, column: str
) -> None:
    with pytest.raises(TransactionsInvalid) as caught:
        read_csv(_write(tmp_path, text), "id", "day", "amt")
    error = caught.value
    assert (error.code, error.params["line"], error.params["column"]) == (code, line, column)
    assert f"Line {line}" in str(error) and column in str(error)
    assert f"第 {line} 行" in error.message_in("zh-CN")


def test_read_csv_refuses_a_missing_column_with_a_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path, "customer_id,day,amt\nc1,2024-01-02,5\n")
    with pytest.raises(TransactionsInvalid) as caught:
        read_csv(path, "customer", "day", "amt")
    assert caught.value.code == "clv_csv_missing_column_hint"
    assert "did you mean “customer_id”" in str(caught.value)
    with pytest.raises(TransactionsInvalid) as caught:
        read_csv(path, "customer_id", "when", "amt")
    assert caught.value.code == "clv_csv_missing_column"
    assert "customer_id, day, amt" in str(caught.value)


@pytest.mark.parametrize("text", ["", "id,day,amt\n", "id,day,amt\n\n\n"])
def test_read_csv_refuses_a_file_without_transactions(tmp_path: Path, text: str) -> None:
    with pytest.raises(TransactionsInvalid) as caught:
        read_csv(_write(tmp_path, text), "id", "day", "amt")
    assert caught.value.code == "clv_csv_empty"


def test_read_csv_refuses_a_missing_or_undecodable_file(tmp_path: Path) -> None:
    with pytest.raises(TransactionsInvalid) as caught:
        read_csv(tmp_path / "absent.csv", "id", "day", "amt")
    assert caught.value.code == "clv_csv_unreadable"
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"id,day,amt\n\xff\xfe\xfa,2024-01-01,5\n")
    with pytest.raises(TransactionsInvalid) as caught:
        read_csv(binary, "id", "day", "amt")
    assert caught.value.code == "clv_csv_unreadable"
