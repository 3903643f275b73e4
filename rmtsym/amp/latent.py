"""Gaussian latent variable model with a rotation-invariant coupling: RS fixed point, teacher
overlap and AT line of random sequential EC message passing.

Model (Çakmak, Lu & Opper 2022, arXiv:2202.08198; REFERENCES.md paper 9; the equations are a
reconstruction, see "verified" below). Student posterior over ``x in R^N``::

    p(x | y) ∝ exp(beta/2 x^T J x) prod_i psi(x_i; y_i),     J = O^T D O,  O Haar,

with the spectrum of ``J`` given by an :class:`~rmtsym.amp.rotation.RTransform` (R-transform
convention of :mod:`rmtsym.amp.rotation`, ``R_{beta J}(w) = beta R_J(beta w)``). Single-site
families:

* :class:`MixtureSite` ``(s, eps, a)``: Gaussian prior precision ``a I - beta J`` (a Gaussian
  latent variable model, proper when ``a > beta lambda_max(J)``) and a sign-uncertain Gaussian
  likelihood ``L(y | x) = (1 - eps) N(y; x, s^2) + eps N(y; -x, s^2)``, so
  ``psi(x; y) = exp(-a x^2/2) L(y | x)``. Not log-concave for ``eps > 0``: the AT line is crossed
  at accessible ``beta``. (``eps = 0`` is a Gaussian factor: ``g`` is then constant and the AT
  condition ``R' chi^2 < 1`` only marks the edge where the Gaussian stage stops existing, i.e.
  the model becoming improper: the trivial instance.)
* :class:`IsingSite` ``(h)``: ``psi(x) = e^{h x}`` on ``x = ±1``: the model of
  :mod:`rmtsym.amp.rotation` as a special case (``chi = 1 - q`` automatically).

Teacher (:class:`Teacher`): ``x*`` with iid ``N(0, v*)`` coordinates, independent of ``J`` (the
student's coupling is a mismatched prior; a teacher covariance that is rotation invariant with
eigenvectors independent of ``O`` should give the same single-site law — not checked),
``y_i = e_i x*_i + sigma* xi_i`` with ``e_i = -1`` with probability ``eps*``. Then
``y ~ N(0, v* + sigma*^2)`` and ``E[x* | y] = kappa y``, ``kappa = (1 - 2 eps*) v*/(v* + sigma*^2)``.

EC/TAP fixed point (reconstruction of REFERENCES.md paper 9): single-site law
``q_i(x) ∝ psi(x; y_i) exp(gamma_i x + R(chi) x^2/2)``, ``m_i = E x``, ``g_i = Var x``,
``chi = mean g_i``, ``R = R_{beta J}``. Because ``J`` carries no information on ``x*`` the RS
field is ``gamma ~ N(0, q R'(chi))`` independent of ``y``, and with ``Z, U ~ N(0, 1)``::

    q = E m(y, sqrt(q R'(chi)) Z)^2,   chi = E g(y, sqrt(q R'(chi)) Z),   y = sqrt(v* + sigma*^2) U
    rho = E[x* m] = kappa E[y m],       AT ratio  R'(chi) E[g^2]  (stable when < 1).

Mixture-site moments in closed form (``P = a + 1/s^2 - R(chi) > 0``, ``b = y/s^2``,
``t = tanh(atanh(1 - 2 eps) + gamma b / P)``): ``m = (gamma + b t)/P``,
``g = 1/P + (b/P)^2 (1 - t^2)``.

Verified: the Ising special case against :func:`rmtsym.amp.rotation.ising_rs`; moments against
quadrature; RS ``(q, chi, rho)`` and the convergence boundary against runs of
:func:`rmtsym.simulate.latent.run_latent_ec` (tests/test_amp_latent.py). Not verified against the
paper's own equations (only its abstract was reachable).

>>> from rmtsym.amp.rotation import semicircle_r
>>> rs = latent_rs(0.3, semicircle_r(1.0), MixtureSite(s=0.5, eps=0.2, a=1.0))
>>> bool(rs.converged), bool(rs.at < 1)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from ..errors import ConvergenceError, ParameterError, check_array
from .rotation import RTransform, law_r

__all__ = ["MixtureSite", "IsingSite", "Teacher", "LatentRS", "latent_rs", "latent_at_ratio",
           "latent_at_line", "AMP_LATENT_AT_LINE"]

# E over Z ~ N(0, 1): trapezoid rule on [-9, 9] with 121 nodes (spacing 0.15), exponentially
# accurate for these analytic integrands (the tanh slope in z is ~ sd |y| = O(1) here): at
# beta = 0.9 q agrees with 161 and 401 nodes to 1e-15, while 80-node Gauss-Hermite was off by
# 1e-7 (AT ratio 1e-5)
_GX = np.linspace(-9.0, 9.0, 121)
_GW = np.exp(-0.5 * _GX ** 2)
_GW = _GW / _GW.sum()


def _arr(x, name, cond, expected):
    """:func:`rmtsym.errors.check_array` with finiteness required as well."""
    return check_array(x, name, lambda a: cond(a) & np.isfinite(a), expected)


@dataclass(frozen=True)
class Teacher:
    """Teacher ``x*_i ~ N(0, v_star)`` iid, ``y_i = e_i x*_i + sigma_star xi_i``,
    ``P(e_i = -1) = eps_star``."""

    v_star: float = 1.0
    sigma_star: float = 0.5
    eps_star: float = 0.1

    def __post_init__(self):
        _arr(self.v_star, "v_star", lambda a: a > 0, "v_star > 0")
        _arr(self.sigma_star, "sigma_star", lambda a: a >= 0, "sigma_star >= 0")
        _arr(self.eps_star, "eps_star", lambda a: (a >= 0) & (a <= 1), "0 <= eps_star <= 1")

    @property
    def y_std(self) -> float:
        return float(np.sqrt(self.v_star + self.sigma_star ** 2))

    @property
    def kappa(self) -> float:
        """``E[x* | y] = kappa y``."""
        return float((1 - 2 * self.eps_star) * self.v_star / (self.v_star + self.sigma_star ** 2))

    def sample(self, N: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(x_star, y)`` of length ``N``."""
        rng = np.random.default_rng(seed)
        x = np.sqrt(self.v_star) * rng.standard_normal(N)
        e = np.where(rng.random(N) < self.eps_star, -1.0, 1.0)
        return x, e * x + self.sigma_star * rng.standard_normal(N)


