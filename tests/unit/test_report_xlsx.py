"""Spreadsheet text is neutralised: nothing a user typed can become a formula."""

from __future__ import annotations

import pytest

from formwork.value.report_figures import nice_step
from formwork.value.report_xlsx import neutralise


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+86 138", "'+86 138"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("VIP", "VIP"),
        ("贵宾", "贵宾"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_starts_get_an_apostrophe(text: str, expected: str) -> None:
    assert neutralise(text) == expected


@pytest.mark.parametrize(
    ("raw", "step"),
    [(0.7, 1.0), (1.0, 1.0), (1.2, 2.0), (2.2, 2.5), (3.0, 5.0), (7.0, 10.0), (420.0, 500.0),
     (0.013, 0.02), (1500.0, 2000.0)],
)  # fmt: skip
def test_histogram_steps_are_round(raw: float, step: float) -> None:
    assert nice_step(raw) == pytest.approx(step)
