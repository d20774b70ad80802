"""Find, read and validate template folders (``<folder>/template.json``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

LIBRARY_DIR = Path(__file__).resolve().parent

MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["id", "version", "format", "titles", "descriptions"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{1,63}$"},
        "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
        "format": {"type": "integer", "const": 1},
        "titles": {"$ref": "#/$defs/bilingual"},
        "descriptions": {"$ref": "#/$defs/bilingual"},
    },
    "$defs": {
        "bilingual": {
            "type": "object",
            "required": ["en", "zh-CN"],
            "properties": {
                "en": {"type": "string", "minLength": 1},
                "zh-CN": {"type": "string", "minLength": 1},
            },
        }
    },
}
_validator = Draft202012Validator(MANIFEST_SCHEMA)


class TemplateError(Exception):
    """A template folder is unreadable or its manifest breaks the format."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        super().__init__(f"{folder.name}: " + "; ".join(problems))
        self.folder = folder
        self.problems = problems


@dataclass(frozen=True)
class TemplateManifest:
    id: str
    version: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    folder: Path


def load(folder: Path) -> TemplateManifest:
    """Read and validate one template folder.

    Raises:
        TemplateError: the manifest is missing, not JSON, or breaks the schema.
    """
    path = folder / "template.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise TemplateError(folder, ["template.json is missing"]) from exc
    except json.JSONDecodeError as exc:
        raise TemplateError(folder, [f"template.json is not JSON: {exc}"]) from exc
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(_validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]
    if problems:
        raise TemplateError(folder, problems)
    return TemplateManifest(
        id=data["id"],
        version=data["version"],
        titles=data["titles"],
        descriptions=data["descriptions"],
        folder=folder,
    )


def available_templates(root: Path = LIBRARY_DIR) -> list[TemplateManifest]:
    """Every template folder under ``root``, validated, sorted by id."""
    folders = [
        child for child in root.iterdir() if child.is_dir() and (child / "template.json").exists()
    ]
    return sorted((load(folder) for folder in folders), key=lambda manifest: manifest.id)
