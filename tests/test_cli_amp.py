"""`rmtsym se ...` and `rmtsym amp run ...` in a subprocess, with expected values from closed forms."""

import json
import math

import numpy as np
import pytest

from test_cli import run


def _h(a):
    return (1 + a * a) * 0.5 * math.erfc(a / math.sqrt(2)) - a * math.exp(-a * a / 2) / math.sqrt(2 * math.pi)


def test_se_lasso_noiseless_recovery_threshold():
    # Noiseless SE: tau^2 = 0 is stable iff F'(0) = [(1 - eps) 2 h(alpha) + eps (1 + alpha^2)] / delta < 1
    # (closed form of the slope at 0); then the fixed point (and the MSE) is exactly 0.
    eps, a = 0.1, 1.5
    slope0 = (1 - eps) * 2 * _h(a) + eps * (1 + a * a)  # = delta at the threshold, 0.366
    r = run("se", "lasso", "--delta", f"{slope0 - 0.1}:{slope0 + 0.1}:2", "--sigma", "0", "--eps", str(eps),
            "--alpha", str(a), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["mse"][0] > 1e-3 and out["mse"][1] < 1e-12
    assert out["derivation"] == "amp-lasso-state-evolution"


def test_se_lasso_divergent_points_are_reported_not_printed_as_numbers():
    # 2 h(0.5) = 0.419 > delta = 0.3: the SE diverges (slope of F at infinity > 1)
    r = run("se", "lasso", "--delta", "0.3", "--alpha", "0.5:1.5:2", "--json")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert out["mse"][0] is None and out["mse"][1] > 0
    assert "did not converge" in r.stderr and "alpha = 0.5" in r.stderr


@pytest.mark.parametrize("args,name", [
    (("se", "lasso", "--delta", "0"), "delta"),
    (("se", "lasso", "--delta", "0.5", "--eps", "1.5"), "eps"),
    (("se", "lasso", "--delta", "0.1:1:3", "--alpha", "1:2:3"), "delta/alpha"),
    (("se", "lasso", "--delta", "0.5", "--sigma", "-1"), "sigma"),
])
def test_se_bad_input_names_the_parameter(args, name):
    r = run(*args)
    assert r.returncode == 2 and name in r.stderr and "Traceback" not in r.stderr


def test_amp_run_lasso_tracks_state_evolution():
    # N = 4000, one run: the realised ||x0||^2/N alone has relative SE sqrt((3 - eps)/(eps N)) = 8.5%
    # (E X0^4 = 3 eps), and the MSE of a sparse estimate fluctuates more (~15% seen over seeds 0-3);
    # the final MSE is compared at 35% (about 2.5 of those fluctuations).
    r = run("amp", "run", "lasso", "--N", "4000", "--iters", "15", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    amp, se = np.array(out["mse_amp"]), np.array(out["mse_se"])
    assert len(amp) == 15 and np.all(np.diff(se) < 0)
    assert abs(amp[-1] / se[-1] - 1) < 0.35


def test_se_separable_soft_threshold_equals_the_hand_closed_form():
    # second method: rmtsym.amp.separable is derived by hand (Phi, phi), the CLI model symbolically
    from rmtsym.amp.separable import lasso_state_evolution

    r = run("se", "separable", "--prior", "bg(eps=0.1)", "--denoiser", "soft(alpha=1.5)", "--delta", "0.2:1:5",
            "--sigma", "0.1", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["method"] == "closed form"
    ref = lasso_state_evolution(np.linspace(0.2, 1, 5), 0.1, 0.1, 1.5)
    np.testing.assert_allclose(out["mse"], ref.mse, rtol=1e-9)
    np.testing.assert_allclose(out["stability"], ref.stability, rtol=1e-7)


def test_se_separable_symbolic_parameter_range_and_latex():
    r = run("se", "separable", "--prior", "bg(eps=eps)", "--denoiser", "soft", "--param", "eps=0.05:0.2:4",
            "--param", "alpha=1.5", "--delta", "0.5", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["eps"] == pytest.approx([0.05, 0.1, 0.15, 0.2]) and np.all(np.diff(out["mse"]) > 0)
    tex = run("se", "separable", "--denoiser", "soft", "--latex")
    assert tex.returncode == 0 and "\\tau^{2}" in tex.stdout and "\\delta" in tex.stdout


@pytest.mark.parametrize("args,name", [
    (("se", "separable", "--denoiser", "soft"), "alpha"),  # symbolic alpha without a value
    (("se", "separable", "--denoiser", "expr: 1/y"), "denoiser"),  # not Lipschitz
    (("se", "separable", "--denoiser", "expr: __import__('os').system('echo pwned')"), "refused"),
    (("se", "separable", "--prior", "bg(eps=1.5)"), "eps"),
    (("se", "separable", "--prior", "density: 1/(pi*(1+x**2))"), "prior"),  # Cauchy: no second moment
    (("amp", "run", "separable", "--delta", "-1"), "delta"),
])
def test_separable_bad_input(args, name):
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert name in r.stderr and "Traceback" not in r.stderr and "pwned" not in r.stdout


def test_amp_run_bayes_tracks_state_evolution():
    # Bayes-optimal AMP, N = 4000, one run: same fluctuation budget as the LASSO run above.
    r = run("amp", "run", "separable", "--denoiser", "bayes", "--N", "4000", "--iters", "10", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    amp, se = np.array(out["mse_amp"]), np.array(out["mse_se"])
    assert abs(amp[-1] / se[-1] - 1) < 0.35


def test_amp_run_multiclass_fixed_point_is_the_erm_minimiser():
    # independent optimiser: scipy L-BFGS on the same objective; AMP's contraction vs sqrt(rho_AT) from
    # the state evolution (lambda = 1: the AT mode is the slow one, REFERENCES paper 4)
    r = run("amp", "run", "multiclass", "--n", "600", "--d", "300", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["converged"] is True and float(out["rel_diff_W_AMP_vs_LBFGS"]) < 1e-6
    d = np.array(out["diff_amp"])
    rates = d[2:6] / d[1:5]
    assert np.all(np.abs(rates / np.sqrt(float(out["rho_AT_SE"])) - 1) < 0.25)


@pytest.mark.parametrize("args,name", [
    (("se", "multiclass", "--K", "1"), "K"),
    (("se", "multiclass", "--lambda", "0"), "lam"),
    (("se", "multiclass", "--Delta", "-1"), "Delta"),
])
def test_multiclass_bad_input(args, name):
    r = run(*args)
    assert r.returncode == 2 and name in r.stderr and "Traceback" not in r.stderr


def test_se_at_line_closed_forms_and_runs():
    # zero field: beta_AT = 1/sqrt(v) (semicircle of variance v), 1/(sqrt c (1 + sqrt c)) (X^T X/n - I)
    r = run("se", "at-line", "--coupling", "sc:4", "--h", "0", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["beta_AT"][0] == pytest.approx(0.5, abs=1e-7)
    r = run("se", "at-line", "--coupling", "wishart:4", "--h", "0", "--json")
    assert json.loads(r.stdout)["beta_AT"][0] == pytest.approx(1 / (2 * 3), abs=1e-7)
    # random sequential BP on a GOE coupling, N = 300: converges at 0.9 beta_AT, not at 1.2 beta_AT
    r = run("se", "at-line", "--h", "0", "--simulate", "--N", "300", "--json")
    runs = json.loads(r.stdout)["runs"]
    assert [(x["beta/beta_AT"], x["converged"]) for x in runs] == [(0.9, True), (1.2, False)]


def test_se_vamp_iid_equals_bayes_amp_fixed_point():
    # second method: the Bayes-optimal AMP fixed point (rmtsym.amp.phase, root scan of the scalar SE)
    from rmtsym.amp.phase import bayes_optimal_curve

    r = run("se", "vamp", "--delta", "0.5", "--eps", "0.1", "--sigma2", "1e-3", "--iters", "40", "--json")
    assert r.returncode == 0, r.stderr
    mse = json.loads(r.stdout)["mse_se"][-1]
    ref = float(bayes_optimal_curve([0.5], np.sqrt(1e-3), 0.1, thresholds=False).mse_amp[0])
    assert mse == pytest.approx(ref, rel=1e-6)
    bad = run("se", "at-line", "--coupling", "cauchy:1")
    assert bad.returncode == 2 and "coupling" in bad.stderr


def test_amp_run_glm_bayes_first_step_and_erm_fixed_point():
    # sign perceptron, Gaussian prior: the first SE step is q_hat = 2 alpha/pi exactly, q = q_hat/(1 + q_hat)
    r = run("amp", "run", "glm", "--alpha", "2", "--d", "500", "--iters", "3", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    qh = 4 / math.pi
    assert out["m_se"][0] == pytest.approx(qh / (1 + qh), rel=1e-6)
    # ERM logistic: GAMP's fixed point is the scikit-learn minimiser (exact at finite size)
    r = run("amp", "run", "glm", "--loss", "logistic", "--alpha", "2", "--d", "300", "--json")
    out = json.loads(r.stdout)
    assert out["converged"] is True and float(out["rel_diff_w_GAMP_vs_sklearn"]) < 1e-5
    bad = run("se", "glm", "--alpha", "0")
    assert bad.returncode == 2 and "alpha" in bad.stderr


def test_se_latent_gaussian_limit_and_runs():
    # eps = 0: the site factor is Gaussian, g is constant and the AT line is where the Gaussian stage
    # stops existing: beta = (a + 1/s^2)/2 for a unit semicircle (closed form; 0.55 here). The numeric
    # line approaches that edge from inside the domain of R, so it is compared at 1e-4.
    r = run("se", "latent", "--eps", "0", "--a", "0.1", "--s", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["beta_AT"][0] == pytest.approx(0.55, abs=1e-4)
    # sign-uncertain likelihood: EC converges at 0.85 beta_AT and not at 1.2 beta_AT (N = 500)
    r = run("se", "latent", "--eps", "0.3", "--simulate", "--sim-points", "1", "--json")
    runs = json.loads(r.stdout)["runs"]
    assert [(x["beta/beta_AT"], x["converged"]) for x in runs] == [(0.85, True), (1.2, False)]
    bad = run("se", "latent", "--teacher", "1,2")
    assert bad.returncode == 2 and "teacher" in bad.stderr
