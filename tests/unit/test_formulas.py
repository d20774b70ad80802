# ruff: noqa: RUF001 - Chinese punctuation in expected messages
"""Spreadsheet formulas: syntax, functions, spreadsheet semantics, limits, messages, order."""

from __future__ import annotations

import math
import re
import string
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from form_engine.formulas import (
    FUNCTIONS,
    Formula,
    FormulaCycleError,
    FormulaError,
    FormulaSyntaxError,
    FormulaValueError,
    compute_formulas,
    formula_order,
    parse_formula,
)
from form_engine.messages import registered_codes, render

TODAY = date(2024, 3, 1)
FIELDS = {
    "a": "number",
    "b": "number",
    "total": "number",
    "total_spent": "number",
    "t": "text",
    "long": "text",
    "d": "date",
    "e": "date",
    "dt": "datetime",
    "ok": "boolean",
    "tags": "json",
    "addr": "json",
    "big": "json",
    "lines.amount": "number",
    "lines.day": "date",
    "x": "number",
}
RECORD: dict[str, Any] = {
    "a": 3,
    "b": None,
    "total": 1500,
    "t": "Hi",
    "long": "x" * 6000,
    "d": "2024-01-31",
    "e": None,
    "dt": "2024-01-31T12:00:00Z",
    "ok": True,
    "tags": ["x", "y"],
    "addr": {"province": "浙江"},
    "big": list(range(200_000)),
    "lines": [{"amount": 2, "day": "2024-02-01"}, {"amount": 5.5, "day": "2023-01-01"}, {}],
}


def run(text: str, record: dict[str, Any] | None = None) -> Any:
    return parse_formula(text, fields=FIELDS).evaluate(
        RECORD if record is None else record, today=TODAY
    )


def value_error(text: str, record: dict[str, Any] | None = None) -> FormulaValueError:
    with pytest.raises(FormulaValueError) as caught:
        run(text, record)
    return caught.value


def parse_error(text: str) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text, fields=FIELDS)
    return caught.value


OPERATORS = [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("7 - 2 - 1", 4),
    ("2 * 3 / 4", 1.5),
    ("10 / 4", 2.5),
    ("2 * 3 ^ 2", 18),
    ("2 ^ 3 * 2", 16),
    ("2 ^ 3 ^ 2", 64),
    ("-2 ^ 2", 4),
    ("2 ^ -1", 0.5),
    ("--1", 1),
    ("+1", 1),
    ("50%", 0.5),
    ("200 * 10%", 20),
    ("1e3 + .5", 1000.5),
    ('"a" & "b" & 1', "ab1"),
    ("1 + 2 & 3", "33"),
    ("1 & 2 + 3", "15"),
    ("1 = 1", True),
    ("1 <> 1", False),
    ("1 < 2", True),
    ("2 <= 2", True),
    ("3 > 2", True),
    ("2 >= 3", False),
    ('"abc" < "abd"', True),
    ('"a" = "A"', True),
    ("1 + 1 = 2", True),
    ('"x" & 1 = "x1"', True),
    ("TRUE = 1", True),
    ("TRUE + TRUE", 2),
    ("true", True),
    ("False", False),
    ("0.1 + 0.2 = 0.3", True),
    ('1 = "1"', False),
    ("tags = tags", True),
    ('"say \\"hi\\""', 'say "hi"'),
    ('"a""b"', 'a"b'),
    ("=1+1", 2),
    ("1\n+\t2", 3),
    ("1\u3000+\u30002", 3),
    ("{a} * a", 9),
    ("total_spent + 1", 1),
]


@pytest.mark.parametrize(("text", "expected"), OPERATORS)
def test_operators_follow_spreadsheet_precedence(text: str, expected: object) -> None:
    assert run(text) == expected


