"""GLM GAMP and its state evolution (rmtsym.amp.glm): channels against quadrature and sympy,
proxes against scipy, the SE against Monte Carlo expectations, scikit-learn/scipy ERM at finite d,
and GAMP runs; Bayes-optimal SE against known limits and GAMP trajectories."""

import warnings

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad
from scipy.optimize import minimize, minimize_scalar
from scipy.special import expit, log_ndtr
from scipy.stats import norm

from rmtsym.amp.glm import (AMP_GLM_BAYES_SE, AMP_GLM_CHANNELS, AMP_GLM_ERM_SE, AMP_GLM_ERM_SQUARE,
                            AMP_GLM_PROX, bayes_glm_se, bayes_glm_se_trajectory, bayes_qhat,
                            erm_glm_se, erm_hat_map)
from rmtsym.amp.glm_channels import get_channel, get_loss
from rmtsym.errors import ParameterError
from rmtsym.simulate.gamp import overlaps, run_gamp_bayes, run_gamp_erm, sample_glm

CHANNELS = [("sign", {}), ("probit", {"delta": 0.2}), ("logistic", {"beta": 2.0}), ("relu", {"delta": 0.3})]


def _lik(name, kw, y):
    if name == "sign":
        return lambda z: float(np.sign(z) == y)
    if name == "probit":
        return lambda z: norm.cdf(y * z / np.sqrt(kw["delta"]))
    if name == "logistic":
        return lambda z: expit(kw["beta"] * y * z)
    return lambda z: norm.pdf(y, max(z, 0.0), np.sqrt(kw["delta"]))


@pytest.mark.parametrize("name,kw", CHANNELS)
def test_z_out_and_derivatives_vs_quadrature(name, kw):
    ch = get_channel(name, **kw)
    for y in ((1.0, -1.0) if ch.discrete else (-0.4, 0.3, 1.7)):
        for om, V in ((0.4, 0.7), (-1.1, 0.2)):
            P = _lik(name, kw, y)
            dens = lambda z: norm.pdf(z, om, np.sqrt(V))  # noqa: E731
            ker = (lambda z: 1.0, lambda z: (z - om) / V, lambda z: ((z - om) / V) ** 2 - 1 / V)
            ref = [quad(lambda z: dens(z) * P(z) * k(z), -15, 15, points=[0.0], limit=200,
                        epsabs=1e-13)[0] for k in ker]
            np.testing.assert_allclose(ch.z_derivs(y, om, V), ref, atol=1e-9)
            g, dg = ch.g_out(y, om, V)
            assert abs(g - ref[1] / ref[0]) < 1e-8 * (1 + abs(g))
            assert abs(dg - (ref[2] / ref[0] - (ref[1] / ref[0]) ** 2)) < 1e-7 * (1 + abs(dg))


def test_z_out_closed_forms_from_symbolic_gaussian_expectation():
    # independent symbolic derivation (rmtsym.bases.gaussian) of the printed closed forms
    from rmtsym.bases.functions import Z
    from rmtsym.bases.gaussian import gaussian_expectation

    y, om = sp.Symbol("y", real=True), sp.Symbol("omega", real=True)
    V, D = sp.symbols("V Delta", positive=True)
    probit = gaussian_expectation((1 + sp.erf(y * (om + sp.sqrt(V) * Z) / sp.sqrt(2 * D))) / 2)
    relu = gaussian_expectation(sp.exp(-(y - sp.Max(om + sp.sqrt(V) * Z, 0)) ** 2 / (2 * D))
                                / sp.sqrt(2 * sp.pi * D))
    ps = {str(s): s for s in AMP_GLM_CHANNELS.parameters}
    for yv in (1, -1, sp.Rational(7, 10)):
        vals = {"y": yv, "omega": sp.Rational(3, 10), "V": sp.Rational(1, 2), "Delta": sp.Rational(1, 4)}
        mine = {ps[k]: v for k, v in vals.items()}
        theirs = {y: yv, om: vals["omega"], V: vals["V"], D: vals["Delta"]}
        if yv in (1, -1):
            assert abs(float(AMP_GLM_CHANNELS.outputs["Z_probit"].subs(mine))
                       - float(probit.subs(theirs))) < 1e-14
        assert abs(float(AMP_GLM_CHANNELS.outputs["Z_relu"].subs(mine)) - float(relu.subs(theirs))) < 1e-14
    # the numeric channel equals the printed formula
    assert abs(float(AMP_GLM_CHANNELS.outputs["Z_relu"].subs({ps["y"]: 0.7, ps["omega"]: 0.3, ps["V"]: 0.5,
                                                              ps["Delta"]: 0.25}))
               - float(get_channel("relu", delta=0.25).z_out(0.7, 0.3, 0.5))) < 1e-14


