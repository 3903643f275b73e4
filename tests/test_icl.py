"""In-context learning by linear attention (rmtsym.models.icl, rmtsym.simulate.icl; REFERENCES.md paper 2).

The ridge IDG error (derived in rmtsym, not in the authors' code) is witnessed by: lambda -> 0 gives the
authors' ridgeless_idg on both sides of tau = 1; IDG = ICL at kappa = oo; the same deterministic
equivalent, evaluated in the fresh-task test metric, reproduces the authors' ridge ICL formula to
machine precision; simulation extrapolated in 1/d.

Witnesses: the REFERENCES values (authors' published functions) for Result 1, the ridge formula and
the ridgeless IDG error; the kappa -> oo closed form; lambda -> 0 reproduces Result 1 on both sides of
tau = 1; the ridge peak location; the MP integral M_kappa against quadrature; simulation extrapolated
in 1/d from d = 20 and 30 (tolerance 4 SE of the extrapolate + 0.05 for the O(1/d^2) remainder).
"""

import numpy as np
import pytest
from scipy import integrate

from rmtsym.errors import ParameterError
from rmtsym.models.icl import (ICL_LINEAR_ATTENTION, M_kappa, M_kappa_prime, icl_error, icl_error_kappa_inf,
                               icl_kappa_transition, idg_error, ridge_eps)
from rmtsym.simulate.icl import extrapolate_1_over_d, simulate_icl


def test_reference_values():
    assert abs(icl_error(.5, .5, .1, .5) - 1.66331) < 5e-6
    assert abs(icl_error(10, 1, .25, 2) - 0.97099) < 5e-6
    assert abs(icl_error(.5, .5, .1, .5, ridge=.1) - 1.586071) < 5e-7
    assert abs(idg_error(.5, .5, .1, .5) - 1.303638) < 5e-7


def test_vectorised_and_peak():
    tau = np.linspace(0.11, 5, 50)   # avoids tau = 1
    e = icl_error(tau[:, None], 1, .25, np.array([0.5, 2, np.inf])[None, :])
    assert e.shape == (50, 3) and np.all(np.isfinite(e)) and np.all(e > 0.25)
    assert np.isinf(icl_error(1.0, 1, .25, 2)) and np.isinf(idg_error(1.0, 1, .25, 2))
    t = np.linspace(0.5, 1.5, 2001)
    er = icl_error(t, 1, .25, 2, ridge=0.1)
    assert np.all(np.isfinite(er)) and abs(t[np.argmax(er)] - 0.94) < 0.01   # REFERENCES: about 0.94


def test_kappa_inf_closed_form():
    tau = np.array([1.2, 2.0, 5.0, 30.0])
    for a, r in ((1, .25), (.5, .1), (3, 0)):
        ref = icl_error_kappa_inf(tau, a, r)
        assert np.allclose(icl_error(tau, a, r, np.inf), ref, rtol=1e-12)
        assert np.allclose(icl_error(tau, a, r, 1e10), ref, rtol=1e-7)
        assert np.allclose(idg_error(tau, a, r, np.inf), ref, rtol=1e-12)    # IDG = ICL when kappa = oo
    assert np.allclose(idg_error([.3, .7], 1, .25, np.inf), icl_error([.3, .7], 1, .25, np.inf), rtol=1e-12)


@pytest.mark.parametrize("error", [icl_error, idg_error], ids=["icl", "idg"])
@pytest.mark.parametrize("tau", [0.3, 0.8, 0.97, 1.05, 1.5, 4.0])
@pytest.mark.parametrize("kappa", [0.5, 2.0, np.inf])
def test_ridge_to_ridgeless(error, tau, kappa):
    e0 = error(tau, 1.0, 0.25, kappa)
    e = error(tau, 1.0, 0.25, kappa, ridge=np.array([1e-7, 1e-9, 1e-11]))
    err = np.abs(e - e0)
    assert err[-1] < 1e-6 * e0 and err[1] < err[0] / 20      # converges, at rate O(lambda)


def test_ridge_root_is_root():
    tau, lam = np.array([0.3, 1.0, 3.0]), 0.05
    eps = ridge_eps(tau, 1.0, 0.25, 2.0, lam)
    x = 1.25
    f = 1 - tau + tau * lam / eps - eps * M_kappa(eps + x, 2.0)
    assert np.all(np.abs(f) < 1e-12) and np.all(eps > 0)


