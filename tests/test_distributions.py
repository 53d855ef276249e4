"""autograd_lite.distributions: worked examples, closed-form gradients, log space, naive Bayes."""

import math

import numpy as np
import pytest
from autograd_lite.distributions import (
    Bernoulli,
    MultivariateNormal,
    NaiveBayes,
    Normal,
    bayes_posterior,
    expectation,
    log_bayes_posterior,
    variance,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_lite import Tensor, Value, sigmoid
from autograd_lite import sum as tsum

LOG_2PI = math.log(2 * math.pi)
probs01 = st.floats(0.0, 1.0)
reals = st.floats(-20, 20)
scales = st.floats(0.05, 20)


def value_grad(f, x):
    """f(Value(x)) and its derivative by the engine."""
    v = Value(x)
    out = f(v)
    out.backward()
    return out.data, v.grad


# ---------------------------------------------------------------------------------------
# Topic 8: expectation and variance


def test_worked_example_coin_expectation():
    assert expectation([0, 1], [0.3, 0.7]) == 0.7
    assert Bernoulli(0.7).mean == 0.7


def test_worked_example_variance_of_1_and_3():
    values, probs = [1, 3], [0.5, 0.5]
    assert expectation(values, probs) == 2.0
    assert variance(values, probs) == 1.0
    assert expectation(np.square(values), probs) - expectation(values, probs) ** 2 == 5 - 4


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=reals),
            hnp.arrays(np.float64, n, elements=st.floats(0.01, 1.0)),
        )
    ),
    st.floats(-5, 5),
    st.floats(-5, 5),
)
def test_variance_identities(vp, a, b):
    values, weights = vp
    probs = weights / weights.sum()
    var = float(variance(values, probs))
    mean = float(expectation(values, probs))
    assert var >= 0
    assert var == pytest.approx(
        float(expectation(values**2, probs)) - mean**2, abs=1e-8 * (1 + mean**2)
    )
    assert float(variance(a * values + b, probs)) == pytest.approx(
        a * a * var, abs=1e-8 * (1 + var)
    )
    assert float(expectation(a * values + b, probs)) == pytest.approx(
        a * mean + b, abs=1e-9 * (1 + abs(mean))
    )


def test_expectation_and_variance_are_differentiable():
    values = Tensor([1.0, 3.0], requires_grad=True)
    probs = Tensor([0.25, 0.75], requires_grad=True)
    variance(values, probs).backward()
    # Var = sum_i p_i (x_i - mu)^2 with mu = sum_i p_i x_i = 2.5. The paths through mu add
    # terms proportional to sum_j p_j (x_j - mu) = 0, so dVar/dx_i = 2 p_i (x_i - mu) and
    # dVar/dp_i = (x_i - mu)^2.
    np.testing.assert_allclose(values.grad.numpy(), [2 * 0.25 * -1.5, 2 * 0.75 * 0.5])
    np.testing.assert_allclose(probs.grad.numpy(), [1.5**2, 0.5**2])
    e = Tensor([0.3, 0.7], requires_grad=True)
    expectation([10.0, 20.0], e).backward()
    np.testing.assert_array_equal(e.grad.numpy(), [10.0, 20.0])


@pytest.mark.parametrize(
    "values, probs, message",
    [
        ([1, 2, 3], [0.5, 0.5], r"\(3,\) and \(2,\)"),
        ([1, 2], [0.5, 0.6], "sums to 1.1"),
        ([1, 2], [1.5, -0.5], "1.5"),
        ([1, 2], [np.nan, 1.0], "nan"),
    ],
)
def test_expectation_and_variance_bad_input(values, probs, message):
    for fn in (expectation, variance):
        with pytest.raises(ValueError, match=message):
            fn(values, probs)


# ---------------------------------------------------------------------------------------
# Topic 7: Bayes' rule


def test_disease_test_posterior():
    # 1% have the disease; the test finds 90% of them and flags 5% of the healthy.
    post = bayes_posterior([0.01, 0.99], [0.90, 0.05])
    np.testing.assert_allclose(post, [0.009 / 0.0585, 0.0495 / 0.0585], rtol=1e-14)
    assert post[0] == pytest.approx(2 / 13, rel=1e-14)


