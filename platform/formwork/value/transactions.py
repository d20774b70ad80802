# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""From dated transactions to the per-customer summary the CLV models fit on.

``summarise`` is set-based numpy (sorts and reductions, no loop over customers);
``read_csv`` reads a transactions file with the ``csv`` module. No pandas here: pandas
is only the tests' and benchmarks' reference.
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from form_engine.messages import register_messages
from formwork.value.clv import DAYS_PER_UNIT, TimeUnit
from formwork.value.clv_checks import ClvError, ClvRefused, Floats

register_messages(
    {
        "clv_csv_unreadable": {
            "en": "Cannot read {path}: {reason}.",
            "zh-CN": "无法读取 {path}：{reason}。",
        },
        "clv_out_unwritable": {
            "en": "Cannot write {path}: {reason}.",
            "zh-CN": "无法写入 {path}：{reason}。",
        },
        "clv_csv_empty": {
            "en": "{path} has no transactions (a header line, then one line per transaction).",
            "zh-CN": "{path} 中没有交易记录（应先有表头行，再每行一笔交易）。",
        },
        "clv_csv_missing_column": {
            "en": "{path} has no column “{column}” (columns: {columns}).",
            "zh-CN": "{path} 中没有“{column}”列（现有列：{columns}）。",
        },
        "clv_csv_missing_column_hint": {
            "en": "{path} has no column “{column}” — did you mean “{suggestion}”?",
            "zh-CN": "{path} 中没有“{column}”列，您是想用“{suggestion}”吗？",
        },
        "clv_csv_short_line": {
            "en": "Line {line} has {count} values; column “{column}” is number {position}.",
            "zh-CN": "第 {line} 行只有 {count} 个值，而“{column}”列是第 {position} 列。",
        },
        "clv_csv_empty_value": {
            "en": "Line {line}, column “{column}”: the value is empty.",
            "zh-CN": "第 {line} 行“{column}”列：值为空。",
        },
        "clv_csv_bad_date": {
            "en": "Line {line}, column “{column}”: “{value}” is not a date (use YYYY-MM-DD, "
            "YYYY/MM/DD or YYYYMMDD).",
            "zh-CN": "第 {line} 行“{column}”列：“{value}”不是日期"
            "（请使用 YYYY-MM-DD、YYYY/MM/DD 或 YYYYMMDD）。",
        },
        "clv_csv_bad_amount": {
            "en": "Line {line}, column “{column}”: “{value}” is not an amount (use a number "
            "such as 1234.50).",
            "zh-CN": "第 {line} 行“{column}”列：“{value}”不是金额（请填写数字，如 1234.50）。",
        },
        "clv_csv_negative_amount": {
            "en": "Line {line}, column “{column}”: the amount {value} is negative; leave "
            "returns out or net them into their purchases.",
            "zh-CN": "第 {line} 行“{column}”列：金额 {value} 为负数，"
            "请剔除退货或将其与对应购买合并计算。",
        },
        "clv_no_transactions": {
            "en": "There are no transactions on or before {end}.",
            "zh-CN": "{end}（含）之前没有任何交易。",
        },
        "clv_transaction_invalid": {
            "en": "Transaction #{index} (customer “{customer}”): “{field}” is {problem}.",
            "zh-CN": "第 {index} 笔交易（客户“{customer}”）：“{field}”{problem_zh}。",
        },
    }
)

_PROBLEMS_ZH = {"missing": "缺失", "not finite": "不是有限数值", "negative": "为负数"}
_DATE = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T].*)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_AMOUNT = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_GROUPED_AMOUNT = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_CURRENCY = "$¥€£￥"


class TransactionsInvalid(ClvError):
    """A transactions file or array cannot be read; ``line`` and ``column`` say where."""


@dataclass(frozen=True)
class Transactions:
    """Transactions as parallel arrays: customer id, day, amount."""

    customers: npt.NDArray[np.str_]
    dates: npt.NDArray[np.datetime64]
    amounts: Floats


