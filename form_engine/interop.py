# ruff: noqa: RUF001 - the message catalogue holds Chinese punctuation
"""Plain JSON Schema ↔ form documents (docs/form-documents.md).

Import reads drafts 4, 6, 7, 2019-09 and 2020-12 and maps each property to a field:
string → text (textarea when ``maxLength`` > 500; email/date/datetime/url by ``format``),
number → number, integer → number with ``multipleOf: 1`` (exported back as integer),
boolean → checkbox, string
enum/const (or ``oneOf`` of string consts) → select, array of string enum → multiselect,
array of strings → tags, array of objects → subform. Nested objects are flattened to
``parent_child`` keys that remember the original place in ``x-source-path``; names that
are not valid keys get a generated ASCII key, the name in ``x-aliases`` and the title.
Local ``$ref`` (``$defs``/``definitions``/any pointer, ``$anchor``) and ``allOf`` are
resolved; recursive references are refused. Anything a field cannot hold (mixed types,
free-form objects, tuples, arrays of numbers, ``not``/``if``, …) is SKIPPED with a
warning naming the spot, never guessed: ``ImportResult.warnings``. Imported forms are
closed (``additionalProperties: false``) and drop ``null``.

Export writes a plain 2020-12 schema: every ``x-`` keyword removed (the English title
stays), archived and layout fields left out, computed fields kept as ``readOnly`` with
their stored type, conditionally visible/required fields optional, and nesting rebuilt
from ``x-source-path``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator

from form_engine.errors import FormEngineError
from form_engine.evolution import plain_schema
from form_engine.messages import register_messages, render

DIALECT = "https://json-schema.org/draft/2020-12/schema"
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")
MAX_DEPTH = 8
_DRAFTS: dict[str, tuple[int, type[Validator]]] = {
    "draft-04": (4, Draft4Validator),
    "draft-06": (6, Draft6Validator),
    "draft-07": (7, Draft7Validator),
    "2019-09": (2019, Draft201909Validator),
    "2020-12": (2020, Draft202012Validator),
}
_FORMATS = {"email": "email", "date": "date", "date-time": "datetime", "uri": "url"}
_STRING = ("maxLength", "minLength", "pattern", "format")
_NUMBER = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_ARRAY = ("minItems", "maxItems")
_LABELS = ("title", "description")
# Validation keywords a field cannot express: the field is imported without them.
_UNSUPPORTED = frozenset({
    "not", "if", "then", "else", "dependentRequired", "dependentSchemas", "dependencies",
    "propertyNames", "minProperties", "maxProperties", "patternProperties", "contains",
    "minContains", "maxContains", "unevaluatedProperties", "unevaluatedItems",
    "additionalItems", "$dynamicRef", "$recursiveRef",
})  # fmt: skip
_COMPUTED = {"formula", "lookup", "rollup", "autonumber"}
_RESULTS = {
    "number": {"type": "number"},
    "text": {"type": "string"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}
_STORED = {"rollup": {"type": "number"}, "autonumber": {"type": "string"}}

_SKIPS = {
    "mixed_types": ("it allows several types ({types})", "允许多种类型（{types}）"),
    "no_type": ("it does not say what type of value it holds", "没有指定值的类型"),
    "ref_cycle": ("its $ref refers back to itself", "$ref 存在循环引用"),
    "ref_unresolved": (
        "$ref “{ref}” cannot be resolved (only references inside the schema are)",
        "无法解析 $ref“{ref}”（仅支持 Schema 内部的引用）",
    ),
    "unsupported": ("{keyword} is not supported", "不支持 {keyword}"),
    "free_object": ("it is an object without declared properties", "这是一个没有声明属性的对象"),
    "array": (
        "only lists of text, of options or of objects can be imported",
        "只能导入文本列表、选项列表或对象列表",
    ),
    "nested_subform": (
        "a subform cannot contain another list of objects",
        "子表单中不能再包含对象列表",
    ),
    "enum": ("its options are not all text", "选项不全是文本"),
    "conflict": (
        "its combined rules (allOf) conflict on {keyword}",
        "组合规则（allOf）在 {keyword} 上相互冲突",
    ),
    "nothing": ("it accepts no value at all", "不接受任何值"),
    "too_deep": ("objects are nested more than {depth} levels deep", "对象嵌套超过 {depth} 层"),
}
register_messages(
    {
        f"interop_skip_{code}": {
            "en": f"“{{name}}” was not imported: {en}",
            "zh-CN": f"“{{name}}”未导入：{zh}",
        }
        for code, (en, zh) in _SKIPS.items()
    }
)
_NOTES = {
    "keyword_ignored": (
        "“{name}”: {keywords} cannot be imported and was ignored",
        "“{name}”：无法导入 {keywords}，已忽略",
    ),
    "null_dropped": (
        "“{name}”: null is not stored; an empty field means no value",
        "“{name}”：不保存 null，字段留空即表示没有值",
    ),
    "items_made_unique": (
        "“{name}”: repeated items are no longer accepted",
        "“{name}”：不再接受重复的项",
    ),
    "default_dropped": (
        "“{name}”: the default value does not fit the field and was dropped",
        "“{name}”：默认值不符合字段规则，已删除",
    ),
    "pattern_dropped": (
        "“{name}”: the pattern “{pattern}” is not understood and was dropped",
        "“{name}”：无法识别正则表达式“{pattern}”，已删除",
    ),
    "extra_properties": (
        "“{name}”: properties the schema does not list are not kept",
        "“{name}”：不保留 Schema 未列出的属性",
    ),
    "unknown_draft": (
        "Unknown $schema “{uri}”; it was read as draft 2020-12",
        "无法识别的 $schema“{uri}”，已按 2020-12 版本读取",
    ),
    "accepts_anything": (
        "The schema accepts any value, so the form has no fields",
        "该 Schema 接受任意值，导入的表单没有字段",
    ),
    "not_a_schema": ("This is not a JSON Schema object", "这不是 JSON Schema 对象"),
    "invalid_schema": (
        "The schema is not valid at {pointer}: {error}",
        "Schema 在 {pointer} 处无效：{error}",
    ),
    "root_not_object": (
        "A form is imported from a schema of an object with properties",
        "只能从带属性（properties）的对象 Schema 导入表单",
    ),
}
register_messages({f"interop_{code}": {"en": en, "zh-CN": zh} for code, (en, zh) in _NOTES.items()})


class InteropError(FormEngineError):
    """A schema that cannot become a form at all (not a schema, invalid, not an object)."""

    def __init__(self, code: str, *, path: tuple[str | int, ...] = (), **params: Any) -> None:
        super().__init__(render(code, "en", **params), path=path)
        self.code = code
        self.params = params

    def localised(self, locale: str | None = None) -> str:
        return render(self.code, locale, **self.params)


@dataclass(frozen=True)
class ImportIssue:
    """Something of the source schema that the form does not keep, and where it was."""

    pointer: str
    code: str
    params: Mapping[str, Any]

    def message(self, locale: str | None = None) -> str:
        return render(self.code, locale, **self.params)


@dataclass(frozen=True)
class ImportResult:
    document: dict[str, Any]
    warnings: tuple[ImportIssue, ...]


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _pointer(parts: tuple[str, ...]) -> str:
    return "".join("/" + _escape(part) for part in parts)


def _split(pointer: str) -> tuple[str, ...]:
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:])


def _types(schema: Mapping[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind]
    return [t for t in kind if isinstance(t, str)] if isinstance(kind, list) else []


def _merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any] | str:
    """Both schemas at once (allOf, ``$ref`` siblings); a keyword name on conflict."""
    out = dict(a)
    for kw, value in b.items():
        old = out.get(kw)
        if kw not in out or old == value or kw in _LABELS or kw == "default":
            out[kw] = value
        elif kw == "required" and isinstance(old, list) and isinstance(value, list):
            out[kw] = list(dict.fromkeys([*old, *value]))
        elif kw == "properties" and isinstance(old, Mapping) and isinstance(value, Mapping):
            shared = {n: {"allOf": [old[n], value[n]]} for n in value if n in old}
            out[kw] = {**old, **value, **shared}
        elif kw == "enum" and isinstance(old, list) and isinstance(value, list):
            out[kw] = [option for option in old if option in value]
        elif kw == "type":
            both = [t for t in _types(a) if t in _types(b)]
            both += ["integer"] * (not both and {*_types(a), *_types(b)} == {"integer", "number"})
            if not both:
                return kw
            out[kw] = both[0] if len(both) == 1 else both
        elif kw == "multipleOf" and not {type(old), type(value)} - {int, float}:
            if old % value and value % old:
                return kw
            out[kw] = max(old, value)  # the step that is a multiple of the other
        elif kw in _NUMBER + _STRING + _ARRAY and not {type(old), type(value)} - {int, float}:
            lower = kw.startswith("min") or kw == "exclusiveMinimum"
            out[kw] = max(old, value) if lower else min(old, value)
        else:
            return kw
    return out


class _Importer:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.warnings: list[ImportIssue] = []
        self.generated = 0
        uri = root.get("$schema")
        found = [v for k, v in _DRAFTS.items() if isinstance(uri, str) and k in uri]
        if uri is not None and not found:
            self.warn("", "interop_unknown_draft", uri=str(uri))
        self.draft, self.validator = found[0] if found else _DRAFTS["2020-12"]
        base = root.get("$id") if self.draft > 4 else root.get("id")
        self.base = base.split("#")[0] if isinstance(base, str) else ""

    def warn(self, pointer: str, code: str, **params: Any) -> None:
        self.warnings.append(ImportIssue(pointer or "/", code, params))

    def skip(self, where: str, name: str, reason: str, **params: Any) -> None:
        self.warn(where, f"interop_skip_{reason}", name=name, **params)

    def target(self, ref: Any) -> tuple[str, Any] | None:
        if not isinstance(ref, str):
            return None
        if self.base and ref.startswith(self.base):
            ref = ref[len(self.base) :]
        if ref in ("", "#"):
            return "", self.root
        if not ref.startswith("#"):
            return None
        if not ref.startswith("#/"):
            for defs in ("$defs", "definitions"):
                for name, sub in dict(self.root.get(defs) or {}).items():
                    names = (
                        (sub.get("$anchor"), str(sub.get("$id"))[1:])
                        if isinstance(sub, Mapping)
                        else ()
                    )
                    if ref[1:] in names:
                        return f"/{defs}/{_escape(name)}", sub
            return None
        node: Any = self.root
        for part in _split(unquote(ref[1:])):
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return unquote(ref[1:]), node if self.is_schema(node) else None

    def is_schema(self, node: Any) -> bool:
        """A reference may point anywhere; only a valid (sub)schema is followed."""
        if isinstance(node, bool):
            return True
        try:
            self.validator.check_schema(dict(node))
        except (SchemaError, TypeError, ValueError):
            return False
        return True

    def normalise(
        self, schema: Any, where: str, name: str, active: frozenset[str]
    ) -> tuple[dict[str, Any], frozenset[str]] | None:
        """Follow ``$ref``, merge ``allOf``, drop ``null``, read ``oneOf`` of consts."""
        while isinstance(schema, Mapping) and "$ref" in schema:
            found = self.target(schema["$ref"])
            if found is None:
                self.skip(where, name, "ref_unresolved", ref=str(schema["$ref"]))
                return None
            pointer, target = found
            if pointer in active:
                self.skip(where, name, "ref_cycle")
                return None
            active = active | {pointer}
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            if self.draft < 2019:  # older drafts ignore keywords beside $ref but labels
                siblings = {k: v for k, v in siblings.items() if k in (*_LABELS, "default")}
            if isinstance(target, bool):
                target = {} if target else {"not": {}}
            if not isinstance(target, Mapping):
                self.skip(where, name, "ref_unresolved", ref=str(schema["$ref"]))
                return None
            merged = _merge(target, siblings)
            if isinstance(merged, str):
                self.skip(where, name, "conflict", keyword=merged)
                return None
            schema = merged
        if schema is True or schema == {}:
            self.skip(where, name, "no_type")
            return None
        if not isinstance(schema, Mapping) or schema.get("not") == {}:
            self.skip(where, name, "nothing")
            return None
        result = dict(schema)
        for i, part in enumerate(result.pop("allOf", None) or ()):
            found_part = self.normalise(part, f"{where}/allOf/{i}", name, active)
            if found_part is None:
                return None
            merged = _merge(result, found_part[0])
            if isinstance(merged, str):
                self.skip(where, name, "conflict", keyword=merged)
                return None
            result, active = merged, active | found_part[1]
        kinds = _types(result)
        enum: list[Any] = result["enum"] if isinstance(result.get("enum"), list) else []
        if ("null" in kinds and kinds != ["null"]) or (None in enum and enum != [None]):
            self.warn(where, "interop_null_dropped", name=name)  # a form stores no null
            if "null" in kinds:
                kinds = [t for t in kinds if t != "null"]
                result["type"] = kinds[0] if len(kinds) == 1 else kinds
            if None in enum:
                result["enum"] = [v for v in enum if v is not None]
        for kw in ("anyOf", "oneOf"):
            if kw in result:
                options = self.alternatives(result.pop(kw), f"{where}/{kw}", name, active)
                if options is None:
                    self.skip(where, name, "unsupported", keyword=kw)
                    return None
                merged = _merge(result, options)
                if isinstance(merged, str):
                    self.skip(where, name, "conflict", keyword=merged)
                    return None
                result = merged
        return result, active

    def alternatives(
        self, options: Any, where: str, name: str, active: frozenset[str]
    ) -> dict[str, Any] | None:
        """``oneOf``/``anyOf``: string consts become a select; one non-null branch is kept."""
        read = [self.normalise(o, f"{where}/{i}", name, active) for i, o in enumerate(options)]
        branches = [r[0] for r in read if r is not None and _types(r[0]) != ["null"]]
        if len(branches) < len(read) and None not in read:
            self.warn(where, "interop_null_dropped", name=name)
        values = [b.get("const", (b.get("enum") or [None])[0]) for b in branches]
        if branches and all(
            isinstance(v, str) and len(b.get("enum") or [v]) == 1
            for v, b in zip(values, branches, strict=True)
        ):
            titles = {
                v: {"en": b["title"]}
                for v, b in zip(values, branches, strict=True)
                if b.get("title")
            }
            return {"enum": values, **({"x-option-titles": titles} if titles else {})}
        return branches[0] if len(branches) == 1 and None not in read else None

    def key_for(self, name: str, prefix: str, used: set[str]) -> str:
        """``name`` itself when it is a key (reserved up front), else a fresh ASCII key."""
        if not prefix and KEY_PATTERN.match(name):
            return name
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
        ascii_name = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")
        if not slug:
            self.generated += 1
            slug = f"field_{self.generated}"
        base = (prefix + slug if prefix or slug[0].isalpha() else "f_" + slug)[:63].rstrip("_")
        key, n = base, 1
        while key in used:
            n += 1
            key = f"{base[: 63 - len(str(n)) - 1]}_{n}"
        used.add(key)
        return key

    def fields(
        self,
        schema: Mapping[str, Any],
        where: str,
        path: tuple[str, ...],
        prefix: str,
        required: bool,
        used: set[str],
        in_subform: bool,
        active: frozenset[str],
    ) -> list[tuple[str, dict[str, Any], bool]]:
        """The fields of an object schema, nested objects flattened into ``prefix_name``."""
        found: list[tuple[str, dict[str, Any], bool]] = []
        label = path[-1] if path else "/"
        names: list[Any] = schema["required"] if isinstance(schema.get("required"), list) else []
        extra = schema.get("additionalProperties")
        if schema.get("patternProperties") or (isinstance(extra, Mapping) and extra):
            self.warn(where, "interop_extra_properties", name=label)
        ignored = sorted(_UNSUPPORTED & set(schema))
        if ignored:
            self.warn(where, "interop_keyword_ignored", name=label, keywords=", ".join(ignored))
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        if not prefix:
            used.update(name for name in properties if KEY_PATTERN.match(name))
        for name, sub in properties.items():
            here = f"{where}/properties/{_escape(name)}"
            read = self.normalise(sub, here, name, active)
            if read is None:
                continue
            sub, sub_active = read
            is_required = required and name in names
            if _types(sub) == ["object"] or (not _types(sub) and "properties" in sub):
                if not sub.get("properties"):
                    self.skip(here, name, "free_object")
                elif len(path) >= MAX_DEPTH:
                    self.skip(here, name, "too_deep", depth=MAX_DEPTH)
                else:
                    key = self.key_for(name, prefix, set(used))
                    found += self.fields(
                        sub,
                        here,
                        (*path, name),
                        key + "_",
                        is_required,
                        used,
                        in_subform,
                        sub_active,
                    )
                continue
            fragment = self.field(sub, here, name, in_subform, sub_active)
            if fragment is None:
                continue
            key = self.key_for(name, prefix, used)
            if (*path, name) != (key,):
                fragment["x-source-path"] = _pointer((*path, name))
            if not path and key != name:
                fragment["x-aliases"] = [name]
                fragment.setdefault("title", name)
            found.append((key, fragment, is_required))
        return found

    def field(
        self,
        schema: dict[str, Any],
        where: str,
        name: str,
        in_subform: bool,
        active: frozenset[str],
    ) -> dict[str, Any] | None:
        """One field's fragment, or ``None`` (with a warning) when no field fits."""
        kinds = _types(schema)
        fragment: dict[str, Any]
        if "enum" in schema or "const" in schema:
            values = list(dict.fromkeys(schema["enum"] if "enum" in schema else [schema["const"]]))
            if (
                not values
                or not all(isinstance(v, str) for v in values)
                or kinds not in ([], ["string"])
            ):
                self.skip(where, name, "enum")
                return None
            rest = {k: v for k, v in schema.items() if k not in ("enum", "const", "default")}
            options = [v for v in dict.fromkeys(values) if self.accepts(rest, v)]
            fragment = {"enum": options, "x-field": "select"}
            if schema.get("x-option-titles"):
                fragment["x-option-titles"] = schema["x-option-titles"]
        elif len(kinds) != 1:
            self.skip(where, name, "mixed_types" if kinds else "no_type", types=", ".join(kinds))
            return None
        elif kinds == ["string"]:
            kind = _FORMATS.get(schema.get("format", ""))
            long = isinstance(schema.get("maxLength"), int) and schema["maxLength"] > 500
            fragment = {"type": "string", "x-field": kind or ("textarea" if long else "text")}
            fragment.update(self.keep(schema, _STRING, where, name))
        elif kinds[0] in ("number", "integer"):
            fragment = {"type": "number", "x-field": "number"}
            fragment.update(self.keep(schema, _NUMBER, where, name))
            if kinds[0] == "integer":
                fragment.update(self.whole(fragment.get("multipleOf"), where, name))
        elif kinds == ["boolean"]:
            fragment = {"type": "boolean", "x-field": "checkbox"}
        elif kinds == ["array"]:
            found = self.array(schema, where, name, in_subform, active)
            if found is None:
                return None
            fragment = {**found, **self.keep(schema, _ARRAY, where, name)}
        else:
            self.skip(where, name, "unsupported", keyword=f"type {kinds[0]}")
            return None
        ignored = sorted(_UNSUPPORTED & set(schema))
        if ignored:
            self.warn(where, "interop_keyword_ignored", name=name, keywords=", ".join(ignored))
        fragment.update({k: schema[k] for k in _LABELS if isinstance(schema.get(k), str)})
        if "default" in schema:
            if self.accepts(fragment, schema["default"], plain=True):
                fragment["default"] = schema["default"]
            else:
                self.warn(where, "interop_default_dropped", name=name)
        return fragment

    def keep(
        self, schema: Mapping[str, Any], keywords: tuple[str, ...], where: str, name: str
    ) -> dict[str, Any]:
        kept = {k: schema[k] for k in keywords if k in schema}
        for kw in ("exclusiveMinimum", "exclusiveMaximum"):  # draft 4: a flag on min/max
            if isinstance(kept.get(kw), bool):
                bound = kw.replace("exclusiveM", "m")
                if kept.pop(kw) and bound in kept:
                    kept[kw] = kept.pop(bound)
        if "pattern" in kept:
            try:
                re.compile(str(kept["pattern"]))
            except re.error:
                self.warn(
                    where, "interop_pattern_dropped", name=name, pattern=str(kept.pop("pattern"))
                )
        return kept

    def whole(self, step: Any, where: str, name: str) -> dict[str, Any]:
        """An integer is a number field stepping by 1 (or by its own whole step)."""
        if isinstance(step, int | float) and float(step).is_integer():
            return {"multipleOf": step, "x-decimals": 0}
        if isinstance(step, int | float) and not round(1 / step, 9).is_integer():
            self.warn(where, "interop_keyword_ignored", name=name, keywords="multipleOf")
        return {"multipleOf": 1, "x-decimals": 0}

    def accepts(self, schema: Mapping[str, Any], value: Any, *, plain: bool = False) -> bool:
        """Whether ``schema`` (read with the source draft, or 2020-12 if ``plain``) accepts it."""
        try:
            if plain:
                return Draft202012Validator(plain_schema(schema, labels=False)).is_valid(value)
            return bool(self.validator(dict(schema)).is_valid(value))
        except Exception:  # a reference or construct the bare validator cannot follow
            return True

    def array(
        self,
        schema: Mapping[str, Any],
        where: str,
        name: str,
        in_subform: bool,
        active: frozenset[str],
    ) -> dict[str, Any] | None:
        items = schema.get("items")
        if not isinstance(items, Mapping) or "prefixItems" in schema:
            self.skip(where, name, "array")
            return None
        read = self.normalise(items, f"{where}/items", name, active)
        if read is None:
            return None
        items, active = read
        unique = schema.get("uniqueItems") is True
        result: dict[str, Any]
        if "enum" in items or "const" in items or _types(items) == ["string"]:
            inner = self.field(dict(items), f"{where}/items", name, True, active)
            if inner is None or inner["x-field"] not in ("select", "text", "textarea"):
                self.skip(where, name, "array")
                return None
            is_select = inner["x-field"] == "select"
            inner = {
                k: v for k, v in inner.items() if k in ("enum", "type", *_STRING) and k != "format"
            }
            result = {"type": "array", "items": inner, "uniqueItems": True}
            result["x-field"] = "multiselect" if is_select else "tags"
        elif _types(items) == ["object"] or (not _types(items) and "properties" in items):
            if in_subform:
                self.skip(where, name, "nested_subform")
                return None
            columns = self.fields(items, f"{where}/items", (), "", True, set(), True, active)
            if not columns:
                self.skip(where, name, "free_object")
                return None
            unique = True  # rows are never made unique
            result = {"type": "array", "x-field": "subform", "items": _object(columns)}
        else:
            self.skip(where, name, "array")
            return None
        if not unique:
            self.warn(where, "interop_items_made_unique", name=name)
        return result


