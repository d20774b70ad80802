"""Versioned documents: every stored document carries a format ``version`` and old
versions are brought up to date by pure, chained ``vN -> vN+1`` steps.

Forms, automations, tier schemes and templates each declare their own upgrader.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from form_engine.errors import DocumentVersionError

Document = dict[str, Any]
UpgradeStep = Callable[[Document], Document]


@dataclass(frozen=True)
class DocumentUpgrader:
    """Upgrades documents of one kind to ``current`` through registered steps.

    ``steps[n]`` turns a version-``n`` document into a version-``n + 1`` one.

    Args:
        kind: The document kind, used in error messages ("form", "automation", …).
        current: The version this code writes.
        steps: The chain; it must cover every version from ``first`` to ``current - 1``.
        first: The oldest version still readable.
        version_key: Where the version is stored in the document.
    """

    kind: str
    current: int
    steps: Mapping[int, UpgradeStep] = field(default_factory=dict)
    first: int = 1
    version_key: str = "version"

    def __post_init__(self) -> None:
        missing = [n for n in range(self.first, self.current) if n not in self.steps]
        if missing:
            raise ValueError(f"{self.kind} upgrader lacks steps from versions {missing}")

    def upgrade(self, document: Mapping[str, Any]) -> Document:
        """Return an up-to-date copy of ``document``; the input is never modified.

        Raises:
            DocumentVersionError: the version is missing, not an integer, older than
                ``first`` or newer than ``current``.
        """
        version = document.get(self.version_key)
        if isinstance(version, bool) or not isinstance(version, int):
            raise DocumentVersionError(
                f"{self.kind} document has no integer '{self.version_key}'",
                path=(self.version_key,),
            )
        if version > self.current:
            raise DocumentVersionError(
                f"{self.kind} document version {version} is newer than this Formwork "
                f"understands ({self.current}); upgrade Formwork to read it",
                path=(self.version_key,),
            )
        if version < self.first:
            raise DocumentVersionError(
                f"{self.kind} document version {version} is too old (oldest readable: "
                f"{self.first})",
                path=(self.version_key,),
            )
        result: Document = copy.deepcopy(dict(document))
        while version < self.current:
            result = self.steps[version](result)
            version += 1
            result[self.version_key] = version
        return result
