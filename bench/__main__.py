"""Run every benchmark module in this folder (``python -m bench [--full]``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    folder = Path(__file__).parent
    for module in sorted(m.name for m in pkgutil.iter_modules([str(folder)])):
        if module.startswith("_"):
            continue
        print(f"\n== bench/{module}.py ==")
        importlib.import_module(f"bench.{module}").main(sys.argv[1:])


if __name__ == "__main__":
    main()
