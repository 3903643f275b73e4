"""rmtsym: symbolic-numeric random-matrix theory of machine learning.

Conventions (Hermite and Gegenbauer normalisation, Stieltjes sign, kernel-matrix scaling)
are stated once in ``docs/conventions.md`` and referred to by name in every docstring.

Public names are imported lazily, so that ``import rmtsym`` stays fast and a command that
needs one layer does not pay for the others.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_LAZY = {
    # core
    "Derivation": "rmtsym.core.derivation",
    "graph": "rmtsym.core.graph",
    "lineage": "rmtsym.core.graph",
    "register": "rmtsym.core.graph",
    "get_derivation": "rmtsym.core.graph",
    "latex_document": "rmtsym.core.graph",
    "to_dot": "rmtsym.core.graph",
    # bases
    "Z": "rmtsym.bases.functions",
    "Expansion": "rmtsym.bases.expansion",
    "hermite_coefficients": "rmtsym.bases.hermite",
    "hermite_polynomial": "rmtsym.bases.hermite",
    "gaussian_expectation": "rmtsym.bases.gaussian",
    "gegenbauer_coefficients": "rmtsym.bases.gegenbauer",
    "gegenbauer_polynomial": "rmtsym.bases.gegenbauer",
    "gegenbauer_limit": "rmtsym.bases.gegenbauer",
    "harmonic_dimension": "rmtsym.bases.gegenbauer",
    "activation": "rmtsym.bases.catalog",
    "Activation": "rmtsym.bases.catalog",
    "CATALOG": "rmtsym.bases.catalog",
    "parse_expression": "rmtsym.bases.parse",
    # spectra
    "marchenko_pastur": "rmtsym.spectra.classic",
    "semicircle": "rmtsym.spectra.classic",
    "free_sum": "rmtsym.spectra.free",
    "free_product": "rmtsym.spectra.free",
    "affine": "rmtsym.spectra.free",
    "algebraic_law": "rmtsym.spectra.law",
    "empirical_law": "rmtsym.spectra.law",
    "kernel_matrix": "rmtsym.spectra.kernels",
    "conjugate_kernel": "rmtsym.spectra.kernels",
    "spiked_rf_spectrum": "rmtsym.spectra.spiked",
    "spiked_rf_parameters": "rmtsym.spectra.spiked",
    # models
    "ridge_risk": "rmtsym.models.ridge",
    "power_law_spectrum": "rmtsym.models.ridge",
    "effective_ridge": "rmtsym.models.ridge",
    "scaling_exponent": "rmtsym.models.ridge",
    "gcv": "rmtsym.models.gcv",
    "krr_curve": "rmtsym.models.kernel_ridge",
    # simulate
    "compare": "rmtsym.simulate.compare",
    # amp
    "SeparableSE": "rmtsym.amp.state_evolution",
    "parse_prior": "rmtsym.amp.priors",
    "parse_denoiser": "rmtsym.amp.denoisers",
    "lasso_state_evolution": "rmtsym.amp.separable",
    "lasso_phase_transition": "rmtsym.amp.phase",
    "bayes_optimal_curve": "rmtsym.amp.phase",
    "multiclass_state_evolution": "rmtsym.amp.multiclass",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name: str):
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'rmtsym' has no attribute {name!r}")
    value = getattr(importlib.import_module(mod), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
