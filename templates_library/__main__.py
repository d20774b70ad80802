"""``python -m templates_library check [FOLDER ...]``: check template folders (default:
every template of the library) and print each one's problems; exit 1 when any has one."""

from __future__ import annotations

import sys
from pathlib import Path

from templates_library.loader import LIBRARY_DIR, TemplateError, load


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "check":
        print(__doc__)
        return 2
    folders = [Path(arg) for arg in argv[1:]] or sorted(
        child for child in LIBRARY_DIR.iterdir() if (child / "template.json").exists()
    )
    failed = False
    for folder in folders:
        try:
            bundle = load(folder)
        except TemplateError as exc:
            failed = True
            print(f"{folder.name}: {len(exc.problems)} problem(s)")
            for problem in exc.problems:
                print(f"  - {problem}")
        else:
            print(f"{bundle.id} {bundle.version}: ok ({len(bundle.forms)} forms)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