FUNCTION_CASES = [
    ('IF(total > 1000, "A", "B")', "A"),
    ('IF(a > 5, "A", "B")', "B"),
    ("IF(FALSE, 1)", False),
    ("IF(TRUE, 1, 1/0)", 1),
    ("AND(TRUE, a > 1)", True),
    ("AND(TRUE, FALSE, 1/0)", False),
    ("OR(FALSE, a = 3)", True),
    ("OR(FALSE, b)", False),
    ("NOT(ok)", False),
    ("NOT(0)", True),
    ("IFERROR(1/0, -1)", -1),
    ("IFERROR(a, -1)", 3),
    ("ROUND(2.5, 0)", 3),
    ("ROUND(-2.5, 0)", -3),
    ("ROUND(2.675, 2)", 2.68),
    ("ROUND(1.005, 2)", 1.01),
    ("ROUND(1234.5678, -2)", 1200),
    ("ROUND(0.5)", 1),
    ("ROUND(-0.4)", 0),
    ("ROUND(1.25, 1.9)", 1.3),
    ("ABS(-3)", 3),
    ("SUM(1, 2, a)", 6),
    ("SUM({lines.amount}, a)", 10.5),
    ("SUM(tags, 1)", 1),
    ("AVERAGE(2, 4, b)", 3),
    ("AVERAGE({lines.amount})", 3.75),
    ("MIN(4, b, 2)", 2),
    ("MAX({lines.amount}, 1)", 5.5),
    ("MAX({lines.day})", date(2024, 2, 1)),
    ("MIN(b)", None),
    ('COUNTA(tags, b, t, "")', 3),
    ('CONCAT(t, " ", a, ok)', "Hi 3TRUE"),
    ('CONCAT("Tags: ", tags)', "Tags: x, y"),
    ("LEN(t)", 2),
    ("LEN(1.5)", 3),
    ("TODAY()", TODAY),
    ("DATE(2024, 13, 1)", date(2025, 1, 1)),
    ("DATE(2024, 3, 0)", date(2024, 2, 29)),
    ("YEAR(d)", 2024),
    ("MONTH(d)", 1),
    ("DAY(dt)", 31),
    ('DATEDIF(d, TODAY(), "D")', 30),
    ('DATEDIF(d, "2024-02-29", "M")', 0),
    ('DATEDIF("2023-01-31", "2024-02-29", "y")', 1),
    ('DATEDIF("2020-02-15", TODAY(), "M")', 48),
    ("DAYS(TODAY(), d)", 30),
    ("DAYS(d, TODAY())", -30),
    ("sum(1, 2)", 3),
    ("Round(2.5)", 3),
]


@pytest.mark.parametrize(("text", "expected"), FUNCTION_CASES)
def test_functions(text: str, expected: object) -> None:
    assert run(text) == expected


def test_every_function_has_a_case() -> None:
    used = {m.upper() for text, _ in FUNCTION_CASES for m in re.findall(r"([A-Za-z]+)\(", text)}
    assert set(FUNCTIONS) <= used, set(FUNCTIONS) - used


EMPTY_VALUES = [
    ("b + 1", 1),
    ("b * 2", 0),
    ("-b", 0),
    ('b & "x"', "x"),
    ("LEN(b)", 0),
    ("SUM(b)", 0),
    ("AVERAGE(b, 4)", 4),
    ("MAX(b)", None),
    ("IF(b, 1, 2)", 2),
    ("b = 0", True),
    ('b = ""', True),
    ("e - TODAY()", None),
    ("TODAY() + b", None),
    ('DATEDIF(e, TODAY(), "D")', None),
    ("DAYS(TODAY(), e)", None),
    ("YEAR(e)", None),
    ("e = TODAY()", False),
    ("e <> TODAY()", True),
    ("e < TODAY()", False),
    ("e >= TODAY()", False),
    ("nope + 1", 1),
]


@pytest.mark.parametrize(("text", "expected"), EMPTY_VALUES)
def test_empty_values_count_as_zero_or_stay_empty(text: str, expected: object) -> None:
    fields = {**FIELDS, "nope": "number"}
    assert parse_formula(text, fields=fields).evaluate(RECORD, today=TODAY) == expected


