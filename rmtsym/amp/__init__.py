"""Approximate message passing and its state evolution (docs/amp.md, docs/conventions.md "AMP").

Modules (import the one you need; none is imported here, so ``import rmtsym.amp`` is free):

* :mod:`~rmtsym.amp.priors`, :mod:`~rmtsym.amp.denoisers`, :mod:`~rmtsym.amp.state_evolution` —
  separable AMP for any prior and denoiser, state evolution derived symbolically;
* :mod:`~rmtsym.amp.separable` — LASSO state evolution in closed form (by hand);
* :mod:`~rmtsym.amp.phase` — LASSO phase transition, Bayes-optimal Bernoulli–Gaussian curves;
* :mod:`~rmtsym.amp.glm`, :mod:`~rmtsym.amp.glm_channels` — GAMP for generalised linear models;
* :mod:`~rmtsym.amp.multiclass` — non-separable multi-class AMP (matrix state evolution);
* :mod:`~rmtsym.amp.rotation`, :mod:`~rmtsym.amp.latent` — rotation-invariant couplings: R-transform,
  replica-symmetric fixed points and AT lines;
* :mod:`~rmtsym.amp.vamp` — VAMP state evolution for a design with a given singular-value law.

The matching simulators are in :mod:`rmtsym.simulate` (``amp``, ``amp_separable``, ``gamp``,
``multiclass``, ``sequential``, ``latent``, ``vamp``).
"""
