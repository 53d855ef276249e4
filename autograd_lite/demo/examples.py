"""The worked examples of the nine topics, each stated once: its numbers and its answer.

The nine topics (linear algebra, norms and distances, eigenvalues, derivatives,
the chain rule and backpropagation, gradients, Jacobians and Hessians, Bayes'
rule, expectation and variance, the Bernoulli and Gaussian distributions)
follow a guide to the mathematics of machine learning. Every place that shows
one of these examples reads its numbers from here: the demo, `explain_backprop`,
`examples/topic_*.py`, the notebooks, and the docs (which quote them). So no two
files can show different numbers for the same example.

Each answer is worked by hand from the topic's formula (exact where the
arithmetic is; `math` functions where it is not), never by the engine: the
engine is checked against them (tests/test_worked_examples.py). Formulas are
given as text in the language of `autograd_lite.cli.formula`, so the command
line and the demo can evaluate them.

An example is a read-only namespace: `BACKPROP.x`, `BACKPROP.dL_dw`, ...
"""

from __future__ import annotations

import math
from types import SimpleNamespace

__all__ = [
    "ALL",
    "BACKPROP",
    "BAYES",
    "BERNOULLI",
    "CHAIN",
    "COIN",
    "DENSE",
    "DERIVATIVE",
    "DISTANCES",
    "DOT",
    "EIGEN",
    "GRADIENT",
    "HESSIAN",
    "JACOBIAN",
    "MATMUL",
    "MULTIVARIATE_NORMAL",
    "NORMAL",
    "NORMS",
    "PARTIALS",
    "TWO_POINT",
    "WorkedExample",
]