DATES = [
    ("d + 1", date(2024, 2, 1)),
    ("1 + d", date(2024, 2, 1)),
    ("d - 1", date(2024, 1, 30)),
    ("d + 1.9", date(2024, 2, 1)),
    ("TODAY() - d", 30),
    ("dt - d", 0.5),
    ("dt + 0.5", datetime(2024, 2, 1, tzinfo=UTC)),
    ('d > "2024-01-01"', True),
    ("d = DATE(2024, 1, 31)", True),
    ('d = "soon"', False),
    ('d <> "soon"', True),
    ("dt > d", True),
    ("MIN(d, TODAY())", date(2024, 1, 31)),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_date_arithmetic(text: str, expected: object) -> None:
    assert run(text) == expected


VALUE_ERRORS = [
    ("1/0", "formula_div_zero", "#DIV/0!", 2),
    ("a / (b - b)", "formula_div_zero", "#DIV/0!", 3),
    ("0^-1", "formula_div_zero", "#DIV/0!", 2),
    ("AVERAGE(b)", "formula_div_zero", "#DIV/0!", 1),
    ('1 + "x"', "formula_not_number", "#VALUE!", 5),
    ('"x" * 2', "formula_not_number", "#VALUE!", 1),
    ('-"x"', "formula_not_number", "#VALUE!", 2),
    ("d * 2", "formula_not_number", "#VALUE!", 1),
    ("d + d", "formula_not_number", "#VALUE!", 5),
    ("5 - d", "formula_not_number", "#VALUE!", 5),
    ("SUM(d)", "formula_not_number", "#VALUE!", 5),
    ("tags + 1", "formula_not_number", "#VALUE!", 1),
    ('NOT("maybe")', "formula_not_boolean", "#VALUE!", 5),
    ('IF("x", 1, 2)', "formula_not_boolean", "#VALUE!", 4),
    ('1 < "a"', "formula_bad_comparison", "#VALUE!", 3),
    ("d < 5", "formula_bad_comparison", "#VALUE!", 3),
    ("MIN(1, d)", "formula_bad_comparison", "#VALUE!", 1),
    ('addr & ""', "formula_not_text", "#VALUE!", 1),
    ("2^1025", "formula_power_out_of_range", "#NUM!", 2),
    ("10^400", "formula_number_too_large", "#NUM!", 3),
    ("(-8)^0.5", "formula_number_too_large", "#NUM!", 5),
    ("1e300 * 1e300", "formula_number_too_large", "#NUM!", 7),
    ('DATEDIF(TODAY(), d, "D")', "formula_date_order", "#NUM!", 1),
    ('DATEDIF(d, TODAY(), "W")', "formula_bad_datedif_unit", "#NUM!", 21),
    ("DATE(10000, 1, 1)", "formula_date_out_of_range", "#NUM!", 1),
    ("d + 4000000", "formula_date_out_of_range", "#NUM!", 3),
    ("long & long", "formula_text_too_long", "#VALUE!", 6),
    ("CONCAT(long, long)", "formula_text_too_long", "#VALUE!", 1),
    ("SUM(big)", "formula_too_much_work", "#NUM!", None),
    ("IFERROR(SUM(big), 0)", "formula_too_much_work", "#NUM!", None),
]


@pytest.mark.parametrize(("text", "code", "shown", "column"), VALUE_ERRORS)
def test_value_errors_are_spreadsheet_errors(
    text: str, code: str, shown: str, column: int | None
) -> None:
    error = value_error(text)
    assert (error.code, error.error_value, error.column) == (code, shown, column)
    assert error.message.startswith(shown) and error.localized("zh-CN").startswith(shown)


def test_every_use_of_a_list_counts_towards_the_step_budget() -> None:
    record = {"tags": ["x"] * 60_000}
    assert run("COUNTA(tags)", record) == 60_000
    assert value_error("COUNTA(tags) + COUNTA(tags)", record).code == "formula_too_much_work"
    assert value_error('tags & ""', record).code == "formula_text_too_long"


def test_stored_values_are_read_leniently() -> None:
    record = {"d": "2024-01-31T23:00:00Z", "a": Decimal("2.5"), "dt": "2024-01-31"}
    assert run("d", record) == date(2024, 1, 31)
    assert run("a * 2", record) == 5
    assert run("dt", record) == datetime(2024, 1, 31, tzinfo=UTC)


def test_a_stored_value_that_is_not_a_date_is_a_value_error_at_its_reference() -> None:
    error = value_error("1 + d", {"d": "2024-13-01"})
    assert (error.code, error.column) == ("formula_not_date", 5)
    assert "2024-13-01" in error.localized("zh-CN")


SYNTAX_ERRORS = [
    ("", "formula_empty", None),
    ("   ", "formula_empty", None),
    ("1 +", "formula_unexpected_end", 4),
    ("(1 + 2", "formula_missing_paren", 7),
    ("SUM(1, 2", "formula_missing_paren", 9),
    ("1 + 2)", "formula_unexpected_token", 6),
    ("1 2", "formula_unexpected_token", 3),
    ("SUM(1,,2)", "formula_unexpected_token", 7),
    ("* 2", "formula_unexpected_token", 1),
    ('"abc', "formula_unclosed_text", 1),
    ("1 + {total", "formula_unclosed_reference", 5),
    ("{ }", "formula_empty_reference", 1),
    ("{总额}", "formula_bad_reference", 1),
    ("1.2.3", "formula_bad_number", 1),
    ("12abc", "formula_bad_number", 1),
    ("0x10", "formula_bad_number", 1),
    ("1 + 1e999", "formula_bad_number", 5),
    ("1 == 1", "formula_wrong_operator", 3),
    ("1 != 2", "formula_wrong_operator", 3),
    ("a < b < 3", "formula_chained_comparison", 7),
    ("a = b <> TRUE", "formula_chained_comparison", 7),
    ("“VIP”", "formula_curly_quote", 1),
    ('IF(a > 1, ‘A’, "B")', "formula_curly_quote", 11),
    ("SUM（1）", "formula_fullwidth", 4),
    ("1 ＋ 2", "formula_fullwidth", 3),
    ("1 ; 2", "formula_unexpected_character", 3),
    ("客户 + 1", "formula_unexpected_character", 1),
]


@pytest.mark.parametrize(("text", "code", "column"), SYNTAX_ERRORS)
def test_syntax_errors_name_their_column(text: str, code: str, column: int | None) -> None:
    error = parse_error(text)
    assert isinstance(error, FormulaSyntaxError)
    assert (error.code, error.column) == (code, column)
    if column is not None:
        assert f"column {column}" in error.message
        assert f"第 {column} 列" in error.localized("zh-CN")


def test_curly_quotes_get_a_straight_quote_suggestion_in_both_languages() -> None:
    error = parse_error("“VIP”")
    assert error.suggestion == '"'
    assert error.message == ('Curly quote “ at column 1 — write text between straight quotes: "…".')
    assert (
        error.localized("zh-CN") == '第 1 列：不能使用中文引号 “，文本请用英文直引号括起来："…"。'
    )


SANDBOX_ESCAPES = [
    '__import__("os")',
    "a.b",
    "x[0]",
    "lambda x: x",
    "lambda: 0",
    "import os",
    'os.system("ls")',
    '"".join(tags)',
    "().__class__",
    "a if b else x",
    "[1, 2]",
    "{a: 1}",
    "x = 1; x",
    'f"{a}"',
    "b'x'",
    "a @ b",
    "1_000",
    "# comment",
    "`a`",
    "a\nimport os",
    "SUM(1) SUM(2)",
    "a.__class__.__bases__",
]


@pytest.mark.parametrize("text", SANDBOX_ESCAPES)
def test_python_looking_inputs_are_syntax_errors(text: str) -> None:
    assert isinstance(parse_error(text), FormulaSyntaxError)


@pytest.mark.parametrize("text", ['eval("1")', 'exec("1")', 'open("x")', "getattr(a, 1)"])
def test_python_builtins_are_unknown_functions(text: str) -> None:
    assert parse_error(text).code.startswith("formula_unknown_function")


def test_unknown_field_message_in_both_languages() -> None:
    error = parse_formula_error("1 + totl", {"total": "number"})
    assert (error.code, error.column, error.suggestion) == (
        "formula_unknown_field_hint",
        5,
        "total",
    )
    assert error.message == "Unknown field “totl” at column 5 — did you mean “total”?"
    assert error.localized("zh-CN") == "第 5 列：未知字段“totl”，您是不是要找“total”？"


def parse_formula_error(text: str, fields: dict[str, str]) -> FormulaError:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text, fields=fields)
    return caught.value


