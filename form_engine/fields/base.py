"""The field-type base class, the coercion error and the catalogue registry.

A field type knows its JSON Schema fragment, how to turn raw input (HTML form strings,
spreadsheet cells, JSON) into the stored JSON value, the rules JSON Schema cannot say,
and how to show a stored value to a person in English or Simplified Chinese.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any, ClassVar, Literal

from form_engine.errors import FormEngineError
from form_engine.fields import messages as _messages  # noqa: F401  (registers the codes)
from form_engine.messages import normalise_locale, render

Source = Literal["html", "csv", "json"]
SqlKind = Literal["text", "number", "integer", "boolean", "date", "datetime", "json"]
Path = tuple[str | int, ...]
# (path relative to the field, message code, params): what rule checks report.
Problem = tuple[Path, str, dict[str, Any]]

SOURCES: tuple[Source, ...] = ("html", "csv", "json")
# Keywords every field fragment may carry, set through fragment() options.
_COMMON_OPTIONS = {
    "title": "title",
    "titles": "x-titles",
    "description": "description",
    "descriptions": "x-descriptions",
    "default": "default",
    "unique": "x-unique",
    "internal": "x-internal",
    "aliases": "x-aliases",
    "visible_if": "x-visible-if",
    "required_if": "x-required-if",
}


class CoercionError(FormEngineError):
    """Raw input that cannot become the field's stored value.

    Attributes:
        code: A registered message code (``not_a_number``, ``bad_date`` …).
        params: Values for the message template.
        problems: For fields made of parts (subform rows), one error per bad part, each
            with its ``path`` relative to the field.
    """

    def __init__(
        self,
        code: str,
        params: Mapping[str, Any] | None = None,
        *,
        path: Path = (),
        problems: Iterable[CoercionError] = (),
    ) -> None:
        self.code = code
        self.params = dict(params or {})
        self.problems = list(problems)
        super().__init__(render(code, "en", **self.params), path=path)

    def message_in(self, locale: str | None) -> str:
        """The message in ``locale`` (``en`` or ``zh-CN``)."""
        return render(self.code, locale, **self.params)


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``word`` (difflib), or None when nothing is close."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def shorten(value: Any, limit: int = 40) -> str:
    """A value made safe to quote in a message: one line, at most ``limit`` characters."""
    if isinstance(value, str):
        text = value
    else:  # canonical, so every validator's copy of a value reads the same
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_zh(locale: str | None) -> bool:
    return normalise_locale(locale) == "zh-CN"


class FieldType:
    """One entry of the field catalogue; instances are stateless singletons.

    Attributes:
        key: The ``x-field`` value.
        computed: The engine computes the value (formula, lookup, rollup, auto-number);
            input is ignored.
        layout: A layout item (section, description): nothing is stored.
        sql_kind: What the platform casts the JSON value to for filters, sorts and
            indexes; None for layout items. See also :meth:`sql_kind_for`.
        type_error_code: The message when the stored JSON has the wrong type.
        item_error_code: The message when a part of the value (a list item, an address
            part) has the wrong type.
        names: The type's name for the builder palette, per locale.
    """

    key: ClassVar[str] = ""
    computed: ClassVar[bool] = False
    layout: ClassVar[bool] = False
    sql_kind: ClassVar[SqlKind | None] = "text"
    type_error_code: ClassVar[str] = "invalid"
    item_error_code: ClassVar[str] = "invalid"
    names: ClassVar[Mapping[str, str]] = {}
    # Option name -> default for the type-specific options fragment() accepts.
    options: ClassVar[Mapping[str, Any]] = {}

    @property
    def stores(self) -> bool:
        """Whether records hold a value for fields of this type."""
        return not self.layout

    def __repr__(self) -> str:
        return f"<field type {self.key}>"

    # -- schema -------------------------------------------------------------------

    def fragment(self, **options: Any) -> dict[str, Any]:
        """The JSON Schema fragment of a new field of this type, with defaults.

        Args:
            **options: ``title``, ``titles`` ({locale: text}), ``description``,
                ``descriptions``, ``default``, ``unique``, ``internal``, ``aliases``,
                ``visible_if``, ``required_if`` and the type's own options (see
                ``options``).

        Raises:
            FormEngineError: an option this type does not know, or a bad option value.
        """
        known = {*_COMMON_OPTIONS, *self.options}
        unknown = [name for name in options if name not in known]
        if unknown:
            hint = suggest(unknown[0], [*_COMMON_OPTIONS, *self.options])
            raise FormEngineError(
                f"{self.key} fields have no option {unknown[0]!r}"
                + (f"; did you mean {hint!r}?" if hint else ""),
                suggestion=hint,
            )
        own = {name: options.get(name, default) for name, default in self.options.items()}
        result: dict[str, Any] = {"x-field": self.key}
        result.update(self.build(**own))
        for name, keyword in _COMMON_OPTIONS.items():
            if options.get(name) not in (None, {}, []):
                result[keyword] = options[name]
        return result

    def build(self, **options: Any) -> dict[str, Any]:
        """The type-specific keywords of a new fragment (``options`` are complete)."""
        return {}

    def sql_kind_for(self, schema: Mapping[str, Any]) -> SqlKind | None:
        """The SQL cast for one field (types such as link or formula depend on it)."""
        return self.sql_kind

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        """Rules of the dialect the meta-schema cannot express, for one field.

        Returns problems with paths relative to the field and ``doc_*`` codes; the code
        params always carry ``key`` placeholder filled in by the dialect.
        """
        return []

    def type_error(self, schema: Mapping[str, Any]) -> str:
        """The message code when a stored value has the wrong JSON type."""
        return self.type_error_code

    def error_for(
        self, keyword: str, detail: Mapping[str, Any], schema: Mapping[str, Any], *, item: bool
    ) -> tuple[str, dict[str, Any]]:
        """The message for a JSON Schema error on a field of this type.

        Args:
            keyword: The failing keyword (``maxLength``, ``enum`` …).
            detail: ``limit`` for bounds, ``value`` for enum/const, ``format``.
            schema: The field's fragment.
            item: The error is about a part of the value (a list item, a sub-key).
        """
        limit = detail.get("limit")
        if keyword == "type":
            code = self.item_error_code if item else self.type_error(schema)
            # not_an_option quotes the value; other type messages take no parameters.
            return code, (
                {"value": shorten(detail.get("value"))} if code == "not_an_option" else {}
            )
        if keyword in ("minimum", "exclusiveMinimum"):
            return "below_minimum", {"min": limit}
        if keyword in ("maximum", "exclusiveMaximum"):
            return "above_maximum", {"max": limit}
        if keyword in ("enum", "const"):
            return "not_an_option", {"value": shorten(detail.get("value"))}
        if keyword == "format":
            return _FORMAT_CODES.get(str(detail.get("format")), "invalid"), {}
        simple = {
            "maxLength": ("too_long", "max"),
            "minLength": ("too_short", "min"),
            "maxItems": ("too_many_items", "max"),
            "minItems": ("too_few_items", "min"),
            "uniqueItems": ("not_unique_items", ""),
            "pattern": ("bad_pattern", ""),
            "required": ("required", ""),
        }
        if keyword in simple:
            code, param = simple[keyword]
            return code, ({param: limit} if param else {})
        return "invalid", {}

    # -- values -------------------------------------------------------------------

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        """Turn raw input into the stored JSON value, or None when it is empty.

        Args:
            raw: An HTML form value (str, or list of str), a spreadsheet cell (str), or
                a JSON value.
            source: ``"html"``, ``"csv"`` or ``"json"``.
            schema: The field's fragment (options, region, currency …); defaults apply
                when omitted.
            tz: The person's time zone for naive date-times (default UTC).

        Raises:
            CoercionError: the input cannot be read as this type.
        """
        raise CoercionError("read_only")

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        """Rules beyond JSON Schema for a stored value that passed the schema."""
        return []

    def format(
        self,
        value: Any,
        locale: str | None = None,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> str:
        """A stored value for display in ``locale``; never raises ("" for None).

        Args:
            value: The stored JSON value.
            locale: ``en`` or ``zh-CN`` (others fall back to ``en``).
            schema: The field's fragment, for option titles, currency, decimals.
            tz: Time zone for date-times (default UTC).
        """
        if value is None:
            return ""
        return generic_format(value, locale)


def generic_format(value: Any, locale: str | None) -> str:
    """Display of a value whose field type is unknown (lookups, odd legacy data)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("是" if value else "否") if is_zh(locale) else ("Yes" if value else "No")
    if isinstance(value, int | float):
        from form_engine.fields.parsing import group_number

        return group_number(value)
    if isinstance(value, list):
        return ("、" if is_zh(locale) else ", ").join(generic_format(v, locale) for v in value)
    if isinstance(value, dict):
        return " ".join(generic_format(v, locale) for v in value.values() if v not in ("", None))
    return str(value)


