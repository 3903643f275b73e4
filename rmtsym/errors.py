"""Exceptions raised by rmtsym.

Every error caused by bad input names the offending parameter and, where one
exists, its valid range, so that a command-line user sees one clear line.
"""

from __future__ import annotations

__all__ = [
    "RmtsymError",
    "ParameterError",
    "UnsafeExpressionError",
    "NoClosedFormError",
    "ConvergenceError",
    "check_array",
    "check_int",
]


class RmtsymError(Exception):
    """Base class of all rmtsym errors."""


class ParameterError(RmtsymError, ValueError):
    """A parameter is outside its valid range.

    >>> str(ParameterError("degree", -1, "an integer >= 0"))
    'degree = -1 is invalid: expected an integer >= 0'
    """

    def __init__(self, name: str, value: object, expected: str, hint: str = ""):
        self.name = name
        self.value = value
        self.expected = expected
        msg = f"{name} = {value!r} is invalid: expected {expected}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class UnsafeExpressionError(ParameterError):
    """A user expression uses something outside the whitelisted grammar."""

    def __init__(self, text: str, reason: str):
        self.text = text
        self.reason = reason
        RmtsymError.__init__(self, f"expression {text!r} refused: {reason}")
        self.name, self.value, self.expected = "expression", text, reason


class NoClosedFormError(RmtsymError):
    """An exact (symbolic) value was requested where rmtsym knows none."""


class ConvergenceError(RmtsymError):
    """A numerical solver did not converge (raised only when the caller asks)."""


def check_array(value, name: str, ok, expected: str):
    """``value`` as a float array whose every entry satisfies ``ok`` (a vectorised predicate), or
    :class:`ParameterError` naming ``name`` and showing the first bad entry.

    >>> check_array([0.5, 2.0], "delta", lambda d: d > 0, "delta > 0").tolist()
    [0.5, 2.0]
    >>> check_array([0.5, -1.0], "delta", lambda d: d > 0, "delta > 0")
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: delta = -1.0 is invalid: expected delta > 0
    """
    import numpy as np

    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(name, value, expected) from None
    bad = ~np.asarray(ok(a), dtype=bool)
    if np.any(bad):
        raise ParameterError(name, float(np.broadcast_to(a, bad.shape)[bad].ravel()[0]), expected)
    return a


def check_int(value, name: str, lo: int = 0, hi: int | None = None) -> int:
    """``value`` as an ``int`` in ``[lo, hi]``, or :class:`ParameterError` naming ``name``.

    Accepts Python, numpy and sympy integers; refuses bools, floats and strings.

    >>> check_int(3, "degree")
    3
    >>> check_int(2.5, "degree")
    Traceback (most recent call last):
    ...
    rmtsym.errors.ParameterError: degree = 2.5 is invalid: expected an integer >= 0
    """
    import numbers

    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok:
        try:  # sympy Integer
            import sympy

            ok = isinstance(value, sympy.Integer)
        except ImportError:  # pragma: no cover
            ok = False
    if ok:
        value = int(value)
        ok = value >= lo and (hi is None or value <= hi)
    if not ok:
        expected = f"an integer >= {lo}" if hi is None else f"an integer in [{lo}, {hi}]"
        raise ParameterError(name, value, expected)
    return value
