"""Template folders are found and validated by their manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from templates_library import TemplateError, available_templates, load

GOOD = {
    "id": "customer-asset-crm",
    "version": "1.0.0",
    "format": 1,
    "titles": {"en": "Customer Asset CRM", "zh-CN": "客户资产管理"},
    "descriptions": {"en": "Customers as an asset.", "zh-CN": "把客户变成资产。"},
}


def _write(folder: Path, manifest: object) -> Path:
    folder.mkdir()
    (folder / "template.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    return folder


def test_valid_manifest_loads(tmp_path: Path) -> None:
    manifest = load(_write(tmp_path / "crm", GOOD))
    assert manifest.id == "customer-asset-crm" and manifest.titles["zh-CN"] == "客户资产管理"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"id": "Bad Id"}, "id: 'Bad Id' does not match"),
        ({"version": "1.0"}, "version: '1.0' does not match"),
        ({"titles": {"en": "Only English"}}, "titles: 'zh-CN' is a required property"),
        ({"format": 2}, "format: 1 was expected"),
    ],
)
def test_invalid_manifest_names_the_problem(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    with pytest.raises(TemplateError) as caught:
        load(_write(tmp_path / "t", {**GOOD, **change}))
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_unreadable_manifest_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "template.json").write_text("{not json", "utf-8")
    with pytest.raises(TemplateError, match="not JSON"):
        load(folder)


def test_catalogue_lists_template_folders_sorted(tmp_path: Path) -> None:
    _write(tmp_path / "b", {**GOOD, "id": "sales-pipeline"})
    _write(tmp_path / "a", GOOD)
    (tmp_path / "not-a-template").mkdir()
    assert [m.id for m in available_templates(tmp_path)] == ["customer-asset-crm", "sales-pipeline"]


def test_shipped_templates_are_all_valid() -> None:
    """Every template in the library passes its meta-schema (none ship yet)."""
    for manifest in available_templates():
        assert manifest.folder.is_dir()
