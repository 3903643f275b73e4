"""Derivations of the bases layer: the expansions and the dual kernels, as graph nodes.

These are definitions and classical identities (no unknowns, only outputs); they are the
foundations that every spectral law and learning curve rests on.
Conventions: ``docs/conventions.md`` (Gaussian, Sphere).

>>> print(ACTIVATION_CONSTANTS.latex(header=False))
\\begin{aligned}
\\mu_{0} &= {c}_{0} \\\\
\\mu_{1} &= {c}_{1} \\\\
\\mu_{*} &= \\sqrt{\\sum_{k=2}^{\\infty} {c}_{k}^{2}}
\\end{aligned}
"""

from __future__ import annotations

import sympy as sp

from ..core.derivation import Derivation
from ..core.graph import register
from .catalog import RHO, _relu_dual

__all__ = ["GAUSSIAN_EXPECTATION", "HERMITE_EXPANSION", "GEGENBAUER_EXPANSION", "ACTIVATION_CONSTANTS", "DUAL_KERNEL",
           "RELU_DUAL_KERNEL", "ERF_DUAL_KERNEL", "GEGENBAUER_HERMITE_LIMIT"]

z = sp.Symbol("z", real=True)
t = sp.Symbol("t", real=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
d = sp.Symbol("d", integer=True, positive=True)
a = sp.Symbol("a", positive=True)
f = sp.Function("f")
h = sp.Function("h_k")
q = sp.Function("q_k^{(d)}")
c = sp.IndexedBase("c")
g = sp.IndexedBase("g")
phi = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)

_w, _mu, _b = sp.symbols("W mu b", real=True)
_s = sp.Symbol("s", positive=True)
_g = sp.Function("g")
_E = sp.Function(r"\mathbb{E}")
GAUSSIAN_EXPECTATION = register(Derivation(
    "gaussian-expectation",
    title="Exact Gaussian expectations by rules (completing the square, Stein's lemma)",
    parameters=[z, _w, _mu, _s, a, _b],
    outputs={
        "E_g": sp.Integral(_g(z) * phi, (z, -sp.oo, sp.oo)),
        "stein": _s ** 2 * _E(sp.Derivative(_g(_w), _w)),
        "E_erf": sp.erf((a * _mu + _b) / sp.sqrt(1 + 2 * a ** 2 * _s ** 2)),
    },
    symbols={"E_g": r"\mathbb{E}\, g(Z)", "stein": r"\mathbb{E}[(W - \mu)\, g(W)]",
             "E_erf": r"\mathbb{E}\, \operatorname{erf}(a W + b)"},
    reference="standard; the rules of rmtsym.bases.gaussian.gaussian_expectation",
    assumptions="Z ~ N(0,1), W = mu + s Z; exact for sums of polynomial x exp(quadratic) x (Heaviside interval | "
                "one erf | Dirac delta) terms; other integrands by quadrature with a reported error",
))

HERMITE_EXPANSION = register(Derivation(
    "hermite-expansion",
    title="Hermite expansion under the standard Gaussian",
    parameters=[k, z],
    outputs={
        "h_k": sp.Function("He_k")(z) / sp.sqrt(sp.factorial(k)),
        "c_k": sp.Integral(f(z) * h(z) * phi, (z, -sp.oo, sp.oo)),
        "E_f2": sp.Sum(c[k] ** 2, (k, 0, sp.oo)),
    },
    symbols={"E_f2": r"\mathbb{E}\, f(Z)^{2}"},
    reference="standard (e.g. R. O'Donnell, Analysis of Boolean Functions, ch. 11)",
    assumptions="Z ~ N(0,1); h_k = He_k/sqrt(k!) orthonormal (probabilists' He_k); f = sum_k c_k h_k and "
                "E f(Z)^2 = sum_k c_k^2 (Parseval)",
))

