"""Sample data generators for the built-in templates (docs/templates.md, "Sample data").

Each template with sample data has a module here named after its id, exposing

    def generate(locale: str, as_of: date) -> dict[str, list[dict[str, Any]]]

which returns, per form key, the rows to write (each with a ``_key`` and field values;
a link value is the ``_key`` of the linked row). Generators use Faker (en_US or zh_CN)
and ``random.Random`` with fixed seeds, so the output is the same on every run; the CSV
files are written by :func:`write_samples` and committed, and a test regenerates them
to check they are current. Faker is a development and test dependency only: installing
a template reads the CSV files.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import random
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

FAKER_LOCALES = {"en": "en_US", "zh-CN": "zh_CN"}


class Generator(Protocol):
    def __call__(self, locale: str, as_of: date) -> dict[str, list[dict[str, Any]]]: ...


def generator_for(template_id: str) -> Generator:
    module = importlib.import_module(f"templates_library.samples.{template_id}")
    generate: Generator = module.generate
    return generate


def pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    """One of the values, drawn by weight."""
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def unique_mobile(rng: random.Random, taken: set[str]) -> str:
    """A mainland mobile number (11 digits) not in ``taken``; added to it."""
    while True:
        number = "1" + rng.choice("3456789") + "".join(rng.choice("0123456789") for _ in range(9))
        if number not in taken:
            taken.add(number)
            return number


def cell(value: Any) -> str:
    """One CSV cell: empty for no value, JSON for lists and objects."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, float):
        return repr(round(value, 2))
    return str(value)


def to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """The CSV text of ``rows`` with ``_key`` first, then ``columns`` in order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["_key", *[c for c in columns if c != "_key"]]
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in header])
    return out.getvalue()


def columns_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every key used by ``rows``, in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def render_samples(folder: Path) -> dict[Path, str]:
    """Every sample file of the template in ``folder``: path → CSV text."""
    manifest = json.loads((folder / "template.json").read_text(encoding="utf-8"))
    sample = manifest.get("sample_data")
    if not sample:
        return {}
    as_of = date.fromisoformat(sample["as_of"])
    generate = generator_for(manifest["id"])
    files: dict[Path, str] = {}
    for locale in sample["locales"]:
        tables = generate(locale, as_of)
        for form_key in sample["forms"]:
            rows = tables.get(form_key, [])
            files[folder / "sample" / locale / f"{form_key}.csv"] = to_csv(rows, columns_of(rows))
    return files


def write_samples(folder: Path) -> list[Path]:
    written = []
    for path, text in render_samples(folder).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
