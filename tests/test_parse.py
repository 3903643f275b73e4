"""The safe expression parser: what it accepts, and that it never executes anything."""

import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from rmtsym.bases.functions import Z
from rmtsym.bases.parse import FUNCTIONS, parse_expression
from rmtsym.errors import ParameterError, UnsafeExpressionError

b = sp.Symbol("b", real=True)


@pytest.mark.parametrize("text, expected", [
    ("tanh(2*z) + 0.1*z**2", sp.tanh(2 * Z) + Z**2 / 10),
    ("relu(z + b)", sp.Max(0, Z + b)),
    ("2^3*z", 8 * Z),
    ("-z**2", -(Z**2)),          # unary minus binds looser than power, as in Python
    ("2**-1*z", Z / 2),
    ("z**2**3", Z**8),            # right-associative power
    ("exp(-z**2/2)/sqrt(2*pi)", sp.exp(-Z**2 / 2) / sp.sqrt(2 * sp.pi)),
    ("e**z", sp.exp(Z)),
    ("1.5e1 * z", 15 * Z),
    ("max(z, 0) - min(z, 0)", sp.Max(Z, 0) - sp.Min(Z, 0)),
    ("hermite(3, z)", (Z**3 - 3 * Z) / sp.sqrt(6)),
])
def test_accepts_the_grammar(text, expected):
    assert sp.simplify(parse_expression(text) - expected) == 0


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')",
    "__import__(\"os\").system(\"true\")",
    "z.__class__",
    "exec(z)",
    "eval(z)",
    "lambda: 0",
    "[z for z in ()]",
    "open(z)",
    "z; z",
    "Symbol('x')",
    "sp.exp(z)",
    "foo",
    "z @ z",
    "10**10**10",
    "1e999999999",
    "",
    "(z",
    "tanh(z, z)",
    "hermite(z, z)",
    "z" * 3000,
])
def test_refuses_everything_else(text, monkeypatch):
    # sympify(str) executes code through sympy_parser.eval_expr: make any such call fail loudly
    import sympy.parsing.sympy_parser as spp

    monkeypatch.setattr(spp, "eval_expr", lambda *a, **k: pytest.fail("sympy evaluated a string"))
    monkeypatch.setattr(spp, "parse_expr", lambda *a, **k: pytest.fail("sympy parsed a string"))
    with pytest.raises(UnsafeExpressionError) as info:
        parse_expression(text)
    assert isinstance(info.value, ParameterError) and "refused" in str(info.value)


def test_nothing_is_executed(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    for text in (f"__import__('os').system('touch {marker}')", f"open('{marker}', 'w')"):
        with pytest.raises(UnsafeExpressionError):
            parse_expression(text)
    assert not marker.exists()


def test_decimals_are_exact_rationals():
    assert parse_expression("0.1") == sp.Rational(1, 10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=6))
def test_round_trip_of_polynomials(coeffs):
    poly = sum(c * Z**i for i, c in enumerate(coeffs))
    text = " + ".join(f"({c})*z**{i}" for i, c in enumerate(coeffs))
    assert sp.expand(parse_expression(text) - poly) == 0


def test_every_catalog_function_parses():
    for name, (lo, _, _) in FUNCTIONS.items():
        args = ", ".join(["2", "z"] if name == "hermite" else ["z"] * lo)
        assert Z in parse_expression(f"{name}({args})").free_symbols or name == "hermite"
