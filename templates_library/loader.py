"""Read and check templates (docs/templates.md): a folder or a zip of JSON and CSV files.

``load(folder)`` and ``load_zip(data)`` return a :class:`TemplateBundle` or raise
:class:`TemplateError` listing *every* problem found, each naming its file (and JSON
path). The checks are the meta-schema (``meta_schema.json``), the form dialect
(``form_engine.dialect.check_form``), and the references between parts: every key a
part names must be a part of the same template. Whether automations and tier schemes
make sense against real forms is checked when they are installed (the platform's own
checks), which the test suite does for every template.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from jsonschema import Draft202012Validator

from form_engine.dialect import check_form

LIBRARY_DIR = Path(__file__).resolve().parent
PART_FOLDERS = {"automations": "automation", "tier_schemes": "tier_scheme", "reports": "report"}
# Limits for uploaded zips: generous for real apps, small enough that a hostile file
# cannot exhaust memory (a zip bomb is refused by its declared sizes before reading).
ZIP_MAX_BYTES = 20 * 1024 * 1024
ZIP_MAX_FILES = 1000
_ALLOWED_SUFFIXES = (".json", ".csv")
# A sample CSV column that is no field: when the row's record was created (exports).
CREATED_AT_COLUMN = "_created_at"


class TemplateError(Exception):
    """A template is unreadable or breaks the format; ``problems`` lists every reason."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        super().__init__(f"{origin}: " + "; ".join(problems))
        self.origin = origin
        self.problems = problems


@dataclass(frozen=True)
class TemplateBundle:
    """A checked template. Parts are keyed by their template key, in manifest order."""

    manifest: dict[str, Any]
    forms: dict[str, dict[str, Any]]
    automations: dict[str, dict[str, Any]] = field(default_factory=dict)
    tier_schemes: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    # locale → form key → CSV text
    samples: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.manifest["id"])

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def titles(self) -> dict[str, str]:
        return dict(self.manifest["titles"])

    @property
    def descriptions(self) -> dict[str, str]:
        return dict(self.manifest["descriptions"])

    @property
    def sample_locales(self) -> list[str]:
        return list((self.manifest.get("sample_data") or {}).get("locales", []))

    def title(self, locale: str) -> str:
        return self.titles.get(locale) or self.titles["en"]

    def description(self, locale: str) -> str:
        return self.descriptions.get(locale) or self.descriptions["en"]

    def sample_rows(self, locale: str, form_key: str) -> list[dict[str, str]]:
        """The sample CSV of one form as dicts of cell text (empty cells left out)."""
        text = self.samples.get(locale, {}).get(form_key, "")
        rows = csv.DictReader(io.StringIO(text))
        return [{k: v for k, v in row.items() if v != ""} for row in rows]

    def files(self) -> dict[str, bytes]:
        """The template as files (relative path → bytes), e.g. to write a zip."""

        def dump(value: Any) -> bytes:
            return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()

        out = {"template.json": dump(self.manifest)}
        out |= {f"forms/{key}.json": dump(doc) for key, doc in self.forms.items()}
        for folder in PART_FOLDERS:
            parts: dict[str, dict[str, Any]] = getattr(self, folder)
            out |= {f"{folder}/{key}.json": dump(part) for key, part in parts.items()}
        for locale, tables in self.samples.items():
            out |= {f"sample/{locale}/{key}.csv": text.encode() for key, text in tables.items()}
        return out


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@cache
def meta_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((LIBRARY_DIR / "meta_schema.json").read_text("utf-8"))
    return schema