def test_derivations_latex_and_graph():
    from rmtsym.core.graph import get_derivation

    for d in (AMP_GLM_CHANNELS, AMP_GLM_PROX, AMP_GLM_BAYES_SE, AMP_GLM_ERM_SE, AMP_GLM_ERM_SQUARE):
        assert d.name.startswith("amp-glm-")
        assert get_derivation(d.name) is d
        tex = d.latex()
        assert "aligned" in tex and d.reference
    assert r"\hat m" in AMP_GLM_ERM_SE.latex()


@pytest.mark.parametrize("loss", ["logistic", "square", "hinge"])
def test_prox_vs_scipy(loss):
    lo = get_loss(loss)
    for y in (1.0, -1.0):
        for om in (-3.0, -0.4, 0.2, 0.9, 2.5):
            for V in (0.05, 1.0, 30.0):
                ref = minimize_scalar(lambda p: float(lo.value(y, p)) + (p - om) ** 2 / (2 * V),
                                      bracket=(om - V - 1, om + V + 1), tol=1e-12).x
                p, g, dg = lo.prox(y, om, V)
                assert abs(p - ref) < 1e-6 * (1 + abs(ref))
                assert abs(p - om - V * g) < 1e-12 * (1 + V)
                h = 1e-6  # d_omega g_out by central differences
                fd = (lo.prox(y, om + h, V)[1] - lo.prox(y, om - h, V)[1]) / (2 * h)
                if loss != "hinge" or min(abs(y * om - 1), abs(y * om - 1 + V)) > 1e-3:
                    assert abs(dg - fd) < 1e-5


def test_bayes_qhat_vs_direct_quadrature_and_monte_carlo():
    # sign/probit: the u-variable Gauss-Legendre against adaptive quad in xi of sum_y Z g^2
    for name, kw in CHANNELS[:3]:
        ch = get_channel(name, **kw)
        for q in (0.05, 0.5, 0.95):
            V = 1 - q

            def f(xi):
                om = np.sqrt(q) * xi
                if name == "logistic":
                    return sum(float(ch.z_derivs(y, om, V)[1] ** 2 / ch.z_out(y, om, V)) for y in (1.0, -1.0))
                s2 = V + ch.delta  # Z'^2/Z = phi(u)^2 / (s2 Phi(u)), u = y omega/sqrt(s2), in logs
                return sum(np.exp(-u * u - np.log(2 * np.pi) - log_ndtr(u)) / s2
                           for u in (om / np.sqrt(s2), -om / np.sqrt(s2)))
            ref = quad(lambda x: norm.pdf(x) * f(x), -12, 12, limit=400, epsabs=1e-12)[0]
            assert abs(bayes_qhat(ch, q, 1.7) - 1.7 * ref) < 1e-7 * 1.7 * ref
    # relu (continuous y): Monte Carlo of g_out^2 over (xi, z, y)
    ch = get_channel("relu", delta=0.3)
    rng = np.random.default_rng(3)
    M, q = 400_000, 0.6
    om = np.sqrt(q) * rng.standard_normal(M)
    z = om + np.sqrt(1 - q) * rng.standard_normal(M)
    g2 = ch.g_out(ch.sample(z, rng), om, 1 - q)[0] ** 2
    assert abs(bayes_qhat(ch, q, 1.0) - g2.mean()) < 4 * g2.std() / np.sqrt(M)


