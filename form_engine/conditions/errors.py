# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""``ConditionError`` and the condition messages, in English and Simplified Chinese."""

from __future__ import annotations

from typing import Any

from form_engine.errors import FormEngineError
from form_engine.messages import register_messages, render

register_messages(
    {
        "condition_not_condition": {
            "en": "Expected a condition at {where}: an object with one operator, or true/false.",
            "zh-CN": "{where} 处应为条件：只含一个运算符的对象，或 true/false。",
        },
        "condition_one_operator": {
            "en": "Use exactly one operator per object at {where} (found {count}).",
            "zh-CN": "{where} 处的对象只能含一个运算符（现有 {count} 个）。",
        },
        "condition_unknown_operator": {
            "en": "Unknown operator “{name}” at {where}.",
            "zh-CN": "{where} 处的运算符“{name}”无法识别。",
        },
        "condition_unknown_operator_hint": {
            "en": "Unknown operator “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的运算符“{name}”无法识别，您是想用“{suggestion}”吗？",
        },
        "condition_arity": {
            "en": "“{name}” at {where} takes {expected} argument(s), not {count}.",
            "zh-CN": "{where} 处的“{name}”需要 {expected} 个参数，而不是 {count} 个。",
        },
        "condition_needs_conditions": {
            "en": "“{name}” at {where} needs at least one condition.",
            "zh-CN": "{where} 处的“{name}”至少需要一个条件。",
        },
        "condition_unknown_field": {
            "en": "Unknown field “{name}” at {where}.",
            "zh-CN": "{where} 处的字段“{name}”不存在。",
        },
        "condition_unknown_field_hint": {
            "en": "Unknown field “{name}” at {where} — did you mean “{suggestion}”?",
            "zh-CN": "{where} 处的字段“{name}”不存在，您是想用“{suggestion}”吗？",
        },
        "condition_bad_field_key": {
            "en": "“{name}” at {where} is not a field key (lowercase letters, digits and _).",
            "zh-CN": "{where} 处的“{name}”不是有效的字段标识（仅限小写字母、数字和下划线）。",
        },
        "condition_expected_predicate": {
            "en": "Expected a true/false condition at {where}, not a value.",
            "zh-CN": "{where} 处应为条件（结果为是或否），而不是一个值。",
        },
        "condition_expected_value": {
            "en": "Expected a value at {where}: a field, text, a number, true/false or today.",
            "zh-CN": "{where} 处应为一个值：字段、文本、数字、true/false 或 today。",
        },
        "condition_expected_list": {
            "en": "Expected a list of values at {where}.",
            "zh-CN": "{where} 处应为值列表。",
        },
        "condition_expected_field": {
            "en": 'Expected a field at {where}, e.g. {{"var": "total_spent"}}.',
            "zh-CN": '{where} 处应为字段，例如 {{"var": "total_spent"}}。',
        },
        "condition_null_comparison": {
            "en": "Comparing with null at {where} is never true; use is_empty or not_empty.",
            "zh-CN": "{where} 处与 null 比较永远不成立，请改用 is_empty 或 not_empty。",
        },
        "condition_type_mismatch": {
            "en": "“{name}” at {where} cannot compare {left_kind} with {right_kind}.",
            "zh-CN": "{where} 处的“{name}”无法比较{left_kind}与{right_kind}。",
        },
        "condition_not_orderable": {
            "en": "“{name}” at {where} cannot order {left_kind} values; use == or !=.",
            "zh-CN": "{where} 处的“{name}”不能比较{left_kind}的大小，请使用 == 或 !=。",
        },
        "condition_wrong_field_kind": {
            "en": "“{name}” at {where} needs a {expected_kind} field; “{field}” is a {actual_kind} "
            "field.",
            "zh-CN": "{where} 处的“{name}”需要{expected_kind}字段，"
            "而“{field}”是{actual_kind}字段。",
        },
        "condition_bad_default": {
            "en": "The default at {where} does not fit the {actual_kind} field “{field}”.",
            "zh-CN": "{where} 处的默认值与{actual_kind}字段“{field}”的类型不符。",
        },
        "condition_bad_date": {
            "en": "“{value}” at {where} is not a date (YYYY-MM-DD) or date-time "
            "(YYYY-MM-DDTHH:MM:SSZ).",
            "zh-CN": "{where} 处的“{value}”不是日期（YYYY-MM-DD）"
            "或日期时间（YYYY-MM-DDTHH:MM:SSZ）。",
        },
        "condition_days_since": {
            "en": "“days_since” at {where} must be compared with a whole number of days "
            "between -{max} and {max}.",
            "zh-CN": "{where} 处的“days_since”只能与 -{max} 到 {max} 之间的整数天数比较。",
        },
        "condition_bad_literal": {
            "en": "Unsupported value at {where}: use text, a number, true/false or a list of them.",
            "zh-CN": "{where} 处的值不受支持：请使用文本、数字、true/false 或由它们组成的列表。",
        },
        "condition_too_deep": {
            "en": "The condition is nested more than {max} levels deep (at {where}).",
            "zh-CN": "条件嵌套超过 {max} 层（位置：{where}）。",
        },
        "condition_too_large": {
            "en": "The condition has more than {max} parts.",
            "zh-CN": "条件的组成部分超过 {max} 个。",
        },
        "condition_string_too_long": {
            "en": "Text at {where} is longer than {max} characters.",
            "zh-CN": "{where} 处的文本超过 {max} 个字符。",
        },
        "condition_event_only": {
            "en": "“{name}” at {where} compares a record before and after a change: it works in "
            "automation conditions only, not in filters, lists or tier rules.",
            "zh-CN": "{where} 处的“{name}”比较数据修改前后的值，只能用于自动化的执行条件，"
            "不能用于筛选、列表或分层规则。",
        },
        "condition_kind_text": {"en": "text", "zh-CN": "文本"},
        "condition_kind_number": {"en": "number", "zh-CN": "数字"},
        "condition_kind_integer": {"en": "whole-number", "zh-CN": "整数"},
        "condition_kind_boolean": {"en": "yes/no", "zh-CN": "是/否"},
        "condition_kind_date": {"en": "date", "zh-CN": "日期"},
        "condition_kind_datetime": {"en": "date-time", "zh-CN": "日期时间"},
        "condition_kind_json": {"en": "list", "zh-CN": "列表"},
        "condition_kind_list": {"en": "list", "zh-CN": "列表"},
        "condition_kind_days": {"en": "day-count", "zh-CN": "天数"},
        "condition_kind_value": {"en": "value", "zh-CN": "值"},
    }
)