@pytest.mark.parametrize(
    ("text", "code", "suggestion"),
    [
        ("totl + 1", "formula_unknown_field_hint", "total"),
        ("Total", "formula_unknown_field_hint", "total"),
        ("{total_spend}", "formula_unknown_field_hint", "total_spent"),
        ("zzz", "formula_unknown_field", None),
        ("SUMM(1)", "formula_unknown_function_hint", "SUM"),
        ("averge(1)", "formula_unknown_function_hint", "AVERAGE"),
        ('DATEDIFF(d, d, "D")', "formula_unknown_function_hint", "DATEDIF"),
        ("VLOOKUP(1)", "formula_unknown_function", None),
    ],
)
def test_unknown_names_suggest_the_closest(text: str, code: str, suggestion: str | None) -> None:
    error = parse_error(text)
    assert (error.code, error.suggestion) == (code, suggestion)
    assert error.column == 1


@pytest.mark.parametrize(
    ("text", "en", "zh"),
    [
        (
            "NOT(1, 2)",
            "NOT at column 1 takes 1 argument(s), not 2.",
            "第 1 列：函数 NOT 需要 1 个参数，实际为 2 个。",
        ),
        (
            "1 + IF(a)",
            "IF at column 5 takes 2 to 3 arguments, not 1.",
            "第 5 列：函数 IF 需要 2 到 3 个参数，实际为 1 个。",
        ),
        (
            "SUM()",
            "SUM at column 1 takes at least 1 argument(s), not 0.",
            "第 1 列：函数 SUM 至少需要 1 个参数，实际为 0 个。",
        ),
    ],
)
def test_wrong_arity_is_refused(text: str, en: str, zh: str) -> None:
    error = parse_error(text)
    assert (error.message, error.localized("zh_CN")) == (en, zh)


