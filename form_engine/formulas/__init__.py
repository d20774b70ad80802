"""Spreadsheet-style formulas for ``x-formula`` fields, in a sandbox.

A formula is tokenized and parsed by a small Pratt parser into a typed tree; evaluation
walks that tree with whitelisted functions only. There is no ``eval``, no attribute or
item access, no imports, and every evaluation has a step budget.

Syntax
    Numbers ``12``, ``3.5``, ``1e3``; text ``"a \\"b\\""`` (``""`` also stands for a
    quote; curly quotes are refused); ``TRUE``/``FALSE``; fields as bare keys
    (``total_spent``) or braced (``{total_spent}``, ``{lines.amount}`` for a subform
    column); operators, loosest first: ``= <> < <= > >=`` (not chainable), ``&``,
    ``+ -``, ``* /``, ``^`` (left-associative), unary ``- +``, postfix ``%``; calls
    ``NAME(args…)``, names case-insensitive. A leading ``=`` is ignored.

Functions
    IF(cond, then[, else]) · AND(…) · OR(…) · NOT(x) · IFERROR(value, fallback) ·
    ROUND(x[, digits]) · ABS(x) · SUM(…) · AVERAGE(…) · MIN(…) · MAX(…) · COUNTA(…) ·
    CONCAT(…) · LEN(text) · TODAY() · DATE(y, m, d) · YEAR(d) · MONTH(d) · DAY(d) ·
    DATEDIF(start, end, "D"|"M"|"Y") · DAYS(end, start)

Semantics
    Numbers are floats; TRUE/FALSE count as 1/0. Empty (None or "") is 0 in arithmetic,
    "" in text, FALSE in conditions, skipped by SUM/AVERAGE/MIN/MAX/COUNTA (AVERAGE of
    nothing is #DIV/0!, MIN/MAX of nothing is empty); text in arithmetic is #VALUE!.
    Lists (multi-selects, JSON arrays, subform columns) are flattened by the aggregates,
    which skip text inside them; as text a list reads "a, b". ROUND rounds half away from
    zero on the shortest decimal form of the float (ROUND(2.675, 2) = 2.68). Comparisons
    ignore case and compare numbers on 15 significant digits. Dates are ``date`` values
    (datetimes aware UTC): date ± n is a date, date - date is days, and a date calculation
    with an empty side is empty. Errors are ``FormulaValueError`` (#DIV/0!, #VALUE!, #NUM!).

Limits
    2000 characters, nesting depth 50, 500 nodes; text results up to 10 000 characters;
    exponents within ±1024; 100 000 evaluation steps (nodes plus list items).
"""

from form_engine.formulas.dependencies import (
    ComputedFormulas,
    FormulaCycleError,
    compute_formulas,
    formula_order,
)
from form_engine.formulas.errors import (
    SYNTAX_CODES,
    VALUE_CODES,
    FormulaError,
    FormulaSyntaxError,
    FormulaValueError,
)
from form_engine.formulas.formula import KINDS, Formula, convert_result, parse_formula
from form_engine.formulas.functions import FUNCTIONS

__all__ = [
    "FUNCTIONS",
    "KINDS",
    "SYNTAX_CODES",
    "VALUE_CODES",
    "ComputedFormulas",
    "Formula",
    "FormulaCycleError",
    "FormulaError",
    "FormulaSyntaxError",
    "FormulaValueError",
    "compute_formulas",
    "convert_result",
    "formula_order",
    "parse_formula",
]
