"""Safe parsing of user expressions (command line, files) into sympy, without executing code.

sympy's ``sympify`` runs ``eval`` on its input, so a string from a user never reaches it.
This module tokenises the text and builds the sympy expression itself from a whitelist
grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("**" | "^") unary)?
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

NAME is the variable ``z``, the constants ``pi`` and ``e``, a one-letter parameter
(``a``..``y`` except ``e``, kept as a real sympy symbol), or a function of the catalog in
``FUNCTIONS``. Decimal literals are read as exact rationals (``0.1`` -> ``1/10``), so exact
expansions stay exact. Anything else (attributes, strings, brackets, keywords, dunder
names, other identifiers) is refused before sympy sees it.

>>> parse_expression("tanh(2*z) + 0.1*z**2")
z**2/10 + tanh(2*z)
>>> parse_expression("relu(z + b)")
Max(0, b + z)
>>> parse_expression("__import__('os').system('true')")
Traceback (most recent call last):
...
rmtsym.errors.UnsafeExpressionError: expression "__import__('os').system('true')" refused: character '_' at position 0 is not allowed
"""

from __future__ import annotations

import re
from typing import Callable

import sympy as sp

from ..errors import UnsafeExpressionError
from .functions import Z, normal_cdf, normal_pdf

__all__ = ["parse_expression", "FUNCTIONS", "MAX_LENGTH"]

MAX_LENGTH = 2000
_MAX_DEPTH = 60
_MAX_NUMERIC_EXPONENT = 200
_MAX_NUMBER_DIGITS = 400


def _hermite(k, u):
    from .hermite import hermite_polynomial

    if not (k.is_Integer and 0 <= int(k) <= 200):
        raise ValueError("hermite(k, z) needs an integer degree 0 <= k <= 200")
    return hermite_polynomial(int(k), u)


def _leaky(u, a=sp.Rational(1, 100)):
    return a * u + (1 - a) * sp.Max(0, u)


