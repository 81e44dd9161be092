"""Formulas of derived indicators, such as ``computers / staff * 100``.

A hand-written tokenizer and recursive-descent parser build a small tree that is
evaluated with numpy over whole columns. Nothing is ever handed to Python's ``eval``.

Grammar::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := ("-" | "+") unary | primary
    primary := NUMBER | CODE | FUNC "(" expr ("," expr)* ")" | "(" expr ")"

``FUNC`` is ``min``, ``max`` or ``abs`` (any case). A ``CODE`` starts with a letter or
``_`` and goes on with letters, digits, ``_`` and ``.``. Division by zero, a missing
operand or a non-finite result gives a missing value (NaN).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MAX_LENGTH = 1000
MAX_DEPTH = 60
FUNCTIONS = {"min": (1, None), "max": (1, None), "abs": (1, 1)}


class FormulaError(ValueError):
    """A formula that cannot be parsed. ``position`` is the 0-based offset in the text.

    ``message`` is English; ``key`` (``"formula.empty"``) and ``params`` (values as text)
    let a user interface say the same in its own language (see ``FrameworkIssue``).
    """

    def __init__(self, message: str, position: int, key: str = "",
                 params: Mapping[str, str] | None = None):
        self.message = message
        self.position = position
        self.key = key
        self.params = dict(params or {})
        super().__init__(f"{message} at column {position + 1}")

    @property
    def column(self) -> int:
        """The 1-based column, as shown to users."""
        return self.position + 1


# --- tokens -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "(", ")", ",", "end"
    text: str
    pos: int


def _found(token: _Token) -> dict[str, str]:
    """The params naming a token: its kind (``end``, ``num``, ``name``, a symbol) and text."""
    kind = token.kind if token.kind in ("end", "num", "name") else "symbol"
    return {"found": _describe(token), "found_kind": kind, "found_text": token.text}


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "end of formula"
    if token.kind == "num":
        return f"number {token.text}"
    if token.kind == "name":
        return f"name {token.text!r}"
    return f"{token.text!r}"


def _is_name_start(char: str) -> bool:
    return char == "_" or ("a" <= char <= "z") or ("A" <= char <= "Z")


def _is_name_char(char: str) -> bool:
    return _is_name_start(char) or char.isdigit() and char.isascii() or char == "."


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char.isascii() and (char.isdigit() or char == "."):
            start = i
            while i < n and text[i].isascii() and text[i].isdigit():
                i += 1
            if i < n and text[i] == ".":
                i += 1
                digits = i
                while i < n and text[i].isascii() and text[i].isdigit():
                    i += 1
                if i == digits and (i - 1 == start):
                    raise FormulaError("a '.' must be part of a number or a code", start,
                                       "formula.lone_dot")
            tokens.append(_Token("num", text[start:i], start))
        elif _is_name_start(char):
            start = i
            while i < n and _is_name_char(text[i]):
                i += 1
            tokens.append(_Token("name", text[start:i], start))
        elif char in "+-*/":
            tokens.append(_Token("op", char, i))
            i += 1
        elif char in "(),":
            tokens.append(_Token(char, char, i))
            i += 1
        else:
            raise FormulaError(f"unexpected character {char!r}", i,
                               "formula.unexpected_character", {"char": repr(char)})
    tokens.append(_Token("end", "", n))
    return tokens


# --- the tree ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Ref:
    code: str


@dataclass(frozen=True)
class Neg:
    operand: object


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str, what: str) -> _Token:
        if self.token.kind != kind:
            key = "formula.expected_symbol" if what in ("')'", "'('") else (
                "formula.expected_close_or_comma")
            raise FormulaError(f"expected {what} but found {_describe(self.token)}",
                               self.token.pos, key, {"expected": what, **_found(self.token)})
        return self.advance()

    def parse(self):
        if self.token.kind == "end":
            raise FormulaError("the formula is empty", 0, "formula.empty")
        node = self.expr()
        if self.token.kind != "end":
            raise FormulaError(f"unexpected {_describe(self.token)}", self.token.pos,
                               "formula.unexpected", _found(self.token))
        return node

    def _enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("the formula is nested too deeply", pos, "formula.too_deep")

    def expr(self):
        self._enter(self.token.pos)
        node = self.term()
        while self.token.kind == "op" and self.token.text in "+-":
            op = self.advance().text
            node = BinOp(op, node, self.term())
        self.depth -= 1
        return node

    def term(self):
        node = self.unary()
        while self.token.kind == "op" and self.token.text in "*/":
            op = self.advance().text
            node = BinOp(op, node, self.unary())
        return node

    def unary(self):
        if self.token.kind == "op" and self.token.text in "+-":
            token = self.advance()
            self._enter(token.pos)
            operand = self.unary()
            self.depth -= 1
            return Neg(operand) if token.text == "-" else operand
        return self.primary()

    def primary(self):
        token = self.token
        if token.kind == "num":
            self.advance()
            return Num(float(token.text))
        if token.kind == "name":
            self.advance()
            if self.token.kind == "(":
                return self.call(token)
            return Ref(token.text)
        if token.kind == "(":
            self.advance()
            node = self.expr()
            self.expect(")", "')'")
            return node
        if token.kind == "end":
            raise FormulaError("the formula ends where a value was expected", token.pos,
                               "formula.ends_early")
        raise FormulaError(f"expected a number, a code or '(' but found {_describe(token)}",
                           token.pos, "formula.expected_operand", _found(token))

    def call(self, name: _Token):
        func = name.text.lower()
        if func not in FUNCTIONS:
            raise FormulaError(
                f"unknown function {name.text!r} (only min, max and abs are allowed)", name.pos,
                "formula.unknown_function", {"name": repr(name.text)})
        self.expect("(", "'('")
        args = [self.expr()]
        while self.token.kind == ",":
            self.advance()
            args.append(self.expr())
        self.expect(")", "')' or ','")
        low, high = FUNCTIONS[func]
        if len(args) < low or (high is not None and len(args) > high):
            count = "exactly one argument" if high == 1 else "at least one argument"
            key = "formula.one_argument" if high == 1 else "formula.some_arguments"
            raise FormulaError(f"{func}() takes {count}, not {len(args)}", name.pos, key,
                               {"function": func, "count": str(len(args))})
        return Call(func, tuple(args))


def _collect_codes(node, codes: set[str]) -> None:
    if isinstance(node, Ref):
        codes.add(node.code)
    elif isinstance(node, Neg):
        _collect_codes(node.operand, codes)
    elif isinstance(node, BinOp):
        _collect_codes(node.left, codes)
        _collect_codes(node.right, codes)
    elif isinstance(node, Call):
        for arg in node.args:
            _collect_codes(arg, codes)


def numeric_column(values) -> np.ndarray:
    """Any column of answers as float64: booleans as 1/0, text that is not a number as NaN."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype == bool:
        return series.to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: ``codes`` it reads, ``evaluate`` over a frame of answers."""

    text: str
    tree: object = field(repr=False)
    codes: frozenset[str] = frozenset()

    def evaluate(self, frame: pd.DataFrame) -> pd.Series:
        """The formula for every row of ``frame`` (columns named by indicator codes).

        A column that is absent counts as missing for every row.
        """
        columns = {code: numeric_column(frame[code]) for code in self.codes if code in frame}
        result = self.evaluate_arrays(columns, len(frame))
        return pd.Series(result, index=frame.index, dtype=float)

    def evaluate_arrays(self, columns: Mapping[str, np.ndarray], length: int) -> np.ndarray:
        """The formula over float arrays of equal ``length`` keyed by code."""
        with np.errstate(all="ignore"):
            result = np.asarray(_evaluate(self.tree, columns, length), dtype=float)
        result = np.broadcast_to(result, (length,)).copy()
        result[~np.isfinite(result)] = np.nan
        return result


def _evaluate(node, columns: Mapping[str, np.ndarray], length: int):
    if isinstance(node, Num):
        return np.float64(node.value)
    if isinstance(node, Ref):
        column = columns.get(node.code)
        return np.full(length, np.nan) if column is None else np.asarray(column, dtype=float)
    if isinstance(node, Neg):
        return -_evaluate(node.operand, columns, length)
    if isinstance(node, BinOp):
        left = _evaluate(node.left, columns, length)
        right = _evaluate(node.right, columns, length)
        if node.op == "+":
            return left + right
        if node.op == "-":
            return left - right
        if node.op == "*":
            return left * right
        quotient = np.divide(left, right)
        return np.where(right == 0, np.nan, quotient)
    if isinstance(node, Call):
        args = [_evaluate(arg, columns, length) for arg in node.args]
        if node.func == "abs":
            return np.abs(args[0])
        combine = np.minimum if node.func == "min" else np.maximum
        result = args[0]
        for arg in args[1:]:
            result = combine(result, arg)  # propagates NaN: a missing operand stays missing
        return result
    raise TypeError(f"unknown formula node {node!r}")  # pragma: no cover


def parse_formula(text: str) -> Formula:
    """Parse ``text``; raises :class:`FormulaError` (with ``position``) when it is invalid."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be text", 0, "formula.not_text")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"the formula is longer than {MAX_LENGTH} characters", MAX_LENGTH,
                           "formula.too_long", {"max": str(MAX_LENGTH)})
    tree = _Parser(text).parse()
    codes: set[str] = set()
    _collect_codes(tree, codes)
    return Formula(text=text, tree=tree, codes=frozenset(codes))
