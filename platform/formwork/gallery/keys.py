"""Template keys → workspace keys.

Form and tier scheme keys are unique per workspace. When a workspace already has a form
(or scheme) with a template's key that the installation did not make, the installed one
gets a free key (``customers_2``) and every reference to it in the template's documents
is rewritten: every ``"form"`` value (links, rollups, automations, tier schemes, reports,
customer-value settings) and every ``"scheme"`` value (``tier_changed`` triggers,
``recompute_tiers`` actions) naming it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any


def free_key(wanted: str, taken: Iterable[str]) -> str:
    """``wanted`` when it is free, else ``wanted_2``, ``wanted_3``, … (at most 63 chars)."""
    used = set(taken)
    if wanted not in used:
        return wanted
    number = 2
    while f"{wanted[:58]}_{number}" in used:
        number += 1
    return f"{wanted[:58]}_{number}"


def rewrite(document: Any, forms: Mapping[str, str], schemes: Mapping[str, str]) -> Any:
    """A deep copy of ``document`` with form and scheme keys renamed."""
    result = copy.deepcopy(document)
    renames = {"form": forms, "scheme": schemes}
    stack = [result]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                mapping = renames.get(key)
                if mapping is not None and isinstance(value, str) and value in mapping:
                    node[key] = mapping[value]
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return result


def reverse(mapping: Mapping[str, str]) -> dict[str, str]:
    return {value: key for key, value in mapping.items()}