@dataclass(frozen=True)
class MixtureSite:
    """``psi(x; y) = exp(-a x^2/2) [(1 - eps) N(y; x, s^2) + eps N(y; -x, s^2)]`` (module
    docstring); ``s``, ``eps``, ``a`` may be arrays (broadcast with ``beta``)."""

    s: float = 0.5
    eps: float = 0.2
    a: float = 1.0

    def __post_init__(self):
        _arr(self.s, "s", lambda a: a > 0, "student noise s > 0")
        _arr(self.eps, "eps", lambda a: (a >= 0) & (a < 1), "0 <= eps < 1 (student flip belief)")
        _arr(self.a, "a", lambda a: a >= 0, "a >= 0 (diagonal prior precision)")

    def params(self):
        return (np.asarray(self.s, float), np.asarray(self.eps, float), np.asarray(self.a, float))

    def moments(self, gamma, y, r, s=None, eps=None, a=None):
        """``(m, g)`` of ``psi(x; y) exp(gamma x + r x^2/2)`` (broadcast); NaN where
        ``P = a + 1/s^2 - r <= 0`` (not normalisable)."""
        s0, e0, a0 = self.params()
        s = s0 if s is None else s
        eps = e0 if eps is None else eps
        a = a0 if a is None else a
        P = a + 1.0 / (s * s) - r
        P = np.where(P > 0, P, np.nan)
        b = y / (s * s)
        with np.errstate(divide="ignore"):
            c = np.arctanh(1 - 2 * eps)
        t = np.tanh(c + gamma * b / P)
        m = (gamma + b * t) / P
        g = 1.0 / P + (b / P) ** 2 * (1 - t * t)
        return m, g


@dataclass(frozen=True)
class IsingSite:
    """``psi(x) = e^{h x}`` on ``x = ±1`` (``y`` ignored): the model of
    :mod:`rmtsym.amp.rotation`."""

    h: float = 0.0

    def __post_init__(self):
        _arr(self.h, "h", lambda a: np.isfinite(a), "a finite field")

    def params(self):
        return (np.asarray(self.h, float),)

    def moments(self, gamma, y, r, h=None):
        h = np.asarray(self.h, float) if h is None else h
        m = np.tanh(h + gamma + 0.0 * y)
        return m, 1 - m * m


@dataclass(frozen=True)
class LatentRS:
    """RS fixed point, arrays over the broadcast parameter grid: ``q = E m^2``, ``chi = E g``,
    ``field_var = q R'(chi)``, ``reaction = R(chi)``, ``rho = E[x* m]`` (teacher overlap),
    ``mse = E (x* - m)^2``, ``at = R'(chi) E g^2`` (AT stable when < 1), ``converged`` mask,
    ``iterations``."""

    q: np.ndarray
    chi: np.ndarray
    field_var: np.ndarray
    reaction: np.ndarray
    rho: np.ndarray
    mse: np.ndarray
    at: np.ndarray
    converged: np.ndarray
    iterations: int