_FORMAT_CODES = {
    "date": "bad_date",
    "date-time": "bad_datetime",
    "email": "bad_email",
    "uri": "bad_url",
}


def expect(schema: Mapping[str, Any], keyword: str, expected: Any) -> list[Problem]:
    """A fragment-consistency problem when ``schema[keyword] != expected``."""
    if keyword not in schema:
        return [((keyword,), "doc_keyword_missing", {"keyword": keyword})]
    if schema[keyword] != expected or type(schema[keyword]) is not type(expected):
        shown = json.dumps(expected, ensure_ascii=False)
        return [((keyword,), "doc_keyword_mismatch", {"keyword": keyword, "expected": shown})]
    return []


_REGISTRY: dict[str, FieldType] = {}


def register(cls: type[FieldType]) -> type[FieldType]:
    """Class decorator adding a field type to the catalogue."""
    if not cls.key or cls.key in _REGISTRY:
        raise ValueError(f"field type {cls.key!r} is unnamed or registered twice")
    _REGISTRY[cls.key] = cls()
    return cls


def field_type(key: str) -> FieldType:
    """The field type registered under ``key`` (an ``x-field`` value).

    Raises:
        FormEngineError: no such type; ``suggestion`` holds the closest known key.
    """
    try:
        return _REGISTRY[key]
    except (KeyError, TypeError):
        hint = suggest(str(key), _REGISTRY)
        raise FormEngineError(
            f"unknown field type {key!r}" + (f"; did you mean {hint!r}?" if hint else ""),
            suggestion=hint,
        ) from None


