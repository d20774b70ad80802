"""The condition language: one for field visibility, automations and tier rules.

A condition is a JSON tree in the JsonLogic shape, e.g.
``{"and": [{">=": [{"var": "total_spent"}, 50000]}, {"in": [{"var": "tier"}, ["A", "B"]]}]}``.
``parse_condition`` checks it into a small typed tree (``Var``, ``Literal``, ``Op``);
``evaluate`` runs it on one record; the platform compiles the same tree to SQL
(``formwork.services.condition_sql``) with exactly the same results.

Operators (a whitelist; nothing else is accepted, nothing is ever executed):

==================  =========================================================================
``and``, ``or``     one or more conditions
``!``               not: ``{"!": [c]}`` (``{"!": c}`` is accepted too)
``==``, ``!=``      two values
``<`` ``<=``        two values; ``{"<=": [a, x, b]}`` means a <= x <= b (also ``<``)
``>`` ``>=``        two values
``in``              value in a list constant ``{"in": [{"var": "tier"}, ["A", "B"]]}``;
                    text within text ``{"in": ["vip", {"var": "note"}]}``; a constant
                    within a list field ``{"in": ["vip", {"var": "tags"}]}``
``contains_any``    a list field shares an element with a list constant:
                    ``{"contains_any": [{"var": "tags"}, ["vip", "key"]]}``
``is_empty``        the field is null, missing, ``""`` or ``[]``; ``not_empty`` the opposite
``var``             a field: ``{"var": "total"}``, or with a default for null/missing
                    values ``{"var": ["total", 0]}``; keys match ``^[a-z][a-z0-9_]{0,62}$``,
                    or name a host variable ``<namespace>.<key>`` (``metrics.total_spent``)
                    when the ``fields`` given to ``parse_condition`` hold that exact name
``today``           ``{"today": []}``: today's date (``EvalContext.today``) as ISO text
``days_since``      ``{"days_since": [{"var": "last_order"}]}``: whole days from a date or
                    datetime field (its UTC date) to today; only compared with a whole
                    number constant: ``{">=": [{"days_since": [{"var": "d"}]}, 90]}``
``changed``         ``{"changed": "status"}``: the field differs between the previous and
                    the new record (events only)
``was``             ``{"was": ["status", "open"]}``: the previous value equalled the
                    constant (events only)
==================  =========================================================================

Values and nulls (Python and SQL agree on every point):

* A field is read through its kind (``fields`` given to ``parse_condition``). Missing,
  JSON null and wrong-typed values (a string in a number field, text that is not shaped
  ``YYYY-MM-DD`` in a date field, ``"yes"`` in a boolean field) all read as **null**.
* A comparison (``==``, ``!=``, ``<`` … and each pair of a between) with a null operand is
  **false** — ``!=`` included. ``!`` is plain negation of a true/false result, so
  ``{"!": {"==": [{"var": "x"}, 1]}}`` is true when x is null while
  ``{"!=": [{"var": "x"}, 1]}`` is false. Comparing with a ``null`` constant is refused
  (use ``is_empty``/``not_empty``); ``in`` with a null needle is false.
* Numbers compare as exact decimals; text by Unicode code point (not by locale); dates
  and datetimes as ISO text (a date constant compared with a datetime field compares
  text, so ``"2024-05-01T08:00:00Z" > "2024-05-01"``); booleans only with ``==``/``!=``.
  Values of different types are never equal. A boolean field used as a condition is
  true only when it holds ``true``.
* ``in`` and ``contains_any`` compare elements with the same typed equality: ``1`` equals
  ``1.0`` but neither equals ``"1"`` nor ``true``; elements that are lists or objects
  never match.
* ``changed`` compares raw JSON values (missing = null). With no previous record (a
  created record) every field counts as previously missing.

Limits: at most 32 levels deep, 500 parts, and 10,000 characters per string; integers
within 64 bits; days_since against at most ±100,000 days. Beyond ±2**53, SQLite's
doubles may compare an integer with a float differently from these exact decimals.

Without ``fields`` the tree is untyped: values are compared by their JSON type at
evaluation time, and the SQL compiler re-checks the tree against the form's fields.
"""

from form_engine.conditions.errors import ConditionError
from form_engine.conditions.evaluator import EvalContext, evaluate
from form_engine.conditions.nodes import (
    OPERATORS,
    Condition,
    Literal,
    Node,
    Op,
    Var,
    referenced_fields,
    to_json,
    uses_event_operators,
)
from form_engine.conditions.parser import MAX_DEPTH, MAX_NODES, MAX_STRING, parse_condition

__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_STRING",
    "OPERATORS",
    "Condition",
    "ConditionError",
    "EvalContext",
    "Literal",
    "Node",
    "Op",
    "Var",
    "evaluate",
    "parse_condition",
    "referenced_fields",
    "to_json",
    "uses_event_operators",
]