def test_posterior_moves_away_from_the_prior_as_evidence_strengthens():
    prior = [0.5, 0.5]
    shares = [bayes_posterior(prior, [r, 1.0])[0] for r in (1.0, 2.0, 4.0, 16.0)]
    assert shares[0] == 0.5 and all(np.diff(shares) > 0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=st.floats(0.01, 1.0)),
            hnp.arrays(np.float64, n, elements=st.floats(1e-6, 1.0)),
        )
    )
)
def test_posterior_is_likelihood_times_prior_normalised(pl):
    weights, lik = pl
    prior = weights / weights.sum()
    post = bayes_posterior(prior, lik)
    np.testing.assert_allclose(post, lik * prior / np.sum(lik * prior), rtol=1e-10)
    assert np.sum(post) == pytest.approx(1.0)


def test_log_space_does_not_underflow():
    # Likelihoods e^-1000 and e^-1001 are 0.0 as floats; in log space the answer is exact.
    log_post = log_bayes_posterior(np.log([0.5, 0.5]), [-1000.0, -1001.0])
    np.testing.assert_allclose(
        np.exp(log_post), [1 / (1 + math.e**-1), 1 / (1 + math.e)], rtol=1e-12
    )
    assert np.all(np.exp(np.array([-1000.0, -1001.0])) == 0.0)


def test_posterior_batch_of_evidence():
    lik = np.array([[0.9, 0.05], [0.1, 0.95]])  # rows: test positive, test negative
    post = bayes_posterior([0.01, 0.99], lik)
    np.testing.assert_allclose(post.sum(axis=1), [1.0, 1.0])
    assert post[1, 0] == pytest.approx(0.001 / (0.001 + 0.9405))


def test_posterior_gradient():
    lik = Tensor([0.9, 0.05], requires_grad=True)
    prior = Tensor([0.01, 0.99], requires_grad=True)
    bayes_posterior(prior, lik)[0].backward()
    z = 0.9 * 0.01 + 0.05 * 0.99
    np.testing.assert_allclose(
        lik.grad.numpy(), [0.01 * 0.05 * 0.99 / z**2, -0.9 * 0.01 * 0.99 / z**2]
    )
    np.testing.assert_allclose(
        prior.grad.numpy(), [0.9 * 0.05 * 0.99 / z**2, -0.9 * 0.01 * 0.05 / z**2]
    )


@pytest.mark.parametrize(
    "prior, lik, message",
    [
        ([0.5, 0.6], [0.5, 0.5], "sums to 1.1"),
        ([1.2, -0.2], [0.5, 0.5], "1.2"),
        ([0.5, 0.5], [0.5, -0.1], "-0.1"),
        ([0.5, 0.5], [0.0, 0.0], "evidence is 0"),
        ([1.0, 0.0], [0.0, 1.0], "evidence is 0"),
    ],
)
def test_bayes_bad_input(prior, lik, message):
    with pytest.raises(ValueError, match=message):
        bayes_posterior(prior, lik)


# ---------------------------------------------------------------------------------------
# Topic 9: Bernoulli