def find_type(key: Any) -> FieldType | None:
    """The field type registered under ``key``, or None."""
    return _REGISTRY.get(key) if isinstance(key, str) else None


def single(raw: Any, source: Source) -> Any:
    """HTML and CSV values may come as one-element lists (multi-dicts); unwrap them.

    Raises:
        CoercionError: several values for a single-valued field.
    """
    if source != "json" and isinstance(raw, list | tuple):
        values = [v for v in raw if v not in ("", None)]
        if len(values) > 1:
            raise CoercionError("one_value_only")
        return values[0] if values else None
    return raw


def input_text(raw: Any, source: Source, code: str, *, normalise: bool = False) -> str | None:
    """A raw scalar as a stripped string, None when empty.

    ``normalise`` folds full-width digits and punctuation to ASCII (NFKC). JSON input
    must already be a string.

    Raises:
        CoercionError: ``code`` when the value is not a string (or a number from a
            spreadsheet cell).
    """
    raw = single(raw, source)
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise CoercionError(code)
    if not isinstance(raw, str):
        if source == "json":
            raise CoercionError(code)
        raw = str(raw)
    text = unicodedata.normalize("NFKC", raw) if normalise else raw
    text = text.strip()
    return text or None


def input_names(properties: Mapping[str, Any]) -> dict[str, str]:
    """Every name input may use for a field (its key, then its ``x-aliases``) → key.

    A key always wins over another field's alias of the same spelling.
    """
    names: dict[str, str] = {}
    for key, schema in properties.items():
        aliases = schema.get("x-aliases") if isinstance(schema, Mapping) else None
        for alias in aliases if isinstance(aliases, list) else ():
            if isinstance(alias, str):
                names.setdefault(alias, key)
    names.update({key: key for key in properties})
    return names


def unknown_name(name: str, candidates: Iterable[str], path: Path) -> CoercionError:
    """The ``unknown_field`` error for an input name, with a suggestion when one is close."""
    hint = suggest(name, candidates)
    shown = shorten(name)
    if hint is None:
        return CoercionError("unknown_field", {"key": shown}, path=path)
    return CoercionError("unknown_field_suggestion", {"key": shown, "suggestion": hint}, path=path)
