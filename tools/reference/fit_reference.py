#!/usr/bin/env python3
"""Golden dijet fits and asymptotic CLs limits from scipy for `crates/oddity-stats/tests/fit_golden.rs`.

    python3 -m venv tools/reference/.venv
    tools/reference/.venv/bin/pip install -r tools/reference/requirements-fit.txt
    tools/reference/.venv/bin/python tools/reference/fit_reference.py \
        crates/oddity-stats/tests/data/fit_reference.json

An independent implementation of physics-spec sections 9.3 and 9.7 in numpy/scipy:

- a seeded Poisson toy (numpy PCG64, seed below) of the nominal dijet function in the ATLAS
  binning (`crates/oddity-stats/tests/data/fit_atlas_edges.txt`), fit range = bins with centre
  in [300, 9000] GeV; the counts are stored so that Rust fits the same numbers;
- expected counts per bin by 5-point Gauss-Legendre (`numpy.polynomial.legendre.leggauss`);
- binned Poisson -ln L = sum(nu - n ln nu), Neyman chi2 = sum_{n>0} (n - nu)^2 / n, for the nominal
  and the alternative (p5/sqrt(x)) function: scipy BFGS in stages (p1-p3, +p4, +p5) from
  p2 = 10, p3 = -5, p4 = p5 = 0 with p1 normalising, then a scipy `trust-exact` polish with a
  numpy Hessian; parameter errors from the inverse Hessian (transformed to p1 = exp(t0));
- CLs upper limits (Cowan et al. arXiv 1007.1727): a known-background three-bin case and a
  dijet case with the five parameters profiled (signal: Gaussian at 1500 GeV, 5 % width),
  q~_mu and the background-only Asimov data set; roots by scipy `brentq` (xtol 1e-8 relative).

Peer timing for `bench/fits.sh` (same algorithm, one start point, on a spectrum written by
`cargo run --release -p oddity-stats --example fit_throughput -- --write-spectrum FILE`):

    tools/reference/.venv/bin/python tools/reference/fit_reference.py --bench FILE [--repeat 5]
"""

import json
import sys
from pathlib import Path

import numpy as np
import scipy
from scipy.optimize import brentq, minimize, minimize_scalar
from scipy.stats import norm

SEED = 20261204
SQRT_S = 13000.0
TRUTH_SHAPE = [10.0, -5.0, 0.2, 0.02]
TOTAL = 1e6
EDGES_FILE = Path(__file__).resolve().parents[2] / "crates/oddity-stats/tests/data/fit_atlas_edges.txt"
GL_T, GL_W = np.polynomial.legendre.leggauss(5)


def basis(function, edges):
    """g(x) at the quadrature nodes, shape (bins, 5 nodes, 5 params), and the node weights (bins, 5)."""
    lo, hi = edges[:-1], edges[1:]
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    x = (mid[:, None] + half[:, None] * GL_T[None, :]) / SQRT_S
    lx = np.log(x)
    last = lx**3 if function == "nominal" else lx / np.sqrt(x)
    g = np.stack([np.ones_like(x), np.log1p(-x), lx, lx * lx, last], axis=-1)
    return g, half[:, None] * GL_W[None, :]


class Model:
    """nu_i = mu * s_i + sum_q w_q exp(theta . g_q); params = theta (5) [+ mu]."""

    def __init__(self, function, edges, signal=None):
        self.g, self.w = basis(function, edges)
        self.signal = signal

    def parts(self, p):
        f = self.w * np.exp(self.g @ p[:5])  # (bins, nodes)
        nu = f.sum(1)
        jac = np.einsum("bq,bqk->bk", f, self.g)
        hess_nu = np.einsum("bq,bqk,bql->bkl", f, self.g, self.g)
        if self.signal is not None:
            nu = nu + p[5] * self.signal
            jac = np.concatenate([jac, self.signal[:, None]], axis=1)
            h = np.zeros((len(nu), 6, 6))
            h[:, :5, :5] = hess_nu
            hess_nu = h
        return nu, jac, hess_nu


