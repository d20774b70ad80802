"""A Pratt parser from tokens to the formula tree, with the checks made when a form is saved.

Precedence follows Excel, loosest first: comparisons (not chainable), ``&``, ``+ -``,
``* /``, ``^`` (left-associative, as in Excel), unary ``- +`` (so ``-2^2`` is 4, as in
Excel), postfix ``%``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from form_engine.formulas.errors import FormulaError, FormulaSyntaxError, preview
from form_engine.formulas.functions import FUNCTIONS
from form_engine.formulas.lexer import Kind, Token, tokenize
from form_engine.formulas.nodes import (
    Boolean,
    Call,
    Chain,
    Compare,
    FieldRef,
    Node,
    Number,
    Percent,
    Text,
    Unary,
    walk,
)

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_NODES = 500

_COMPARISONS = frozenset({"=", "<>", "<", "<=", ">", ">="})
_CHAINED = {"&": 20, "+": 30, "-": 30, "*": 40, "/": 40, "^": 50}
_COMPARE_POWER = 10
_UNARY_POWER = 60
_PERCENT_POWER = 70


def parse(text: str, fields: Mapping[str, str]) -> Node:
    """Parse ``text`` into a tree whose field references all exist in ``fields``.

    Raises:
        FormulaSyntaxError: the text is not a formula.
        FormulaError: a limit is exceeded, or a field or function is unknown or misused.
    """
    if len(text) > MAX_LENGTH:
        raise FormulaError("formula_too_long", params={"length": len(text), "max": MAX_LENGTH})
    if not text.strip():
        raise FormulaSyntaxError("formula_empty")
    return _Parser(tokenize(text), fields).run()


class _Parser:
    def __init__(self, tokens: list[Token], fields: Mapping[str, str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.fields = fields
        self.depth = 0
        self.nodes = 0
        # Unknown names and wrong arities are reported after the syntax is known to be
        # right, so that `import os` is a syntax error rather than an unknown field.
        self.problems: list[FormulaError] = []

    def run(self) -> Node:
        first = self.tokens[0]
        if first.kind is Kind.OPERATOR and first.text == "=":
            self.pos = 1  # a leading "=", as typed in a spreadsheet cell
        root = self.expression(0)
        end = self.peek()
        if end.kind is not Kind.END:
            raise _unexpected(end)
        for node, depth in walk(root):
            if depth > MAX_DEPTH:
                raise FormulaError(
                    "formula_too_deep", offset=node.offset, params={"max": MAX_DEPTH}
                )
        if self.problems:
            raise min(self.problems, key=lambda problem: problem.offset or 0)
        return root

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def count(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError("formula_too_complex", offset=node.offset, params={"max": MAX_NODES})
        return node

    def expression(self, power: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError(
                "formula_too_deep", offset=self.peek().offset, params={"max": MAX_DEPTH}
            )
        left = self.prefix()
        compared = False
        while (token := self.peek()).kind is Kind.OPERATOR:
            operator = token.text
            if operator == "%":
                if power >= _PERCENT_POWER:
                    break
                self.advance()
                left = self.count(Percent(left, token.offset))
            elif operator in _COMPARISONS:
                if power >= _COMPARE_POWER:
                    break
                if compared:
                    raise FormulaSyntaxError("formula_chained_comparison", offset=token.offset)
                self.advance()
                right = self.expression(_COMPARE_POWER)
                left = self.count(Compare(operator, left, right, token.offset))
                compared = True
            else:
                level = _CHAINED[operator]
                if level <= power:
                    break
                self.advance()
                right = self.expression(level)
                left = self.chain(left, operator, token.offset, right)
        self.depth -= 1
        return left

    def chain(self, left: Node, operator: str, offset: int, right: Node) -> Node:
        link = (operator, offset, right)
        if isinstance(left, Chain) and _CHAINED[left.rest[0][0]] == _CHAINED[operator]:
            # Same level, left-associative: (a + b) - c is a + b - c either way. The
            # longer chain replaces the shorter one, so the node count stays the same.
            return Chain(left.first, (*left.rest, link))
        return self.count(Chain(left, (link,)))

    def prefix(self) -> Node:
        token = self.advance()
        if token.kind is Kind.NUMBER:
            return self.count(Number(token.number, token.offset))
        if token.kind is Kind.TEXT:
            return self.count(Text(token.text, token.offset))
        if token.kind is Kind.FIELD:
            return self.count(self.field(token))
        if token.kind is Kind.NAME:
            if self.peek().kind is Kind.OPEN:
                return self.call(token)
            if token.text.upper() in ("TRUE", "FALSE"):
                return self.count(Boolean(token.text.upper() == "TRUE", token.offset))
            return self.count(self.field(token))
        if token.kind is Kind.OPEN:
            inner = self.expression(0)
            self.expect_close()
            return inner
        if token.kind is Kind.OPERATOR and token.text in ("-", "+"):
            operand = self.expression(_UNARY_POWER)
            return self.count(Unary(token.text, operand, token.offset))
        raise _unexpected(token)

    def call(self, name: Token) -> Node:
        self.advance()  # "("
        args: list[Node] = []
        if self.peek().kind is Kind.CLOSE:
            self.advance()
        else:
            while True:
                args.append(self.expression(0))
                if self.peek().kind is Kind.COMMA:
                    self.advance()
                    continue
                self.expect_close()
                break
        node = self.count(Call(name.text.upper(), tuple(args), name.offset))
        self.check_call(name, len(args))
        return node

    def expect_close(self) -> None:
        token = self.advance()
        if token.kind is Kind.END:
            raise FormulaSyntaxError("formula_missing_paren", offset=token.offset)
        if token.kind is not Kind.CLOSE:
            raise _unexpected(token)

    def field(self, token: Token) -> FieldRef:
        key = token.text
        kind = self.fields.get(key)
        if kind is not None:
            return FieldRef(key, kind, token.offset)
        suggestion = _closest(key, list(self.fields))
        self.problems.append(_unknown("formula_unknown_field", token, suggestion))
        return FieldRef(key, "json", token.offset)

    def check_call(self, name: Token, given: int) -> None:
        upper = name.text.upper()
        spec = FUNCTIONS.get(upper)
        if spec is None:
            suggestion = _closest(upper, list(FUNCTIONS))
            self.problems.append(_unknown("formula_unknown_function", name, suggestion))
            return
        low, high = spec.min_args, spec.max_args
        if low <= given and (high is None or given <= high):
            return
        params: dict[str, object] = {"function": upper, "given": given}
        if low == high:
            code = "formula_arity_exact"
            params["count"] = low
        elif high is None:
            code = "formula_arity_min"
            params["min"] = low
        else:
            code = "formula_arity_range"
            params.update(min=low, max=high)
        self.problems.append(FormulaError(code, offset=name.offset, params=params))


def _closest(name: str, candidates: list[str]) -> str | None:
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _unknown(code: str, token: Token, suggestion: str | None) -> FormulaError:
    params = {"name": preview(token.text, 40)}
    if suggestion is None:
        return FormulaError(code, offset=token.offset, params=params)
    return FormulaError(
        code + "_hint",
        offset=token.offset,
        params={**params, "suggestion": suggestion},
        suggestion=suggestion,
    )


def _unexpected(token: Token) -> FormulaSyntaxError:
    if token.kind is Kind.END:
        return FormulaSyntaxError("formula_unexpected_end", offset=token.offset)
    shown = token.text
    if token.kind is Kind.TEXT:
        shown = '"' + token.text + '"'
    elif token.kind is Kind.FIELD:
        shown = "{" + token.text + "}"
    return FormulaSyntaxError(
        "formula_unexpected_token", offset=token.offset, params={"token": preview(shown, 30)}
    )
