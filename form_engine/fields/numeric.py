"""Number-like field types: number, money, percent, rating, NPS."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar

from form_engine.fields.base import (
    CoercionError,
    FieldType,
    Problem,
    Source,
    SqlKind,
    expect,
    input_text,
    register,
)
from form_engine.fields.parsing import (
    check_magnitude,
    decimal_places,
    fold,
    group_number,
    json_number,
    parse_number,
)


def _bounds(schema: Mapping[str, Any]) -> list[Problem]:
    low, high = schema.get("minimum"), schema.get("maximum")
    numbers = (int, float)
    if isinstance(low, numbers) and isinstance(high, numbers) and low > high:
        return [(("minimum",), "doc_min_above_max", {})]
    return []


def _options(fragment: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    for option, keyword in (("minimum", "minimum"), ("maximum", "maximum")):
        if options.get(option) is not None:
            fragment[keyword] = options[option]
    if options.get("decimals") is not None:
        fragment["x-decimals"] = options["decimals"]
    return fragment


class _Numeric(FieldType):
    sql_kind: ClassVar[SqlKind | None] = "number"
    type_error_code = "not_a_number"
    options: ClassVar[Mapping[str, Any]] = {"minimum": None, "maximum": None, "decimals": None}
    # Text stripped before the number is read ("¥", "%"); full-width is folded first.
    _noise: ClassVar[re.Pattern[str] | None] = None

    def build(self, **options: Any) -> dict[str, Any]:
        return _options({"type": "number"}, options)

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "number") + _bounds(schema)

    def read(self, raw: Any, source: Source) -> int | float | None:
        """The number in ``raw`` (before type-specific rules)."""
        if source == "json" or (isinstance(raw, int | float) and not isinstance(raw, bool)):
            return None if raw is None else json_number(raw)
        text = input_text(raw, source, self.type_error_code)
        if text is None:
            return None
        if self._noise is not None:
            text = self._noise.sub("", fold(text))
        return parse_number(text)

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return self.read(raw, source)

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        try:
            check_magnitude(value)
        except CoercionError as error:
            return [((), error.code, error.params)]
        return []

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return super().format(value, locale, schema)
        decimals = (schema or {}).get("x-decimals")
        return group_number(value, decimals if isinstance(decimals, int) else None)


@register
class NumberType(_Numeric):
    """A number; ``x-decimals`` fixes the places shown."""

    key = "number"
    names: ClassVar[Mapping[str, str]] = {"en": "Number", "zh-CN": "数字"}


# Symbol and places shown per ISO 4217 code; others show the code ("EUR 1,234.50").
CURRENCIES: Mapping[str, tuple[str, int]] = {
    "CNY": ("¥", 2),
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "HKD": ("HK$", 2),
    "JPY": ("JP¥", 0),
}
_MONEY_NOISE = re.compile(r"CN¥|US\$|HK\$|JP¥|RMB|CNY|USD|EUR|GBP|HKD|JPY|[¥$€£元]", re.I)
MONEY_PLACES = 2


@register
class MoneyType(_Numeric):
    """An amount in ``x-currency`` (default CNY), at most two decimal places."""

    key = "money"
    names: ClassVar[Mapping[str, str]] = {"en": "Amount", "zh-CN": "金额"}
    options: ClassVar[Mapping[str, Any]] = {"currency": "CNY", "minimum": None, "maximum": None}
    _noise = _MONEY_NOISE

    def build(self, **options: Any) -> dict[str, Any]:
        currency = options.pop("currency")
        return _options({"type": "number", "x-currency": currency}, options)

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        value = self.read(raw, source)
        if value is not None and decimal_places(value) > MONEY_PLACES:
            raise CoercionError("too_many_decimals", {"places": MONEY_PLACES})
        return value

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        problems = super().check_value(value, schema)
        if not problems and decimal_places(value) > MONEY_PLACES:
            problems.append(((), "too_many_decimals", {"places": MONEY_PLACES}))
        return problems

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return super().format(value, locale, schema)
        code = str((schema or {}).get("x-currency", "CNY"))
        symbol, places = CURRENCIES.get(code, (code + " ", MONEY_PLACES))
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{group_number(abs(value), places)}"


@register
class PercentType(_Numeric):
    """A percentage stored as shown: 12.5 means 12.5 %."""

    key = "percent"
    names: ClassVar[Mapping[str, str]] = {"en": "Percent", "zh-CN": "百分比"}
    _noise = re.compile(r"%")

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return super().format(value, locale, schema)
        return super().format(value, locale, schema) + "%"


class _Score(_Numeric):
    sql_kind: ClassVar[SqlKind | None] = "integer"
    type_error_code = "not_an_integer"

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if source != "json" and isinstance(raw, str) and raw.strip().strip("★☆") == "":
            stars = raw.count("★")
            return stars or None
        try:
            value = self.read(raw, source)
        except CoercionError as error:
            raise CoercionError("not_an_integer") from error
        if value is None:
            return None
        if isinstance(value, float):
            if not value.is_integer():
                raise CoercionError("not_an_integer")
            value = int(value)
        return value

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return super().format(value, locale, schema)
        return str(int(value)) if float(value).is_integer() else str(value)


@register
class RatingType(_Score):
    """Stars from 1 to ``maximum`` (default 5, at most 10)."""

    key = "rating"
    names: ClassVar[Mapping[str, str]] = {"en": "Rating", "zh-CN": "评分"}
    options: ClassVar[Mapping[str, Any]] = {"max": 5}
    _noise = re.compile(r"星|分|stars?", re.I)

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "integer", "minimum": 1, "maximum": options["max"]}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = expect(schema, "type", "integer") + expect(schema, "minimum", 1)
        high = schema.get("maximum")
        if isinstance(high, bool) or not isinstance(high, int) or not 1 <= high <= 10:
            problems.append((("maximum",), "doc_rating_max", {}))
        elif "x-max" in schema and schema["x-max"] != high:
            problems.append((("x-max",), "doc_rating_max", {}))
        return problems

    def error_for(
        self, keyword: str, detail: Mapping[str, Any], schema: Mapping[str, Any], *, item: bool
    ) -> tuple[str, dict[str, Any]]:
        if keyword in ("minimum", "maximum"):
            return "rating_out_of_range", {"max": schema.get("maximum", 5)}
        return super().error_for(keyword, detail, schema, item=item)

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        high = (schema or {}).get("maximum", 5)
        if isinstance(value, int) and not isinstance(value, bool) and isinstance(high, int):
            stars: int = value
            if 0 <= stars <= high <= 10:
                return "★" * stars + "☆" * (high - stars)
        return super().format(value, locale, schema)


@register
class NpsType(_Score):
    """Net Promoter Score: 0 (not at all likely) to 10 (extremely likely)."""

    key = "nps"
    names: ClassVar[Mapping[str, str]] = {"en": "NPS (0-10)", "zh-CN": "净推荐值 (NPS)"}
    options: ClassVar[Mapping[str, Any]] = {}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "integer", "minimum": 0, "maximum": 10}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return (
            expect(schema, "type", "integer")
            + expect(schema, "minimum", 0)
            + expect(schema, "maximum", 10)
        )

    def error_for(
        self, keyword: str, detail: Mapping[str, Any], schema: Mapping[str, Any], *, item: bool
    ) -> tuple[str, dict[str, Any]]:
        if keyword in ("minimum", "maximum"):
            return "nps_out_of_range", {}
        return super().error_for(keyword, detail, schema, item=item)