def _object(fields: list[tuple[str, dict[str, Any], bool]]) -> dict[str, Any]:
    return {
        "type": "object",
        "x-order": [key for key, _, _ in fields],
        "properties": {key: fragment for key, fragment, _ in fields},
        "required": [key for key, _, required in fields if required],
        "additionalProperties": False,
    }


def import_json_schema(
    schema: Mapping[str, Any] | bool, *, title: str | None = None
) -> ImportResult:
    """A form document from a plain JSON Schema of an object.

    Args:
        schema: A draft 4/6/7/2019-09/2020-12 schema whose root describes an object.
        title: The form's title; else the schema's ``title``; else "Imported form".

    Returns:
        The document and the warnings about what it could not keep.

    Raises:
        InteropError: the input is not a schema, is invalid for its draft, or its root
            is not an object with properties.
    """
    if schema is True:
        importer = _Importer({})
        importer.warn("", "interop_accepts_anything")
        found: list[tuple[str, dict[str, Any], bool]] = []
        root: Mapping[str, Any] = {}
    else:
        if not isinstance(schema, Mapping):
            raise InteropError("interop_not_a_schema")
        importer = _Importer(schema)
        try:
            importer.validator.check_schema(dict(schema))
        except SchemaError as exc:
            path = tuple(exc.path)
            raise InteropError(
                "interop_invalid_schema",
                path=path,
                error=exc.message,
                pointer=_pointer(tuple(map(str, path))) or "/",
            ) from exc
        read = importer.normalise(schema, "", "/", frozenset({""}))
        root = read[0] if read else {}
        if not read or (_types(root) not in ([], ["object"])) or "properties" not in root:
            raise InteropError("interop_root_not_object")
        found = importer.fields(root, "", (), "", True, set(), False, read[1])
    document: dict[str, Any] = {"$schema": DIALECT, "x-format": 1, "type": "object"}
    document["title"] = title or root.get("title") or "Imported form"
    if isinstance(root.get("description"), str):
        document["description"] = root["description"]
    document.update(_object(found))
    return ImportResult(document, tuple(importer.warnings))


