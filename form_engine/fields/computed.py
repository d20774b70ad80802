"""Computed field types (lookup, rollup, formula, auto-number) and layout items
(section, description). Computed values are written by the engine, never typed in."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar

from form_engine.errors import FormEngineError
from form_engine.fields.base import (
    CoercionError,
    FieldType,
    Problem,
    Source,
    SqlKind,
    expect,
    field_type,
    register,
)


class _Computed(FieldType):
    computed: ClassVar[bool] = True

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "readOnly", True)


@register
class LookupType(_Computed):
    """A field of the linked record, copied (``x-lookup: {link, field}``)."""

    key = "lookup"
    sql_kind: ClassVar[SqlKind | None] = "json"
    names: ClassVar[Mapping[str, str]] = {"en": "Lookup", "zh-CN": "引用字段"}
    options: ClassVar[Mapping[str, Any]] = {"link": None, "field": None}

    def build(self, **options: Any) -> dict[str, Any]:
        if not options["link"] or not options["field"]:
            raise FormEngineError("a lookup needs its link field and the field to copy")
        return {"readOnly": True, "x-lookup": {"link": options["link"], "field": options["field"]}}

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if source != "json":
            raise CoercionError("read_only")
        return raw


AGGREGATES = ("count", "sum", "min", "max", "avg")


@register
class RollupType(_Computed):
    """count/sum/min/max/avg of a field over the records of ``form`` linking here."""

    key = "rollup"
    sql_kind: ClassVar[SqlKind | None] = "number"
    type_error_code = "not_a_number"
    names: ClassVar[Mapping[str, str]] = {"en": "Rollup", "zh-CN": "汇总字段"}
    options: ClassVar[Mapping[str, Any]] = {"form": None, "link": None, "agg": "count", "of": None}

    def build(self, **options: Any) -> dict[str, Any]:
        if not options["form"] or not options["link"] or options["agg"] not in AGGREGATES:
            raise FormEngineError("a rollup needs form, link and agg (count/sum/min/max/avg)")
        if options["agg"] != "count" and not options["of"]:
            raise FormEngineError(f"a {options['agg']} rollup needs the field it sums ('of')")
        rollup = {key: options[key] for key in ("form", "link", "agg", "of") if options[key]}
        return {"type": "number", "readOnly": True, "x-rollup": rollup}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = super().check_fragment(schema) + expect(schema, "type", "number")
        rollup = schema.get("x-rollup")
        if isinstance(rollup, Mapping) and rollup.get("agg") != "count" and "of" not in rollup:
            problems.append((("x-rollup",), "doc_keyword_missing", {"keyword": "x-rollup/of"}))
        return problems

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return field_type("number").coerce(raw, source, schema)

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        return field_type("number").check_value(value, schema)

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        return field_type("number").format(value, locale, schema)


# x-result -> (field type holding such values, the fragment keywords)
RESULTS: Mapping[str, tuple[str, Mapping[str, Any]]] = {
    "number": ("number", {"type": "number"}),
    "text": ("text", {"type": "string"}),
    "boolean": ("checkbox", {"type": "boolean"}),
    "date": ("date", {"type": "string", "format": "date"}),
}


@register
class FormulaType(_Computed):
    """A spreadsheet-style expression (``x-formula``) with a typed result
    (``x-result``: number, text, boolean or date). Parsed by ``form_engine.formulas``."""

    key = "formula"
    sql_kind: ClassVar[SqlKind | None] = "number"  # of the default result; see sql_kind_for
    names: ClassVar[Mapping[str, str]] = {"en": "Formula", "zh-CN": "公式"}
    options: ClassVar[Mapping[str, Any]] = {"formula": None, "result": "number"}

    def build(self, **options: Any) -> dict[str, Any]:
        if not options["formula"] or options["result"] not in RESULTS:
            raise FormEngineError("a formula needs its expression and a result type")
        keywords = RESULTS[options["result"]][1]
        return {
            **keywords,
            "readOnly": True,
            "x-formula": options["formula"],
            "x-result": options["result"],
        }

    def result_type(self, schema: Mapping[str, Any]) -> FieldType:
        """The field type whose values this formula yields."""
        result = RESULTS.get(str(schema.get("x-result", "number")), RESULTS["number"])
        return field_type(result[0])

    def sql_kind_for(self, schema: Mapping[str, Any]) -> SqlKind | None:
        return self.result_type(schema).sql_kind

    def type_error(self, schema: Mapping[str, Any]) -> str:
        return self.result_type(schema).type_error(schema)

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = super().check_fragment(schema)
        result = RESULTS.get(str(schema.get("x-result")))
        if result is not None:
            for keyword, value in result[1].items():
                problems += expect(schema, keyword, value)
        return problems

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return self.result_type(schema or {}).coerce(raw, source, schema, tz=tz)

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        return self.result_type(schema).check_value(value, schema)

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        return self.result_type(schema or {}).format(value, locale, schema, tz=tz)


@register
class AutonumberType(_Computed):
    """A serial per form: ``prefix`` + number padded to ``digits`` (``C-00042``)."""

    key = "autonumber"
    names: ClassVar[Mapping[str, str]] = {"en": "Auto-number", "zh-CN": "流水号"}
    options: ClassVar[Mapping[str, Any]] = {"prefix": "", "digits": 5}

    def build(self, **options: Any) -> dict[str, Any]:
        settings = {"prefix": options["prefix"], "digits": options["digits"]}
        return {"type": "string", "readOnly": True, "x-autonumber": settings}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return super().check_fragment(schema) + expect(schema, "type", "string")

    def next_value(self, schema: Mapping[str, Any], serial: int) -> str:
        """The value for the ``serial``-th record: ``C-`` and 5 digits → ``C-00042``."""
        settings = schema.get("x-autonumber")
        settings = settings if isinstance(settings, Mapping) else {}
        digits = settings.get("digits", 5)
        return f"{settings.get('prefix', '')}{serial:0{digits if isinstance(digits, int) else 5}d}"

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return field_type("text").coerce(raw, source, schema)


class _Layout(FieldType):
    layout: ClassVar[bool] = True
    sql_kind: ClassVar[SqlKind | None] = None

    def build(self, **options: Any) -> dict[str, Any]:
        return {"readOnly": True, "x-layout": True}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "readOnly", True) + expect(schema, "x-layout", True)

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return None

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        return ""


@register
class SectionType(_Layout):
    """A section heading (its ``title``) grouping the fields after it."""

    key = "section"
    names: ClassVar[Mapping[str, str]] = {"en": "Section", "zh-CN": "分组标题"}


@register
class DescriptionType(_Layout):
    """Explanatory text (``description`` / ``x-descriptions``) shown in the form."""

    key = "description"
    names: ClassVar[Mapping[str, str]] = {"en": "Description", "zh-CN": "说明文字"}
