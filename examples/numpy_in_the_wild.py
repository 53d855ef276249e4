"""Functions written for plain numpy, differentiated unchanged.

Each function below is numpy code as it is found in tutorials and papers: it imports
`numpy as np` and knows nothing of autograd_lite. Handed Tensors by `al.grad`, its numpy
calls dispatch to autograd_lite (`np.exp(t)`, `np.sum(t, axis=1)`, `X @ W`) and the
gradient comes out; a numpy function autograd_lite lacks raises a TypeError naming it
instead of returning a constant.

- `softmax_regression_loss`: multinomial logistic regression, the mean negative
  log-likelihood of the labels (Bishop, Pattern Recognition and Machine Learning, 4.3.4);
- `gaussian_nll`: the negative log-likelihood of data under N(mu, sigma^2), sigma = exp(s);
- `lennard_jones_energy`: the potential energy of a cluster of atoms (Lennard-Jones, 1924),
  whose negative gradient is the force on each atom;
- `spring_chain_energy`: a chain of masses joined by springs in a gravity field; its
  Hessian at rest is the stiffness matrix of small oscillations.

The test suite runs the same source with `autograd.numpy` (HIPS autograd) in place of
numpy and compares the gradients (tests/test_numpy_in_the_wild.py).

Run: python examples/numpy_in_the_wild.py
"""

import numpy as np


def softmax_regression_loss(W, b, X, y):
    """Mean cross-entropy of softmax(X W + b) against integer labels y (n,)."""
    logits = X @ W + b
    logits = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(y)), y])


def gaussian_nll(mu, log_sigma, x):
    """-sum_i log N(x_i; mu, exp(log_sigma)^2)."""
    sigma = np.exp(log_sigma)
    z = (x - mu) / sigma
    return np.sum(0.5 * np.log(2 * np.pi) + log_sigma + 0.5 * z**2)


def lennard_jones_energy(positions, epsilon=1.0, sigma=1.0):
    """Sum over pairs i < j of 4 eps ((sigma/r)^12 - (sigma/r)^6); positions (n, 3)."""
    i, j = np.triu_indices(len(positions), k=1)
    diff = positions[i] - positions[j]
    inv_r6 = (sigma**2 / np.sum(diff**2, axis=1)) ** 3
    return np.sum(4 * epsilon * (inv_r6**2 - inv_r6))


def spring_chain_energy(heights, stiffness=10.0, rest=1.0, mass=1.0, g=9.81):
    """Masses at `heights` (n,) hung below a fixed point at 0 by springs of rest length `rest`."""
    anchored = np.concatenate([np.zeros(1), heights])
    stretch = np.abs(np.diff(anchored)) - rest
    return 0.5 * stiffness * np.sum(stretch**2) + mass * g * np.sum(heights)


def main():
    import autograd_lite as al

    rng = np.random.default_rng(0)

    X, y = rng.normal(size=(20, 4)), rng.integers(0, 3, size=20)
    W, b = rng.normal(size=(4, 3)) * 0.1, np.zeros(3)
    dW, db = al.grad(softmax_regression_loss, argnums=(0, 1))(W, b, X, y)
    print(
        f"softmax regression: loss {softmax_regression_loss(W, b, X, y):.4f}, "
        f"|dL/dW| = {np.linalg.norm(dW):.4f}, dL/db = {np.round(db, 4)}"
    )

    data = rng.normal(2.0, 0.5, size=100)
    mu, log_sigma = 0.0, 0.0
    for _ in range(300):  # gradient descent on the likelihood: mu -> mean, sigma -> std
        dmu, ds = al.grad(gaussian_nll, argnums=(0, 1))(mu, log_sigma, data)
        mu, log_sigma = mu - 0.002 * dmu, log_sigma - 0.002 * ds
    print(
        f"gaussian fit: mu {mu:.3f} (sample mean {data.mean():.3f}), "
        f"sigma {np.exp(log_sigma):.3f} (sample std {data.std():.3f})"
    )

    atoms = np.array([[0.0, 0.0, 0.0], [1.1, 0.0, 0.0], [0.5, 1.0, 0.0], [0.5, 0.4, 0.9]])
    forces = -al.grad(lennard_jones_energy)(atoms)
    print(
        f"Lennard-Jones: energy {lennard_jones_energy(atoms):.4f}, "
        f"net force {np.round(forces.sum(axis=0), 12) + 0.0} (Newton's third law)"
    )

    # at rest spring i carries the masses below it: stretched by m g (n - i) / k
    rest = -np.cumsum(1.0 + 9.81 * np.array([3.0, 2.0, 1.0]) / 10.0)
    stiffness = al.hessian(spring_chain_energy)(rest)
    print(
        f"spring chain: gradient at rest {np.round(al.grad(spring_chain_energy)(rest), 9) + 0.0}, "
        f"stiffness eigenvalues {np.round(np.linalg.eigvalsh(stiffness), 3)}"
    )


if __name__ == "__main__":
    main()