def test_bayes_sign_known_limits():
    # small alpha: q_hat(0) = 2 alpha / pi exactly (g_out = y sqrt(2/pi) at omega = 0, V = 1)
    assert abs(bayes_glm_se_trajectory("sign", 0.3, 1)[0] - (0.6 / np.pi) / (1 + 0.6 / np.pi)) < 1e-12
    # large alpha: alpha eg -> sqrt(2 pi) / (pi C), C = int phi^2/(Phi Phi(-)) dt (our asymptotics of
    # the SE, integral by adaptive quad) = 0.4417 (Opper & Haussler 1991; Engel & Van den Broeck 0.442/alpha)
    C = quad(lambda t: np.exp(-t * t - np.log(2 * np.pi) - log_ndtr(t) - log_ndtr(-t)), -40, 40, limit=200)[0]
    const = np.sqrt(2 * np.pi) / (np.pi * C)
    assert abs(const - 0.442) < 5e-4
    a = np.array([1e3, 1e4])
    r = bayes_glm_se("sign", a)
    assert r.converged.all()
    rel = np.abs(a * r.eg / const - 1)
    assert rel[0] < 2e-3 and rel[1] < 2e-4, (a * r.eg, const)  # O(1/alpha) corrections
    # monotone decreasing from 1/2
    e = bayes_glm_se("sign", [1e-6, 0.5, 1, 2, 3]).eg
    assert abs(e[0] - 0.5) < 1e-3 and np.all(np.diff(e) < 0)
    # label error: sign channel -> eg; probit -> arccos(sqrt(q/(1+Delta)))/pi vs Gauss-Legendre tail
    rb = bayes_glm_se("probit", 2.0, delta=0.2)
    ch = get_channel("probit", delta=0.2)
    ref = 2 * quad(lambda x: norm.pdf(x) * ch.z_out(-1.0, np.sqrt(rb.q) * x, 1 - rb.q), 0, 12)[0]
    assert abs(rb.label_error - ref) < 1e-9


def test_printed_bayes_se_equals_numeric():
    # the q_hat equation of the registered derivation, integrated by adaptive quad, equals bayes_qhat
    qh_eq = AMP_GLM_BAYES_SE.equations[1].rhs
    (integral,) = qh_eq.atoms(sp.Integral)
    xi = integral.variables[0]
    ps = {str(s): s for s in (*AMP_GLM_BAYES_SE.unknowns, *AMP_GLM_BAYES_SE.parameters)}
    for q, D in ((0.3, 0.0), (0.8, 0.25)):
        sub = {ps["q"]: q, ps["Delta"]: D, ps["alpha"]: 1.5}
        import mpmath

        f = sp.lambdify(xi, integral.function.subs(sub), "mpmath")
        with mpmath.workdps(90):  # 1 + erf(-t) cancels in double precision far in the tails
            val = float(mpmath.quad(f, [-12, -4, 0, 4, 12])) * float((qh_eq / integral).subs(sub))
        ch = get_channel("probit", delta=D) if D else get_channel("sign")
        assert abs(val - bayes_qhat(ch, q, 1.5)) < 1e-8 * val


