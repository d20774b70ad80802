# ruff: noqa: RUF001 - curly quotes and full-width punctuation are what it detects
"""The tokenizer: formula text to a list of tokens with their character offsets."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from form_engine.formulas.errors import FormulaSyntaxError


class Kind(Enum):
    NUMBER = "number"
    TEXT = "text"
    NAME = "name"
    FIELD = "field"  # a braced reference, {key}
    OPERATOR = "operator"
    OPEN = "("
    CLOSE = ")"
    COMMA = ","
    END = "end"


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str  # the source text; for TEXT and FIELD, the decoded content
    offset: int
    number: float = 0.0


_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?")  # key or subform.column
_SINGLE = {"(": Kind.OPEN, ")": Kind.CLOSE, ",": Kind.COMMA}
_OPERATORS = ("<=", ">=", "<>", "+", "-", "*", "/", "^", "&", "=", "<", ">", "%")
# Operators people bring from programming languages, and what a formula says instead.
_WRONG_OPERATORS = {"==": "=", "!=": "<>"}
_CURLY_QUOTES = "“”‘’「」『』"
# Full-width punctuation typed with a Chinese input method, and its ASCII form.
_FULLWIDTH = {
    "（": "(",
    "）": ")",
    "，": ",",
    "＋": "+",
    "－": "-",
    "＊": "*",
    "／": "/",
    "＝": "=",
    "＜": "<",
    "＞": ">",
    "＆": "&",
    "＾": "^",
    "％": "%",
    "｛": "{",
    "｝": "}",
    "＂": '"',
    "．": ".",
    "；": ",",
}


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an END token.

    Raises:
        FormulaSyntaxError: a character, number, text or reference is malformed.
    """
    tokens: list[Token] = []
    pos, size = 0, len(text)
    while pos < size:
        char = text[pos]
        if char.isspace():
            pos += 1
        elif char == '"':
            token, pos = _text(text, pos)
            tokens.append(token)
        elif char == "{":
            end = text.find("}", pos + 1)
            if end < 0:
                raise FormulaSyntaxError("formula_unclosed_reference", offset=pos)
            key = text[pos + 1 : end].strip()
            if not key:
                raise FormulaSyntaxError("formula_empty_reference", offset=pos)
            if not _KEY.fullmatch(key):
                shown = key if len(key) <= 30 else key[:29] + "…"
                raise FormulaSyntaxError(
                    "formula_bad_reference", offset=pos, params={"text": shown}
                )
            tokens.append(Token(Kind.FIELD, key, pos))
            pos = end + 1
        elif match := _NUMBER.match(text, pos):
            tokens.append(_number(text, match.group(), pos))
            pos = match.end()
        elif match := _NAME.match(text, pos):
            tokens.append(Token(Kind.NAME, match.group(), pos))
            pos = match.end()
        elif char in _SINGLE:
            tokens.append(Token(_SINGLE[char], char, pos))
            pos += 1
        else:
            pos = _operator(text, pos, tokens)
    tokens.append(Token(Kind.END, "", size))
    return tokens


def _text(text: str, start: int) -> tuple[Token, int]:
    """A double-quoted text and the offset after it; ``\\"`` and ``""`` stand for a quote."""
    parts: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text) and text[pos + 1] in '"\\':
            parts.append(text[pos + 1])
            pos += 2
        elif char == '"':
            if pos + 1 < len(text) and text[pos + 1] == '"':
                parts.append('"')
                pos += 2
            else:
                return Token(Kind.TEXT, "".join(parts), start), pos + 1
        else:
            parts.append(char)
            pos += 1
    raise FormulaSyntaxError("formula_unclosed_text", offset=start)


def _number(text: str, source: str, start: int) -> Token:
    end = start + len(source)
    if end < len(text) and (text[end].isalnum() or text[end] in "_."):
        stop = end
        while stop < len(text) and (text[stop].isalnum() or text[stop] in "_."):
            stop += 1
        raise FormulaSyntaxError(
            "formula_bad_number", offset=start, params={"text": text[start:stop]}
        )
    value = float(source)
    if not math.isfinite(value):
        raise FormulaSyntaxError("formula_bad_number", offset=start, params={"text": source})
    return Token(Kind.NUMBER, source, start, value)


def _operator(text: str, pos: int, tokens: list[Token]) -> int:
    """Append the operator at ``pos`` and return the offset after it."""
    pair = text[pos : pos + 2]
    if pair in _WRONG_OPERATORS:
        raise FormulaSyntaxError(
            "formula_wrong_operator",
            offset=pos,
            params={"found": pair, "use": _WRONG_OPERATORS[pair]},
            suggestion=_WRONG_OPERATORS[pair],
        )
    for operator in _OPERATORS:
        if text.startswith(operator, pos):
            tokens.append(Token(Kind.OPERATOR, operator, pos))
            return pos + len(operator)
    char = text[pos]
    if char in _CURLY_QUOTES:
        raise FormulaSyntaxError(
            "formula_curly_quote", offset=pos, params={"char": char}, suggestion='"'
        )
    if char in _FULLWIDTH:
        use = _FULLWIDTH[char]
        raise FormulaSyntaxError(
            "formula_fullwidth", offset=pos, params={"char": char, "use": use}, suggestion=use
        )
    raise FormulaSyntaxError("formula_unexpected_character", offset=pos, params={"char": char})