#: Function names allowed in expressions, with their arity range and sympy builder.
FUNCTIONS: dict[str, tuple[int, int, Callable]] = {
    "relu": (1, 1, lambda u: sp.Max(0, u)),
    "leaky_relu": (1, 2, _leaky),
    "abs": (1, 1, sp.Abs),
    "sign": (1, 1, sp.sign),
    "step": (1, 1, sp.Heaviside),
    "heaviside": (1, 1, sp.Heaviside),
    "tanh": (1, 1, sp.tanh),
    "erf": (1, 1, sp.erf),
    "erfc": (1, 1, sp.erfc),
    "sigmoid": (1, 1, lambda u: 1 / (1 + sp.exp(-u))),
    "softplus": (1, 1, lambda u: sp.log(1 + sp.exp(u))),
    "gelu": (1, 1, lambda u: u * normal_cdf(u)),
    "silu": (1, 1, lambda u: u / (1 + sp.exp(-u))),
    "swish": (1, 1, lambda u: u / (1 + sp.exp(-u))),
    "sin": (1, 1, sp.sin),
    "cos": (1, 1, sp.cos),
    "sinh": (1, 1, sp.sinh),
    "cosh": (1, 1, sp.cosh),
    "exp": (1, 1, sp.exp),
    "log": (1, 1, sp.log),
    "sqrt": (1, 1, sp.sqrt),
    "atan": (1, 1, sp.atan),
    "Phi": (1, 1, normal_cdf),
    "phi": (1, 1, normal_pdf),
    "max": (2, 2, sp.Max),
    "min": (2, 2, sp.Min),
    "hermite": (2, 2, _hermite),
}

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/^(),]))")
_PARAMS = set("abcdfghijklmnopqrstuvwxy")


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            j = pos
            while j < len(text) and text[j].isspace():
                j += 1
            if j >= len(text):
                break
            raise UnsafeExpressionError(text, f"character {text[j]!r} at position {j} is not allowed")
        kind = m.lastgroup
        out.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str, var: sp.Symbol):
        self.text, self.var = text, var
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def fail(self, reason: str):
        raise UnsafeExpressionError(self.text, reason)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None, len(self.text))

    def take(self, value=None):
        tok = self.peek()
        if tok[0] is None:
            self.fail("unexpected end of expression")
        if value is not None and tok[1] != value:
            self.fail(f"expected {value!r} at position {tok[2]}, found {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self) -> sp.Expr:
        if not self.toks:
            self.fail("empty expression")
        e = self.expr()
        if self.peek()[0] is not None:
            self.fail(f"unexpected {self.peek()[1]!r} at position {self.peek()[2]}")
        return e

    def nest(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            self.fail(f"nested more than {_MAX_DEPTH} levels")

    def expr(self):
        self.nest()
        e = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            t = self.term()
            e = e + t if op == "+" else e - t
        self.depth -= 1
        return e

    def term(self):
        e = self.unary()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            u = self.unary()
            if op == "/" and u == 0:
                self.fail("division by zero")
            e = e * u if op == "*" else e / u
        return e

    def unary(self):
        if self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            self.nest()
            u = self.unary()
            self.depth -= 1
            return -u if op == "-" else u
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] in ("**", "^"):
            self.take()
            self.nest()
            ex = self.unary()
            self.depth -= 1
            if ex.is_number and (abs(sp.N(ex)) > _MAX_NUMERIC_EXPONENT):
                self.fail(f"exponent {ex} exceeds {_MAX_NUMERIC_EXPONENT} in absolute value")
            if ex.is_number and base.is_number and base != 0:
                digits = abs(float(sp.log(abs(sp.N(base)), 10))) * abs(float(sp.N(ex)))
                if digits > _MAX_NUMBER_DIGITS:
                    self.fail(f"the number {base}**{ex} would have about {digits:.0f} digits")
            return base ** ex
        return base

    def atom(self):
        kind, val, pos = self.take()
        if kind == "num":
            mant, _, expo = val.lower().partition("e")
            if len(mant) > 60 or (expo and abs(int(expo)) > _MAX_NUMBER_DIGITS):
                self.fail(f"number {val!r} at position {pos} is too long or too large")
            return sp.Rational(val)
        if kind == "name":
            if self.peek()[1] == "(":
                if val not in FUNCTIONS:
                    self.fail(f"unknown function {val!r}; allowed: {', '.join(sorted(FUNCTIONS))}")
                lo, hi, build = FUNCTIONS[val]
                self.take("(")
                args = [self.expr()]
                while self.peek()[1] == ",":
                    self.take()
                    args.append(self.expr())
                self.take(")")
                if not lo <= len(args) <= hi:
                    self.fail(f"{val} takes {lo}{'' if lo == hi else '-' + str(hi)} argument(s), got {len(args)}")
                try:
                    return build(*args)
                except (ValueError, TypeError) as exc:
                    self.fail(str(exc))
            if val == str(self.var):
                return self.var
            if val == "pi":
                return sp.pi
            if val == "e":
                return sp.E
            if val in _PARAMS:
                return sp.Symbol(val, real=True)
            self.fail(f"unknown name {val!r} at position {pos}; the variable is {self.var}, parameters are "
                      "single letters, functions: " + ", ".join(sorted(FUNCTIONS)))
        if val == "(":
            e = self.expr()
            self.take(")")
            return e
        self.fail(f"unexpected {val!r} at position {pos}")


def parse_expression(text: str, var: sp.Symbol = Z) -> sp.Expr:
    """Parse ``text`` into a sympy expression in ``var`` using the whitelist grammar above.

    Raises :class:`rmtsym.errors.UnsafeExpressionError` (a ``ValueError``) with the reason.
    """
    if not isinstance(text, str):
        raise UnsafeExpressionError(repr(text), "expected a string")
    if len(text) > MAX_LENGTH:
        raise UnsafeExpressionError(text[:40] + "...", f"longer than {MAX_LENGTH} characters")
    return _Parser(text, var).parse()