def test_syntax_errors_are_reported_before_unknown_names() -> None:
    assert parse_error("nope + (").code == "formula_unexpected_end"


def test_the_first_of_several_problems_is_reported() -> None:
    error = parse_error("SUM(totl, 1) + SUMM(2) + NOT(1, 2)")
    assert (error.code, error.column) == ("formula_unknown_field_hint", 5)


def test_negative_zero_is_plain_zero() -> None:
    assert math.copysign(1, run("ROUND(-0.4)")) == 1
    assert math.copysign(1, run("-0")) == 1


def test_errors_carry_the_document_path() -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula("1 +", fields={}, path=("properties", "score", "x-formula"))
    assert caught.value.pointer == "/properties/score/x-formula"


def test_every_formula_message_exists_in_both_languages_with_its_column() -> None:
    names = ["max", "length", "char", "use", "found", "text", "token", "name", "suggestion"]
    names += ["function", "count", "given", "min", "cycle", "value", "unit", "field"]
    params = dict.fromkeys(names, "Q") | {"column": 7}
    codes = sorted(code for code in registered_codes() if code.startswith("formula_"))
    assert len(codes) >= 40
    for code in codes:
        en, zh = render(code, "en", **params), render(code, "zh-CN", **params)
        assert re.search("[\u4e00-\u9fff]", zh) and en != zh, code
        assert ("column 7" in en) == ("第 7 列" in zh), code


LIMITS = [
    ("1+" * 1000 + "1", "formula_too_long"),
    ("(" * 60 + "1" + ")" * 60, "formula_too_deep"),
    ("-" * 60 + "1", "formula_too_deep"),
    ("1" + "%" * 60, "formula_too_deep"),
    ("IF(a," * 60 + "1" + ",0)" * 60, "formula_too_deep"),
    ("+".join(["1"] * 500), "formula_too_complex"),
]