def test_M_kappa_is_mp_integral():
    for kappa in (0.5, 2.0):
        g = 1 / kappa
        lo, hi = (1 - np.sqrt(g)) ** 2, (1 + np.sqrt(g)) ** 2
        dens = lambda s: np.sqrt(max((hi - s) * (s - lo), 0)) / (2 * np.pi * g * s)  # noqa: E731
        for x in (0.3, 2.0):
            val = integrate.quad(lambda s: dens(s) / (s + x), lo, hi, limit=200)[0]
            atom = max(0.0, 1 - kappa) / x                                    # mass 1 - kappa at 0
            assert abs(M_kappa(x, kappa) - (val + atom)) < 1e-8
            h = 1e-6
            fd = (M_kappa(x + h, kappa) - M_kappa(x - h, kappa)) / (2 * h)
            assert abs(M_kappa_prime(x, kappa) - fd) < 1e-7


def test_derivation_registered_and_solves():
    import rmtsym

    assert "marchenko-pastur" in ICL_LINEAR_ATTENTION.requires
    tex = ICL_LINEAR_ATTENTION.latex()
    assert r"\kappa" in tex and r"\tau" in tex
    sol = ICL_LINEAR_ATTENTION.compile().solve({"tau": .5, "alpha": .5, "rho": .1, "kappa": .5})
    assert abs(complex(sol["e_icl_tau_lt_1"]).real - 1.66331) < 5e-6
    sol = ICL_LINEAR_ATTENTION.compile().solve({"tau": 10, "alpha": 1, "rho": .25, "kappa": 2})
    assert abs(complex(sol["e_icl_tau_gt_1"]).real - 0.97099) < 5e-6
    assert rmtsym.get_derivation("icl-linear-attention") is ICL_LINEAR_ATTENTION


@pytest.mark.parametrize("bad", [dict(tau=0), dict(tau=-1), dict(alpha=0), dict(rho=-0.1), dict(kappa=0),
                                 dict(tau=np.nan), dict(ridge=-1), dict(ridge=np.inf), dict(tau="x")])
def test_bad_input(bad):
    kw = dict(tau=.5, alpha=1, rho=.25, kappa=2) | bad
    with pytest.raises(ParameterError):
        icl_error(**kw)
    with pytest.raises(ParameterError):
        idg_error(**kw)
    with pytest.raises(ParameterError):
        simulate_icl(kw["tau"], kw["alpha"], kw["rho"], kw["kappa"], ridge=kw.get("ridge", 0), d=5, reps=1)


def test_simulation_bad_sizes():
    for kw in (dict(d=1), dict(d=500), dict(reps=0), dict(d=10.5)):
        with pytest.raises(ParameterError):
            simulate_icl(.5, 1, .25, 2, **kw)


@pytest.mark.parametrize("tau, kappa, ridge, reps", [(2.0, 3.0, 0.1, 4), (3.0, np.inf, 0.0, 4), (2.0, 3.0, 0.0, 6),
                                                     (0.5, 0.5, 0.1, 20)])
def test_simulation_extrapolated(tau, kappa, ridge, reps):
    ds, m, s, mi, si = [], [], [], [], []
    for d in (20, 30):
        r = simulate_icl(tau, 1.0, 0.25, kappa, d=d, ridge=ridge, reps=reps, seed=10 * d)
        ds.append(d), m.append(r.icl_mean), s.append(r.icl_se), mi.append(r.idg_mean), si.append(r.idg_se)
        assert r.icl_mean > icl_error(tau, 1.0, 0.25, kappa, ridge) - 4 * r.icl_se   # bias is positive
        assert r.idg_mean > idg_error(tau, 1.0, 0.25, kappa, ridge) - 4 * r.idg_se
    a, se = extrapolate_1_over_d(ds, m, s)
    assert abs(a - icl_error(tau, 1.0, 0.25, kappa, ridge)) < 4 * se + 0.05
    a, se = extrapolate_1_over_d(ds, mi, si)
    assert abs(a - idg_error(tau, 1.0, 0.25, kappa, ridge)) < 4 * se + 0.05