def test_erm_hat_map_vs_monte_carlo():
    # the integration-by-parts form of m_hat and the Z_out-weighted q_hat, V_hat against direct
    # Monte Carlo over (z, omega) ~ N(0, [[1, m], [m, q]]), y ~ P(y|z)
    m, q, V, a = 0.6, 0.8, 1.3, 2.0
    ch, lo = get_channel("probit", delta=0.1), get_loss("logistic")
    rng = np.random.default_rng(7)
    M = 400_000
    om = np.sqrt(q) * rng.standard_normal(M)
    s2 = 1 - m * m / q
    z = m / q * om + np.sqrt(s2) * rng.standard_normal(M)
    y = ch.sample(z, rng)
    _, g, dg = lo.prox(y, om, V)
    samples = (a * g * (z - m / q * om) / s2, a * g * g, -a * dg)
    mh, qh, vh, *_ = erm_hat_map(ch, "logistic", m, q, V, a)
    for s, th in zip(samples, (mh, qh, vh)):
        assert abs(s.mean() - th) < 4 * s.std() / np.sqrt(M)
    # logistic teacher: label error P(y != sign(omega)) and training error P(y prox < 0) by quadrature
    ch = get_channel("logistic", beta=2.0)
    y = ch.sample(z, rng)
    p = lo.prox(y, om, V)[0]
    *_, te, le = erm_hat_map(ch, "logistic", m, q, V, a)
    for s, th in (((y * om < 0).astype(float), le), ((y * p < 0).astype(float), te)):
        assert abs(s.mean() - th) < 4 * s.std() / np.sqrt(M)


def test_square_loss_se_vs_closed_form_derivation():
    r = erm_glm_se("sign", "square", [1.0, 2.5], [0.1, 0.7], tol=1e-13)
    for i, (al, lam) in enumerate(((1.0, 0.1), (2.5, 0.7))):
        sub = dict(zip(AMP_GLM_ERM_SQUARE.unknowns, (r.m[i], r.q[i], r.V[i])))
        sub.update(dict(zip(AMP_GLM_ERM_SQUARE.parameters, (al, lam))))
        for res in AMP_GLM_ERM_SQUARE.residuals:
            assert abs(float(res.subs(sub))) < 1e-9


def _logreg_sklearn(X, y, lam):
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegression(C=1 / lam, fit_intercept=False, tol=1e-12, max_iter=10_000).fit(X, y).coef_.ravel()


def test_gamp_fixed_point_is_the_erm_minimiser():
    D = sample_glm(300, 2.0, "sign", seed=11)
    lam = 0.3
    r = run_gamp_erm(D.X, D.y, "logistic", lam, tol=1e-13)
    assert r.converged
    w_sk = _logreg_sklearn(D.X, D.y, lam)
    assert np.linalg.norm(r.w - w_sk) < 1e-6 * np.linalg.norm(w_sk)
    f = lambda w: np.sum(np.logaddexp(0, -D.y * (D.X @ w))) + lam / 2 * w @ w  # noqa: E731
    grad = lambda w: -D.X.T @ (D.y * expit(-D.y * (D.X @ w))) + lam * w  # noqa: E731

    def hess(w):
        s = expit(D.y * (D.X @ w))
        return (D.X.T * (s * (1 - s))) @ D.X + lam * np.eye(w.size)
    w_sp = minimize(f, np.zeros(300), jac=grad, hess=hess, method="trust-exact",
                    options={"gtol": 1e-12}).x
    assert np.linalg.norm(r.w - w_sp) < 1e-9 * np.linalg.norm(w_sp)
    # square loss: ridge in closed form; hinge: first-order (subgradient) condition of the SVM
    rs = run_gamp_erm(D.X, D.y, "square", lam, tol=1e-14)
    w_r = np.linalg.solve(D.X.T @ D.X + lam * np.eye(300), D.X.T @ D.y)
    assert np.linalg.norm(rs.w - w_r) < 1e-10 * np.linalg.norm(w_r)
    rh = run_gamp_erm(D.X, D.y, "hinge", lam, tol=1e-13, damping=0.5, iters=5000)
    assert rh.converged
    obj = lambda w: np.sum(np.maximum(0, 1 - D.y * (D.X @ w))) + lam / 2 * w @ w  # noqa: E731
    rng = np.random.default_rng(0)
    assert all(obj(rh.w + 1e-4 * rng.standard_normal(300)) > obj(rh.w) for _ in range(20))


