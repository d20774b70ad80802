"""A form's formula fields together: the order to compute them in, and computing them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, NamedTuple

from form_engine.formulas.errors import FormulaError, FormulaValueError
from form_engine.formulas.formula import Formula


class FormulaCycleError(FormulaError):
    """Formula fields refer to each other in a circle.

    Attributes:
        cycle: The keys around the circle, the first repeated at the end.
    """

    def __init__(self, cycle: tuple[str, ...]) -> None:
        super().__init__(
            "formula_cycle",
            params={"cycle": " → ".join(cycle)},
            path=("properties", cycle[0], "x-formula"),
        )
        self.cycle = cycle


def formula_order(formulas: Mapping[str, Formula]) -> list[str]:
    """The formula keys, each after the formula fields it references.

    The order is deterministic: dependencies first, otherwise the mapping's order.

    Raises:
        FormulaCycleError: formulas reference each other in a circle, e.g.
            ``total → tax → total`` (a ``FormulaError``).
    """
    depends = {
        key: [other for other in formulas if other in formula.references]
        for key, formula in formulas.items()
    }
    done: set[str] = set()
    order: list[str] = []
    for start in formulas:
        if start in done:
            continue
        # Depth-first without recursion: a stack of (key, index of the next dependency).
        path: list[str] = [start]
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            key, index = stack[-1]
            if index < len(depends[key]):
                stack[-1] = (key, index + 1)
                dependency = depends[key][index]
                if dependency in path:
                    raise FormulaCycleError((*path[path.index(dependency) :], dependency))
                if dependency not in done:
                    path.append(dependency)
                    stack.append((dependency, 0))
            else:
                stack.pop()
                path.pop()
                done.add(key)
                order.append(key)
    return order


class ComputedFormulas(NamedTuple):
    """The results of ``compute_formulas``: unpack as ``values, errors = …``."""

    values: dict[str, Any]
    errors: list[tuple[str, FormulaValueError]]


def compute_formulas(
    formulas: Mapping[str, Formula], record: Mapping[str, Any], today: date
) -> ComputedFormulas:
    """Compute every formula field of a record, in dependency order.

    A formula sees the stored values of the formulas computed before it. A failing
    formula stores None and its error is listed, so the record still saves; a formula
    using a failed one fails too (``formula_upstream_error``) instead of computing on
    an empty value. Each value is converted to the formula's ``result_kind`` (JSON when
    none was declared).

    Raises:
        FormulaCycleError: the formulas reference each other in a circle.
    """
    working = dict(record)
    values: dict[str, Any] = {}
    errors: list[tuple[str, FormulaValueError]] = []
    failed: set[str] = set()
    for key in formula_order(formulas):
        formula = formulas[key]
        broken = [other for other in formulas if other in failed and other in formula.references]
        value: Any = None
        try:
            if broken:
                raise FormulaValueError("formula_upstream_error", params={"field": broken[0]})
            value = formula.evaluate_as(working, formula.result_kind or "json", today)
        except FormulaValueError as error:
            failed.add(key)
            errors.append((key, error))
        working[key] = values[key] = value
    return ComputedFormulas(values, errors)