GEGENBAUER_EXPANSION = register(Derivation(
    "gegenbauer-expansion",
    title="Gegenbauer expansion on the sphere of radius sqrt(d)",
    parameters=[k, d, t],
    outputs={
        "p_d": sp.gamma(d / 2) / (sp.sqrt(sp.pi * d) * sp.gamma((d - 1) / 2)) * (1 - t**2 / d) ** ((d - 3) / 2),
        "g_k": sp.Integral(f(t) * q(t) * sp.Function("p_d")(t), (t, -sp.sqrt(d), sp.sqrt(d))),
        "B": (2 * k + d - 2) / k * sp.binomial(k + d - 3, k - 1),
        "lambda_k": g[k] / sp.sqrt(sp.Function("B")(d, k)),
    },
    symbols={"B": "B(d, k)", "p_d": "p_d(t)"},
    reference="standard; e.g. S. Mei and A. Montanari (2019), appendix on spherical harmonics",
    assumptions="x uniform on S^{d-1}(sqrt d), t = <x, e> with density p_d; q_k^{(d)} orthonormal for p_d with "
                "positive leading coefficient; B(d, k) = dimension of degree-k spherical harmonics (B(d,0)=1); "
                "the kernel f(<x,y>/sqrt d) has eigenvalue g_k/sqrt(B(d,k)) on degree-k harmonics",
))

GEGENBAUER_HERMITE_LIMIT = register(Derivation(
    "gegenbauer-hermite-limit",
    title="Gegenbauer coefficients converge to Hermite coefficients",
    parameters=[k],
    outputs={"c_k": sp.Limit(g[k], d, sp.oo)},
    requires=["hermite-expansion", "gegenbauer-expansion"],
    reference="t = <x, e> converges in law to N(0,1) and q_k^{(d)} -> h_k (e.g. Mei & Montanari 2019)",
    assumptions="f of at most polynomial growth; conventions of the two expansions",
))

ACTIVATION_CONSTANTS = register(Derivation(
    "activation-constants",
    title="Activation constants mu_0, mu_1, mu_*",
    outputs={
        "mu_0": c[0], "mu_1": c[1],
        "mu_star": sp.sqrt(sp.Sum(c[k] ** 2, (k, 2, sp.oo))),
    },
    requires=["hermite-expansion"],
    reference="e.g. S. Mei and A. Montanari, The generalization error of random features regression (2019)",
    assumptions="mu_0 = E f(Z), mu_1 = E[Z f(Z)], mu_*^2 = E f(Z)^2 - mu_0^2 - mu_1^2 = sum_{k>=2} c_k^2",
))

DUAL_KERNEL = register(Derivation(
    "dual-kernel",
    title="Dual kernel as a Hermite series",
    parameters=[RHO],
    outputs={"K": sp.Sum(c[k] ** 2 * RHO**k, (k, 0, sp.oo))},
    requires=["hermite-expansion"],
    reference="Mehler's formula; A. Daniely, R. Frostig and Y. Singer, Toward deeper understanding of neural "
              "networks (2016)",
    assumptions="K(rho) = E[f(u) f(v)] for standard Gaussians u, v with correlation rho; truncation after degree "
                "K costs at most |rho|^{K+1} sum_{k>K} c_k^2",
    symbols={RHO: r"\rho"},
))

RELU_DUAL_KERNEL = register(Derivation(
    "dual-kernel-relu",
    title="Arc-cosine kernel (ReLU dual kernel)",
    parameters=[RHO],
    outputs={"K": _relu_dual(RHO)},
    requires=["dual-kernel"],
    reference="Y. Cho and L. K. Saul, Kernel methods for deep learning, NeurIPS (2009)",
    assumptions="f = max(0, z); u, v standard Gaussians with correlation rho",
    symbols={RHO: r"\rho"},
))

ERF_DUAL_KERNEL = register(Derivation(
    "dual-kernel-erf",
    title="Arcsine kernel (erf dual kernel)",
    parameters=[RHO, a],
    outputs={"K": 2 / sp.pi * sp.asin(2 * a**2 * RHO / (1 + 2 * a**2))},
    requires=["dual-kernel"],
    reference="C. K. I. Williams, Computing with infinite networks, NeurIPS (1996)",
    assumptions="f = erf(a z); u, v standard Gaussians with correlation rho",
    symbols={RHO: r"\rho"},
))
