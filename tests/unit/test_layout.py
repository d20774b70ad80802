"""The repository layout keeps the standard library's ``platform`` module reachable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_platform_folder_is_not_a_package() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists()
    assert (ROOT / "platform" / "formwork" / "__init__.py").exists()


def test_stdlib_platform_and_uuid_import_from_the_repository_root() -> None:
    code = (
        "import uuid, platform, sysconfig, formwork\n"
        "assert platform.__file__.startswith(sysconfig.get_paths()['stdlib']), platform.__file__\n"
        "assert callable(platform.python_version)\n"
        "print(uuid.uuid4(), platform.python_version(), formwork.__name__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("formwork")


def test_engines_do_not_import_the_platform_or_frameworks() -> None:
    forbidden = ("flask", "sqlalchemy", "wtforms", "formwork")
    for engine in ("form_engine", "workflow_engine", "templates_library"):
        for source in (ROOT / engine).rglob("*.py"):
            for line in source.read_text(encoding="utf-8").splitlines():
                stripped = line.strip()
                if stripped.startswith(("import ", "from ")):
                    module = stripped.split()[1].split(".")[0]
                    assert module not in forbidden, f"{source}: {stripped}"
