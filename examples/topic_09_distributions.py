"""Topic 9, the Bernoulli and Gaussian distributions, fitted by gradient descent.

Checks that a Bernoulli(p) has mean p and variance p(1 - p); that the Gaussian
density is exp(-(x - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2) and integrates
to 1; the multivariate density; then two real uses: a maximum-likelihood fit
of a Normal by gradient descent (it finds the sample mean and standard
deviation), and logistic regression as a Bernoulli likelihood on the iris data.
Run: python examples/topic_09_distributions.py
"""

import math

import numpy as np
from autograd_lite.distributions import Bernoulli, MultivariateNormal, Normal
from sklearn.datasets import load_iris

from autograd_lite import Tensor, exp, linalg
from autograd_lite.demo.examples import BERNOULLI, MULTIVARIATE_NORMAL, NORMAL


def main():
    for p in (0.1, 0.5, BERNOULLI.p):
        b = Bernoulli(p)
        pmf = [math.exp(b.log_prob(0)), math.exp(b.log_prob(1))]
        print(
            f"Bernoulli({p}): P(0), P(1) = {pmf[0]:.2f}, {pmf[1]:.2f}; "
            f"mean {b.mean:g}, variance {b.variance:.2f}"
        )
        assert abs(sum(pmf) - 1) < 1e-15 and b.mean == p and b.variance == p * (1 - p)
    b = Bernoulli(BERNOULLI.p)
    assert abs(math.exp(b.log_prob(0)) - BERNOULLI.pmf[0]) < 1e-15
    assert b.mean == BERNOULLI.mean and abs(b.variance - BERNOULLI.variance) < 1e-15
    assert Bernoulli(0.5).log_prob(0.5) == -math.inf  # outside {0, 1}

    for mu, sigma in ((0.0, 1.0), (NORMAL.mu, NORMAL.sigma)):
        x = NORMAL.x
        density = math.exp(-((x - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
        grid = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 20001)
        area = np.trapezoid(np.exp(Normal(mu, sigma).log_prob(grid)), grid)
        print(
            f"N({mu}, {sigma}^2): p({x}) = {math.exp(Normal(mu, sigma).log_prob(x)):.6f} "
            f"(formula {density:.6f}); area {area:.6f}"
        )
        assert (
            abs(math.exp(Normal(mu, sigma).log_prob(x)) - density) < 1e-15 and abs(area - 1) < 1e-9
        )

    assert (
        abs(math.exp(Normal(NORMAL.mu, NORMAL.sigma).log_prob(NORMAL.x)) - NORMAL.density) < 1e-15
    )

    mvn = MULTIVARIATE_NORMAL
    cov, x, mean = np.array(mvn.Sigma), np.array(mvn.x), np.array(mvn.mu)
    d = x - mean
    by_formula = math.exp(-0.5 * d @ np.linalg.solve(cov, d)) / math.sqrt(
        (2 * math.pi) ** 2 * np.linalg.det(cov)
    )
    by_engine = math.exp(MultivariateNormal(mean, cov).log_prob(x).item())
    print(f"2-d Gaussian density at {x.tolist()}: {by_engine:.6f} (formula {by_formula:.6f})")
    assert (
        abs(by_engine - by_formula) < 1e-14 and abs(by_engine - math.exp(mvn.log_density)) < 1e-14
    )

    # Maximum likelihood: minimise -mean log N(x_i; mu, sigma) by gradient descent on mu and
    # log sigma (so sigma stays positive).
    data = np.random.default_rng(0).normal(3.0, 1.5, size=500)
    mu, log_sigma = Tensor(0.0, requires_grad=True), Tensor(0.0, requires_grad=True)
    for _ in range(200):
        nll = -Normal(mu, exp(log_sigma)).log_prob(data).mean()
        mu.grad = log_sigma.grad = None
        nll.backward()
        mu.data = mu.data - 0.5 * mu.grad.data
        log_sigma.data = log_sigma.data - 0.5 * log_sigma.grad.data
    sigma = math.exp(log_sigma.item())
    print(
        f"maximum-likelihood Normal: mu = {mu.item():.4f}, sigma = {sigma:.4f} "
        f"(sample mean {data.mean():.4f}, sample std {data.std():.4f})"
    )
    assert abs(mu.item() - data.mean()) < 1e-6 and abs(sigma - data.std()) < 1e-6

    # Logistic regression: the label is Bernoulli(sigmoid(w . x + b)); maximise its log likelihood.
    iris = load_iris()
    keep = iris.target > 0  # versicolor (1) against virginica (2)
    features = iris.data[keep][:, 2:]  # petal length and width
    features = (features - features.mean(0)) / features.std(0)
    labels = (iris.target[keep] == 2).astype(float)
    w, b = Tensor(np.zeros(2), requires_grad=True), Tensor(0.0, requires_grad=True)
    for _ in range(500):
        logits = linalg.matmul(features, w) + b
        nll = -Bernoulli(logits=logits).log_prob(labels).mean()
        w.grad = b.grad = None
        nll.backward()
        w.data = w.data - 0.5 * w.grad.data
        b.data = b.data - 0.5 * b.grad.data
    accuracy = np.mean((linalg.matmul(features, w).numpy() + b.item() > 0) == (labels == 1))
    print(
        f"logistic regression on iris (versicolor vs virginica): "
        f"mean -log likelihood {nll.item():.4f}, accuracy {accuracy:.3f}"
    )
    assert accuracy > 0.9
    print("all topic 9 checks passed")


if __name__ == "__main__":
    main()
