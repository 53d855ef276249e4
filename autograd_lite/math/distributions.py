"""Probability distributions, Bayes' rule and naive Bayes, differentiable and in log space.

Parameters and observations may be plain numbers, arrays (or lists), `Value`s
or `Tensor`s. Formulas are written with the engine's functions (`log`, `exp`,
`where`, ...), which run on whichever they get: raw numbers give raw numbers,
nodes give nodes, so `log_prob` is differentiable in the parameters and in `x`:

    >>> from autograd_lite import Value
    >>> m = Value(0.3)
    >>> Normal(m, 1.0).log_prob(0.5).backward()
    >>> round(m.grad, 12)     # d/dm log N(0.5; m, 1) = (0.5 - m) / 1
    0.2

A `Value` is a scalar: it combines with numbers and other Values; for arrays
use `Tensor`s (mixing a Value and a Tensor raises TypeError, as in the core).

Conventions (as torch.distributions): `log_prob` outside the support is -inf,
never an exception; invalid parameters (a scale <= 0, a probability outside
[0, 1], a covariance that is not symmetric positive definite, shapes that do
not fit) raise ValueError naming the offending value; `sample(shape, rng)`
returns a numpy array of shape `shape + batch_shape` and is never recorded.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..core import ops
from ..core.graph import Node, no_grad
from ..core.ops import exp, log, logsumexp, sigmoid, where
from ..core.tensor import Tensor
from .linalg import _check_symmetric, inv, logdet

__all__ = [
    "Bernoulli",
    "MultivariateNormal",
    "NaiveBayes",
    "Normal",
    "bayes_posterior",
    "expectation",
    "log_bayes_posterior",
    "variance",
]

_LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------------------------------
# Helpers: the raw data of an argument, validation, stable pieces of formulas.


def _param(x):
    """A parameter or observation ready for the engine's functions: lists become arrays."""
    if isinstance(x, (Node, numbers.Real)):
        return x
    return ops.real_array(x, "a distribution's parameter or observation")


def _data(x):
    """The numbers of x as an ndarray, for checks that are never differentiated."""
    return ops.real_array(x.data if isinstance(x, Node) else x, "a distribution's argument")


def _offender(data, bad):
    """The first offending element of `data` (where `bad`), for an error message."""
    value = data[bad].flat[0] if data.ndim else data
    return float(value)


def _batch_shape(name, *params):
    shapes = [np.shape(_data(p)) for p in params]
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ValueError(f"{name}: parameter shapes {shapes} do not broadcast") from None


def _rng(rng):
    return np.random.default_rng(rng)


def _as_shape(shape):
    """A sample shape as a tuple of ints >= 0; ValueError naming anything else (2.7, -1, 'a')."""
    dims = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 0 for n in dims
    ):
        raise ValueError(f"a sample shape needs whole numbers >= 0, got {shape!r}")
    return tuple(int(n) for n in dims)


def _xlogx(p):
    """p log p, taken as 0 at p = 0 (its limit), with no NaN in the value or the gradient."""
    return p * log(where(_data(p) > 0, p, 1.0))


def _softplus(z):
    """log(1 + e**z) without overflow: max(z, 0) + log(1 + e**-|z|).

    -|z| is written as where(z > 0, -z, z) so the derivative at z = 0 is the
    true 1/2 (with abs'(0) = 0 it would come out as 0).
    """
    positive = _data(z) > 0
    return where(positive, z, 0.0) + log(1.0 + exp(where(positive, -z, z)))


def _fill_outside(lp, inside):
    """`lp` where `inside` holds and -inf elsewhere (outside the support)."""
    if np.all(inside):
        return lp
    return where(inside, lp, -np.inf)


# ---------------------------------------------------------------------------------------
# Bernoulli


