"""Gaussian latent variable model with a rotation-invariant coupling (student–teacher, mismatched):
the convergence boundary of random sequential EC message passing is the AT line
(Çakmak, Lu & Opper 2022, arXiv:2202.08198; reconstruction in rmtsym.amp.latent).

Student: p(x|y) ∝ exp(beta/2 x^T J x - a|x|^2/2) prod_i [(1-eps) N(y_i; x_i, s^2) + eps N(y_i; -x_i, s^2)]
(Gaussian prior of precision a - beta J, a sign-uncertain Gaussian likelihood: not log-concave).
Teacher: x* iid N(0, 1) independent of J, y_i = ±x*_i + 0.5 xi_i with 10% sign flips.
s = 0.3; semicircle J (a = 3, prior proper for beta < 1.5) and J0 = X^T X/n - I, c = 1 (a = 4,
proper for beta < 4/3). AT line beta_AT(eps) in the (eps, beta) plane.

Rows: the Ising special case against rmtsym.amp.rotation (AT line and q); single-site moments
against scipy quad; the RS equations against a scipy dblquad; the AT ratio through the numeric
R-transform of the spectral law (law_r) at the closed-form Wishart beta_AT; the Gaussian-likelihood
(eps = 0) AT ratio against its closed form beta^2 chi^2 (the trivial instance: its AT line is the
edge where the posterior becomes improper). Runs (N = 500, one coupling and data set per point,
fixed seeds): converged (max |dm| per sweep < 1e-8 within 300 sweeps) vs not (> 1e-3 after the
budget) at f beta_AT, f = 0.8, 0.9, 1.2 (quick: 0.85, 1.2); f = 1.1 is run and drawn but not a row:
the finite-N boundary is smeared (N = 500 here: the semicircle runs at 1.1 beta_AT converge, as in
the Ising case of amp_convergence_boundary; at N = 1000, 3 seeds x 4 settings (2 couplings x
eps = 0.1, 0.3), 400 sweeps: at 0.8, 0.9, 0.95 beta_AT 34/36 runs converge, 1 decays slowly, 1 does
not converge (at 0.95); 6/12 converge at 1.05, 1/12 at 1.1, 0/12 at 1.2).
At converged runs with N = 1000
the site averages q = mean m^2, chi = mean g, rho = mean x* m against the RS values conditioned on
the sample y (4 SE + 0.02 finite-size allowance).
"""

from __future__ import annotations

import numpy as np
from scipy import integrate

from rmtsym.amp.latent import (AMP_LATENT_AT_LINE, IsingSite, MixtureSite, Teacher, latent_at_line,
                               latent_rs)
from rmtsym.amp.rotation import at_line, ising_rs, law_r, semicircle_r, wishart_r
from rmtsym.simulate.latent import run_latent_ec
from rmtsym.simulate.sequential import goe, shifted_wishart
from rmtsym.spectra.classic import marchenko_pastur
from rmtsym.spectra.free import affine
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Gaussian latent variable model (rotation-invariant coupling): convergence boundary = AT line"
NAME = "amp-latent-at-line"
S, TEACHER = 0.3, Teacher(v_star=1.0, sigma_star=0.5, eps_star=0.1)
COUPLINGS = {"semicircle": (semicircle_r(1.0), 3.0, 2.0), "wishart": (wishart_r(1.0), 4.0, 3.0)}


