"""The worked examples of the nine topics (autograd_lite.demo.examples), each computed with the
engine and compared with its answer worked by hand; then every derivative, gradient, Jacobian
and Hessian formula of the topics at random points."""

import math

import numpy as np
import pytest
from autograd_lite.distributions import (
    Bernoulli,
    MultivariateNormal,
    Normal,
    bayes_posterior,
    expectation,
    variance,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_lite as al
from autograd_lite import Tensor, grad, hessian, hvp, jacobian, linalg, value_and_grad
from autograd_lite.cli.formula import parse
from autograd_lite.demo import examples as ex

SETTINGS = settings(max_examples=20, deadline=None)
x_ = st.floats(-3, 3, allow_nan=False)
positive = st.floats(0.2, 3)


def vectors(n, elements=x_):
    return hnp.arrays(np.float64, (n,), elements=elements)


# ---- Each worked example, by the engine -------------------------------------------------

A = np.array(ex.MATMUL.A)
B = np.array(ex.MATMUL.B)


def _check_formula(example, answer, transform):
    f = parse(example.formula)
    got = transform(f, tuple(range(len(f.variables))))(*example.at)
    np.testing.assert_allclose(np.array(got, dtype=float), answer, rtol=1e-15, atol=0)


def _check_backprop():
    b = ex.BACKPROP
    loss = lambda w, bias: (al.relu(al.dot(w, b.x) + bias) - b.y) ** 2
    value, (gw, gb) = value_and_grad(loss, argnums=(0, 1))(np.array(b.w), np.array(b.b))
    assert value == pytest.approx(b.loss, rel=1e-14)
    np.testing.assert_allclose(gw, b.dL_dw, rtol=1e-14)
    assert gb == pytest.approx(b.dL_db, rel=1e-14)
    assert al.dot(b.w, b.x).item() + b.b == pytest.approx(b.z, rel=1e-14) == b.a


def _check_eigen():
    w, v = linalg.eigh(ex.EIGEN.A)
    np.testing.assert_allclose(w.numpy(), ex.EIGEN.eigenvalues, rtol=1e-14)
    for column, direction in zip(v.numpy().T, ex.EIGEN.eigenvectors):
        assert abs(column @ direction) == pytest.approx(np.linalg.norm(direction), rel=1e-14)


def _check_bayes():
    b = ex.BAYES
    prior = [b.prevalence, 1 - b.prevalence]
    posterior = bayes_posterior(prior, [b.sensitivity, b.false_positive_rate])
    assert posterior[0] == pytest.approx(b.posterior, rel=1e-14)
    assert b.prevalence * b.sensitivity / b.evidence == pytest.approx(b.posterior, rel=1e-14)


CHECKS = {
    "DOT": lambda: al.dot(ex.DOT.a, ex.DOT.b).item() == ex.DOT.value or pytest.fail("dot"),
    "MATMUL": lambda: (
        np.testing.assert_array_equal(linalg.matmul(A, B).numpy(), ex.MATMUL.AB),
        np.testing.assert_array_equal(linalg.matmul(B, A).numpy(), ex.MATMUL.BA),
    ),
    "DENSE": lambda: np.testing.assert_allclose(
        (al.matmul(ex.DENSE.W, ex.DENSE.x) + Tensor(ex.DENSE.b)).numpy(), ex.DENSE.z, rtol=1e-15
    ),
    "NORMS": lambda: np.testing.assert_array_equal(
        [al.norm(np.array(ex.NORMS.x), ord=o).item() for o in (2, 1, np.inf)],
        [ex.NORMS.l2, ex.NORMS.l1, ex.NORMS.linf],
    ),
    "DISTANCES": lambda: np.testing.assert_allclose(
        [
            linalg.euclidean_distance(ex.DISTANCES.x, ex.DISTANCES.y).item(),
            linalg.manhattan_distance(ex.DISTANCES.x, ex.DISTANCES.y).item(),
            linalg.cosine_similarity(ex.DISTANCES.x, ex.DISTANCES.y).item(),
        ],
        [ex.DISTANCES.euclidean, ex.DISTANCES.manhattan, ex.DISTANCES.cosine],
        rtol=1e-15,
    ),
    "EIGEN": _check_eigen,
    "DERIVATIVE": lambda: _check_formula(
        ex.DERIVATIVE.__class__(formula=ex.DERIVATIVE.formula, at=(ex.DERIVATIVE.x,)),
        ex.DERIVATIVE.slope,
        grad,
    ),
    "PARTIALS": lambda: _check_formula(ex.PARTIALS, ex.PARTIALS.gradient, grad),
    "CHAIN": lambda: _check_formula(
        ex.CHAIN.__class__(formula=ex.CHAIN.formula, at=(ex.CHAIN.x,)), ex.CHAIN.derivative, grad
    ),
    "BACKPROP": _check_backprop,
    "GRADIENT": lambda: _check_formula(ex.GRADIENT, ex.GRADIENT.gradient, grad),
    "JACOBIAN": lambda: _check_formula(ex.JACOBIAN, ex.JACOBIAN.jacobian, jacobian),
    "HESSIAN": lambda: _check_formula(ex.HESSIAN, ex.HESSIAN.hessian, hessian),
    "BAYES": _check_bayes,
    "COIN": lambda: expectation(ex.COIN.values, ex.COIN.probs) == ex.COIN.mean or pytest.fail(),
    "TWO_POINT": lambda: np.testing.assert_array_equal(
        [
            expectation(ex.TWO_POINT.values, ex.TWO_POINT.probs),
            expectation(np.square(ex.TWO_POINT.values), ex.TWO_POINT.probs),
            variance(ex.TWO_POINT.values, ex.TWO_POINT.probs),
        ],
        [ex.TWO_POINT.mean, ex.TWO_POINT.second_moment, ex.TWO_POINT.variance],
    ),
    "BERNOULLI": lambda: np.testing.assert_allclose(
        [
            *np.exp(Bernoulli(ex.BERNOULLI.p).log_prob(np.array([0.0, 1.0]))),
            Bernoulli(ex.BERNOULLI.p).mean,
            Bernoulli(ex.BERNOULLI.p).variance,
        ],
        [*ex.BERNOULLI.pmf, ex.BERNOULLI.mean, ex.BERNOULLI.variance],
        rtol=1e-15,
    ),
    "NORMAL": lambda: np.testing.assert_allclose(
        np.exp(Normal(ex.NORMAL.mu, ex.NORMAL.sigma).log_prob(ex.NORMAL.x)),
        ex.NORMAL.density,
        rtol=1e-14,
    ),
    "MULTIVARIATE_NORMAL": lambda: np.testing.assert_allclose(
        MultivariateNormal(ex.MULTIVARIATE_NORMAL.mu, ex.MULTIVARIATE_NORMAL.Sigma)
        .log_prob(ex.MULTIVARIATE_NORMAL.x)
        .item(),
        ex.MULTIVARIATE_NORMAL.log_density,
        rtol=1e-14,
    ),
}


def test_every_worked_example_is_checked_and_examples_are_read_only():
    names = [n for n in ex.__all__ if isinstance(getattr(ex, n), ex.WorkedExample)]
    assert sorted(names) == sorted(CHECKS)
    assert [getattr(ex, n) for n in names if getattr(ex, n) not in ex.ALL] == []
    assert sorted({e.topic for e in ex.ALL}) == list(range(1, 10))  # all nine topics
    with pytest.raises(AttributeError, match="read-only"):
        ex.BACKPROP.b = 0.5


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_engine_reproduces_each_worked_example(name):
    CHECKS[name]()


# ---- 1. Dot product and matrix multiplication --------------------------------------------


def test_matrix_product_worked_example_and_its_gradients():
    # AB = [[19, 22], [43, 50]]; d sum(AB)/dA = 1 B^T (row sums of B), d sum(AB)/dB = A^T 1.
    (value, (ga, gb)) = value_and_grad(lambda a, b: (a @ b).sum(), argnums=(0, 1))(A, B)
    assert value == np.sum(ex.MATMUL.AB)
    np.testing.assert_array_equal(ga, [[11.0, 15.0], [11.0, 15.0]])
    np.testing.assert_array_equal(gb, [[4.0, 4.0], [6.0, 6.0]])
    # The full Jacobian d(AB)_ij / dA_kl = delta_ik B_lj.
    j = jacobian(lambda a: a @ Tensor(B))(A)
    np.testing.assert_array_equal(j, np.einsum("ik,lj->ijkl", np.eye(2), B))
    # Not commutative: BA = [[23, 34], [31, 46]] has another Jacobian.
    np.testing.assert_array_equal((Tensor(B) @ Tensor(A)).data, ex.MATMUL.BA)
    assert not np.array_equal(jacobian(lambda b: Tensor(A) @ b)(B), j)


@SETTINGS
@given(vectors(4), vectors(4))
def test_gradient_of_a_dot_product_is_the_other_vector(a, b):
    ga, gb = grad(lambda u, v: al.dot(u, v), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, b)
    np.testing.assert_array_equal(gb, a)


@SETTINGS
@given(hnp.arrays(np.float64, (3, 4), elements=x_), vectors(4), vectors(3))
def test_dense_layer_jacobians(w, x, b):
    # z = W x + b: dz/dx = W, dz/db = I, dz_i/dW_jk = delta_ij x_k.
    jw, jx, jb = jacobian(lambda w_, x_, b_: w_ @ x_ + b_, argnums=(0, 1, 2))(w, x, b)
    np.testing.assert_array_equal(jx, w)
    np.testing.assert_array_equal(jb, np.eye(3))
    np.testing.assert_array_equal(jw, np.einsum("ij,k->ijk", np.eye(3), x))


# ---- 2. Norms and distances --------------------------------------------------------------


def test_norms_of_the_worked_example_and_their_gradients():
    x = np.array(ex.NORMS.x)
    for ord_, value, gradient in (
        (2, ex.NORMS.l2, [0.6, -0.8]),
        (1, ex.NORMS.l1, [1.0, -1.0]),
        (np.inf, ex.NORMS.linf, [0.0, -1.0]),
    ):
        v, g = value_and_grad(lambda t, o=ord_: al.norm(t, ord=o))(x)
        assert v == value
        np.testing.assert_allclose(g, gradient, rtol=1e-15)


@SETTINGS
@given(vectors(3), vectors(3))
def test_distance_and_cosine_similarity_gradients(x, y):
    assume(np.linalg.norm(x) > 0.1 and np.linalg.norm(y) > 0.1 and np.linalg.norm(x - y) > 0.1)
    # d ||x - y|| / dx = (x - y) / ||x - y||
    np.testing.assert_allclose(grad(lambda t: al.norm(t - y))(x), (x - y) / np.linalg.norm(x - y))
    # d cos(x, y) / dx = y / (|x||y|) - cos(x, y) x / |x|^2
    cos = lambda t: al.dot(t, y) / (al.norm(t) * al.norm(y))
    c = x @ y / (np.linalg.norm(x) * np.linalg.norm(y))
    expected = y / (np.linalg.norm(x) * np.linalg.norm(y)) - c * x / (x @ x)
    np.testing.assert_allclose(grad(cos)(x), expected, atol=1e-12)


# ---- 3. Eigenvalues and eigenvectors -----------------------------------------------------


@SETTINGS
@given(vectors(2))
def test_the_eigen_example_is_the_hessian_of_the_quadratic(p):
    # The Hessian of x^2 + xy + y^2 is A = [[2, 1], [1, 2]] (section 6), whose eigenvalues are
    # 1 and 3 with eigenvectors [1, -1] and [1, 1]: H v = lambda v, computed by hvp.
    f = lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2
    h = hessian(f)(p)
    np.testing.assert_array_equal(h, [[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_allclose(np.linalg.eigvalsh(h), [1.0, 3.0])
    np.testing.assert_array_equal(hvp(f, p, np.array([1.0, -1.0])), [1.0, -1.0])
    np.testing.assert_array_equal(hvp(f, p, np.array([1.0, 1.0])), [3.0, 3.0])


def test_the_jacobian_of_a_linear_map_has_the_maps_eigenvalues():
    a = np.array([[2.0, 1.0], [1.0, 2.0]])
    j = jacobian(lambda v: Tensor(a) @ v)(np.zeros(2))
    np.testing.assert_allclose(np.linalg.eigvalsh(j), [1.0, 3.0])


# ---- 4. Derivatives and partial derivatives ----------------------------------------------


def test_derivative_of_x_squared_at_3_is_6():
    assert grad(lambda x: x**2)(ex.DERIVATIVE.x) == ex.DERIVATIVE.slope == 6.0
    assert al.derivative(lambda x: x**2)(ex.DERIVATIVE.x) == ex.DERIVATIVE.slope


@SETTINGS
@given(x_)
def test_derivative_of_x_squared_is_2x(x):
    assert grad(lambda t: t**2)(x) == 2 * x


@SETTINGS
@given(x_, x_)
def test_partials_of_3x2_plus_2xy(x, y):
    dx, dy = grad(lambda a, b: 3 * a**2 + 2 * a * b, argnums=(0, 1))(x, y)
    assert dx == pytest.approx(6 * x + 2 * y, abs=1e-12)
    assert dy == pytest.approx(2 * x, abs=1e-12)


# ---- 5. The chain rule and backpropagation -----------------------------------------------


@SETTINGS
@given(x_)
def test_chain_rule_sin_of_x_squared(x):
    assert grad(lambda t: al.sin(t**2))(x) == pytest.approx(math.cos(x**2) * 2 * x, abs=1e-12)


@SETTINGS
@given(st.floats(-1.5, 1.5))
def test_chain_rule_through_a_stack_of_three_functions(x):
    # L = f(g(h(x))) with h = x^3, g = sin, f = exp: dL/dx = f'(g) g'(h) h'(x).
    h, g = x**3, math.sin(x**3)
    expected = math.exp(g) * math.cos(h) * 3 * x**2
    assert grad(lambda t: al.exp(al.sin(t**3)))(x) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@SETTINGS
@given(vectors(3), vectors(3), x_, x_)
def test_backprop_example_dense_relu_mse(w, x, b, y):
    # z = w.x + b, a = relu(z), L = (a - y)^2: dL/dw = dL/da * da/dz * dz/dw, layer by layer.
    z = w @ x + b
    assume(abs(z) > 1e-6)  # relu'(0) is a convention, not a derivative
    loss = lambda w_, b_: (al.relu(al.dot(w_, x) + b_) - y) ** 2
    gw, gb = grad(loss, argnums=(0, 1))(w, np.array(b))  # b 0-d, a Tensor like w.x
    dl_da, da_dz = 2 * (max(z, 0.0) - y), float(z > 0)
    np.testing.assert_allclose(gw, dl_da * da_dz * x, atol=1e-12)
    assert gb == pytest.approx(dl_da * da_dz, abs=1e-12)


# ---- 6. Gradients, Jacobians and Hessians ------------------------------------------------


@SETTINGS
@given(x_, x_)
def test_gradient_of_x2_plus_y2(x, y):
    np.testing.assert_array_equal(grad(lambda v: (v * v).sum())(np.array([x, y])), [2 * x, 2 * y])
    assert grad(lambda a, b: a * a + b * b, argnums=(0, 1))(x, y) == (2 * x, 2 * y)


@SETTINGS
@given(x_, x_)
def test_jacobian_of_x2_plus_y_and_sin_xy(x, y):
    expected = [[2 * x, 1.0], [y * math.cos(x * y), x * math.cos(x * y)]]
    f = lambda v: al.stack([v[0] ** 2 + v[1], al.sin(v[0] * v[1])])
    np.testing.assert_allclose(jacobian(f)(np.array([x, y])), expected, atol=1e-12)
    # The same with two scalar Values and a tuple of outputs (JAX's nesting).
    j = jacobian(lambda a, b: (a**2 + b, al.sin(a * b)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(np.array(j), expected, atol=1e-12)


@SETTINGS
@given(x_, x_)
def test_hessian_of_x2_plus_xy_plus_y2_everywhere(x, y):
    f = lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2
    np.testing.assert_array_equal(hessian(f)(np.array([x, y])), [[2.0, 1.0], [1.0, 2.0]])
    h = hessian(lambda a, b: a * a + a * b + b * b, argnums=(0, 1))(x, y)
    assert h == ((2.0, 1.0), (1.0, 2.0))


# ---- 7. Bayes' rule ----------------------------------------------------------------------


@SETTINGS
@given(vectors(3, st.floats(0.05, 1)), vectors(3, st.floats(0.05, 1)))
def test_gradient_of_the_log_evidence_is_the_posterior(likelihood, prior):
    # log P(B) = log sum_i P(B|A_i) P(A_i); its gradient with respect to the log prior is
    # P(B|A_i) P(A_i) / P(B) = P(A_i|B), Bayes' rule.
    prior = prior / prior.sum()
    log_evidence = lambda log_prior: al.logsumexp(np.log(likelihood) + log_prior)
    posterior = likelihood * prior / (likelihood * prior).sum()
    np.testing.assert_allclose(grad(log_evidence)(np.log(prior)), posterior, rtol=1e-12)


# ---- 8. Expectation and variance ---------------------------------------------------------


def test_expectation_and_variance_worked_examples_and_gradients():
    # E[X] for a coin with P(1) = 0.7 is 0.7, and dE/dp = x.
    e, g = value_and_grad(lambda p: (p * np.array([0.0, 1.0])).sum())(np.array([0.3, 0.7]))
    assert e == 0.7
    np.testing.assert_array_equal(g, [0.0, 1.0])

    # X in {1, 3} with equal probability: E = 2, Var = E[X^2] - E[X]^2 = 5 - 4 = 1;
    # dVar/dp_i = x_i^2 - 2 E[X] x_i = [-3, -3]; dVar/dx_i = 2 p_i (x_i - E[X]) = [-1, 1].
    def var(p, x):
        mean = (p * x).sum()
        return (p * x * x).sum() - mean * mean

    v, (gp, gx) = value_and_grad(var, argnums=(0, 1))(np.array([0.5, 0.5]), np.array([1.0, 3.0]))
    assert v == 1.0
    np.testing.assert_array_equal(gp, [-3.0, -3.0])
    np.testing.assert_array_equal(gx, [-1.0, 1.0])


# ---- 9. Bernoulli and Gaussian distributions ---------------------------------------------


@SETTINGS
@given(st.floats(0.01, 0.99), x_, st.sampled_from([0.0, 1.0]))
def test_bernoulli_moments_and_log_likelihood(p, z, x):
    # mean p, variance p(1 - p): derivatives 1 and 1 - 2p.
    assert grad(lambda q: q * (1 - q))(p) == pytest.approx(1 - 2 * p)
    # log P(x) = x log p + (1 - x) log(1 - p): d/dp = x/p - (1 - x)/(1 - p);
    # with p = sigmoid(z) (logistic regression) d/dz = x - p.
    loglik = lambda q: x * al.log(q) + (1 - x) * al.log(1 - q)
    assert grad(loglik)(p) == pytest.approx(x / p - (1 - x) / (1 - p))
    s = 1 / (1 + math.exp(-z))
    assert grad(lambda t: loglik(al.sigmoid(t)))(z) == pytest.approx(x - s, abs=1e-12)


@SETTINGS
@given(x_, x_, positive)
def test_gaussian_log_density_gradients(x, mu, sigma):
    def log_pdf(x_, mu_, sigma_):
        return -((x_ - mu_) ** 2) / (2 * sigma_**2) - al.log(al.sqrt(2 * math.pi * sigma_**2))

    gx, gmu, gsigma = grad(log_pdf, argnums=(0, 1, 2))(x, mu, sigma)
    assert gx == pytest.approx(-(x - mu) / sigma**2, abs=1e-12)
    assert gmu == pytest.approx((x - mu) / sigma**2, abs=1e-12)
    assert gsigma == pytest.approx(-1 / sigma + (x - mu) ** 2 / sigma**3, rel=1e-12, abs=1e-12)
    # And the density itself is the topic's formula: p = exp(log p).
    assert math.exp(log_pdf(Tensor(x), mu, sigma).item()) == pytest.approx(
        math.exp(-((x - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
    )


@SETTINGS
@given(vectors(3), vectors(3), hnp.arrays(np.float64, (3, 3), elements=x_))
def test_multivariate_gaussian_gradient_and_hessian(x, mu, m):
    # log p(x) = -(x - mu)^T S^-1 (x - mu) / 2 - log((2 pi)^d |S|) / 2:
    # gradient -S^-1 (x - mu), Hessian -S^-1.
    sigma = m @ m.T + np.eye(3)
    precision = np.linalg.inv(sigma)
    const = 0.5 * math.log((2 * math.pi) ** 3 * np.linalg.det(sigma))
    log_pdf = lambda t: -0.5 * al.dot(t - mu, Tensor(precision) @ (t - mu)) - const
    np.testing.assert_allclose(grad(log_pdf)(x), -precision @ (x - mu), atol=1e-10)
    np.testing.assert_allclose(hessian(log_pdf)(x), -(precision + precision.T) / 2, atol=1e-12)
