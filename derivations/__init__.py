"""One runnable file per published result; `rmtsym tour` runs them all in ``ORDER``.

Installed as the package ``rmtsym.derivations``. Each file defines ``TITLE`` and
``run(ctx: rmtsym.tour.TourContext) -> list[rmtsym.tour.Row]`` and can be run on its own
(``python derivations/<file>.py -o OUTDIR``).
"""

ORDER = ["hermite_catalog", "dual_kernels", "gegenbauer_convergence", "marchenko_pastur",
         "free_convolutions", "kernel_matrices", "conjugate_kernel", "spiked_features",
         "ridge_gcv", "krr_multiple_descent", "rf_double_descent", "noise_injection",
         "icl_linear_attention", "one_step_features", "amp_lasso", "amp_glm", "amp_multiclass", "amp_multiclass_stability",
         "amp_convergence_boundary", "amp_latent"]
