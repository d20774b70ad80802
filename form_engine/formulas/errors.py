# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Formula errors and their bilingual messages.

Every error carries a registered message code, its parameters and, when the problem is at
one spot of the formula, that spot as a 0-based ``offset`` and a 1-based ``column``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from form_engine.errors import FormEngineError
from form_engine.messages import register_messages, render

# Codes of resource limits: IFERROR must not swallow them.
WORK_LIMIT = "formula_too_much_work"

_SYNTAX: dict[str, tuple[str, str]] = {
    "formula_empty": ("The formula is empty.", "公式为空。"),
    "formula_too_long": (
        "The formula is too long ({length} characters; at most {max}).",
        "公式过长（{length} 个字符，最多 {max} 个）。",
    ),
    "formula_unexpected_character": (
        "Unexpected character “{char}” at column {column}.",
        "第 {column} 列：无法识别的字符“{char}”。",
    ),
    "formula_curly_quote": (
        'Curly quote {char} at column {column} — write text between straight quotes: "…".',
        '第 {column} 列：不能使用中文引号 {char}，文本请用英文直引号括起来："…"。',
    ),
    "formula_fullwidth": (
        "Full-width “{char}” at column {column} — use “{use}” instead.",
        "第 {column} 列：全角字符“{char}”，请改用半角的“{use}”。",
    ),
    "formula_wrong_operator": (
        "“{found}” at column {column} is not a formula operator — use “{use}”.",
        "第 {column} 列：“{found}”不是公式运算符，请使用“{use}”。",
    ),
    "formula_unclosed_text": (
        "The text starting at column {column} has no closing quote.",
        "第 {column} 列开始的文本缺少结束引号。",
    ),
    "formula_unclosed_reference": (
        "The field reference starting at column {column} has no closing “}}”.",
        "第 {column} 列开始的字段引用缺少“}}”。",
    ),
    "formula_empty_reference": (
        "Empty field reference “{{}}” at column {column}.",
        "第 {column} 列：字段引用“{{}}”为空。",
    ),
    "formula_bad_reference": (
        "“{text}” at column {column} is not a field key (letters, digits and _).",
        "第 {column} 列：“{text}”不是有效的字段标识（只能包含字母、数字和下划线）。",
    ),
    "formula_bad_number": (
        "“{text}” at column {column} is not a valid number.",
        "第 {column} 列：“{text}”不是有效的数字。",
    ),
    "formula_unexpected_token": (
        "Unexpected “{token}” at column {column}.",
        "第 {column} 列：此处不应出现“{token}”。",
    ),
    "formula_unexpected_end": (
        "The formula ends too early at column {column}: a value is missing.",
        "第 {column} 列：公式不完整，缺少一个值。",
    ),
    "formula_missing_paren": (
        "A closing “)” is missing at column {column}.",
        "第 {column} 列：缺少右括号“)”。",
    ),
    "formula_chained_comparison": (
        "Comparisons cannot be chained (column {column}) — use AND(a < b, b < c).",
        "第 {column} 列：比较不能连写，请使用 AND(a < b, b < c)。",
    ),
}

_CHECKS: dict[str, tuple[str, str]] = {
    "formula_too_deep": (
        "The formula nests too deeply at column {column} (at most {max} levels).",
        "第 {column} 列：公式嵌套过深（最多 {max} 层）。",
    ),
    "formula_too_complex": (
        "The formula is too complex at column {column} (at most {max} parts).",
        "第 {column} 列：公式过于复杂（最多 {max} 个组成部分）。",
    ),
    "formula_unknown_field": (
        "Unknown field “{name}” at column {column}.",
        "第 {column} 列：未知字段“{name}”。",
    ),
    "formula_unknown_field_hint": (
        "Unknown field “{name}” at column {column} — did you mean “{suggestion}”?",
        "第 {column} 列：未知字段“{name}”，您是不是要找“{suggestion}”？",
    ),
    "formula_unknown_function": (
        "Unknown function “{name}” at column {column}.",
        "第 {column} 列：未知函数“{name}”。",
    ),
    "formula_unknown_function_hint": (
        "Unknown function “{name}” at column {column} — did you mean “{suggestion}”?",
        "第 {column} 列：未知函数“{name}”，您是不是要找“{suggestion}”？",
    ),
    "formula_arity_exact": (
        "{function} at column {column} takes {count} argument(s), not {given}.",
        "第 {column} 列：函数 {function} 需要 {count} 个参数，实际为 {given} 个。",
    ),
    "formula_arity_range": (
        "{function} at column {column} takes {min} to {max} arguments, not {given}.",
        "第 {column} 列：函数 {function} 需要 {min} 到 {max} 个参数，实际为 {given} 个。",
    ),
    "formula_arity_min": (
        "{function} at column {column} takes at least {min} argument(s), not {given}.",
        "第 {column} 列：函数 {function} 至少需要 {min} 个参数，实际为 {given} 个。",
    ),
    "formula_cycle": (
        "Formulas refer to each other in a circle: {cycle}.",
        "公式之间存在循环引用：{cycle}。",
    ),
}

