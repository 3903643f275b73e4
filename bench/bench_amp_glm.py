"""GLM state evolution: 100-point SE curves against one GAMP run and one scikit-learn fit.

Prints seconds and ratios measured in the same run (no pass/fail). Curves over 100 values of
alpha in [0.2, 5]: Bayes-optimal SE (sign perceptron; probit Delta = 0.1) and ERM SE (logistic and
square loss, lambda = 0.5, sign teacher). Alternatives a user has today: one Bayes-optimal GAMP run
(25 iterations) and one ERM-GAMP run at d = 2000, alpha = 2 (data generation excluded), and one
scikit-learn LogisticRegression fit (lbfgs, tol 1e-8) on the same data.

    OPENBLAS_NUM_THREADS=1 python bench/bench_amp_glm.py [d]
"""

from _timing import best_of  # noqa: E402  (also puts the checkout on sys.path)
import os
import sys
import warnings

import numpy as np

from rmtsym.amp.glm import bayes_glm_se, erm_glm_se  # noqa: E402
from rmtsym.simulate.gamp import run_gamp_bayes, run_gamp_erm, sample_glm  # noqa: E402

LAM = 0.5


def main() -> None:
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    a = np.linspace(0.2, 5, 100)
    tb, rb = best_of(lambda: bayes_glm_se("sign", a), repeat=3)
    tp, _ = best_of(lambda: bayes_glm_se("probit", a, delta=0.1), repeat=3)
    te, re = best_of(lambda: erm_glm_se("sign", "logistic", a, LAM), repeat=1)
    tq, _ = best_of(lambda: erm_glm_se("sign", "square", a, LAM), repeat=3)
    D = sample_glm(d, 2.0, "sign", seed=0)
    tg, _ = best_of(lambda: run_gamp_bayes(D, 25), repeat=1)
    tge, ge = best_of(lambda: run_gamp_erm(D.X, D.y, "logistic", LAM, tol=1e-10), repeat=1)
    from sklearn.linear_model import LogisticRegression

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return LogisticRegression(C=1 / LAM, fit_intercept=False, tol=1e-8, max_iter=10_000).fit(D.X, D.y)
    ts, clf = best_of(fit, repeat=1)
    print(f"machine: {os.cpu_count()} cores, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    print(f"{'task':<66} {'seconds':>9}")
    for name, t in ((f"100-point Bayes-optimal SE curve, sign ({rb.iterations} iterations)", tb),
                    ("100-point Bayes-optimal SE curve, probit Delta = 0.1", tp),
                    (f"100-point ERM SE curve, logistic, lambda = {LAM} ({re.iterations} iterations)", te),
                    (f"100-point ERM SE curve, square, lambda = {LAM}", tq),
                    (f"one Bayes-optimal GAMP run, d = {d}, n = {D.X.shape[0]}, 25 iterations", tg),
                    (f"one ERM-GAMP run (logistic), d = {d}, {ge.iterations} iterations", tge),
                    (f"one scikit-learn LogisticRegression fit, d = {d}", ts)):
        print(f"{name:<66} {t:>9.4f}")
    print(f"ratio GAMP run / Bayes SE curve: {tg / tb:,.1f}x;  ERM-GAMP run / ERM SE curve: {tge / te:,.2f}x;  "
          f"sklearn fit / ERM SE curve: {ts / te:,.2f}x")
    print(f"per SE point: Bayes {tb / 100 * 1e3:.3f} ms, ERM logistic {te / 100 * 1e3:.2f} ms")
    w = clf.coef_.ravel()
    print(f"ERM-GAMP vs sklearn rel. distance: {np.linalg.norm(ge.w - w) / np.linalg.norm(w):.2e}; "
          f"SE eg(alpha=2) = {float(erm_glm_se('sign', 'logistic', 2.0, LAM).eg):.4f}, "
          f"this draw {np.arccos(w @ D.w_star / np.linalg.norm(w) / np.linalg.norm(D.w_star)) / np.pi:.4f}")


if __name__ == "__main__":
    main()