def test_idg_ridge_reference_and_kappa_inf():
    assert abs(idg_error(.5, .5, .1, .5, ridge=1e-10) - 1.303638) < 5e-7
    tau = np.array([0.3, 0.9, 1.0, 2.0, 5.0])
    for lam in (0.01, 0.1, 1.0):
        assert np.allclose(idg_error(tau, 1, .25, np.inf, lam), icl_error(tau, 1, .25, np.inf, lam), rtol=1e-12)
        e = idg_error(tau, 1, .25, 2.0, lam)
        assert np.all(np.isfinite(e)) and np.all(e > 0.25) and np.all(e < icl_error(tau, 1, .25, 2.0, lam))


def _icl_from_equivalent(tau, alpha, rho, kappa, lam):
    """ICL error from the ridge deterministic equivalent behind idg_error (covariance C = Sigma_pool + x,
    target Sigma_pool C^-1, effective ridge eps) evaluated in the fresh-task metric E h h^T = (1+x) I:
    e = rho + 1 - 2 tr[Sigma/(C+eps)]/d + (1+x) tr[Sigma^2/(C+eps)^2]/d + (1+x) e_IDG tr[C/(C+eps)^2]/(d tau)."""
    x = (1 + rho) / alpha
    eps = ridge_eps(tau, alpha, rho, kappa, lam)
    nu = x + eps
    S, Sp = M_kappa(nu, kappa), M_kappa_prime(nu, kappa)
    e_idg = idg_error(tau, alpha, rho, kappa, lam)
    return rho + 1 - 2 * (1 - nu * S) + (1 + x) * (1 - 2 * nu * S - nu ** 2 * Sp) + (1 + x) * e_idg * (S + eps * Sp) / tau


@pytest.mark.parametrize("args", [(.5, .5, .1, .5, .1), (2, 1, .25, 3, .1), (1, 1, .25, 2, .1), (4, 2, .5, .7, .3),
                                  (.2, 3, 0, 5, .02)])
def test_idg_equivalent_reproduces_icl_ridge(args):
    assert abs(_icl_from_equivalent(*args) - icl_error(*args)) < 1e-10


def _dense_knee(tau, alpha, rho, ridge=0.0, n=40001):
    """Independent location: argmax of np.gradient(np.gradient(e, log k), log k) on a dense grid."""
    k = np.geomspace(1e-3, 1e3, n)
    L = np.log(k)
    e = icl_error(tau, alpha, rho, k, ridge=ridge)
    return k[np.argmax(np.gradient(np.gradient(e, L), L))], L[1] - L[0]


@pytest.mark.parametrize("tau,alpha,rho,ridge", [(2, 1, .25, 0), (10, 1, .25, 0), (2, 10, 0, 0), (.5, 100, 0, 0),
                                                 (2, 1, .25, .1), (1, 1, .25, .1)])
def test_kappa_transition_against_dense_grid(tau, alpha, rho, ridge):
    kc = icl_kappa_transition(tau, alpha, rho, ridge)
    kd, dL = _dense_knee(tau, alpha, rho, ridge)
    assert abs(np.log(kc / kd)) < 3 * dL                        # within 3 cells of the dense grid (~1e-3)


def test_kappa_transition_tends_to_kappa_1_and_tau():
    # x* = (1 + rho)/alpha -> 0: the knee becomes the MP corner at kappa = 1 (tau > 1), kappa = tau (tau < 1)
    for tau, target in ((2.0, 1.0), (10.0, 1.0), (0.5, 0.5)):
        dist = [abs(icl_kappa_transition(tau, a, 0.0) / target - 1) for a in (10, 100, 1e4)]
        assert dist[0] > dist[1] > dist[2] and dist[2] < 1e-3
    assert abs(icl_kappa_transition(2, 1, .25) - 1.4909) < 1e-3   # smooth at finite x*: the knee is above 1


def test_kappa_transition_bad_input():
    with pytest.raises(ParameterError):
        icl_kappa_transition(1.0, 1, .25)                        # ridgeless, tau = 1: infinite error
    with pytest.raises(ParameterError):
        icl_kappa_transition([2, 3], 1, .25)
    with pytest.raises(ParameterError):
        icl_kappa_transition(2, -1, .25)