@settings(max_examples=60, deadline=None)
@given(probs01)
def test_bernoulli_mean_variance_and_pmf(p):
    b = Bernoulli(p)
    assert b.mean == p and b.variance == p * (1 - p)
    pmf = np.exp([b.log_prob(0), b.log_prob(1)])
    assert pmf == pytest.approx([1 - p, p])
    assert float(expectation([0, 1], pmf)) == pytest.approx(p)
    assert float(variance([0, 1], pmf)) == pytest.approx(p * (1 - p), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(reals)
def test_bernoulli_logits_match_probs(z):
    def softplus(t):
        return max(t, 0.0) + math.log1p(math.exp(-abs(t)))

    by_logits, by_probs = Bernoulli(logits=z), Bernoulli(probs=float(sigmoid(z)))
    # log sigmoid(z) = -softplus(-z) and log(1 - sigmoid(z)) = -softplus(z), exactly from logits;
    # through probs, 1 - sigmoid(z) cancels for large z, so it is only close.
    for x, exact in ((1, -softplus(-z)), (0, -softplus(z))):
        assert by_logits.log_prob(x) == pytest.approx(exact, rel=1e-14, abs=1e-15)
        assert by_probs.log_prob(x) == pytest.approx(exact, rel=1e-6, abs=1e-12)
    assert by_logits.entropy() == pytest.approx(by_probs.entropy(), abs=1e-12)


def test_bernoulli_logits_are_exact_far_out():
    b = Bernoulli(logits=np.array([1000.0, -1000.0]))
    np.testing.assert_array_equal(b.log_prob(np.array([1.0, 1.0])), [0.0, -1000.0])
    np.testing.assert_array_equal(b.log_prob(np.array([0.0, 0.0])), [-1000.0, 0.0])


def test_bernoulli_log_prob_outside_the_support_is_minus_inf():
    b = Bernoulli(0.3)
    for x in (0.5, 2, -1, np.nan):
        assert b.log_prob(x) == -np.inf
    np.testing.assert_array_equal(
        Bernoulli(probs=[0.3, 0.3, 0.3]).log_prob([1, 0.5, 0]), [np.log(0.3), -np.inf, np.log(0.7)]
    )
    assert Bernoulli(logits=0.0).log_prob(3) == -np.inf


def test_bernoulli_boundaries_give_no_nan():
    assert Bernoulli(0.0).log_prob(0) == 0.0 and Bernoulli(0.0).log_prob(1) == -np.inf
    assert Bernoulli(1.0).log_prob(1) == 0.0 and Bernoulli(1.0).log_prob(0) == -np.inf
    assert Bernoulli(0.0).entropy() == 0.0 and Bernoulli(1.0).entropy() == 0.0
    p = Tensor([0.0, 1.0], requires_grad=True)
    tsum(Bernoulli(p).log_prob(np.array([0.0, 1.0]))).backward()
    np.testing.assert_array_equal(p.grad.numpy(), [-1.0, 1.0])


def test_bernoulli_gradients():
    # d/dz log p(x | z) = x - sigmoid(z): the logistic-regression gradient.
    for x in (0, 1):
        _, g = value_grad(lambda z, x=x: Bernoulli(logits=z).log_prob(x), 0.0)
        assert g == x - 0.5
        _, g = value_grad(lambda z, x=x: Bernoulli(logits=z).log_prob(x), 2.0)
        assert g == pytest.approx(x - 1 / (1 + math.exp(-2)))
    _, g = value_grad(lambda p: Bernoulli(p).log_prob(1), 0.25)
    assert g == 4.0
    _, g = value_grad(lambda p: Bernoulli(p).log_prob(0), 0.25)
    assert g == pytest.approx(-1 / 0.75)
    _, g = value_grad(lambda p: Bernoulli(p).entropy(), 0.25)
    assert g == pytest.approx(math.log(0.75 / 0.25))  # dH/dp = log((1 - p) / p)
    assert Bernoulli(0.5).entropy() == pytest.approx(math.log(2))


def test_bernoulli_sample():
    draws = Bernoulli(probs=[0.2, 0.9]).sample((20000,), rng=0)
    assert draws.shape == (20000, 2) and set(np.unique(draws)) == {0.0, 1.0}
    np.testing.assert_allclose(draws.mean(axis=0), [0.2, 0.9], atol=0.015)
    np.testing.assert_array_equal(Bernoulli(0.5).sample(5, rng=3), Bernoulli(0.5).sample(5, rng=3))


@pytest.mark.parametrize(
    "bad, named", [(1.5, "1.5"), (-0.1, "-0.1"), (np.nan, "nan"), ([0.5, 2.0], "2.0")]
)
def test_bernoulli_probabilities_outside_0_1(bad, named):
    with pytest.raises(ValueError, match=f"got {named}"):
        Bernoulli(probs=bad)


def test_bernoulli_needs_exactly_one_parameter():
    with pytest.raises(ValueError, match="exactly one"):
        Bernoulli()
    with pytest.raises(ValueError, match="exactly one"):
        Bernoulli(probs=0.5, logits=0.0)


# ---------------------------------------------------------------------------------------
# Topic 9: Normal


@settings(max_examples=60, deadline=None)
@given(reals, reals, scales)
def test_normal_log_prob_is_the_gaussian_density(x, mu, sigma):
    density = math.exp(-((x - mu) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
    lp = Normal(mu, sigma).log_prob(x)
    if density > 1e-300:
        assert lp == pytest.approx(math.log(density), rel=1e-12, abs=1e-12)
    assert lp == pytest.approx(
        Normal(0.0, 1.0).log_prob((x - mu) / sigma) - math.log(sigma), abs=1e-9
    )


def test_normal_moments_and_entropy():
    n = Normal(1.5, 2.0)
    assert (n.mean, n.stddev, n.variance) == (1.5, 2.0, 4.0)
    assert Normal(0.0, 1.0).log_prob(0.0) == -0.5 * LOG_2PI
    assert n.entropy() == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 4.0))
    grid = np.linspace(1.5 - 40, 1.5 + 40, 200001)
    p = np.exp(n.log_prob(grid))
    assert np.trapezoid(p, grid) == pytest.approx(1.0)
    assert np.trapezoid(grid * p, grid) == pytest.approx(1.5)
    assert np.trapezoid((grid - 1.5) ** 2 * p, grid) == pytest.approx(4.0)
    assert -np.trapezoid(p * n.log_prob(grid), grid) == pytest.approx(n.entropy())


def test_normal_grad_of_the_mean_with_values():
    # The example: grad(lambda m: Normal(m, 1.0).log_prob(0.5))(0.3) = 0.5 - 0.3.
    lp, g = value_grad(lambda m: Normal(m, 1.0).log_prob(0.5), 0.3)
    assert g == pytest.approx(0.2, abs=1e-15)
    assert lp == pytest.approx(-0.5 * 0.2**2 - 0.5 * LOG_2PI)
    _, g = value_grad(lambda s: Normal(0.0, s).log_prob(1.0), 2.0)
    assert g == -1 / 2 + 1 / 8  # -1/sigma + (x - mu)^2 / sigma^3
    _, g = value_grad(lambda x: Normal(1.0, 2.0).log_prob(x), 3.0)
    assert g == -0.5  # -(x - mu) / sigma^2


def test_normal_grad_with_the_functional_api():
    functional = pytest.importorskip("autograd_lite.functional")
    assert functional.grad(lambda m: Normal(m, 1.0).log_prob(0.5))(0.3) == pytest.approx(0.2)


def test_normal_batch_gradients_with_tensors():
    x = np.array([0.5, -1.0, 2.0])
    mu = Tensor([0.0, 0.5, 1.0], requires_grad=True)
    sigma = Tensor([1.0, 2.0, 0.5], requires_grad=True)
    lp = Normal(mu, sigma).log_prob(x)
    assert lp.shape == (3,)
    tsum(lp).backward()
    m, s = mu.numpy(), sigma.numpy()
    np.testing.assert_allclose(mu.grad.numpy(), (x - m) / s**2)
    np.testing.assert_allclose(sigma.grad.numpy(), -1 / s + (x - m) ** 2 / s**3)


def test_normal_sample_and_rsample():
    n = Normal(np.array([0.0, 10.0]), np.array([1.0, 3.0]))
    draws = n.sample((40000,), rng=1)
    assert draws.shape == (40000, 2)
    np.testing.assert_allclose(draws.mean(axis=0), [0.0, 10.0], atol=0.05)
    np.testing.assert_allclose(draws.std(axis=0), [1.0, 3.0], rtol=0.02)
    loc, scale = Value(1.0), Value(2.0)
    draw = Normal(loc, scale).rsample(rng=5)
    draw.backward()
    eps = np.random.default_rng(5).standard_normal()
    assert draw.data == pytest.approx(1.0 + 2.0 * eps)
    assert (loc.grad, scale.grad) == (1.0, pytest.approx(eps))


@pytest.mark.parametrize(
    "scale, named", [(0.0, "0.0"), (-1.0, "-1.0"), (np.nan, "nan"), ([1.0, -2.0], "-2.0")]
)
def test_normal_rejects_a_scale_that_is_not_positive(scale, named):
    with pytest.raises(ValueError, match=f"got {named}"):
        Normal(0.0, scale)
    with pytest.raises(ValueError, match="scale"):
        Normal(0.0, Value(-1.0))


def test_normal_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        Normal(np.zeros(3), np.ones(2))


# ---------------------------------------------------------------------------------------
# Topic 9: MultivariateNormal

SIGMA = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
MU = np.array([1.0, -1.0, 0.5])


def reference_log_prob(x, mu, sigma):
    diff = x - mu
    _, logdet = np.linalg.slogdet(sigma)
    return -0.5 * (diff @ np.linalg.solve(sigma, diff) + logdet + len(mu) * LOG_2PI)


def test_mvn_log_prob_matches_the_formula():
    mvn = MultivariateNormal(MU, SIGMA)
    xs = np.random.default_rng(2).standard_normal((4, 3))
    np.testing.assert_allclose(
        mvn.log_prob(xs).numpy(), [reference_log_prob(x, MU, SIGMA) for x in xs]
    )
    assert mvn.log_prob(MU).shape == ()


def test_mvn_with_diagonal_covariance_is_independent_normals():
    var = np.array([1.0, 4.0, 0.25])
    x = np.array([0.3, -2.0, 1.0])
    mvn = MultivariateNormal(MU, np.diag(var))
    assert mvn.log_prob(x).item() == pytest.approx(
        float(np.sum(Normal(MU, np.sqrt(var)).log_prob(x)))
    )
    assert mvn.entropy().item() == pytest.approx(float(np.sum(Normal(MU, np.sqrt(var)).entropy())))


@pytest.mark.parametrize("sigma", [SIGMA, np.eye(3)])  # eye: all eigenvalues equal
def test_mvn_gradients_in_x_loc_and_covariance(sigma):
    x = Tensor([0.2, 0.1, -0.4], requires_grad=True)
    loc = Tensor(MU, requires_grad=True)
    cov = Tensor(sigma, requires_grad=True)
    MultivariateNormal(loc, cov).log_prob(x).backward()
    inv = np.linalg.inv(sigma)
    d = x.numpy() - MU
    np.testing.assert_allclose(loc.grad.numpy(), inv @ d, atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), -inv @ d, atol=1e-12)
    # d/dSigma = (Sigma^-1 d d^T Sigma^-1 - Sigma^-1) / 2, the symmetric gradient.
    np.testing.assert_allclose(
        cov.grad.numpy(), 0.5 * (np.outer(inv @ d, inv @ d) - inv), atol=1e-12
    )