@pytest.mark.slow
@pytest.mark.parametrize("alpha,lam", [(2.0, 0.5), (3.0, 0.1)])
def test_erm_logistic_se_vs_sklearn(alpha, lam, mc_scale):
    seeds, d = 6, int(400 * np.sqrt(mc_scale))
    se = erm_glm_se("sign", "logistic", alpha, lam)
    vals = []
    for s in range(seeds):
        D = sample_glm(d, alpha, "sign", seed=100 + s)
        w = _logreg_sklearn(D.X, D.y, lam)
        m, q = overlaps(w, D.w_star)
        eg = np.arccos(w @ D.w_star / np.linalg.norm(w) / np.linalg.norm(D.w_star)) / np.pi
        vals.append((m, q, eg, np.mean(np.logaddexp(0, -D.y * (D.X @ w)))))
    v = np.array(vals)
    mean, sem = v.mean(0), v.std(0, ddof=1) / np.sqrt(seeds)
    theory = np.array([se.m, se.q, se.eg, se.train_loss], dtype=float)
    # 4 standard errors over seeds + finite-d allowance 2% (bias O(1/d) = 0.25% at d = 400,
    # plus the noise in a 6-seed SE estimate)
    assert np.all(np.abs(mean - theory) < 4 * sem + 0.02 * np.abs(theory)), (mean, sem, theory)


@pytest.mark.parametrize("name,kw,alpha", [("sign", {}, 2.0), ("probit", {"delta": 0.1}, 2.0),
                                           ("logistic", {"beta": 3.0}, 2.0), ("relu", {"delta": 0.1}, 1.5)])
def test_bayes_gamp_trajectory_vs_se(name, kw, alpha, mc_scale):
    T, seeds, d = 8, 3, int(2000 * mc_scale)
    se = bayes_glm_se_trajectory(name, alpha, T, **kw)
    ms = np.array([run_gamp_bayes(sample_glm(d, alpha, name, seed=s, **kw), T).m for s in range(seeds)])
    sem = np.maximum(ms.std(0, ddof=1), np.sqrt(2.0 / d)) / np.sqrt(seeds)
    # 4 SE (floored by the sqrt(2/d) fluctuation of |w*|^2/d) + finite-d allowance 0.005
    assert np.all(np.abs(ms.mean(0) - se) < 4 * sem + 0.005), (ms.mean(0), se)
    fp = bayes_glm_se(name, alpha, **kw)
    assert abs(se[-1] - fp.q) < 2e-3  # the trajectory reaches the fixed point


def test_nonconvergence_is_reported():
    r = erm_glm_se("sign", "logistic", [2.0, 3.0], 0.5, iters=3)
    assert not r.converged.any() and np.isnan(r.m).all() and np.isfinite(r.last["m"]).all()
    b = bayes_glm_se("sign", 2.0, iters=2)
    assert not b.converged and np.isnan(b.eg) and np.isfinite(b.last)


def test_bad_input():
    with pytest.raises(ParameterError, match="alpha"):
        erm_glm_se("sign", "logistic", 0.0, 0.5)
    with pytest.raises(ParameterError, match="alpha"):
        bayes_glm_se("sign", -1.0)
    with pytest.raises(ParameterError, match="lam"):
        erm_glm_se("sign", "logistic", 2.0, -0.1)
    with pytest.raises(ParameterError, match="channel"):
        bayes_glm_se("tanh", 1.0)
    with pytest.raises(ParameterError, match="loss"):
        erm_glm_se("sign", "exponential", 2.0, 0.5)
    with pytest.raises(ParameterError, match="delta"):
        get_channel("relu", delta=0.0)
    with pytest.raises(ParameterError, match="delta"):
        get_channel("probit", delta=-1.0)
    with pytest.raises(ParameterError, match="channel"):
        erm_glm_se("relu", "square", 2.0, 0.5, delta=0.1)
    with pytest.raises(ParameterError, match="lam"):
        run_gamp_erm(np.eye(3), np.ones(3), "logistic", 0.0)
    with pytest.raises(ParameterError, match="alpha"):
        sample_glm(10, 0.0, "sign")
