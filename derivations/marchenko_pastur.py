"""The Marchenko–Pastur law through the derivation engine.

The equation gamma z m^2 - (1 - gamma - z) m + 1 = 0 (docs/conventions.md) is a registered
Derivation; its compiled solver is checked against the closed form on 10^5 complex points
(a second method), and against the eigenvalues of simulated sample covariance matrices
S = X X^T / N (Monte Carlo; tolerance 4 standard errors over replicates plus the finite-size
correction 1/(p eta), eta = Im z). Writes the LaTeX of the equation and a density-vs-histogram
figure.
"""

from __future__ import annotations

import numpy as np

from rmtsym.simulate.ensembles import empirical_stieltjes, wishart_eigenvalues
from rmtsym.spectra.classic import MARCHENKO_PASTUR
from rmtsym.tour import Row, TourContext, main_for

TITLE = "Marchenko–Pastur law: compiled solver vs closed form vs simulation"


def closed_form(z, gamma):
    """Stieltjes transform of MP from the quadratic formula, root with Im m > 0 (or, on the
    real axis, the one that decays like -1/z)."""
    z = np.asarray(z, dtype=complex)
    a, b, c = gamma * z, -(1 - gamma - z), 1.0
    disc = np.sqrt(b * b - 4 * a * c + 0j)
    r1, r2 = (-b + disc) / (2 * a), (-b - disc) / (2 * a)
    pick1 = r1.imag > r2.imag
    return np.where(pick1, r1, r2)


def run(ctx: TourContext) -> list[Row]:
    rows: list[Row] = []
    solver = MARCHENKO_PASTUR.compile()
    ctx.write_latex(MARCHENKO_PASTUR.latex())

    # (1) compiled solver against the closed form on 10^5 points
    rng = np.random.default_rng(7)
    npts = 100_000
    z = rng.uniform(-1, 6, npts) + 1j * 10 ** rng.uniform(-3, 0.3, npts)
    gamma = rng.choice([0.3, 1.0, 2.5], npts)
    sol = solver.solve({"z": z, "gamma": gamma})
    ok = sol.report.ok
    err = np.nanmax(np.abs(sol["m"][ok] - closed_form(z[ok], gamma[ok])))
    rows.append(Row("marchenko-pastur", "max |m_solver - m_closed| (10^5 pts)", 0.0, float(err),
                    "closed form (quadratic formula)", 1e-9))
    rows.append(Row("marchenko-pastur", "fraction of points converged", 1.0, float(ok.mean()),
                    "convergence report", 0.0))

    # (2) against simulation
    p, N, reps = (1000, 2000, 6) if not ctx.quick else (300, 600, 6)
    gam = p / N
    ev = np.array([wishart_eigenvalues(p, N, seed=s) for s in range(reps)])
    for zt in (1.0 + 0.1j, 2.5 + 0.1j, 0.2 + 0.1j):
        m_emp, se = empirical_stieltjes(ev, zt)
        m_th = solver.solve({"z": zt, "gamma": gam})["m"]
        bias = 1.0 / (p * zt.imag)
        for part, th, em, s in (("Re", m_th.real, m_emp.real, se.real), ("Im", m_th.imag, m_emp.imag, se.imag)):
            rows.append(Row("marchenko-pastur", f"{part} m({zt}) gamma={gam}", float(th), float(em),
                            f"simulation p={p}, N={N}, {reps} reps", float(4 * s + bias), float(s)))

    with ctx.figure() as fig:
        if fig is not None:
            _, ax = fig
            x = np.linspace(0.0, (1 + np.sqrt(gam)) ** 2 + 0.3, 600)
            dens = solver.solve({"z": x + 1e-9j, "gamma": gam})["density"]
            ax.hist(ev.ravel(), bins=80, density=True, alpha=0.4, label=f"eigenvalues p={p}, N={N}")
            ax.plot(x, dens, "k-", lw=1.5, label="compiled solver, Im m(x+i0)/pi")
            ax.set_xlabel("x")
            ax.set_ylabel("density")
            ax.set_title(f"Marchenko–Pastur, gamma = {gam}")
            ax.legend(fontsize=8)
    return rows


if __name__ == "__main__":
    raise SystemExit(main_for(run, __file__))