@dataclass(frozen=True)
class Summary:
    """One row per customer who bought on or before ``observation_end``.

    ``frequency`` counts repeat purchase days, ``recency`` and ``T`` are in
    ``time_unit`` from the first purchase day, ``monetary`` is the mean total of the
    repeat purchase days (0 without a repeat).
    """

    customers: npt.NDArray[np.str_]
    frequency: Floats
    recency: Floats
    T: Floats
    monetary: Floats
    observation_end: date
    time_unit: TimeUnit


def _invalid(index: int, customer: str, field: str, problem: str) -> ClvRefused:
    return ClvRefused(
        "clv_transaction_invalid",
        field=field,
        index=index + 1,
        customer=customer,
        problem=problem,
        problem_zh=_PROBLEMS_ZH[problem],
    )


def summarise(
    customers: npt.ArrayLike,
    dates: npt.ArrayLike,
    amounts: npt.ArrayLike,
    *,
    observation_end: date,
    time_unit: TimeUnit,
) -> Summary:
    """Per-customer frequency, recency, T and monetary from daily transactions.

    Purchases of one customer on one day count once, their amounts summed; transactions
    after ``observation_end`` are ignored.

    Args:
        customers: Customer id per transaction (numbers are turned into text).
        dates: Day per transaction (``date``, ``datetime`` or ``datetime64``; times of
            day are dropped).
        amounts: Amount per transaction (≥ 0).
        observation_end: The last day observed.
        time_unit: ``"days"`` or ``"weeks"`` (days / 7) for recency and T.

    Raises:
        ClvRefused: arrays of different lengths, a missing date, a non-finite or
            negative amount, an unknown time unit, or no transaction up to the end.
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ClvRefused("clv_bad_option", field="time_unit", expected="unit", value=time_unit)
    ids = np.asarray(customers).astype(np.str_).reshape(-1)
    days = np.asarray(dates, dtype="datetime64[D]").reshape(-1)
    money = np.asarray(amounts, dtype=np.float64).reshape(-1)
    for name, array in (("dates", days), ("amounts", money)):
        if array.size != ids.size:
            raise ClvRefused(
                "clv_shape", field=name, count=array.size, other="customers", other_count=ids.size
            )
    for field, bad, problem in (
        ("date", np.isnat(days), "missing"),
        ("amount", ~np.isfinite(money), "not finite"),
        ("amount", money < 0, "negative"),
    ):
        if bad.any():
            at = int(np.argmax(bad))
            raise _invalid(at, str(ids[at]), field, problem)
    end = np.datetime64(observation_end, "D")
    keep = days <= end
    ids, days, money = ids[keep], days[keep], money[keep]
    if ids.size == 0:
        raise ClvRefused("clv_no_transactions", end=str(end))

    names, who = np.unique(ids, return_inverse=True)
    day = (days - end).astype(np.int64)  # ≤ 0: days before the end
    order = np.lexsort((day, who))
    who, day, money = who[order], day[order], money[order]
    # One entry per (customer, day), amounts summed.
    fresh = np.ones(who.size, dtype=bool)
    fresh[1:] = (who[1:] != who[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(fresh)
    day_who, day_day = who[starts], day[starts]
    day_amount = np.add.reduceat(money, starts)
    first_at = np.flatnonzero(np.r_[True, day_who[1:] != day_who[:-1]])
    last_at = np.r_[first_at[1:] - 1, day_who.size - 1]
    frequency = np.bincount(day_who, minlength=names.size).astype(np.float64) - 1
    repeat_amount = day_amount.copy()
    repeat_amount[first_at] = 0.0
    repeat_spend = np.bincount(day_who, weights=repeat_amount, minlength=names.size)
    unit = DAYS_PER_UNIT[time_unit]
    first, last = day_day[first_at].astype(np.float64), day_day[last_at].astype(np.float64)
    return Summary(
        customers=names,
        frequency=frequency,
        recency=(last - first) / unit,
        T=-first / unit,
        monetary=np.where(frequency > 0, repeat_spend / np.maximum(frequency, 1), 0.0),
        observation_end=observation_end,
        time_unit=time_unit,
    )


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYY.MM.DD`` (a time after it is ignored) or
    ``YYYYMMDD``; ``None`` when it is none of these or not a real day."""
    text = text.strip()
    match = _DATE.fullmatch(text)
    if match is not None:
        year, month, day = match.group(1), match.group(3), match.group(4)
    elif (compact := _COMPACT_DATE.fullmatch(text)) is not None:
        year, month, day = compact.groups()
    else:
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def parse_amount(text: str) -> float | None:
    """A number such as ``1234.5``, ``1,234.50`` or ``¥1234``; ``None`` otherwise."""
    text = text.strip().lstrip(_CURRENCY).strip()
    if _GROUPED_AMOUNT.fullmatch(text):
        text = text.replace(",", "")
    elif not _AMOUNT.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _column(path: Path, header: list[str], wanted: str) -> int:
    names = [name.strip() for name in header]
    for candidates in (names, [name.lower() for name in names]):
        probe = wanted.strip() if candidates is names else wanted.strip().lower()
        if probe in candidates:
            return candidates.index(probe)
    close = difflib.get_close_matches(wanted, names, n=1)
    if close:
        raise TransactionsInvalid(
            "clv_csv_missing_column_hint", path=str(path), column=wanted, suggestion=close[0]
        )
    raise TransactionsInvalid(
        "clv_csv_missing_column", path=str(path), column=wanted, columns=", ".join(names)
    )