def pointer(path: tuple[str | int, ...]) -> str:
    """``("and", 1)`` → ``/and/1`` (RFC 6901 escaping); the root is ``/`` in messages."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "".join("/" + part for part in escaped) or "/"


class ConditionError(FormEngineError):
    """A condition document is malformed, unsafe, or does not fit the form's fields.

    Attributes:
        code: The registered message code (``condition_unknown_operator`` …).
        params: Values for the message; parameters named ``*_kind`` hold a field kind
            and are shown translated.
        path: Where the problem is, as JSON-pointer segments (``("and", 1, ">=", 0)``).
        suggestion: The closest known name, for "did you mean …".
    """

    def __init__(
        self,
        code: str,
        *,
        path: tuple[str | int, ...] = (),
        suggestion: str | None = None,
        **params: Any,
    ) -> None:
        self.code = code
        self.params = params
        self.path = path
        self.suggestion = suggestion
        super().__init__(self.message_in("en"), path=path, suggestion=suggestion)

    def message_in(self, locale: str | None) -> str:
        """The message in ``locale`` (``en``, ``zh-CN``; others fall back to English)."""
        shown = {
            key: render(f"condition_kind_{value}", locale) if key.endswith("_kind") else value
            for key, value in self.params.items()
        }
        return render(
            self.code, locale, where=pointer(self.path), suggestion=self.suggestion, **shown
        )