def _validator(definition: str) -> Draft202012Validator:
    schema = {**meta_schema(), "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _schema_problems(where: str, data: Any, definition: str) -> list[str]:
    errors = sorted(_validator(definition).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [
        f"{where}: {'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in errors
    ]


def load(folder: Path) -> TemplateBundle:
    """Read and check the template in ``folder``.

    Raises:
        TemplateError: every problem found.
    """
    files: dict[str, bytes] = {}
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_file() and path.suffix in _ALLOWED_SUFFIXES:
                files[relative] = path.read_bytes()
    return bundle_from_files(files, origin=folder.name)


def load_zip(data: bytes, origin: str = "upload") -> TemplateBundle:
    """Read and check a template zip (as written by an export).

    The files may sit at the top level or in one folder. Paths leaving the archive,
    files other than JSON and CSV, too many or too large files are refused.

    Raises:
        TemplateError: every problem found.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise TemplateError(origin, ["this file is not a zip archive"]) from exc
    entries = [info for info in archive.infolist() if not info.is_dir()]
    if len(entries) > ZIP_MAX_FILES:
        raise TemplateError(origin, [f"the zip holds more than {ZIP_MAX_FILES} files"])
    if sum(info.file_size for info in entries) > ZIP_MAX_BYTES:
        raise TemplateError(origin, ["the zip's content is larger than 20 MB"])
    problems: list[str] = []
    names: dict[str, zipfile.ZipInfo] = {}
    for info in entries:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            problems.append(f"{info.filename}: a path outside the template is not allowed")
        elif path.suffix not in _ALLOWED_SUFFIXES:
            problems.append(f"{info.filename}: only .json and .csv files belong in a template")
        else:
            names[path.as_posix()] = info
    if problems:
        raise TemplateError(origin, problems)
    # One enclosing folder is allowed (``customer_asset/template.json``).
    prefix = ""
    if "template.json" not in names:
        tops = {name.split("/", 1)[0] for name in names if "/" in name}
        if len(tops) == 1 and f"{next(iter(tops))}/template.json" in names:
            prefix = next(iter(tops)) + "/"
    files = {
        name[len(prefix) :]: archive.read(info)
        for name, info in names.items()
        if name.startswith(prefix)
    }
    return bundle_from_files(files, origin=origin)


def _json(files: Mapping[str, bytes], path: str, problems: list[str]) -> Any:
    if path not in files:
        problems.append(f"{path}: the file is missing")
        return None
    try:
        return json.loads(files[path].decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(f"{path}: the file is not UTF-8 text")
    except json.JSONDecodeError as exc:
        problems.append(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})")
    return None


def bundle_from_files(files: Mapping[str, bytes], origin: str) -> TemplateBundle:
    """Check a template given as files (relative path → bytes) and return it.

    Raises:
        TemplateError: every problem found.
    """
    problems: list[str] = []
    manifest = _json(files, "template.json", problems)
    if manifest is None:
        raise TemplateError(origin, problems)
    problems += _schema_problems("template.json", manifest, "manifest")
    if problems:
        raise TemplateError(origin, problems)
    forms: dict[str, dict[str, Any]] = {}
    for key in manifest["forms"]:
        path = f"forms/{key}.json"
        doc = _json(files, path, problems)
        if doc is None:
            continue
        problems += [f"{path}: {p.pointer or '(root)'}: {p.message('en')}" for p in check_form(doc)]
        forms[key] = doc
    parts: dict[str, dict[str, dict[str, Any]]] = {}
    for folder, definition in PART_FOLDERS.items():
        parts[folder] = {}
        for key in manifest.get(folder, []):
            path = f"{folder}/{key}.json"
            part = _json(files, path, problems)
            if part is None:
                continue
            found = _schema_problems(path, part, definition)
            if not found and part["key"] != key:
                found.append(f"{path}: key: {part['key']!r} differs from the file name")
            if not found:
                found += _text_problems(path, part)
            problems += found
            parts[folder][key] = part
    samples = _samples(files, manifest, forms, problems)
    if not problems:
        problems += _reference_problems(manifest, forms, parts)
    if problems:
        raise TemplateError(origin, problems)
    return TemplateBundle(
        manifest=manifest,
        forms=forms,
        automations=parts["automations"],
        tier_schemes=parts["tier_schemes"],
        reports=parts["reports"],
        samples=samples,
    )


def _samples(
    files: Mapping[str, bytes],
    manifest: Mapping[str, Any],
    forms: Mapping[str, Mapping[str, Any]],
    problems: list[str],
) -> dict[str, dict[str, str]]:
    sample = manifest.get("sample_data")
    if not sample:
        return {}
    samples: dict[str, dict[str, str]] = {}
    for form_key in sample["forms"]:
        if form_key not in manifest["forms"]:
            problems.append(f"template.json: sample_data/forms: {form_key!r} is not a form")
    for form_key, field_key in (sample.get("created_at") or {}).items():
        schema = ((forms.get(form_key) or {}).get("properties") or {}).get(field_key) or {}
        if schema.get("format") not in {"date", "date-time"}:
            problems.append(
                f"template.json: sample_data/created_at/{form_key}: {field_key!r} is not a "
                "date field of that form"
            )
    for locale in sample["locales"]:
        samples[locale] = {}
        for form_key in sample["forms"]:
            path = f"sample/{locale}/{form_key}.csv"
            if path not in files:
                problems.append(f"{path}: the file is missing")
                continue
            try:
                text = files[path].decode("utf-8")
            except UnicodeDecodeError:
                problems.append(f"{path}: the file is not UTF-8 text")
                continue
            header = next(csv.reader(io.StringIO(text)), [])
            properties = (forms.get(form_key) or {}).get("properties") or {}
            if not header or header[0] != "_key":
                problems.append(f"{path}: the first column must be _key")
            problems += [
                f"{path}: column {column!r} is not a field of form {form_key!r}"
                for column in header[1:]
                if column not in properties and column != CREATED_AT_COLUMN
            ]
            samples[locale][form_key] = text
    return samples


def _values_named(node: Any, name: str) -> Iterator[tuple[str, Any]]:
    """Every ``name: value`` pair anywhere in a JSON tree, with its path."""
    stack: list[tuple[str, Any]] = [("", node)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key == name:
                    yield f"{path}/{key}", value
                stack.append((f"{path}/{key}", value))
        elif isinstance(current, list):
            stack.extend((f"{path}/{i}", value) for i, value in enumerate(current))


def _reference_problems(
    manifest: Mapping[str, Any],
    forms: Mapping[str, Mapping[str, Any]],
    parts: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> list[str]:
    problems: list[str] = []
    schemes = parts["tier_schemes"]
    documents: list[tuple[str, Any]] = [(f"forms/{k}.json", doc) for k, doc in forms.items()]
    for folder, by_key in parts.items():
        documents += [(f"{folder}/{key}.json", part) for key, part in by_key.items()]
    for where, document in documents:
        for path, value in _values_named(document, "form"):
            if isinstance(value, str) and value not in forms:
                problems.append(f"{where}: {path}: {value!r} is not a form of this template")
        for path, value in _values_named(document, "scheme"):
            if isinstance(value, str) and value not in schemes and value != "churn":
                problems.append(f"{where}: {path}: {value!r} is not a tier scheme of this template")
    for key, scheme in schemes.items():
        properties = (forms.get(scheme["form"]) or {}).get("properties") or {}
        target = properties.get(scheme["field"])
        where = f"tier_schemes/{key}.json"
        if target is None:
            problems.append(f"{where}: field: {scheme['field']!r} is not a field of the form")
            continue
        options = set(target.get("enum") or [])
        tiers = [*scheme["document"].get("tiers", []), scheme["document"].get("fallback") or {}]
        missing = [t.get("key") for t in tiers if t.get("key") not in options]
        if missing:
            problems.append(
                f"{where}: tiers {missing} are not options of field {scheme['field']!r}"
            )
    chain = manifest.get("upgrades") or []
    for previous, step in itertools.pairwise(chain):
        if previous["to"] != step["from"]:
            problems.append("template.json: upgrades: each step must start where the last ended")
    for step in chain:
        if version_tuple(step["from"]) >= version_tuple(step["to"]):
            problems.append(f"template.json: upgrades: {step['from']} → {step['to']} goes back")
    if chain and chain[-1]["to"] != manifest["version"]:
        problems.append("template.json: upgrades: the last step must end at this version")
    return problems


def _pointer_parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]


def localized_document(part: Mapping[str, Any], locale: str) -> Any:
    """An automation's document in ``locale``: its ``texts[locale]`` overrides (JSON
    pointer → text) applied to a copy. Automations store one text per place, so a
    template writes English in the document and other languages as overrides."""
    document = copy.deepcopy(part["document"])
    for pointer, text in ((part.get("texts") or {}).get(locale) or {}).items():
        *parents, last = _pointer_parts(pointer)
        node: Any = document
        for name in parents:
            node = node[int(name)] if isinstance(node, list) else node[name]
        if isinstance(node, list):
            node[int(last)] = text
        else:
            node[last] = text
    return document


def _text_problems(where: str, part: Mapping[str, Any]) -> list[str]:
    problems = []
    for locale, texts in (part.get("texts") or {}).items():
        for pointer in texts:
            node: Any = part["document"]
            try:
                for name in _pointer_parts(pointer):
                    node = node[int(name)] if isinstance(node, list) else node[name]
            except (KeyError, IndexError, ValueError, TypeError):
                node = None
            if not isinstance(node, str):
                problems.append(f"{where}: texts/{locale}: {pointer} is not a text of the document")
    return problems


def upgrade_path(bundle: TemplateBundle, installed: str) -> list[dict[str, Any]] | None:
    """The steps from version ``installed`` to the bundle's version, or None when the
    chain does not lead there (an unknown or newer installed version)."""
    if installed == bundle.version:
        return []
    steps: list[dict[str, Any]] = bundle.manifest.get("upgrades") or []
    for start, step in enumerate(steps):
        if step["from"] == installed:
            return steps[start:]
    return None


def available_templates(root: Path = LIBRARY_DIR) -> list[TemplateBundle]:
    """Every template folder under ``root``, checked, sorted by id."""
    folders = [
        child for child in root.iterdir() if child.is_dir() and (child / "template.json").exists()
    ]
    return sorted((load(folder) for folder in folders), key=lambda bundle: bundle.id)


def find_template(template_id: str, root: Path = LIBRARY_DIR) -> TemplateBundle | None:
    folder = root / template_id
    if not template_id.replace("_", "").replace("-", "").isalnum() or not folder.is_dir():
        return None
    return load(folder)