_VALUES: dict[str, tuple[str, str]] = {
    "formula_div_zero": (
        "#DIV/0! Division by zero at column {column}.",
        "#DIV/0! 第 {column} 列：除数为零。",
    ),
    "formula_not_number": (
        "#VALUE! A number is needed at column {column}, but the value is “{value}”.",
        "#VALUE! 第 {column} 列：此处需要数字，但值为“{value}”。",
    ),
    "formula_not_text": (
        "#VALUE! The value at column {column} cannot be shown as text.",
        "#VALUE! 第 {column} 列：该值无法转换为文本。",
    ),
    "formula_not_boolean": (
        "#VALUE! TRUE or FALSE is needed at column {column}, but the value is “{value}”.",
        "#VALUE! 第 {column} 列：此处需要 TRUE 或 FALSE，但值为“{value}”。",
    ),
    "formula_not_date": (
        "#VALUE! A date is needed at column {column}, but the value is “{value}”.",
        "#VALUE! 第 {column} 列：此处需要日期，但值为“{value}”。",
    ),
    "formula_bad_comparison": (
        "#VALUE! The values compared at column {column} are of different kinds.",
        "#VALUE! 第 {column} 列：比较的两个值类型不同，无法比较大小。",
    ),
    "formula_number_too_large": (
        "#NUM! The number at column {column} is too large or not defined.",
        "#NUM! 第 {column} 列：数值过大或无意义。",
    ),
    "formula_power_out_of_range": (
        "#NUM! The exponent at column {column} must be between -{max} and {max}.",
        "#NUM! 第 {column} 列：指数必须在 -{max} 到 {max} 之间。",
    ),
    "formula_text_too_long": (
        "#VALUE! The text at column {column} would be longer than {max} characters.",
        "#VALUE! 第 {column} 列：文本结果将超过 {max} 个字符。",
    ),
    "formula_bad_datedif_unit": (
        '#NUM! DATEDIF at column {column} needs the unit "D", "M" or "Y", not “{unit}”.',
        '#NUM! 第 {column} 列：DATEDIF 的单位应为 "D"、"M" 或 "Y"，而不是“{unit}”。',
    ),
    "formula_date_order": (
        "#NUM! DATEDIF at column {column}: the start date is after the end date.",
        "#NUM! 第 {column} 列：DATEDIF 的开始日期晚于结束日期。",
    ),
    "formula_date_out_of_range": (
        "#NUM! The date at column {column} is outside the years 1 to 9999.",
        "#NUM! 第 {column} 列：日期超出 1 年至 9999 年的范围。",
    ),
    WORK_LIMIT: (
        "#NUM! The formula needs more than {max} steps to compute.",
        "#NUM! 公式计算超过 {max} 步，已停止。",
    ),
    "formula_result_not_number": (
        "#VALUE! The result “{value}” is not a number.",
        "#VALUE! 计算结果“{value}”不是数字。",
    ),
    "formula_result_not_text": (
        "#VALUE! The result cannot be stored as text.",
        "#VALUE! 计算结果无法保存为文本。",
    ),
    "formula_result_not_boolean": (
        "#VALUE! The result “{value}” is not TRUE or FALSE.",
        "#VALUE! 计算结果“{value}”不是 TRUE 或 FALSE。",
    ),
    "formula_result_not_date": (
        "#VALUE! The result “{value}” is not a date.",
        "#VALUE! 计算结果“{value}”不是日期。",
    ),
    "formula_result_not_datetime": (
        "#VALUE! The result “{value}” is not a date and time.",
        "#VALUE! 计算结果“{value}”不是日期时间。",
    ),
    "formula_upstream_error": (
        "#VALUE! This formula uses the formula field “{field}”, which could not be computed.",
        "#VALUE! 此公式引用的公式字段“{field}”无法计算。",
    ),
    "formula_internal_error": (
        "#VALUE! This formula could not be computed.",
        "#VALUE! 此公式无法计算。",
    ),
}

register_messages(
    {
        code: {"en": en, "zh-CN": zh}
        for table in (_SYNTAX, _CHECKS, _VALUES)
        for code, (en, zh) in table.items()
    }
)

SYNTAX_CODES = frozenset(_SYNTAX)
VALUE_CODES = frozenset(_VALUES)


class FormulaError(FormEngineError):
    """A formula cannot be used: bad syntax, unknown names, limits, or a reference cycle.

    Attributes:
        code: The registered message code.
        params: The message's parameters (``column`` included when there is one).
        offset: 0-based character offset of the problem in the formula, if at one spot.
        column: ``offset + 1``, as shown to users.
    """

    def __init__(
        self,
        code: str,
        *,
        offset: int | None = None,
        params: Mapping[str, Any] | None = None,
        path: tuple[str | int, ...] = (),
        suggestion: str | None = None,
    ) -> None:
        self.code = code
        self.offset = offset
        self.column = None if offset is None else offset + 1
        self.params: dict[str, Any] = dict(params or {})
        if self.column is not None:
            self.params.setdefault("column", self.column)
        super().__init__(render(code, "en", **self.params), path=path, suggestion=suggestion)

    def localized(self, locale: str | None = None) -> str:
        """The message in ``locale`` (``en`` or ``zh-CN``; others fall back to English)."""
        return render(self.code, locale, **self.params)


class FormulaSyntaxError(FormulaError):
    """The text is not a formula: a character, token or bracket is out of place."""


class FormulaValueError(FormulaError):
    """A formula could not compute a value for one record (``#DIV/0!``, ``#VALUE!``, …).

    Attributes:
        error_value: The spreadsheet-style error value, e.g. ``#DIV/0!``.
    """

    @property
    def error_value(self) -> str:
        return self.message.split(" ", 1)[0]


def preview(value: object, limit: int = 40) -> str:
    """A short text form of a value for messages."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