def _rs_moments(q, chi, b, rt, site, teacher, pars, ys=None):
    """Gaussian expectations of the site moments at ``(q, chi)``, in chunks of points so that the
    (points, z, y) working arrays stay moderate (memory; the cost is ~N_z N_y per point anyway)."""
    ny = 1 if isinstance(site, IsingSite) else (_GX.size if ys is None else ys.size)
    step = max(1, (1 << 16) // (_GX.size * ny))
    if q.size <= step:
        return _rs_moments_chunk(q, chi, b, rt, site, teacher, pars, ys)
    parts = [_rs_moments_chunk(q[i:i + step], chi[i:i + step], b[i:i + step], rt, site, teacher,
                               [p[i:i + step] for p in pars], ys) for i in range(0, q.size, step)]
    return tuple(np.concatenate(x) for x in zip(*parts))


def _rs_moments_chunk(q, chi, b, rt, site, teacher, pars, ys=None):
    R = b * rt.r(b * chi)
    dR = b * b * rt.dr(b * chi)
    sd = np.sqrt(np.maximum(q * dR, 0.0))
    gam = sd[..., None, None] * _GX[:, None]                   # axes (..., z, u)
    ising = isinstance(site, IsingSite)
    if ising:
        y, wy = np.zeros(1), np.ones(1)
    elif ys is None:
        y, wy = teacher.y_std * _GX, _GW
    else:
        y, wy = ys, np.full(ys.size, 1.0 / ys.size)
    W = _GW[:, None] * wy[None, :]
    ex = [p[..., None, None] for p in pars]
    m, g = site.moments(gam, y[None, :], R[..., None, None], *ex)
    E = lambda f: np.sum(f * W, axis=(-2, -1))                 # noqa: E731
    return E(m * m), E(g), E(g * g), E(y[None, :] * m), R, dR


def latent_rs(beta, rt: RTransform, site, teacher: Teacher | None = None, *, tol: float = 1e-12,
              max_iter: int = 4000, damping: float = 1.0, raise_on_fail: bool = False,
              y=None, init=None) -> LatentRS:
    """RS fixed point ``(q, chi)`` (module docstring) by damped iteration, vectorised over the
    broadcast of ``beta`` and the site parameters. Start: ``gamma = 0`` moments. Points that do
    not reach ``max|change| < tol`` are NaN with ``converged`` False (or
    :class:`ConvergenceError` with ``raise_on_fail``). ``y``: optional sample of observations;
    then ``E`` over ``y`` is its empirical average (the RS prediction for that data set; ``rho``
    still uses ``E[x* | y] = kappa y``). ``init=(q, chi)``: warm start (broadcast to the grid).
    Plain iteration (``damping = 1``) converged in ~40 steps on the grids tried; points that do
    not converge are retried once with damping 0.5."""
    if y is not None:
        y = np.asarray(y, float).ravel()
        if y.size == 0 or not np.all(np.isfinite(y)):
            raise ParameterError("y", "array", "a non-empty sample of finite observations")
    if not isinstance(rt, RTransform):
        rt = law_r(rt)
    if not isinstance(site, (MixtureSite, IsingSite)):
        raise ParameterError("site", site, "a MixtureSite or IsingSite")
    teacher = Teacher() if teacher is None else teacher
    b = _arr(beta, "beta", lambda a: a > 0, "beta > 0 (finite)")
    if not 0 < damping <= 1:
        raise ParameterError("damping", damping, "0 < damping <= 1")
    pars = site.params()
    shape = np.broadcast_shapes(b.shape, *[p.shape for p in pars])
    b = np.broadcast_to(b, shape).astype(float).ravel()
    pars = [np.broadcast_to(p, shape).astype(float).ravel() for p in pars]
    if init is not None:
        q = np.broadcast_to(np.asarray(init[0], float), shape).ravel().copy()
        chi = np.broadcast_to(np.asarray(init[1], float), shape).ravel().copy()
        ok = np.isfinite(q) & np.isfinite(chi)
    else:
        ok = np.zeros(b.shape, bool)
    q0 = np.zeros(b.shape)
    if isinstance(site, IsingSite):
        chi0 = np.ones(b.shape)
    else:                                                 # start: gamma = 0, R = 0
        P = pars[2] + 1 / pars[0] ** 2
        chi0 = 1.0 / P + 0.5 * (teacher.y_std / (pars[0] ** 2 * P)) ** 2
    q0 = np.maximum(_rs_moments(q0, chi0, b, rt, site, teacher, pars, y)[0], 1e-3)
    q = np.where(ok, q, q0) if init is not None else q0
    chi = np.where(ok, chi, chi0) if init is not None else chi0
    start = (q.copy(), chi.copy())
    it = 0
    for attempt, damp in enumerate((damping, 0.5 * damping)):
        done = np.zeros(b.shape, bool)
        act = np.arange(b.size)                           # iterate only the active points
        for it in range(1, max_iter + 1):
            q1, chi1, _, _, _, _ = _rs_moments(q[act], chi[act], b[act], rt, site, teacher,
                                               [p[act] for p in pars], y)
            dq, dc = q1 - q[act], chi1 - chi[act]
            bad = ~np.isfinite(q1) | ~np.isfinite(chi1)
            q[act] = np.where(bad, q[act], q[act] + damp * dq)
            chi[act] = np.where(bad, chi[act], chi[act] + damp * dc)
            done[act] = (np.abs(dq) < tol) & (np.abs(dc) < tol)
            act = act[~(done[act] | bad)]
            if act.size == 0:
                break
        if done.all() or attempt == 1:
            break
        q = np.where(done, q, start[0])                   # retry the others with half damping
        chi = np.where(done, chi, start[1])
    Eq, Eg, Eg2, Eym, R, dR = _rs_moments(q, chi, b, rt, site, teacher, pars, y)
    conv = done & np.isfinite(Eg2) & np.isfinite(dR)
    if raise_on_fail and not conv.all():
        bad = ~conv.reshape(shape)
        raise ConvergenceError(f"RS iteration did not converge at {int(bad.sum())} points; last "
                               f"iterates q = {q.reshape(shape)[bad][:5]}, chi = {chi.reshape(shape)[bad][:5]}")
    nan = np.where(conv, 1.0, np.nan)
    rho = teacher.kappa * Eym
    mse = teacher.v_star - 2 * rho + Eq
    rs = dict(q=q, chi=chi, field_var=q * dR, reaction=R, rho=rho, mse=mse, at=dR * Eg2)
    return LatentRS(**{k: (v * nan).reshape(shape) for k, v in rs.items()},
                    converged=conv.reshape(shape), iterations=it)


def latent_at_ratio(beta, rt: RTransform, site, teacher: Teacher | None = None) -> np.ndarray:
    """``R'(chi) E[g^2]`` at the RS fixed point (AT stable when ``< 1``)."""
    return latent_rs(beta, rt, site, teacher).at


def latent_at_line(rt: RTransform, site, teacher: Teacher | None = None, *, beta_lo: float = 1e-3,
                   beta_hi: float = 2.0, grid: int = 12, tol: float = 1e-8) -> np.ndarray:
    """``beta_AT``: the smallest ``beta`` in ``(beta_lo, beta_hi)`` where the AT ratio crosses 1,
    vectorised over the site-parameter grid: first crossing on a grid of ``grid`` values, then
    bisection (undefined ratios count as ``> 1``). NaN where the ratio stays ``< 1``."""
    if not isinstance(rt, RTransform):
        rt = law_r(rt)
    if not 0 < beta_lo < beta_hi:
        raise ParameterError("beta_hi", beta_hi, f"beta_hi > beta_lo = {beta_lo} > 0")
    shape = np.broadcast_shapes(*[p.shape for p in site.params()])

    params = [np.broadcast_to(p, shape).ravel() for p in site.params()]

    def ratio(bb, idx=None, init=None):
        st = site if idx is None else type(site)(*[p[idx] for p in params])
        rs = latent_rs(bb, rt, st, teacher, init=init)
        return np.where(np.isnan(rs.at), np.inf, rs.at), rs

    bs = np.linspace(beta_lo, beta_hi, grid).reshape((grid,) + (1,) * len(shape))
    r_grid, rs_grid = ratio(bs)                             # (grid, *shape)
    r_grid = r_grid.reshape(grid, -1)
    above = r_grid > 1
    found = above.any(axis=0) & ~above[0]
    k = np.argmax(above, axis=0)
    km = np.maximum(k - 1, 0)
    n = np.arange(r_grid.shape[1])
    bflat = bs.ravel()
    a, b = bflat[km], bflat[k]
    fa, fb = 1.0 - r_grid[km, n], 1.0 - r_grid[k, n]
    fb = np.where(np.isfinite(fb), fb, -1.0)
    wq = rs_grid.q.reshape(grid, -1)[km, n]
    wc = rs_grid.chi.reshape(grid, -1)[km, n]
    # Illinois regula falsi on 1 - ratio (> 0 at a, < 0 at b), only on the unconverged points,
    # warm-started from the RS solution at the stable end of the bracket
    root = 0.5 * (a + b)
    act = np.flatnonzero(found)
    last = np.zeros(n.size)
    for _ in range(100):
        if act.size == 0:
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            c = b[act] - fb[act] * (b[act] - a[act]) / (fb[act] - fa[act])
        lo_, hi_ = np.minimum(a[act], b[act]), np.maximum(a[act], b[act])
        c = np.where(np.isfinite(c) & (c > lo_) & (c < hi_), c, 0.5 * (a[act] + b[act]))
        rc, rs = ratio(c, act, (wq[act], wc[act]))
        fc = np.where(np.isfinite(rc), 1.0 - rc, -1.0)
        pos = fc > 0
        fb[act] = np.where(pos & (last[act] > 0), 0.5 * fb[act], fb[act])
        fa[act] = np.where(~pos & (last[act] < 0), 0.5 * fa[act], fa[act])
        a[act], fa[act] = np.where(pos, c, a[act]), np.where(pos, fc, fa[act])
        b[act], fb[act] = np.where(pos, b[act], c), np.where(pos, fb[act], fc)
        wq[act] = np.where(pos & np.isfinite(rs.q), rs.q, wq[act])
        wc[act] = np.where(pos & np.isfinite(rs.chi), rs.chi, wc[act])
        last[act] = np.where(pos, 1.0, -1.0)
        moved = np.abs(c - root[act])
        root[act] = c
        act = act[~((np.abs(b[act] - a[act]) < tol) | (moved < tol) | (fc == 0))]
    return np.where(found, root, np.nan).reshape(shape)


# ------------------------------------------------------------------------------------------
# the derivation (printable LaTeX)
# ------------------------------------------------------------------------------------------
_q = sp.Symbol("q", nonnegative=True)
_chi = sp.Symbol("chi", positive=True)
_b, _s, _a = sp.symbols("beta s a", positive=True)
_e = sp.Symbol("epsilon", positive=True)
_vy = sp.Symbol("v_y", positive=True)
_z, _u, _w = sp.symbols("z u w", real=True)
_RJ = sp.Function("R_J")
_R = _b * _RJ(_b * _chi)
_dR = _b ** 2 * sp.Subs(sp.Derivative(_RJ(_w), _w), _w, _b * _chi)
_P = _a + 1 / _s ** 2 - _R
_gam = sp.sqrt(_q * _dR) * _z
_y = sp.sqrt(_vy) * _u
_t = sp.tanh(sp.atanh(1 - 2 * _e) + _gam * _y / (_s ** 2 * _P))
_m = (_gam + _y * _t / _s ** 2) / _P
_g = 1 / _P + (_y / (_s ** 2 * _P)) ** 2 * (1 - _t ** 2)
_phi = sp.exp(-(_z ** 2 + _u ** 2) / 2) / (2 * sp.pi)
_E = lambda f: sp.Integral(f * _phi, (_z, -sp.oo, sp.oo), (_u, -sp.oo, sp.oo))  # noqa: E731

AMP_LATENT_AT_LINE = register(Derivation(
    "amp-latent-at-line",
    title="Gaussian latent variable model, rotation-invariant coupling: RS fixed point and AT line",
    unknowns=[_q, _chi], parameters=[_b, _s, _e, _a, _vy],
    equations=[sp.Eq(_q, _E(_m ** 2)), sp.Eq(_chi, _E(_g))],
    outputs={"reaction": _R, "at": _dR * _E(_g ** 2)},
    requires=["amp-rsmp-at-line"],
    reference=("B. Çakmak, Y. M. Lu, M. Opper, 'Analysis of random sequential message passing "
               "algorithms for approximate inference', arXiv:2202.08198 (2022); M. Opper, "
               "B. Çakmak, O. Winther, arXiv:1509.01229 (2016)"),
    assumptions=("p(x|y) ~ exp(beta/2 x^T J x - a|x|^2/2) prod_i [(1-eps) N(y_i; x_i, s^2) + eps "
                 "N(y_i; -x_i, s^2)], J = O^T D O, O Haar; teacher x* iid N(0, v*) independent of "
                 "J, y = +-x* + noise so y ~ N(0, v_y); R_{beta J}(w) = beta R_J(beta w); "
                 "RS field gamma ~ N(0, q R'(chi)) independent of y; AT stable when at < 1 "
                 "(reconstruction, not checked against the paper's equations)"),
    symbols={_b: r"\beta", _q: "q", _chi: r"\chi", _e: r"\varepsilon"},
))
