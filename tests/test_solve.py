"""Tests of rmtsym.core.solve: compiled vectorised Newton, branch rule, fallbacks, mpmath path.

Expected values come from closed forms computed here independently (roots of the quadratic,
picking the one on the physical branch), never from the solver itself.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from rmtsym.core.solve import (FIXED_POINT, METHODS, NEWTON, RETRY, CompiledSystem,
                               ConvergenceReport, Solution)
from rmtsym.errors import ConvergenceError, ParameterError

m, z, g, v = sp.symbols("m z gamma v")
x, y, w, p, r, a, q = sp.symbols("x y w p r a q")


# ---- independent closed forms ------------------------------------------------------------
def upper_root(A, B, C):
    """The root of A m^2 + B m + C = 0 with the larger imaginary part (numpy, complex)."""
    d = np.sqrt(B * B - 4 * A * C + 0j)
    r1, r2 = (-B + d) / (2 * A), (-B - d) / (2 * A)
    return np.where(r1.imag >= r2.imag, r1, r2)


def mp_closed(zz, gg):
    """Marchenko–Pastur m(z): gamma z m^2 - (1 - gamma - z) m + 1 = 0, Im m > 0."""
    return upper_root(gg * zz, -(1 - gg - zz), 1.0)


def sc_closed(zz, vv):
    """Semicircle of variance v: v m^2 + z m + 1 = 0, Im m > 0."""
    return upper_root(vv, zz, 1.0)


@pytest.fixture(scope="module")
def mp_system():
    return CompiledSystem([m], [z, g], [sp.Eq(g * z * m**2 - (1 - g - z) * m + 1, 0)],
                          {"density": sp.im(m) / sp.pi}, branch=[sp.im(m) > 0],
                          guess={m: -1 / z}, fixed_point={m: 1 / (1 - g - z - g * z * m)},
                          name="marchenko-pastur")


@pytest.fixture(scope="module")
def sc_system():
    return CompiledSystem([m], [z, v], [v * m**2 + z * m + 1], {"density": sp.im(m) / sp.pi},
                          branch=[sp.im(m) > 0], guess={m: -1 / z}, name="semicircle")


# ---- Marchenko–Pastur and semicircle on large complex grids ----------------------------------
def test_marchenko_pastur_grid_matches_closed_form(mp_system):
    xs = np.linspace(-1, 6, 1000)
    eta = np.geomspace(1e-3, 2, 34)
    zz = (xs[:, None] + 1j * eta[None, :]).ravel()[:, None]
    gg = np.array([0.3, 1.0, 2.5])[None, :]
    sol = mp_system.solve({"z": zz, "gamma": gg})
    assert sol.shape == (34000, 3) and sol["m"].shape == (34000, 3)
    assert sol.report.all_ok, sol.report.summary()
    assert np.max(np.abs(sol["m"] - mp_closed(zz, gg))) < 1e-9
    assert np.all(sol["m"].imag > 0)
    assert np.allclose(sol["density"], sol["m"].imag / np.pi, rtol=0, atol=0)
    assert "all 102000 points converged" in sol.report.summary()


def test_semicircle_grid_and_density_integrates_to_one(sc_system):
    xs = np.linspace(-4, 4, 801)[:, None, None]
    eta = np.geomspace(1e-3, 2, 25)[None, :, None]
    vv = np.array([0.5, 1.0, 2.0])[None, None, :]
    sol = sc_system.solve({"z": xs + 1j * eta, "v": vv})
    assert sol.shape == (801, 25, 3)
    assert sol.report.all_ok, sol.report.summary()
    assert np.max(np.abs(sol["m"] - sc_closed(xs + 1j * eta, vv))) < 1e-9
    for V in (0.5, 2.0):
        e = 2 * np.sqrt(V)
        xr = np.linspace(-e, e, 20001)
        s = sc_system.solve({"z": xr + 1e-12j, "v": V})
        assert s.report.all_ok, s.report.summary()
        dens = s["density"]
        assert np.all(dens >= 0)
        assert abs(np.trapezoid(dens, xr) - 1) < 1e-5
        # the density itself: sqrt(4 v - x^2) / (2 pi v)
        inner = np.abs(xr) < 0.95 * e
        assert np.allclose(dens[inner], np.sqrt(4 * V - xr[inner]**2) / (2 * np.pi * V),
                           rtol=0, atol=1e-9)


def test_continuation_to_real_axis_inside_support(mp_system):
    G = 0.5
    lo, hi = (1 - np.sqrt(G))**2, (1 + np.sqrt(G))**2
    xs = np.linspace(lo + 0.05, hi - 0.05, 400)
    target = xs + 1e-6j
    sol = mp_system.continuation({"z": target, "gamma": G}, "z", start=xs + 10j, steps=20)
    assert sol.report.all_ok, sol.report.summary()
    assert np.max(np.abs(sol["m"] - mp_closed(target, G))) < 1e-9
    # density = sqrt((hi - x)(x - lo)) / (2 pi gamma x)
    exact = np.sqrt((hi - xs) * (xs - lo)) / (2 * np.pi * G * xs)
    assert np.max(np.abs(sol["density"] - exact)) < 1e-5
    assert np.all(sol.report.iterations >= 21)  # summed over the 21 solves of the path


def test_continuation_validates_arguments(mp_system):
    with pytest.raises(ParameterError, match="along"):
        mp_system.continuation({"z": 1j, "gamma": 0.5}, "beta", start=10j)
    with pytest.raises(ParameterError, match="steps"):
        mp_system.continuation({"z": 1j, "gamma": 0.5}, "z", start=10j, steps=0)


# ---- real systems ------------------------------------------------------------------------
def test_two_unknown_real_system_on_a_grid():
    s = CompiledSystem([x, y], [r, a], [x**2 + y**2 - r**2, sp.Eq(x, a * y)],
                       {"norm": sp.sqrt(x**2 + y**2)}, branch=[y > 0],
                       guess={x: a * r / 2, y: r / 2})
    rr = np.linspace(0.5, 3, 11)[:, None]
    aa = np.linspace(-2, 2, 13)[None, :]
    sol = s.solve({"r": rr, "a": aa})
    assert sol.shape == (11, 13)
    assert sol.report.all_ok, sol.report.summary()
    assert not np.iscomplexobj(sol["x"])
    ye = rr / np.sqrt(1 + aa**2)
    assert np.max(np.abs(sol["y"] - ye)) < 1e-12
    assert np.max(np.abs(sol["x"] - aa * ye)) < 1e-12
    assert np.max(np.abs(sol["norm"] - rr)) < 1e-12


def test_three_unknowns_and_singular_jacobian_does_not_crash():
    # x^3 = p, y = x + q, w y = 1; singular when y = 0 (q = -p^(1/3)) or p = 0 at x = 0
    s = CompiledSystem([x, y, w], [p, q], [x**3 - p, y - x - q, w * y - 1],
                       guess={x: 1, y: 1, w: 1})
    pp = np.array([8.0, 27.0, 2.0, 8.0])
    qq = np.array([1.0, -1.0, 0.5, -2.0])  # last: y = 0 -> no solution (w y = 1 impossible)
    sol = s.solve({"p": pp, "q": qq})
    ok = sol.report.ok
    assert ok.tolist() == [True, True, True, False]
    xe = np.cbrt(pp[:3])
    assert np.allclose(sol["x"][:3], xe, rtol=1e-13)
    assert np.allclose(sol["w"][:3], 1 / (xe + qq[:3]), rtol=1e-12)
    assert np.isnan(sol["x"][3]) and np.isnan(sol["w"][3])
    # an exactly singular Jacobian at the start (x = 0, p = 0 start point has F != 0)
    lin = CompiledSystem([x, y, w], [a], [a * x + y - 1, y - 1, w - 2], guess={x: 0, y: 0, w: 0})
    sol = lin.solve({"a": [0.0, 2.0]})
    assert sol.report.ok.tolist() == [False, True]
    assert sol["x"][1] == 0 and np.isnan(sol["x"][0])


def test_exact_root_at_singular_jacobian():
    s = CompiledSystem([x], [p], [x**2 - p], branch=[x >= 0], guess={x: 0})
    sol = s.solve({"p": [0.0, 1.0]})
    assert sol.report.all_ok and sol["x"].tolist() == [0.0, 1.0]
    assert sol.report.method.tolist() == [NEWTON, RETRY]  # J(0) = 0: retried from 1


def test_no_real_root_is_reported_not_returned():
    s = CompiledSystem([x], [p], [x**2 + p], name="no-real-root")
    pp = np.array([1.0, 0.5, -4.0])
    sol = s.solve({"p": pp})
    rep = sol.report
    assert rep.converged.tolist() == [False, False, True]
    assert rep.n_failed == 2 and not rep.all_ok
    assert np.isnan(sol["x"][:2]).all() and abs(abs(sol["x"][2]) - 2) < 1e-14
    assert np.all(rep.residual[:2] > 1e-3)
    assert "2 of 3 points did not converge" in rep.summary()
    assert rep.method_names()[:2].tolist() == ["failed", "failed"]
    with pytest.raises(ConvergenceError, match="2 of 3 points did not converge"):
        s.solve({"p": pp}, raise_on_failure=True)
    s.solve({"p": -pp[2]}, raise_on_failure=False)


def test_inadmissible_branch_is_retried_then_rejected():
    pp = np.array([1.0, 4.0, 9.0])
    s = CompiledSystem([x], [p], [x**2 - p], branch=[x > 0])
    sol = s.solve({"p": pp}, guess=-1.0)  # Newton from -1 reaches -sqrt(p): inadmissible
    assert sol.report.all_ok
    assert np.allclose(sol["x"], np.sqrt(pp), rtol=1e-14)
    assert (sol.report.method == RETRY).all()
    # no admissible root at all: converged but inadmissible -> NaN, never -sqrt(p) or +sqrt(p)
    s10 = CompiledSystem([x], [p], [x**2 - p], branch=[x > 10], guess={x: -p})
    sol = s10.solve({"p": pp}, guess=-1.0)
    rep = sol.report
    assert np.isnan(sol["x"]).all()
    assert rep.converged.all() and not rep.admissible.any()
    assert "3 of 3 points converged only to an inadmissible solution (violates x > 10)" \
        in rep.summary()
    with pytest.raises(ConvergenceError, match="inadmissible"):
        s10.solve({"p": pp}, raise_on_failure=True)


def test_branch_slack_on_real_axis(sc_system):
    # outside the support on the real axis Im m = 0 up to rounding: admissible with slack
    xs = np.array([-3.0, 2.5, 5.0])
    sol = sc_system.solve({"z": xs + 0j, "v": 1.0})
    assert sol.report.all_ok
    limit = sc_closed(xs + 1e-13j, 1.0)  # m(x + i0): the root with |m| < 1 here
    assert np.all(np.abs(limit) < 1)
    assert np.allclose(sol["m"], limit, rtol=0, atol=1e-12)
    assert np.all(np.abs(sol["m"].imag) < 1e-15)


def test_fixed_point_fallback_rescues_newton_stall():
    # x^3 - 2x + 2: Newton stalls at the local minimum of |F| near x = 0.816 from 0 and 1;
    # the contraction x <- -(2 - 2x)^(1/3) reaches the real root -1.7693...
    res = x**3 - 2 * x + 2 + 0 * p
    G = -(2 - 2 * x) ** sp.Rational(1, 3)
    root = float(sp.nsolve(x**3 - 2 * x + 2, x, -1.8))
    without = CompiledSystem([x], [p], [res], guess={x: 0})
    assert not without.solve({"p": 0.0}).report.ok
    s = CompiledSystem([x], [p], [res], guess={x: 0}, fixed_point={x: G})
    sol = s.solve({"p": np.zeros(3)})
    assert sol.report.all_ok
    assert np.allclose(sol["x"], root, rtol=1e-14)
    assert (sol.report.method == FIXED_POINT).all()
    assert METHODS[FIXED_POINT] == "fixed-point"
    assert not s.solve({"p": 0.0}, fallback=False).report.ok


def test_fixed_point_fallback_for_stieltjes(mp_system):
    zz = np.array([0.5 + 0.3j, 2 + 1j, -1 + 0.5j])
    # one Newton iteration per attempt: no guess suffices, the fallback + polish does
    sol = mp_system.solve({"z": zz, "gamma": 0.5}, guess=50.0, maxiter=1, fallback=False)
    assert sol.report.n_failed == 3 and np.isnan(sol["m"]).all()
    sol = mp_system.solve({"z": zz, "gamma": 0.5}, guess=50.0, maxiter=1)
    assert sol.report.all_ok
    assert (sol.report.method == FIXED_POINT).all()
    assert np.max(np.abs(sol["m"] - mp_closed(zz, 0.5))) < 1e-12


# ---- parameters, shapes, guesses ---------------------------------------------------------
def test_parameter_errors_and_broadcasting(mp_system):
    with pytest.raises(ParameterError, match="gamma = 'missing'"):
        mp_system.solve({"z": 1j})
    with pytest.raises(ParameterError, match="beta"):
        mp_system.solve({"z": 1j, "gamma": 0.5, "beta": 1})
    with pytest.raises(ParameterError, match="broadcast"):
        mp_system.solve({"z": np.ones(3) * 1j, "gamma": np.ones(4)})
    with pytest.raises(ParameterError, match="gamma"):
        mp_system.solve({"z": 1j, "gamma": "abc"})
    sol = mp_system.solve({z: np.ones((3, 1)) * 1j + np.arange(4), g: 0.5})
    assert sol.shape == (3, 4)
    assert all(sol[k].shape == (3, 4) for k in ("m", "density"))
    sol = mp_system.solve({"z": 1 + 1j, "gamma": 0.5})
    assert sol["m"].shape == () and abs(sol["m"] - mp_closed(1 + 1j, 0.5)) < 1e-13
    with pytest.raises(KeyError):
        sol["nope"]
    assert sol[m] is sol["m"]


def test_construction_errors():
    with pytest.raises(ParameterError, match="undeclared"):
        CompiledSystem([x], [p], [x**2 - q])
    with pytest.raises(ParameterError, match="one residual per unknown"):
        CompiledSystem([x, y], [p], [x - p])
    with pytest.raises(ParameterError, match="branch"):
        CompiledSystem([x], [p], [x - p], branch=[sp.Eq(x, 1)])
    with pytest.raises(ParameterError, match="holomorphic"):
        CompiledSystem([m], [z], [m * sp.conjugate(m) - z], complex=True)
    with pytest.raises(ParameterError, match="holomorphic"):
        CompiledSystem([m], [z], [sp.Abs(m) + sp.I * m - z])


def test_non_holomorphic_residual_is_real_only():
    s = CompiledSystem([x], [p], [sp.Abs(x) - p], branch=[x < 0])
    assert s.complex is False
    sol = s.solve({"p": [1.0, 2.5]}, guess=-0.3)
    assert np.allclose(sol["x"], [-1.0, -2.5], rtol=1e-14)
    with pytest.raises(ParameterError, match="reals"):
        s.solve({"p": 1 + 1j})


def test_guess_forms_and_warm_start(mp_system):
    zz = np.array([1 + 1j, 3 + 0.1j])
    first = mp_system.solve({"z": zz, "gamma": 0.5})
    warm = mp_system.solve({"z": zz, "gamma": 0.5}, guess=first)
    assert (warm.report.iterations == 0).all()  # already converged at the start
    assert np.allclose(warm["m"], first["m"], rtol=1e-15, atol=0)
    sym = mp_system.solve({"z": zz, "gamma": 0.5}, guess={"m": 1j / (1 + z)})
    assert np.allclose(sym["m"], first["m"], atol=1e-13)
    several = mp_system.solve({"z": zz, "gamma": 0.5}, guess=[50.0, {m: -1 / z}])
    assert np.allclose(several["m"], first["m"], atol=1e-13)
    with pytest.raises(ParameterError, match="guess"):
        mp_system.solve({"z": zz, "gamma": 0.5}, guess={"q": 1})


def test_nan_parameters_and_threads(mp_system):
    zz = np.full(70000, 1 + 1j)
    zz[123] = np.nan
    sol = mp_system.solve({"z": zz, "gamma": 0.5}, chunk=1 << 14, workers=2)
    assert sol.report.n_failed == 1 and np.isnan(sol["m"][123])
    assert np.allclose(np.delete(sol["m"], 123), mp_closed(1 + 1j, 0.5), atol=1e-13)
    assert "non-finite" in sol.report.summary()


def test_report_is_plain_data():
    rep = ConvergenceReport(np.array([True, True]), np.array([True, True]), np.array([3, 4]),
                            np.array([0.0, 1e-15]), np.array([NEWTON, RETRY]))
    assert rep.all_ok and rep.n_failed == 0
    assert rep.summary() == "system: all 2 points converged and admissible " \
                            "(newton: 1, newton-retry: 1)"
    sol = Solution({"m": np.zeros(2)}, {}, rep)
    assert sol.keys() == ["m"] and sol.shape == (2,)


# ---- arbitrary precision -----------------------------------------------------------------
def test_solve_mp_50_digits_matches_mpmath_closed_form(mp_system):
    with mpmath.workdps(60):
        G = mpmath.mpf("0.3")
        Z = mpmath.mpc("1.5", "0.25")
        A, B = G * Z, -(1 - G - Z)
        d = mpmath.sqrt(B * B - 4 * A)
        roots = [(-B + d) / (2 * A), (-B - d) / (2 * A)]
        exact = max(roots, key=lambda t: t.imag)
    sol = mp_system.solve_mp({"z": Z, "gamma": "0.3"}, digits=50)
    assert sol.report.all_ok, sol.report.summary()
    got = sol["m"].item()
    assert isinstance(got, mpmath.mpc)
    with mpmath.workdps(60):
        assert abs(got - exact) < mpmath.mpf(10) ** -45
        assert abs(sol["density"].item() - exact.imag / mpmath.pi) < mpmath.mpf(10) ** -45
    # the float64 solver agrees to double precision
    f = mp_system.solve({"z": complex(Z), "gamma": 0.3})["m"]
    assert abs(complex(f) - complex(exact)) < 1e-14


def test_solve_mp_real_arrays_branch_and_failure():
    s = CompiledSystem([x], [p], [x**2 - p], branch=[x > 0], guess={x: p})
    sol = s.solve_mp({"p": np.array([2, 3, -1], dtype=object)}, digits=50)
    assert sol.report.ok.tolist() == [True, True, False]
    with mpmath.workdps(55):
        assert abs(sol["x"][0] - mpmath.sqrt(2)) < mpmath.mpf(10) ** -48
        assert abs(sol["x"][1] - mpmath.sqrt(3)) < mpmath.mpf(10) ** -48
    assert mpmath.isnan(sol["x"][2])
    assert sol.report.method_names().tolist() == ["mpmath", "mpmath", "failed"]
    hi = s.solve_mp({"p": "2"}, digits=120)["x"].item()
    with mpmath.workdps(125):
        assert abs(hi - mpmath.sqrt(2)) < mpmath.mpf(10) ** -115
    # a guess on the wrong branch is retried from the default guess
    sol = s.solve_mp({"p": 2}, guess=-1.0, digits=30)
    assert sol.report.all_ok and sol["x"].item() > 0
    with pytest.raises(ConvergenceError):
        s.solve_mp({"p": -1}, raise_on_failure=True)