@pytest.mark.parametrize(("text", "code"), LIMITS)
def test_limits_refuse_formulas_too_large_to_run(text: str, code: str) -> None:
    assert parse_error(text).code == code


def test_a_formula_at_the_limits_is_fine() -> None:
    assert run("+".join(["1"] * 499)) == 499  # 500 nodes; a long sum is flat, not deep
    assert run("1" + " " * 1999) == 1  # exactly 2000 characters
    assert run("(" * 20 + "1" + ")" * 20) == 1


def test_references_are_top_level_keys() -> None:
    formula = parse_formula("{lines.amount} + a + SUM(b, a)", fields=FIELDS)
    assert formula.references == frozenset({"lines", "a", "b"})


RESULTS = [
    ("1 + 1", "number", 2),
    ("1 / 4", "number", 0.25),
    ("TRUE", "number", 1),
    ("b", "number", None),
    ("1", "boolean", True),
    ('"false"', "boolean", False),
    ("DATE(2024, 1, 2)", "date", "2024-01-02"),
    ("dt", "date", "2024-01-31"),
    ('"2024-05-06"', "date", "2024-05-06"),
    ("DATE(2024, 1, 2)", "datetime", "2024-01-02T00:00:00Z"),
    ("dt", "datetime", "2024-01-31T12:00:00Z"),
    ("1.5", "text", "1.5"),
    ("tags", "text", "x, y"),
    ("d", "text", "2024-01-31"),
    ("tags", "json", ["x", "y"]),
    ("d + 1", "json", "2024-02-01"),
    ("ROUND(2.5)", "json", 3),
]


@pytest.mark.parametrize(("text", "kind", "expected"), RESULTS)
def test_results_convert_to_their_declared_kind(text: str, kind: str, expected: object) -> None:
    assert parse_formula(text, fields=FIELDS).evaluate_as(RECORD, kind, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "kind", "code"),
    [
        ('"x"', "number", "formula_result_not_number"),
        ('"x"', "boolean", "formula_result_not_boolean"),
        ('"soon"', "date", "formula_result_not_date"),
        ("1", "datetime", "formula_result_not_datetime"),
        ("addr", "text", "formula_result_not_text"),
    ],
)
def test_results_of_the_wrong_kind_are_value_errors(text: str, kind: str, code: str) -> None:
    with pytest.raises(FormulaValueError) as caught:
        parse_formula(text, fields=FIELDS).evaluate_as(RECORD, kind, TODAY)
    assert caught.value.code == code


def test_unknown_kinds_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="kinds"):
        parse_formula("1", fields={"a": "money"})
    with pytest.raises(ValueError, match="kind"):
        parse_formula("1", fields={}).evaluate_as({}, "money", TODAY)


def formulas(**texts: str) -> dict[str, Formula]:
    fields = {**FIELDS, **dict.fromkeys(["net", "tax", "grand", "due", "days_left"], "number")}
    fields["due"] = "date"
    return {key: parse_formula(text, fields=fields) for key, text in texts.items()}


def test_formulas_are_ordered_after_what_they_use() -> None:
    order = formula_order(formulas(grand="net + tax", tax="net * 0.1", net="total - a", x="1"))
    assert order == ["net", "tax", "grand", "x"]


@pytest.mark.parametrize(
    ("texts", "cycle"),
    [
        ({"total": "tax + 1", "tax": "total * 0.1"}, "total → tax → total"),
        ({"total": "total + 1"}, "total → total"),
        ({"a": "tax", "tax": "net", "net": "tax + 1"}, "tax → net → tax"),
    ],
)
def test_cycles_are_refused_with_the_circle_named(texts: dict[str, str], cycle: str) -> None:
    with pytest.raises(FormulaCycleError) as caught:
        formula_order(formulas(**texts))
    assert caught.value.message == f"Formulas refer to each other in a circle: {cycle}."
    assert caught.value.localized("zh-CN") == f"公式之间存在循环引用：{cycle}。"
    assert " → ".join(caught.value.cycle) == cycle