def _verdict(run) -> int:
    if run.converged:
        return 1
    return 0 if run.changes[-1] > 1e-3 else -1


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    ctx.write_latex(AMP_LATENT_AT_LINE.latex())
    sc = semicircle_r(1.0)

    # ---- special cases and second methods -------------------------------------------------
    rows.append(Row(NAME, "Ising special case: beta_AT(h = 0.5), semicircle", float(latent_at_line(sc, IsingSite(0.5))),
                    float(at_line(0.5, sc)), "rmtsym.amp.rotation.at_line (closed-form-checked)", 1e-6))
    rows.append(Row(NAME, "Ising special case: q(beta = 0.9, h = 0.5), Wishart c = 1",
                    float(latent_rs(0.45, wishart_r(1.0), IsingSite(0.5)).q),
                    float(ising_rs(0.45, 0.5, wishart_r(1.0)).q), "rmtsym.amp.rotation.ising_rs", 1e-9))
    site = MixtureSite(S, 0.2, 3.0)
    g0, y0, r0 = 0.4, 1.1, 0.6
    w = lambda x: (0.8 * np.exp(-(y0 - x) ** 2 / (2 * S * S)) + 0.2 * np.exp(-(y0 + x) ** 2 / (2 * S * S))  # noqa: E731
                   * 1.0) * np.exp(-1.5 * x * x + g0 * x + r0 * x * x / 2)
    Z = integrate.quad(w, -20, 20, epsabs=0, epsrel=1e-12, limit=200)[0]
    m1 = integrate.quad(lambda x: x * w(x), -20, 20, epsabs=0, epsrel=1e-12, limit=200)[0] / Z
    m2 = integrate.quad(lambda x: x * x * w(x), -20, 20, epsabs=0, epsrel=1e-12, limit=200)[0] / Z
    m, g = site.moments(g0, y0, r0)
    rows.append(Row(NAME, "site mean m(gamma = 0.4, y = 1.1, R = 0.6)", float(m), m1, "scipy quad", 1e-9))
    rows.append(Row(NAME, "site variance g(gamma = 0.4, y = 1.1, R = 0.6)", float(g), m2 - m1 ** 2, "scipy quad", 1e-9))

    b = 0.9
    rs = latent_rs(b, sc, site, TEACHER)
    q, chi = float(rs.q), float(rs.chi)
    R, dR = b * float(sc.r(b * chi)), b * b * float(sc.dr(b * chi))
    sd, sy = np.sqrt(q * dR), TEACHER.y_std
    phi = lambda t: np.exp(-t * t / 2) / np.sqrt(2 * np.pi)                                  # noqa: E731
    Eq = integrate.dblquad(lambda z, u: site.moments(sd * z, sy * u, R)[0] ** 2 * phi(z) * phi(u),
                           -9, 9, -9, 9, epsabs=1e-11)[0]
    rows.append(Row(NAME, "RS q (semicircle, beta = 0.9, eps = 0.2): E m^2 at the fixed point", q, Eq,
                    "scipy dblquad of the RS equation", 1e-9))

    wi_rt, a_wi, _ = COUPLINGS["wishart"]
    wsite = MixtureSite(S, 0.2, a_wi)
    b_cf = float(latent_at_line(wi_rt, wsite, TEACHER, beta_hi=1.3))
    law = law_r(affine(marchenko_pastur(1.0), 1, -1))
    rows.append(Row(NAME, "AT ratio at beta_AT (Wishart, eps = 0.2) with the numeric R-transform of the law",
                    float(latent_rs(b_cf, law, wsite, TEACHER).at), 1.0,
                    "closed-form R-transform (second code path)", 1e-6))
    A = 3.0 + 1 / S ** 2
    bg = 0.25 * A
    chi_g = (A - np.sqrt(A * A - 4 * bg * bg)) / (2 * bg * bg)
    rows.append(Row(NAME, "Gaussian likelihood (eps = 0): AT ratio at beta = (a + 1/s^2)/4",
                    float(latent_rs(bg, sc, MixtureSite(S, 0.0, 3.0), TEACHER).at), bg * bg * chi_g ** 2,
                    "closed form beta^2 chi^2, chi = 1/(a + 1/s^2 - beta^2 chi)", 1e-10,
                    note="AT line = (a + 1/s^2)/2 = edge of properness: the trivial instance"))

    # ---- runs: convergence boundary -----------------------------------------------------------
    N = 500
    facs = (0.85, 1.2) if ctx.quick else (0.8, 0.9, 1.1, 1.2)   # 1.1: figure marker only (see docstring)
    eps_runs = (0.2,) if ctx.quick else (0.2, 0.35)
    marks = []
    x, y = TEACHER.sample(N, seed=2)
    for name, (rt, a, _) in COUPLINGS.items():
        J = goe(N, seed=1) if name == "semicircle" else shifted_wishart(N, 1.0, seed=1)
        for eps in eps_runs:
            st = MixtureSite(S, eps, a)
            bat = float(latent_at_line(rt, st, TEACHER, beta_hi=2.0 if name == "semicircle" else 1.3))
            for f in facs:
                rsf = latent_rs(f * bat, rt, st, TEACHER)
                r = run_latent_ec(J, f * bat, y, st, float(rsf.chi), sweeps=300, seed=3)
                v = _verdict(r)
                marks.append((name, eps, f * bat, v))
                if f == 1.1:
                    continue
                rows.append(Row(NAME, f"random sequential EC, {name} N = {N}, eps = {eps:g}, "
                                f"beta = {f:g} beta_AT: converged?", float(f < 1), float(v),
                                "run: 1 = change < 1e-8, 0 = change > 1e-3 after 300 sweeps", 0.0,
                                note=f"beta_AT = {bat:.4f}, AT ratio {float(rsf.at):.3f}; {r.sweeps} sweeps, "
                                     f"last change {r.changes[-1]:.2e}"))

    # ---- RS fixed point against runs (converging side) ----------------------------------------
    Nr = ctx.size(1000, 500)
    xr, yr = TEACHER.sample(Nr, seed=4)
    for name, (rt, a, _) in COUPLINGS.items():
        J = goe(Nr, seed=5) if name == "semicircle" else shifted_wishart(Nr, 1.0, seed=5)
        st = MixtureSite(S, 0.2, a)
        bb = 0.8 * float(latent_at_line(rt, st, TEACHER, beta_hi=2.0 if name == "semicircle" else 1.3))
        rc = latent_rs(bb, rt, st, TEACHER, y=yr)
        r = run_latent_ec(J, bb, yr, st, float(rc.chi), sweeps=300, seed=6)
        for label, val, th in (("q = mean m^2", r.m ** 2, rc.q), ("chi = mean g", r.g, rc.chi),
                               ("teacher overlap rho = mean x* m", xr * r.m, rc.rho)):
            se = float(np.std(val) / np.sqrt(Nr))
            rows.append(Row(NAME, f"RS {label}, {name}, eps = 0.2, beta = 0.8 beta_AT (run N = {Nr})",
                            float(th), float(np.mean(val)), "EC run (converged), RS conditioned on the sample y",
                            4 * se + 0.02, se, note="finite-size allowance 0.02"))

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            es = np.linspace(0.03, 0.45, 15 if ctx.quick else 29)
            for k, (name, (rt, a, lmax)) in enumerate(COUPLINGS.items()):
                line = latent_at_line(rt, MixtureSite(S, es, a), TEACHER,
                                      beta_hi=2.0 if name == "semicircle" else 1.3)
                ax.plot(es, line, f"C{k}-", label=f"AT line, {name} J (a = {a:g})")
                ax.axhline(a / lmax, color=f"C{k}", ls=":", lw=0.8)
            for name, eps, bb, v in marks:
                c = "C0" if name == "semicircle" else "C1"
                ax.plot(eps, bb, "o" if v == 1 else "x", color=c, ms=7, mfc="none" if v == 1 else c)
            ax.plot([], [], "ko", mfc="none", label="run converged")
            ax.plot([], [], "kx", label="run did not converge")
            ax.plot([], [], "k:", lw=0.8, label="prior precision a - beta J loses positivity")
            ax.set_xlabel("student sign-flip belief eps")
            ax.set_ylabel("coupling strength beta")
            ax.set_title(f"Random sequential EC, Gaussian latent model, s = {S}, N = {N}", fontsize=9)
            ax.legend(fontsize=7)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