class WorkedExample(SimpleNamespace):
    """One worked example: `topic` (1 to 9), `statement` (what it computes) and its numbers.

    The numbers are attributes (tuples, floats, formula strings); the object is
    read-only, so no caller can change an example for the others.
    """

    def __setattr__(self, name, value):
        raise AttributeError(f"worked examples are read-only: cannot set {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"worked examples are read-only: cannot delete {name!r}")


# ---- 1. Linear algebra ------------------------------------------------------------------

DOT = WorkedExample(
    topic=1,
    statement="a . b = sum_i a_i b_i",
    a=(1.0, 2.0, 3.0),
    b=(4.0, 5.0, 6.0),
    value=1 * 4 + 2 * 5 + 3 * 6,  # 32
)

MATMUL = WorkedExample(
    topic=1,
    statement="(AB)_ij = sum_k A_ik B_kj; AB != BA",
    A=((1.0, 2.0), (3.0, 4.0)),
    B=((5.0, 6.0), (7.0, 8.0)),
    AB=((19.0, 22.0), (43.0, 50.0)),
    BA=((23.0, 34.0), (31.0, 46.0)),
)

DENSE = WorkedExample(
    topic=1,
    statement="a dense layer z = W x + b",
    W=((0.5, -1.0), (2.0, 0.25)),
    x=(3.0, 4.0),
    b=(0.1, -0.1),
    z=(0.5 * 3 - 1.0 * 4 + 0.1, 2.0 * 3 + 0.25 * 4 - 0.1),  # (-2.4, 6.9)
)

# ---- 2. Norms and distances -------------------------------------------------------------

NORMS = WorkedExample(
    topic=2,
    statement="L2, L1 and L-infinity norms of x",
    x=(3.0, -4.0),
    l2=5.0,  # sqrt(9 + 16)
    l1=7.0,  # 3 + 4
    linf=4.0,  # max(3, 4)
)

DISTANCES = WorkedExample(
    topic=2,
    statement="Euclidean and Manhattan distance and cosine similarity of x and y",
    x=(1.0, 2.0),
    y=(4.0, 6.0),
    euclidean=5.0,  # sqrt(3^2 + 4^2)
    manhattan=7.0,  # 3 + 4
    cosine=16.0 / math.sqrt(5.0 * 52.0),  # (4 + 12) / (|x| |y|)
)

# ---- 3. Eigenvalues and eigenvectors ----------------------------------------------------

EIGEN = WorkedExample(
    topic=3,
    statement="A v = lambda v: det(A - lambda I) = (2 - lambda)^2 - 1 = 0",
    A=((2.0, 1.0), (1.0, 2.0)),
    eigenvalues=(1.0, 3.0),
    eigenvectors=((1.0, -1.0), (1.0, 1.0)),  # directions, one per eigenvalue (not normalised)
)

# ---- 4. Derivatives and partial derivatives ---------------------------------------------

DERIVATIVE = WorkedExample(
    topic=4,
    statement="f(x) = x^2, f'(x) = 2x",
    formula="x**2",
    x=3.0,
    value=9.0,
    slope=6.0,
)

PARTIALS = WorkedExample(
    topic=4,
    statement="f(x, y) = 3x^2 + 2xy: df/dx = 6x + 2y, df/dy = 2x",
    formula="3*x**2 + 2*x*y",
    at=(1.0, 2.0),  # (x, y)
    value=3 * 1**2 + 2 * 1 * 2,  # 7
    gradient=(6 * 1 + 2 * 2, 2 * 1),  # (10, 2)
)

# ---- 5. The chain rule and backpropagation ----------------------------------------------

CHAIN = WorkedExample(
    topic=5,
    statement="y = sin(x^2): dy/dx = cos(x^2) 2x",
    formula="sin(x**2)",
    x=1.5,
    value=math.sin(1.5**2),
    derivative=math.cos(1.5**2) * 2 * 1.5,
)

BACKPROP = WorkedExample(
    topic=5,
    statement=(
        "z = w . x + b, a = ReLU(z), L = (a - y)^2: "
        "dL/dw_i = dL/da da/dz dz/dw_i = 2 (a - y) 1[z > 0] x_i"
    ),
    x=(1.5, -0.5, 2.0),
    w=(0.4, -0.3, 0.25),
    b=0.1,
    y=0.2,
    z=1.35,  # 0.6 + 0.15 + 0.5 + 0.1
    a=1.35,  # z > 0: ReLU passes it
    loss=1.3225,  # 1.15^2
    dL_da=2.3,  # 2 (a - y)
    dL_dw=(3.45, -1.15, 4.6),  # 2.3 x
    dL_db=2.3,
)

# ---- 6. Gradients, Jacobians and Hessians -----------------------------------------------

GRADIENT = WorkedExample(
    topic=6,
    statement="f = x^2 + y^2: grad f = [2x, 2y]",
    formula="x**2 + y**2",
    at=(1.0, -2.0),
    gradient=(2.0, -4.0),
)

JACOBIAN = WorkedExample(
    topic=6,
    statement="f = [x^2 + y, sin(xy)]: J = [[2x, 1], [y cos(xy), x cos(xy)]]",
    formula="[x**2 + y, sin(x*y)]",
    at=(1.0, 2.0),
    value=(3.0, math.sin(2.0)),
    jacobian=((2.0, 1.0), (2 * math.cos(2.0), math.cos(2.0))),
)

HESSIAN = WorkedExample(
    topic=6,
    statement="f = x^2 + xy + y^2: H = [[2, 1], [1, 2]] everywhere",
    formula="x**2 + x*y + y**2",
    at=(0.5, -1.5),  # any point: the Hessian of a quadratic is constant
    hessian=((2.0, 1.0), (1.0, 2.0)),
)

# ---- 7. Bayes' rule ---------------------------------------------------------------------

BAYES = WorkedExample(
    topic=7,
    statement="a disease test: P(disease | positive) = P(+ | d) P(d) / P(+)",
    prevalence=0.01,  # P(disease)
    sensitivity=0.90,  # P(positive | disease)
    false_positive_rate=0.05,  # P(positive | healthy)
    evidence=0.01 * 0.90 + 0.99 * 0.05,  # P(positive) = 0.0585
    posterior=2 / 13,  # 0.009 / 0.0585
)

# ---- 8. Expectation and variance --------------------------------------------------------

COIN = WorkedExample(
    topic=8,
    statement="a coin with P(1) = 0.7: E[X] = 0 * 0.3 + 1 * 0.7",
    values=(0.0, 1.0),
    probs=(0.3, 0.7),
    mean=0.7,
)

TWO_POINT = WorkedExample(
    topic=8,
    statement="X in {1, 3} with equal probability: Var(X) = E[X^2] - E[X]^2",
    values=(1.0, 3.0),
    probs=(0.5, 0.5),
    mean=2.0,
    second_moment=5.0,
    variance=1.0,  # 5 - 4
)

# ---- 9. The Bernoulli and Gaussian distributions ----------------------------------------

BERNOULLI = WorkedExample(
    topic=9,
    statement="Bernoulli(p): P(x) = p^x (1 - p)^(1 - x), mean p, variance p (1 - p)",
    p=0.7,
    pmf=(0.3, 0.7),  # P(0), P(1)
    mean=0.7,
    variance=0.21,
)

NORMAL = WorkedExample(
    topic=9,
    statement="N(mu, sigma^2): p(x) = exp(-(x - mu)^2 / (2 sigma^2)) / sqrt(2 pi sigma^2)",
    mu=1.0,
    sigma=2.0,
    x=1.3,
    density=math.exp(-(0.3**2) / 8) / math.sqrt(8 * math.pi),
)

MULTIVARIATE_NORMAL = WorkedExample(
    topic=9,
    statement=(
        "N(mu, Sigma): p(x) = exp(-(x - mu)^T Sigma^-1 (x - mu) / 2) / sqrt((2 pi)^d |Sigma|)"
    ),
    mu=(0.0, 1.0),
    Sigma=((2.0, 0.8), (0.8, 1.0)),
    x=(0.5, -1.0),
    # (x - mu) = (0.5, -2); Sigma^-1 = [[1, -0.8], [-0.8, 2]] / 1.36; the quadratic form is
    # (0.25 + 1.6 + 8) / 1.36 = 9.85 / 1.36.
    log_density=-0.5 * 9.85 / 1.36 - 0.5 * math.log((2 * math.pi) ** 2 * 1.36),
)

#: Every example, in topic order.
ALL = (
    DOT,
    MATMUL,
    DENSE,
    NORMS,
    DISTANCES,
    EIGEN,
    DERIVATIVE,
    PARTIALS,
    CHAIN,
    BACKPROP,
    GRADIENT,
    JACOBIAN,
    HESSIAN,
    BAYES,
    COIN,
    TWO_POINT,
    BERNOULLI,
    NORMAL,
    MULTIVARIATE_NORMAL,
)
