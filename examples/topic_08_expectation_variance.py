"""Topic 8, expectation and variance: the centre of a distribution and its spread.

Checks the worked examples (a coin with P(1) = 0.7 has E[X] = 0.7; X in {1, 3}
with equal probability has E[X] = 2 and Var(X) = 5 - 4 = 1), compares a
narrow and a wide distribution with the same mean, and checks that sample
averages of Normal draws approach the mean and variance.
Run: python examples/topic_08_expectation_variance.py
"""

import numpy as np
from autograd_lite.distributions import Normal, expectation, variance

from autograd_lite import Tensor
from autograd_lite.demo.examples import COIN, TWO_POINT


def main():
    coin = expectation(COIN.values, COIN.probs)
    print(f"coin with P(1) = 0.7: E[X] = 0 * 0.3 + 1 * 0.7 = {coin:g}")
    assert coin == COIN.mean

    values, probs = TWO_POINT.values, TWO_POINT.probs
    mean, var = expectation(values, probs), variance(values, probs)
    second = expectation(np.square(values), probs)
    print(
        f"X in {{1, 3}}: E[X] = {mean:g}, E[X^2] = {second:g}, "
        f"Var = E[X^2] - E[X]^2 = {second:g} - {mean**2:g} = {var:g}"
    )
    assert (mean, second, var) == (TWO_POINT.mean, TWO_POINT.second_moment, TWO_POINT.variance)

    support = np.arange(-3, 4)
    narrow = np.array([0, 0, 1, 8, 1, 0, 0]) / 10
    wide = np.array([1, 1, 1, 4, 1, 1, 1]) / 10
    for name, p in (("narrow", narrow), ("wide", wide)):
        m, v = expectation(support, p), variance(support, p)
        print(
            f"  {name:6} distribution: mean {m:.3f}, variance {v:.3f}, "
            f"one-sigma band [{m - v**0.5:.3f}, {m + v**0.5:.3f}]"
        )
    assert variance(support, wide) > variance(support, narrow)

    # The expectation is differentiable in the probabilities: dE/dp_i = x_i.
    p = Tensor([0.25, 0.25, 0.5], requires_grad=True)
    expectation([1.0, 2.0, 10.0], p).backward()
    print(f"d E[X] / d p = {p.grad.numpy().tolist()}  (the values)")
    assert p.grad.numpy().tolist() == [1.0, 2.0, 10.0]

    draws = Normal(5.0, 2.0).sample((100000,), rng=0)
    print(
        f"100000 draws of N(5, 2^2): sample mean {draws.mean():.3f}, "
        f"sample variance {draws.var():.3f}"
    )
    assert abs(draws.mean() - 5.0) < 0.03 and abs(draws.var() - 4.0) < 0.06
    print("all topic 8 checks passed")


if __name__ == "__main__":
    main()