# --- export ---------------------------------------------------------------------------


def _is_layout(fragment: Mapping[str, Any]) -> bool:
    return bool(fragment.get("x-layout")) or fragment.get("x-field") in ("section", "description")


def _export_field(fragment: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    kind = fragment.get("x-field")
    schema: dict[str, Any] = plain_schema({k: v for k, v in fragment.items() if k != "items"})
    items = fragment.get("items")
    if kind == "subform" and isinstance(items, Mapping):
        properties, required = _export_fields(items)
        schema["items"] = {"type": "object", "properties": properties}
        schema["items"].update({"required": required} if required else {})
        schema["items"]["additionalProperties"] = False
    elif items is not None:
        schema["items"] = plain_schema(items)
    if schema.get("type") == "number" and schema.get("multipleOf") == 1:
        schema["type"] = "integer"  # the same values, in the words code generators know
        del schema["multipleOf"]
    computed = bool(fragment.get("readOnly")) or kind in _COMPUTED
    if computed:
        schema["readOnly"] = True
        if "type" not in schema:
            stored = _RESULTS.get(str(fragment.get("x-result"))) if kind == "formula" else None
            schema.update(stored or _STORED.get(str(kind), {}))
    return schema, computed


def _place(
    path: tuple[str, ...], leaves: set[tuple[str, ...]], inner: set[tuple[str, ...]]
) -> bool:
    clash = path in leaves or path in inner or any(path[:i] in leaves for i in range(1, len(path)))
    if not clash:
        leaves.add(path)
        inner.update(path[:i] for i in range(1, len(path)))
    return not clash


def _export_fields(container: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Plain ``properties`` and ``required`` of a form (or subform row), nesting rebuilt."""
    fields = {
        k: v for k, v in dict(container.get("properties") or {}).items() if isinstance(v, Mapping)
    }
    order = [k for k in dict.fromkeys(container.get("x-order") or ()) if k in fields]
    order += [k for k in fields if k not in order]
    required = set(container.get("required") or ())
    root: dict[str, Any] = {"properties": {}, "required": []}
    objects: dict[tuple[str, ...], dict[str, Any]] = {}
    leaves: set[tuple[str, ...]] = set()
    inner: set[tuple[str, ...]] = set()
    for key in order:
        fragment = fields[key]
        if _is_layout(fragment):
            continue
        schema, computed = _export_field(fragment)
        conditional = "x-visible-if" in fragment or "x-required-if" in fragment
        source = fragment.get("x-source-path")
        path = _split(source) if isinstance(source, str) and source.startswith("/") else (key,)
        for candidate in (path, (key,), *((f"{key}_{n}",) for n in range(2, 100))):
            if all(candidate) and _place(candidate, leaves, inner):
                path = candidate
                break
        node = root
        must = key in required and not computed and not conditional
        for depth, part in enumerate(path[:-1], start=1):
            if path[:depth] not in objects:
                objects[path[:depth]] = {"type": "object", "properties": {}, "required": []}
                node["properties"][part] = objects[path[:depth]]
            if must and part not in node["required"]:
                node["required"].append(part)
            node = objects[path[:depth]]
        node["properties"][path[-1]] = schema
        if must:
            node["required"].append(path[-1])
    for rebuilt in objects.values():  # as a form stores them: only the listed properties
        if not rebuilt["required"]:
            del rebuilt["required"]
        rebuilt["additionalProperties"] = False
    return root["properties"], root["required"]


def export_json_schema(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A plain JSON Schema (2020-12) of the form's records; no ``x-`` keywords.

    Archived and layout fields are left out; computed fields are ``readOnly`` with their
    stored type and never required; fields with ``x-visible-if``/``x-required-if`` are
    optional; nested objects are rebuilt from ``x-source-path``.
    """
    properties, required = _export_fields(doc)
    result: dict[str, Any] = {"$schema": DIALECT}
    result.update({k: doc[k] for k in _LABELS if isinstance(doc.get(k), str)})
    result.update({"type": "object", "properties": properties})
    result.update({"required": required} if required else {})
    result["additionalProperties"] = False
    return result
