"""The two validators behind ``CompiledForm``: jsonschema-rs (fast) and jsonschema (the
reference), wrapped so their errors come out in one shape (:class:`RawError`) and with
the same format checks (:data:`form_engine.fields.formats.FORMAT_CHECKS`).

What they disagree on by themselves (and why both get our format functions): jsonschema
accepts NaN as a number and checks neither ``uri`` nor ``email`` seriously; jsonschema-rs
accepts display names in e-mail addresses and ``javascript:`` URIs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jsonschema_rs
from jsonschema import Draft202012Validator

from form_engine.fields.base import Path
from form_engine.fields.formats import FORMAT_CHECKS, for_any_value, format_checker


@dataclass(frozen=True)
class RawError:
    """A validator error, the same shape whichever backend found it: ``path`` to the
    value (for ``required`` and ``additionalProperties``, to the missing or unexpected
    property), the JSON Schema ``keyword``, and ``limit``/``value``/``format``."""

    path: Path
    keyword: str
    detail: Mapping[str, Any]


class SchemaValidator(Protocol):
    def is_valid(self, data: Any) -> bool: ...

    def errors(self, data: Any) -> Iterator[RawError]: ...


class RsValidator:
    def __init__(self, schema: dict[str, Any]) -> None:
        formats = {name: for_any_value(check) for name, check in FORMAT_CHECKS.items()}
        self._validator = jsonschema_rs.validator_for(
            schema, validate_formats=True, formats=formats
        )
        self.is_valid = self._validator.is_valid

    def errors(self, data: Any) -> Iterator[RawError]:
        for error in self._validator.iter_errors(data):
            keyword = error.kind.name
            detail = error.kind.as_dict()
            path: Path = tuple(error.instance_path)
            if keyword == "required":
                yield RawError((*path, detail["property"]), keyword, {})
            elif keyword == "additionalProperties":
                for name in detail["unexpected"]:
                    yield RawError((*path, name), keyword, {})
            else:
                yield RawError(path, keyword, detail)


class ReferenceValidator:
    def __init__(self, schema: dict[str, Any]) -> None:
        self._validator = Draft202012Validator(schema, format_checker=format_checker())
        self.is_valid = self._validator.is_valid

    def errors(self, data: Any) -> Iterator[RawError]:
        for error in self._validator.iter_errors(data):
            keyword = str(error.validator)
            path: Path = tuple(error.absolute_path)
            instance = error.instance
            if keyword == "required":
                for name in error.validator_value:
                    if isinstance(instance, Mapping) and name not in instance:
                        yield RawError((*path, name), keyword, {})
            elif keyword == "additionalProperties":
                declared = (
                    error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
                )
                for name in instance if isinstance(instance, Mapping) else ():
                    if name not in declared:
                        yield RawError((*path, name), keyword, {})
            else:
                detail = {"format": error.validator_value, "limit": error.validator_value}
                yield RawError(path, keyword, detail)