def objective(model, data, method):
    """Value, gradient and Hessian of -ln L (Poisson) or chi2/2 (Neyman) as closures."""

    @np.errstate(over="ignore", invalid="ignore", divide="ignore")
    def terms(p):
        nu, jac, hnu = model.parts(p)
        if method == "poisson":
            val = np.sum(nu - data * np.log(nu))
            d1, d2 = 1.0 - data / nu, data / nu**2
        else:
            m = data > 0
            safe = np.where(m, data, 1.0)
            val = np.sum(np.where(m, (nu - data) ** 2 / (2 * safe), 0.0))
            d1, d2 = np.where(m, (nu - data) / safe, 0.0), np.where(m, 1.0 / safe, 0.0)
        grad = jac.T @ d1
        hess = np.einsum("b,bk,bl->kl", d2, jac, jac) + np.einsum("b,bkl->kl", d1, hnu)
        return val, grad, hess

    return terms


def minimise(terms, x0, free):
    free = np.asarray(free)

    def sub(y):
        x = x0.copy()
        x[free] = y
        return x

    def f(y):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            v = terms(sub(y))[0]
        return v if np.isfinite(v) else 1e300

    jac = lambda y: terms(sub(y))[1][free]
    hess = lambda y: terms(sub(y))[2][np.ix_(free, free)]
    r = minimize(f, x0[free], jac=jac, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000})
    r = minimize(f, r.x, jac=jac, hess=hess, method="trust-exact", options={"gtol": 1e-10})
    return sub(r.x), r.fun


def staged_fit(model, data, method):
    x = np.array([0.0, 10.0, -5.0, 0.0, 0.0])
    x[0] = np.log(data.sum() / model.parts(x)[0].sum())
    terms = objective(model, data, method)
    for free in ([0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4]):
        x, val = minimise(terms, x, free)
    cov_theta = np.linalg.inv(terms(x)[2])
    jac = np.diag([np.exp(x[0]), 1, 1, 1, 1])
    cov = jac @ cov_theta @ jac
    nu = model.parts(x)[0]
    params = [float(np.exp(x[0]))] + [float(v) for v in x[1:]]
    return {
        "theta": x,
        "parameters": params,
        "errors": [float(v) for v in np.sqrt(np.diag(cov))],
        "neg_log_likelihood": float(np.sum(nu - data * np.log(np.where(data > 0, nu, 1.0)) * (data > 0))),
        "chi2": float(np.sum((data - nu) ** 2 / nu)),
        "expected": [float(v) for v in nu],
    }


def gaussian_template(edges, mass, rel_width):
    c = norm.cdf((edges - mass) / (rel_width * mass))
    return np.diff(c)


def cls(q, qa):
    if q <= qa:
        return norm.sf(np.sqrt(q)) / norm.cdf(np.sqrt(qa) - np.sqrt(q))
    s = 2 * np.sqrt(qa)
    return norm.sf((q + qa) / s) / norm.sf((q - qa) / s)


class Profile:
    """q~_mu on one data set: nll_fixed(mu) minimised over theta (or no theta for a fixed background)."""

    def __init__(self, data, nll_at, theta0, mu_min):
        self.data, self.nll_at, self.theta = data, nll_at, theta0
        # unconditional fit: Brent's bounded minimisation over mu of the conditional minimum
        res = minimize_scalar(self.conditional, bounds=(mu_min, 1e4), method="bounded", options={"xatol": 1e-9})
        self.mu_hat = float(res.x)
        self.ref = float(res.fun) if self.mu_hat >= 0 else self.conditional(0.0)

    def conditional(self, mu):
        val, self.theta = self.nll_at(self.data, mu, self.theta)
        return val

    def q(self, mu):
        if self.mu_hat > mu:
            return 0.0
        return max(2 * (self.conditional(mu) - self.ref), 0.0)


def limits(make_nll, data, asimov, theta0, signal):
    # mu > -min(b/s) keeps every expectation positive (b taken from the Asimov data set)
    mu_min = -0.99 * np.min(asimov[signal > 0] / signal[signal > 0])
    obs, asi = Profile(data, make_nll, theta0, mu_min), Profile(asimov, make_nll, theta0, mu_min)
    upper = brentq(lambda mu: cls(obs.q(mu), asi.q(mu)) - 0.05, 1e-3, 1e5, xtol=1e-10, rtol=1e-9)
    bands = {}
    for name, n in [("minus2", -2), ("minus1", -1), ("median", 0), ("plus1", 1), ("plus2", 2)]:
        z = norm.ppf(1 - 0.05 * norm.cdf(n)) + n
        bands[name] = brentq(lambda mu: np.sqrt(asi.q(mu)) - z, 1e-3, 1e5, xtol=1e-10, rtol=1e-9)
    return {"mu_hat": obs.mu_hat, "observed": upper, "expected": bands}


