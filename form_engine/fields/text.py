"""Text-like field types: text, textarea, email, phone, url."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit, urlunsplit

from form_engine.errors import FormEngineError
from form_engine.fields.base import (
    CoercionError,
    FieldType,
    Problem,
    Source,
    expect,
    input_text,
    register,
    single,
)
from form_engine.fields.parsing import fold

# C0 controls other than tab, newline and carriage return: never useful in a form, and
# PostgreSQL's JSONB refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _string(raw: Any, source: Source, code: str) -> str | None:
    """Text input: HTML and CSV are trimmed, JSON is kept verbatim; "" means empty."""
    if source == "json":
        if raw is None or raw == "":
            return None
        if not isinstance(raw, str):
            raise CoercionError(code)
        text: str | None = raw
    else:
        text = input_text(raw, source, code)
    if text is not None and _CONTROL.search(text):
        raise CoercionError("control_characters")
    return text


@register
class TextType(FieldType):
    """Single-line text (``maxLength`` 200 by default)."""

    key = "text"
    type_error_code = "not_text"
    names: ClassVar[Mapping[str, str]] = {"en": "Text", "zh-CN": "单行文本"}
    options: ClassVar[Mapping[str, Any]] = {
        "max_length": 200,
        "min_length": None,
        "pattern": None,
    }

    def build(self, **options: Any) -> dict[str, Any]:
        fragment: dict[str, Any] = {"type": "string", "maxLength": options["max_length"]}
        if options["min_length"] is not None:
            fragment["minLength"] = options["min_length"]
        if options["pattern"] is not None:
            fragment["pattern"] = options["pattern"]
        return fragment

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        problems = expect(schema, "type", "string")
        low, high = schema.get("minLength"), schema.get("maxLength")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            problems.append((("minLength",), "doc_min_above_max", {}))
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error:
                problems.append((("pattern",), "doc_bad_regex", {}))
        return problems

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        return _string(raw, source, self.type_error_code)


@register
class TextareaType(TextType):
    """Multi-line text (``maxLength`` 10000 by default); line ends become ``\\n``."""

    key = "textarea"
    names: ClassVar[Mapping[str, str]] = {"en": "Paragraph", "zh-CN": "多行文本"}
    options: ClassVar[Mapping[str, Any]] = {"max_length": 10000, "min_length": None}

    def build(self, **options: Any) -> dict[str, Any]:
        return super().build(pattern=None, **options)

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        text = _string(raw, source, self.type_error_code)
        if text is not None and source != "json":
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text


@register
class EmailType(FieldType):
    """An e-mail address; full-width input is folded and the domain lower-cased."""

    key = "email"
    type_error_code = "bad_email"
    names: ClassVar[Mapping[str, str]] = {"en": "Email", "zh-CN": "邮箱"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "string", "format": "email", "maxLength": 254}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "string") + expect(schema, "format", "email")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if source == "json":
            if raw is None or raw == "":
                return None
            if not isinstance(raw, str):
                raise CoercionError("bad_email")
            return raw
        text = input_text(raw, source, "bad_email", normalise=True)
        if text is None:
            return None
        local, at, domain = text.rpartition("@")
        return f"{local}@{domain.lower()}" if at else text


_MOBILE = r"1[3-9]\d{9}"
_LANDLINE = r"0\d{2,3}-?\d{7,8}"
_PHONE_CN = re.compile(rf"{_MOBILE}|{_LANDLINE}", re.ASCII)
_PHONE_INTL = re.compile(r"\+[1-9]\d{6,14}", re.ASCII)
_PHONE_NOISE = re.compile(r"[\s\-().·]")


def normalise_phone(text: str, region: str) -> str:
    """``+86 138 0013 8000`` → ``13800138000``; ``(010) 1234 5678`` → ``010-12345678``;
    international ``0044 20 7946 0958`` → ``+442079460958``. Unreadable input is
    returned trimmed, for validation to refuse."""
    folded = fold(text)
    compact = _PHONE_NOISE.sub("", folded)
    if region == "intl":
        if compact.startswith("00"):
            compact = "+" + compact[2:]
        return compact if _PHONE_INTL.fullmatch(compact) else folded
    for prefix in ("+86", "0086"):
        if compact.startswith(prefix):
            compact = compact[len(prefix) :]
    if re.fullmatch(_MOBILE, compact, re.ASCII):
        return compact
    if re.fullmatch(r"0\d{9,11}", compact, re.ASCII):
        area = 3 if compact[1] in "12" else 4  # 010 and 02x are the three-digit codes
        joined = f"{compact[:area]}-{compact[area:]}"
        if _PHONE_CN.fullmatch(joined):
            return joined
    return folded


@register
class PhoneType(FieldType):
    """A phone number, mainland China (``x-phone-region: CN``) or E.164 (``intl``)."""

    key = "phone"
    names: ClassVar[Mapping[str, str]] = {"en": "Phone", "zh-CN": "电话"}
    options: ClassVar[Mapping[str, Any]] = {"region": "CN"}

    def build(self, **options: Any) -> dict[str, Any]:
        if options["region"] not in ("CN", "intl"):
            raise FormEngineError(f"phone region must be 'CN' or 'intl', not {options['region']!r}")
        return {"type": "string", "x-phone-region": options["region"]}

    def type_error(self, schema: Mapping[str, Any]) -> str:
        return "bad_phone_intl" if schema.get("x-phone-region") == "intl" else "bad_phone_cn"

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "string")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        code = self.type_error(schema or {})
        if source == "json" and raw is not None and not isinstance(raw, str):
            raise CoercionError(code)
        text = input_text(raw, source, code)
        if text is None:
            return None
        return normalise_phone(text, str((schema or {}).get("x-phone-region", "CN")))

    def check_value(self, value: Any, schema: Mapping[str, Any]) -> list[Problem]:
        intl = schema.get("x-phone-region") == "intl"
        if (_PHONE_INTL if intl else _PHONE_CN).fullmatch(value):
            return []
        return [((), self.type_error(schema), {})]


def _ascii_url(text: str) -> str:
    """Add ``https://`` to a bare host, punycode an IDN host, percent-encode the rest."""
    if "://" not in text and re.match(r"[^\s/:]+\.[^\s/:]+", text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        netloc = parts.netloc
        if host and not host.isascii():
            netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
    except (ValueError, UnicodeError):
        return text
    safe = "/%:@!$&'()*+,;=-._~"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=safe),
            quote(parts.query, safe=safe + "?"),
            quote(parts.fragment, safe=safe + "?"),
        )
    )


@register
class UrlType(FieldType):
    """A web address, ``http`` or ``https`` only (``format: uri``)."""

    key = "url"
    type_error_code = "bad_url"
    names: ClassVar[Mapping[str, str]] = {"en": "Web address", "zh-CN": "网址"}

    def build(self, **options: Any) -> dict[str, Any]:
        return {"type": "string", "format": "uri", "maxLength": 2000}

    def check_fragment(self, schema: Mapping[str, Any]) -> list[Problem]:
        return expect(schema, "type", "string") + expect(schema, "format", "uri")

    def coerce(
        self,
        raw: Any,
        source: Source,
        schema: Mapping[str, Any] | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> Any:
        if source == "json":
            if raw is None or raw == "":
                return None
            if not isinstance(raw, str):
                raise CoercionError("bad_url")
            return raw
        text = input_text(single(raw, source), source, "bad_url")
        return None if text is None else _ascii_url(text)
