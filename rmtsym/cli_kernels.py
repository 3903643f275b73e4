"""``rmtsym spectrum kernel`` and ``rmtsym spectrum ck``: kernel-matrix and conjugate-kernel laws.

Conventions: docs/conventions.md (Kernel matrix, Stieltjes transform). Functions are catalog
names or expressions in ``z`` parsed by the whitelist grammar (never executed).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .cli_types import positive_float

__all__ = ["add_parsers"]


def _f(text: str):
    from .bases.catalog import activation

    return activation(text).expr


def _outlier_lines(law) -> list[str]:
    rows = []
    for o in getattr(law, "outliers", []):
        if getattr(o, "location", None) is None:
            if getattr(o, "notes", ""):
                rows.append(f"degree {o.degree}: {o.notes}")
            continue
        rows.append(f"degree {o.degree}: {o.multiplicity} eigenvalue(s) near {float(o.location):.6g}"
                    + (f", in [{o.interval[0]:.6g}, {o.interval[1]:.6g}]" if o.interval else ""))
    return rows


class _FiniteSizeLaw:
    """The finite-size kernel law with every degree as its own MP term (``model="free"`` of
    :func:`rmtsym.spectra.kernels.kernel_matrix_equation`): it describes the whole simulated
    spectrum, outlier clusters included (numeric; its cdf is the integrated density)."""

    def __init__(self, f, d: int, n: int):
        from .spectra.kernels import kernel_matrix_equation

        self.spec = kernel_matrix_equation(f, d=d, n=n, model="free")
        self.name = f"finite-size kernel law (every degree free), d={d}, n={n}"

    def stieltjes(self, z):
        return self.spec.stieltjes(z)

    def density(self, x):
        return self.spec.density(x)


def cmd_kernel(args, report) -> int:
    from .cli_spectrum import LawSpec
    from .simulate.kernels import kernel_matrix_eigenvalues
    from .spectra.kernels import kernel_matrix

    f = _f(args.f)
    ell = float(args.ell)
    ell = int(ell) if ell.is_integer() else ell
    if args.dim is not None:
        d = args.dim
        n = max(10, round(args.kappa * d**ell))
        law = kernel_matrix(f, d=d, n=n)
        label = f"kernel {args.f}: finite size d={d}, n={n} (bulk; outliers listed)"
        at_size = _FiniteSizeLaw(f, d, n) if args.simulate else None
    else:
        law = kernel_matrix(f, ell, args.kappa, data=args.data)
        d = max(3, round((args.n / args.kappa) ** (1 / ell)))
        n = max(10, round(args.kappa * d**ell))
        label = f"kernel {args.f}: ell={args.ell}, kappa={args.kappa} (d = infinity)"
        # the d = oo law misses finite-size corrections (diagonal shift, slow degrees): the
        # simulation is compared with the finite-size law at the simulated (d, n)
        at_size = _FiniteSizeLaw(f, d, n) if args.simulate and args.data == "sphere" else None
    spec = LawSpec(label, law, None,
                   lambda _n, seed: kernel_matrix_eigenvalues(f, n, d, data=args.data, seed=seed), at_size)
    if args.simulate:
        args.n = n
    extra = {"outliers": _outlier_lines(law) or ["none"], "notes": list(getattr(law.spec, "notes", []) or [])}
    if args.simulate:
        extra["simulated size"] = f"n = {n}, d = {d}, data = {args.data}"
    return report(args, spec, extra)


def cmd_ck(args, report) -> int:
    from .cli_spectrum import LawSpec
    from .simulate.kernels import conjugate_kernel_eigenvalues
    from .spectra.kernels import conjugate_kernel

    f = _f(args.f)
    law = conjugate_kernel(f, args.phi, args.psi)
    n1 = args.n
    n0 = max(1, round(args.psi * n1))
    m = max(1, round(n0 / args.phi))
    spec = LawSpec(f"conjugate kernel {args.f}: phi={args.phi}, psi={args.psi}", law, None,
                   lambda _n, seed: conjugate_kernel_eigenvalues(f, n0, n1, m, seed=seed))
    extra = {}
    mu0 = float(sp.N(law.spec.mu0))
    if abs(mu0) > 1e-12:
        o = law.spec.outlier(n1)
        extra["outliers"] = [f"mean mu_0 = {mu0:.6g}: one eigenvalue near {float(o.location):.6g} at n1 = {n1}"]
        extra["notes"] = ["the bulk is that of f - mu_0 (the mean only adds the outlier)"]
    if args.simulate:
        extra["simulated size"] = f"n0 = {n0}, n1 = {n1}, m = {m}"
    return report(args, spec, extra)


def add_parsers(kinds, common, report) -> None:
    k = kinds.add_parser("kernel", help="inner-product kernel matrix f(<x_i,x_j>/sqrt d)/sqrt n, n ~ kappa d^ell",
                         description="Spectrum of K_ij = f(<x_i,x_j>/sqrt d)/sqrt n (K_ii = 0), x_i uniform on "
                                     "S^{d-1}(sqrt d), n/d^ell -> kappa (Lu & Yau 2022). Without --dim: the d = oo "
                                     "law (--simulate then also compares with the finite-size law at the simulated "
                                     "size); with --dim: the finite-size law with exact Gegenbauer coefficients at "
                                     "n = kappa d^ell.")
    k.add_argument("--f", required=True, help="catalog name or expression in z, e.g. tanh or 'relu(z) - 0.4'")
    k.add_argument("--ell", required=True, type=positive_float("ell"), help="scaling exponent ell > 0")
    k.add_argument("--kappa", required=True, type=positive_float("kappa"), help="n/d^ell > 0")
    k.add_argument("--dim", type=int, default=None, help="finite dimension d (finite-size law)")
    k.add_argument("--data", choices=["sphere", "gaussian"], default="sphere", help="data distribution")
    common(k)
    k.set_defaults(func=lambda a: cmd_kernel(a, report))
    c = kinds.add_parser("ck", help="conjugate kernel Y Y^T/m, Y = f(W X/sqrt n0)",
                         description="Conjugate-kernel spectrum (Pennington & Worah 2017): W n1 x n0, X n0 x m "
                                     "iid N(0,1), M = Y Y^T/m; phi = n0/m, psi = n0/n1. --n sets n1 for --simulate.")
    c.add_argument("--f", required=True, help="catalog name or expression in z")
    c.add_argument("--phi", required=True, type=positive_float("phi"), help="n0/m > 0")
    c.add_argument("--psi", required=True, type=positive_float("psi"), help="n0/n1 > 0")
    common(c)
    c.set_defaults(func=lambda a: cmd_ck(a, report))