def test_compute_formulas_keeps_going_past_failures() -> None:
    parsed = formulas(
        tax="net * 0.1",
        net="total / b",
        grand="a * 2",
        due="d + 30",
        days_left="DAYS(due, TODAY())",
    )
    parsed["due"] = parse_formula("d + 30", fields=FIELDS, result_kind="date")
    values, errors = compute_formulas(parsed, RECORD, TODAY)
    assert values == {"net": None, "tax": None, "grand": 6, "due": "2024-03-01", "days_left": 0}
    assert [(key, error.code) for key, error in errors] == [
        ("net", "formula_div_zero"),
        ("tax", "formula_upstream_error"),
    ]
    assert errors[1][1].localized("zh-CN") == "#VALUE! 此公式引用的公式字段“net”无法计算。"


def test_package_has_no_dynamic_code_execution() -> None:
    source = Path(__file__).resolve().parents[2] / "form_engine" / "formulas"
    banned = re.compile(
        r"(?<![\w.])(eval|exec|compile|__import__|getattr|setattr)\s*\(|"
        r"^\s*(import|from)\s+(ast|builtins|importlib)\b",
        re.M,
    )
    for path in source.glob("*.py"):
        assert not banned.search(path.read_text(encoding="utf-8")), path.name


FORMULA_ALPHABET = string.ascii_letters[:8] + string.digits + ' ()+-*/^&=<>%,."{}_\\.“”（）'
WORDS = st.sampled_from(
    [
        "IF(",
        "SUM(",
        "ROUND(",
        "DATEDIF(",
        "TODAY()",
        "a",
        "d",
        "tags",
        "{lines.amount}",
        "t",
        "TRUE",
        '"x"',
        ",",
        ")",
        "(",
        "1",
        "0",
        "-",
        "^",
        "/",
        "&",
        "<=",
        "%",
        " ",
        "1e308",
        "big",
    ]
)


def _fuzz(text: str) -> None:
    try:
        formula = parse_formula(text, fields=FIELDS)
    except FormulaError as error:
        assert error.message and error.localized("zh-CN")
        return
    try:
        formula.evaluate_as(RECORD, "json", TODAY)
    except FormulaValueError as error:
        assert error.code != "formula_internal_error", text


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=string.printable, max_size=60)
    | st.text(max_size=30)
    | st.text(alphabet=FORMULA_ALPHABET, max_size=60)
    | st.lists(WORDS, max_size=25).map("".join)
)
def test_fuzzed_text_only_raises_formula_errors(text: str) -> None:
    _fuzz(text)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
Tree = float | tuple[Any, str, Any]
trees = st.recursive(
    finite, lambda kids: st.tuples(kids, st.sampled_from("+-*/"), kids), max_leaves=16
)


def _render(tree: Tree) -> str:
    if isinstance(tree, float):
        return f"({tree!r})" if tree < 0 else repr(tree)
    left, operator, right = tree
    return f"({_render(left)} {operator} {_render(right)})"


def _python(tree: Tree) -> float:
    if isinstance(tree, float):
        return tree
    left, operator, right = _python(tree[0]), tree[1], _python(tree[2])
    if operator == "/" and right == 0:
        raise ZeroDivisionError
    result = {"+": left + right, "-": left - right, "*": left * right}.get(operator)
    result = left / right if result is None else result
    if not math.isfinite(result):
        raise OverflowError
    return result


@settings(max_examples=300, deadline=None)
@given(trees)
def test_arithmetic_matches_python(tree: Tree) -> None:
    formula = parse_formula(_render(tree), fields={})
    try:
        expected = _python(tree)
    except ZeroDivisionError:
        assert value_code(formula) == "formula_div_zero"
        return
    except OverflowError:
        assert value_code(formula) == "formula_number_too_large"
        return
    result = formula.evaluate({}, today=TODAY)
    assert isinstance(result, float)
    assert math.isclose(result, expected, rel_tol=1e-12, abs_tol=1e-12)


def value_code(formula: Formula) -> str:
    with pytest.raises(FormulaValueError) as caught:
        formula.evaluate({}, today=TODAY)
    return caught.value.code