def test_mvn_moments_entropy_and_samples():
    mvn = MultivariateNormal(MU, SIGMA)
    np.testing.assert_array_equal(mvn.mean, MU)
    np.testing.assert_array_equal(mvn.variance, np.diag(SIGMA))
    expected = 0.5 * 3 * (1 + LOG_2PI) + 0.5 * np.linalg.slogdet(SIGMA)[1]
    assert mvn.entropy().item() == pytest.approx(expected)
    draws = mvn.sample((50000,), rng=4)
    assert draws.shape == (50000, 3)
    np.testing.assert_allclose(draws.mean(axis=0), MU, atol=0.03)
    np.testing.assert_allclose(np.cov(draws.T), SIGMA, atol=0.03)


@pytest.mark.parametrize(
    "loc, cov, message",
    [
        (np.zeros(2), np.eye(3), r"\(2,\) and \(3, 3\)"),
        (np.zeros((2, 2)), np.eye(2), r"\(2, 2\) and \(2, 2\)"),
        (np.zeros(2), [[1.0, 0.5], [0.4, 1.0]], r"A\[0, 1\] = 0.5 while A\[1, 0\] = 0.4"),
        (np.zeros(2), [[1.0, 2.0], [2.0, 1.0]], r"smallest eigenvalue is -1.0"),
    ],
)
def test_mvn_bad_parameters(loc, cov, message):
    with pytest.raises(ValueError, match=message):
        MultivariateNormal(loc, cov)