def fixed_background_case():
    counts = np.array([12.0, 30.0, 7.0])
    background = np.array([10.0, 33.0, 4.5])
    signal = np.array([0.2, 0.5, 0.3])

    def nll_at(data, mu, theta):
        nu = mu * signal + background
        if np.any(nu <= 0):
            return 1e300, theta
        return float(np.sum(nu - data * np.log(nu))), theta

    out = limits(nll_at, counts, background, None, signal)
    return {"counts": counts.tolist(), "background": background.tolist(), "signal": signal.tolist(), **out}


def dijet_limit_case(edges, data, fit):
    mass, width = 1500.0, 0.05
    signal = gaussian_template(edges, mass, width)
    model = Model("nominal", edges, signal)

    def nll_at(d, mu, theta):
        terms = objective(model, d, "poisson")
        x0 = np.concatenate([theta, [mu]])
        x, val = minimise(terms, x0, [0, 1, 2, 3, 4])
        return float(val), x[:5]

    asimov = np.array(fit["expected"])
    out = limits(nll_at, data, asimov, fit["theta"].copy(), signal)
    return {"mass": mass, "rel_width": width, **out}


def bench(path, repeat):
    """Times the staged nominal Poisson fit and one profiled limit (1500 GeV, 5 %) on a spectrum file."""
    import time

    spec = json.loads(Path(path).read_text())
    edges_all, counts = np.array(spec["edges"]), np.array(spec["counts"], dtype=float)
    centres = 0.5 * (edges_all[1:] + edges_all[:-1])
    idx = np.where((centres >= 300) & (centres <= 9000))[0]
    edges, data = edges_all[idx[0] : idx[-1] + 2], counts[idx[0] : idx[-1] + 1]
    start = time.perf_counter()
    for _ in range(repeat):
        fit = staged_fit(Model("nominal", edges), data, "poisson")
    fit_time = (time.perf_counter() - start) / repeat
    start = time.perf_counter()
    limit = dijet_limit_case(edges, data, fit)
    limit_time = time.perf_counter() - start
    print(f"scipy {scipy.__version__} numpy {np.__version__}: {len(data)} fitted bins, one start point")
    print(f"scipy_nll: {fit['neg_log_likelihood']:.6f}")
    print(f"scipy_fits_per_s_1thread: {1 / fit_time:.2f}")
    print(f"scipy_limits_per_s_1thread: {1 / limit_time:.3f} (observed {limit['observed']:.2f}, median {limit['expected']['median']:.2f})")


def main():
    if sys.argv[1] == "--bench":
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
        return bench(sys.argv[2], repeat)
    out_path = Path(sys.argv[1])
    edges_all = np.loadtxt(EDGES_FILE, comments="#")
    centres = 0.5 * (edges_all[1:] + edges_all[:-1])
    idx = np.where((centres >= 300) & (centres <= 9000))[0]
    edges = edges_all[idx[0] : idx[-1] + 2]
    unit = Model("nominal", edges).parts(np.array([0.0] + TRUTH_SHAPE))[0]
    rng = np.random.default_rng(SEED)
    counts_range = rng.poisson(unit * TOTAL / unit.sum()).astype(float)
    counts = np.zeros(len(centres))
    counts[idx] = counts_range

    fits = {}
    for function in ("nominal", "alternative"):
        for method in ("poisson", "neyman_chi2"):
            fits[f"{function}_{method}"] = staged_fit(Model(function, edges), counts_range, method.split("_")[0])
    dijet = dijet_limit_case(edges, counts_range, fits["nominal_poisson"])
    for f in fits.values():
        del f["theta"]
    result = {
        "generator": f"tools/reference/fit_reference.py (numpy {np.__version__}, scipy {scipy.__version__})",
        "seed": SEED,
        "truth_shape": TRUTH_SHAPE,
        "counts": counts.tolist(),
        "first_bin": int(idx[0]),
        "end_bin": int(idx[-1] + 1),
        "fits": fits,
        "limit_fixed_background": fixed_background_case(),
        "limit_dijet": dijet,
    }
    out_path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k.startswith("limit")}, indent=1))
    for k, f in fits.items():
        print(k, f["parameters"], f["neg_log_likelihood"], f["chi2"])


if __name__ == "__main__":
    main()
