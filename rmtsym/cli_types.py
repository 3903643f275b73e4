"""argparse ``type=`` converters shared by the ``rmtsym`` verbs: each names its parameter and
range in the one-line error argparse prints (exit status 2).

>>> int_in("degree", 0)("3"), positive_float("kappa")("0.5")
(3, 0.5)
"""

from __future__ import annotations

import argparse

__all__ = ["int_in", "positive_float"]


def int_in(name: str, lo: int, hi: int | None = None):
    """Converter to an ``int`` in ``[lo, hi]`` (``hi`` None: unbounded)."""
    expected = f"an integer >= {lo}" if hi is None else f"an integer in {lo}..{hi}"

    def conv(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {expected}, got {text!r}") from None
        if v < lo or (hi is not None and v > hi):
            raise argparse.ArgumentTypeError(f"{name} must be {expected}, got {v}")
        return v
    return conv


def positive_float(name: str):
    """Converter to a ``float > 0``."""
    def conv(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number > 0, got {text!r}") from None
        if not v > 0:
            raise argparse.ArgumentTypeError(f"{name} must be a number > 0, got {v}")
        return v
    return conv