def test_mvn_bad_x_shape():
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\).*\(2,\)"):
        MultivariateNormal(MU, SIGMA).log_prob([1.0, 2.0])


# ---------------------------------------------------------------------------------------
# Naive Bayes


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)


def test_bernoulli_naive_bayes_on_binarised_digits(digits):
    from sklearn.naive_bayes import BernoulliNB

    x_train, x_test, y_train, y_test = digits
    b_train, b_test = (x_train > 7).astype(float), (x_test > 7).astype(float)
    nb = NaiveBayes("bernoulli").fit(b_train, y_train)
    assert nb.score(b_test, y_test) > 0.8
    ref = BernoulliNB(alpha=1.0).fit(b_train, y_train)
    np.testing.assert_array_equal(nb.predict(b_test), ref.predict(b_test))
    np.testing.assert_allclose(
        nb.predict_log_proba(b_test), ref.predict_log_proba(b_test), atol=1e-8
    )
    np.testing.assert_allclose(nb.predict_proba(b_test).sum(axis=1), 1.0)


def test_gaussian_naive_bayes_on_digits(digits):
    from sklearn.naive_bayes import GaussianNB

    x_train, x_test, y_train, y_test = digits
    nb = NaiveBayes("gaussian").fit(x_train, y_train)
    assert nb.score(x_test, y_test) > 0.75
    ref = GaussianNB().fit(x_train, y_train)
    np.testing.assert_array_equal(nb.predict(x_test), ref.predict(x_test))
    np.testing.assert_allclose(
        nb.predict_log_proba(x_test), ref.predict_log_proba(x_test), atol=1e-4
    )