class Bernoulli:
    """A coin that shows 1 with probability p and 0 with probability 1 - p.

    Bernoulli(probs=None, logits=None): give exactly one. `probs` in [0, 1],
    or `logits` z with p = sigmoid(z), the output of a binary classifier
    (logistic regression, Bernoulli naive Bayes). Scalars or arrays (batch).
    P(X = x) = p^x (1 - p)^(1 - x) for x in {0, 1}; mean p, variance p (1 - p).
    Raises ValueError if both or neither are given, or a probability is
    outside [0, 1] (NaN included).
    """

    def __init__(self, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("Bernoulli takes exactly one of probs and logits")
        if probs is not None:
            p = _data(probs)
            bad = ~((p >= 0) & (p <= 1))
            if np.any(bad):
                raise ValueError(f"Bernoulli probs must lie in [0, 1], got {_offender(p, bad)!r}")
            self.probs = _param(probs)
            self.logits = None
        else:
            self.logits = _param(logits)
            self.probs = sigmoid(self.logits)
        self.batch_shape = np.shape(_data(self.probs))

    @property
    def mean(self):
        """E[X] = p."""
        return self.probs

    @property
    def variance(self):
        """Var(X) = p (1 - p)."""
        return self.probs * (1 - self.probs)

    def log_prob(self, x):
        """log P(X = x) = x log p + (1 - x) log(1 - p) for x in {0, 1}; -inf for any other x.

        With logits z it is computed as -softplus(-z) (x = 1) and -softplus(z)
        (x = 0), exact for any z; with probs, as log(p) or log(1 - p) (so p = 0
        gives log_prob(1) = -inf, not NaN). Shapes broadcast with batch_shape.
        """
        x = _param(x)
        xd = _data(x)
        one = xd == 1
        if self.logits is not None:
            z = self.logits
            lp = -_softplus(where(one, -z, z))
        else:
            lp = log(where(one, self.probs, 1 - self.probs))
        return _fill_outside(lp, one | (xd == 0))

    def entropy(self):
        """H = -p log p - (1 - p) log(1 - p) in nats (0 log 0 taken as 0)."""
        return -(_xlogx(self.probs) + _xlogx(1 - self.probs))

    def sample(self, shape=(), rng=None):
        """0/1 draws: float array of shape `shape + batch_shape`; rng: Generator, seed or None."""
        shape = _as_shape(shape) + self.batch_shape
        return (_rng(rng).random(shape) < _data(self.probs)).astype(float)

    def __repr__(self):
        return f"Bernoulli(probs={_data(self.probs)})"


# ---------------------------------------------------------------------------------------
# Normal


class Normal:
    """The Gaussian N(loc, scale^2): mean `loc` (mu), standard deviation `scale` (sigma > 0).

    p(x) = exp(-(x - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2). Scalars or
    arrays (a batch of independent Normals, broadcasting). Raises ValueError
    if a scale is <= 0 (or NaN) or the shapes of loc and scale do not broadcast.
    """

    def __init__(self, loc, scale):
        s = _data(scale)
        bad = ~(s > 0)
        if np.any(bad):
            raise ValueError(f"Normal scale must be > 0, got {_offender(s, bad)!r}")
        self.batch_shape = _batch_shape("Normal", loc, scale)
        self.loc = _param(loc)
        self.scale = _param(scale)

    @property
    def mean(self):
        """E[X] = mu."""
        return self.loc

    @property
    def stddev(self):
        """sigma."""
        return self.scale

    @property
    def variance(self):
        """Var(X) = sigma^2."""
        return self.scale * self.scale

    def log_prob(self, x):
        """log p(x) = -(x - mu)^2 / (2 sigma^2) - log sigma - log(2 pi) / 2 (every real x)."""
        x = _param(x)
        z = (x - self.loc) / self.scale
        return -0.5 * (z * z) - log(self.scale) - 0.5 * _LOG_2PI

    def entropy(self):
        """H = 1/2 + log(2 pi)/2 + log sigma, in nats."""
        return log(self.scale) + 0.5 * (1.0 + _LOG_2PI)

    def rsample(self, shape=(), rng=None):
        """A differentiable draw mu + sigma eps with eps ~ N(0, 1) (the reparameterisation trick).

        Shape `shape + batch_shape`; gradients reach loc and scale (a VAE's sampling step).
        """
        shape = _as_shape(shape) + self.batch_shape
        eps = _rng(rng).standard_normal(shape)
        return self.loc + self.scale * (float(eps) if eps.ndim == 0 else eps)

    def sample(self, shape=(), rng=None):
        """Draws as a numpy array of shape `shape + batch_shape` (not recorded)."""
        with no_grad():
            return _data(self.rsample(shape, rng))

    def __repr__(self):
        return f"Normal(loc={_data(self.loc)}, scale={_data(self.scale)})"


# ---------------------------------------------------------------------------------------
# Multivariate normal


class MultivariateNormal:
    """The Gaussian in d dimensions, N(mu, Sigma).

    p(x) = exp(-(x - mu)^T Sigma^-1 (x - mu) / 2) / sqrt((2 pi)^d |Sigma|).
    loc: (d,); covariance_matrix: (d, d), symmetric positive definite; arrays
    or Tensors. Sigma^-1 and log |Sigma| come from `linalg.inv` and
    `linalg.logdet`, so log_prob is differentiable in x, loc and
    covariance_matrix (the gradient in Sigma is the symmetric
    (Sigma^-1 d d^T Sigma^-1 - Sigma^-1) / 2, d = x - mu). Results are Tensors.
    Raises ValueError naming the shapes if they do not fit, the entries if
    Sigma is not symmetric, and the smallest eigenvalue if it is not > 0.
    """

    def __init__(self, loc, covariance_matrix):
        for name, p in (("loc", loc), ("covariance_matrix", covariance_matrix)):
            if isinstance(p, Node) and not isinstance(p, Tensor):
                raise TypeError(
                    f"MultivariateNormal {name} must be an array or a Tensor, got a Value"
                )
        mu, cov = _data(loc), _data(covariance_matrix)
        if mu.ndim != 1 or cov.shape != mu.shape * 2:
            raise ValueError(
                "MultivariateNormal needs loc of shape (d,) and covariance_matrix of shape (d, d); "
                f"got {mu.shape} and {cov.shape}"
            )
        _check_symmetric(cov, "MultivariateNormal covariance_matrix")
        smallest = float(np.linalg.eigvalsh(cov)[0])
        if not smallest > 0:
            raise ValueError(
                "MultivariateNormal covariance_matrix must be positive definite, but its smallest "
                f"eigenvalue is {smallest!r}"
            )
        self.loc = _param(loc)
        self.covariance_matrix = _param(covariance_matrix)
        self.dim = mu.shape[0]
        self.batch_shape = ()
        self._precision = inv(self.covariance_matrix)  # Sigma^-1
        self._log_det = logdet(self.covariance_matrix)

    @property
    def mean(self):
        """E[X] = mu, shape (d,)."""
        return self.loc

    @property
    def variance(self):
        """The variances of the coordinates: the diagonal of Sigma, shape (d,)."""
        n = self.dim
        return ops.reshape(self.covariance_matrix, (n * n,))[:: n + 1]

    def log_prob(self, x):
        """log p(x) for x of shape (..., d): -(d^T Sigma^-1 d + log|Sigma| + d log 2 pi) / 2.

        d = x - mu is the deviation; d^T Sigma^-1 d is the squared Mahalanobis
        distance. Returns shape (...). Raises ValueError naming x's shape if its
        last axis is not d.
        """
        x = _param(x)
        if isinstance(x, Node) and not isinstance(x, Tensor):
            raise TypeError("MultivariateNormal.log_prob takes an array or a Tensor, got a Value")
        if np.shape(_data(x))[-1:] != (self.dim,):
            raise ValueError(
                f"MultivariateNormal.log_prob: x must have shape (..., {self.dim}), "
                f"got {np.shape(_data(x))}"
            )
        dev = x - self.loc
        maha = ops.sum(ops.matmul(dev, self._precision) * dev, axis=-1)
        return -0.5 * (maha + self._log_det + self.dim * _LOG_2PI)

    def entropy(self):
        """H = d (1 + log 2 pi) / 2 + log|Sigma| / 2, in nats."""
        return 0.5 * self._log_det + 0.5 * self.dim * (1.0 + _LOG_2PI)

    def sample(self, shape=(), rng=None):
        """Draws mu + L eps, Sigma = L L^T (Cholesky), eps ~ N(0, I): an array `shape + (d,)`."""
        eps = _rng(rng).standard_normal(_as_shape(shape) + (self.dim,))
        chol = np.linalg.cholesky(_data(self.covariance_matrix))
        return _data(self.loc) + eps @ chol.T

    def __repr__(self):
        return f"MultivariateNormal(loc={_data(self.loc)}, covariance_matrix=...)"


# ---------------------------------------------------------------------------------------
# Bayes' rule, expectation, variance


def _check_probs(name, p, total=True, axis=-1):
    """ValueError unless p lies in [0, 1] (and, if `total`, sums to 1 along `axis`)."""
    d = _data(p)
    bad = ~((d >= 0) & (d <= 1))
    if np.any(bad):
        raise ValueError(f"{name} must be probabilities in [0, 1], got {_offender(d, bad)!r}")
    if total and d.ndim:
        sums = np.sum(d, axis=axis)
        off = ~np.isclose(sums, 1.0, rtol=0, atol=1e-6)
        if np.any(off):
            raise ValueError(f"{name} must sum to 1, but sums to {_offender(sums, off)!r}")


def log_bayes_posterior(log_prior, log_likelihood, axis=-1):
    """log P(cause | evidence) over a discrete set of causes, all in log space.

    log_prior: (k,) log P(cause); log_likelihood: (..., k) log P(evidence | cause),
    shapes broadcasting, the causes along `axis`. Returns (..., k):
        log P(c | e) = log P(e | c) + log P(c) - logsumexp_c'(log P(e | c') + log P(c')),
    where the logsumexp is log P(e), the evidence. Nothing is exponentiated
    before the normalisation, so likelihoods like 1e-400 (the product of many
    small factors in naive Bayes) do not underflow. Raises ValueError if the
    evidence is zero (no cause can explain it).
    """
    joint = _param(log_likelihood) + _param(log_prior)
    evidence = logsumexp(joint, axis=axis, keepdims=True)
    if np.any(_data(evidence) == -np.inf):
        raise ValueError("bayes_posterior: the evidence is 0: every cause gives it likelihood 0")
    return joint - evidence


def bayes_posterior(prior, likelihood, axis=-1):
    """P(cause | evidence) = P(evidence | cause) P(cause) / P(evidence), over k causes.

    prior: (k,) probabilities summing to 1; likelihood: (..., k) values of
    P(evidence | cause) for each cause (densities >= 0 are fine too). Computed
    in log space (see `log_bayes_posterior`) and exponentiated at the end; the
    result sums to 1 along `axis`. Differentiable in both. Raises ValueError
    for a prior outside [0, 1] or not summing to 1, a negative likelihood, or
    zero evidence.
    """
    _check_probs("prior", prior)
    lik = _data(likelihood)
    if np.any(~(lik >= 0)):
        raise ValueError(f"likelihood must be >= 0, got {_offender(lik, ~(lik >= 0))!r}")
    return exp(log_bayes_posterior(log(_param(prior)), log(_param(likelihood)), axis))


def _values_and_probs(values, probs, axis):
    values, probs = _param(values), _param(probs)
    vs, ps = np.shape(_data(values)), np.shape(_data(probs))
    if vs != ps:
        raise ValueError(f"values and probs must have the same shape, got {vs} and {ps}")
    _check_probs("probs", probs, axis=axis)
    return values, probs


def expectation(values, probs, axis=-1):
    """E[X] = sum_i x_i P(x_i) over a discrete distribution along `axis`.

    values, probs: the same shape; probs in [0, 1] summing to 1. Differentiable
    in both. Raises ValueError for mismatched shapes or invalid probabilities.
    """
    values, probs = _values_and_probs(values, probs, axis)
    return ops.sum(values * probs, axis=axis)


def variance(values, probs, axis=-1):
    """Var(X) = E[(X - E[X])^2] = sum_i (x_i - mu)^2 P(x_i) along `axis`.

    Computed from deviations (not E[X^2] - E[X]^2, which cancels badly when the
    mean is large). Same arguments and errors as `expectation`.
    """
    values, probs = _values_and_probs(values, probs, axis)
    mu = ops.sum(values * probs, axis=axis, keepdims=True)
    dev = values - mu
    return ops.sum(dev * dev * probs, axis=axis)


# ---------------------------------------------------------------------------------------
# Naive Bayes


class NaiveBayes:
    """A naive Bayes classifier: P(y | x) proportional to P(y) prod_j P(x_j | y), in log space.

    kind="bernoulli": binary features, P(x_j | y) = Bernoulli(p_yj), with p_yj
    estimated as (count of x_j = 1 in class y + alpha) / (class size + 2 alpha)
    (Laplace smoothing; alpha=1 as sklearn's BernoulliNB).
    kind="gaussian": real features, P(x_j | y) = Normal(mean_yj, var_yj), with
    var_smoothing times the largest feature variance added to every variance
    (as sklearn's GaussianNB) so that constant pixels do not give sigma = 0.

    The log likelihoods come from this module's `Bernoulli` and `Normal`, and
    the posterior from `log_bayes_posterior`: sums of logs, never a product of
    hundreds of small probabilities. Works on numpy data (nothing is recorded).
    """

    def __init__(self, kind="bernoulli", alpha=1.0, var_smoothing=1e-9):
        if kind not in ("bernoulli", "gaussian"):
            raise ValueError(f"NaiveBayes kind must be 'bernoulli' or 'gaussian', got {kind!r}")
        if kind == "bernoulli" and not alpha > 0:
            raise ValueError(f"NaiveBayes alpha must be > 0, got {alpha!r}")
        if kind == "gaussian" and not var_smoothing > 0:
            raise ValueError(f"NaiveBayes var_smoothing must be > 0, got {var_smoothing!r}")
        self.kind = kind
        self.alpha = float(alpha)
        self.var_smoothing = float(var_smoothing)
        self.classes_ = None

    def _check_x(self, x, fitting):
        x = _data(x)
        if x.ndim != 2:
            raise ValueError(f"NaiveBayes needs X of shape (n_samples, n_features), got {x.shape}")
        if not fitting and x.shape[1] != self.n_features_:
            raise ValueError(
                f"NaiveBayes was fitted on {self.n_features_} features, got X of shape {x.shape}"
            )
        if self.kind == "bernoulli":
            bad = (x != 0) & (x != 1)
            if np.any(bad):
                raise ValueError(
                    "Bernoulli naive Bayes needs binary features (0 or 1); got "
                    f"{_offender(x, bad)!r} (binarise first, e.g. X > threshold)"
                )
        return x

    def fit(self, x, y):
        """Estimate the class priors and the per-class feature distributions.

        x: (n, d) features; y: (n,) labels (any sortable values). Returns self.
        Raises ValueError for mismatched shapes or non-binary features (bernoulli).
        Nothing is changed when it raises.
        """
        x = self._check_x(x, fitting=True)
        y = np.asarray(y)
        if y.shape != (x.shape[0],):
            raise ValueError(f"NaiveBayes: y must have shape ({x.shape[0]},), got {y.shape}")
        classes, index = np.unique(y, return_inverse=True)
        counts = np.bincount(index, minlength=len(classes)).astype(float)
        onehot = np.eye(len(classes))[index]  # (n, k)
        sums = onehot.T @ x  # (k, d)
        if self.kind == "bernoulli":
            params = ((sums + self.alpha) / (counts[:, None] + 2 * self.alpha),)
        else:
            means = sums / counts[:, None]
            var = onehot.T @ (x - means[index]) ** 2 / counts[:, None]
            floor = self.var_smoothing * max(float(np.var(x, axis=0).max()), 1e-300)
            params = (means, var + floor)
        self.classes_ = classes
        self.class_log_prior_ = np.log(counts / counts.sum())
        self.n_features_ = x.shape[1]
        self.params_ = params
        return self

    def _feature_model(self):
        if self.kind == "bernoulli":
            return Bernoulli(probs=self.params_[0])
        means, var = self.params_
        return Normal(means, np.sqrt(var))

    def joint_log_likelihood(self, x):
        """log P(y) + sum_j log P(x_j | y) for every sample and class: shape (n, k)."""
        if self.classes_ is None:
            raise RuntimeError("NaiveBayes: call fit(X, y) before predicting")
        x = self._check_x(x, fitting=False)
        per_feature = self._feature_model().log_prob(x[:, None, :])  # (n, k, d)
        return per_feature.sum(axis=-1) + self.class_log_prior_

    def predict_log_proba(self, x):
        """log P(y | x) for every sample and class, shape (n, k), columns as `classes_`."""
        return log_bayes_posterior(0.0, self.joint_log_likelihood(x))

    def predict_proba(self, x):
        """P(y | x), shape (n, k); rows sum to 1."""
        return np.exp(self.predict_log_proba(x))

    def predict(self, x):
        """The most probable class of each row of x, shape (n,)."""
        return self.classes_[np.argmax(self.joint_log_likelihood(x), axis=1)]

    def score(self, x, y):
        """Accuracy: the fraction of rows whose predicted class equals y."""
        return float(np.mean(self.predict(x) == np.asarray(y)))