def _reader(path: Path, handle: TextIO) -> tuple[list[str], Any]:
    """The header and a csv reader over the rest, with the delimiter detected."""
    sample = handle.read(65536)
    handle.seek(0)
    try:
        dialect: type[csv.Dialect] = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(handle, dialect)
    header = next(reader, None)
    if header is None:
        raise TransactionsInvalid("clv_csv_empty", path=str(path))
    return header, reader


def read_csv(path: str | Path, customer_col: str, date_col: str, amount_col: str) -> Transactions:
    """Read transactions from a CSV file with a header line.

    The delimiter (comma, semicolon, tab or |) is detected; column names match exactly,
    then ignoring case; UTF-8 with or without a byte-order mark.

    Raises:
        TransactionsInvalid: the file cannot be read, has no rows, lacks a column, or a
            line has an empty customer, a bad date or a bad or negative amount (the
            line and column are named).
    """
    where = Path(path)
    try:
        with where.open(encoding="utf-8-sig", newline="") as handle:
            header, rows = _reader(where, handle)
            columns = [
                _column(where, header, name) for name in (customer_col, date_col, amount_col)
            ]
            need = max(columns) + 1
            ids: list[str] = []
            days: list[date] = []
            money: list[float] = []
            seen_dates: dict[str, date | None] = {}
            for row in rows:
                line = rows.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < need:
                    short = next(c for c in columns if c >= len(row))
                    raise TransactionsInvalid(
                        "clv_csv_short_line",
                        line=line,
                        count=len(row),
                        column=header[short].strip(),
                        position=short + 1,
                    )
                customer, day_text, amount_text = (row[c].strip() for c in columns)
                for text, name in (
                    (customer, customer_col),
                    (day_text, date_col),
                    (amount_text, amount_col),
                ):
                    if not text:
                        raise TransactionsInvalid("clv_csv_empty_value", line=line, column=name)
                day = seen_dates.get(day_text) or seen_dates.setdefault(
                    day_text, parse_date(day_text)
                )
                if day is None:
                    raise TransactionsInvalid(
                        "clv_csv_bad_date", line=line, column=date_col, value=day_text
                    )
                amount = parse_amount(amount_text)
                if amount is None:
                    raise TransactionsInvalid(
                        "clv_csv_bad_amount", line=line, column=amount_col, value=amount_text
                    )
                if amount < 0:
                    raise TransactionsInvalid(
                        "clv_csv_negative_amount", line=line, column=amount_col, value=amount_text
                    )
                ids.append(customer)
                days.append(day)
                money.append(amount)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TransactionsInvalid("clv_csv_unreadable", path=str(where), reason=str(exc)) from exc
    if not ids:
        raise TransactionsInvalid("clv_csv_empty", path=str(where))
    return Transactions(
        customers=np.asarray(ids, dtype=np.str_),
        dates=np.asarray(days, dtype="datetime64[D]"),
        amounts=np.asarray(money, dtype=np.float64),
    )