def test_naive_bayes_by_hand():
    # Two "words" in four messages; alpha = 1: P(w0 | spam) = (2 + 1) / (2 + 2) = 3/4, etc.
    x = np.array([[1, 0], [1, 1], [0, 0], [0, 1]])
    y = np.array(["spam", "spam", "ham", "ham"])
    nb = NaiveBayes().fit(x, y)
    p_spam, p_ham = np.array([3 / 4, 2 / 4]), np.array([1 / 4, 2 / 4])
    message = np.array([1, 0])
    joint_spam = 0.5 * p_spam[0] * (1 - p_spam[1])
    joint_ham = 0.5 * p_ham[0] * (1 - p_ham[1])
    np.testing.assert_allclose(
        nb.predict_proba([message])[0], [joint_ham, joint_spam] / np.float64(joint_ham + joint_spam)
    )
    assert list(nb.classes_) == ["ham", "spam"] and nb.predict([message])[0] == "spam"


def test_naive_bayes_stays_finite_where_the_product_underflows():
    rng = np.random.default_rng(0)
    probs = np.where(np.arange(4000) % 2, 0.3, 0.7)
    x = (rng.random((40, 4000)) < probs).astype(float)
    y = np.repeat([0, 1], 20)
    x[y == 1] = 1 - x[y == 1]
    nb = NaiveBayes().fit(x, y)
    assert np.all(nb.joint_log_likelihood(x) < -700)  # exp() of these is 0.0
    post = nb.predict_proba(x)
    assert np.all(np.isfinite(post)) and np.allclose(post.sum(axis=1), 1.0)
    np.testing.assert_array_equal(nb.predict(x), y)


def test_naive_bayes_bad_input():
    x = np.array([[0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="16.0"):
        NaiveBayes().fit(np.array([[0.0, 16.0]]), [0])
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        NaiveBayes().fit(x, [0, 1, 1])
    with pytest.raises(ValueError, match="kind"):
        NaiveBayes("poisson")
    with pytest.raises(RuntimeError, match="fit"):
        NaiveBayes().predict(x)
    nb = NaiveBayes().fit(x, [0, 1])
    with pytest.raises(ValueError, match=r"2 features.*\(1, 3\)"):
        nb.predict([[0.0, 1.0, 1.0]])
    before = nb.params_[0].copy()
    with pytest.raises(ValueError):
        nb.fit(np.array([[0.0, 0.5], [1.0, 1.0]]), [0, 1])
    np.testing.assert_array_equal(nb.params_[0], before)  # a failed fit changes nothing


@pytest.mark.parametrize("shape", [(2.7,), (-1,), ("a",)])
def test_a_sample_shape_must_be_whole_numbers(shape):
    with pytest.raises(ValueError, match="sample shape"):
        Normal(0.0, 1.0).sample(shape)
