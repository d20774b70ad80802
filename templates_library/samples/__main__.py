"""``python -m templates_library.samples [TEMPLATE_ID ...]``: regenerate sample CSV files."""

from __future__ import annotations

import sys

from templates_library.loader import LIBRARY_DIR
from templates_library.samples import write_samples


def main(argv: list[str]) -> int:
    folders = [LIBRARY_DIR / name for name in argv] or sorted(
        child for child in LIBRARY_DIR.iterdir() if (child / "template.json").exists()
    )
    for folder in folders:
        for path in write_samples(folder):
            print(path.relative_to(LIBRARY_DIR))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
