"""Topic 3, eigenvalues and eigenvectors: A v = lambda v, PCA, and exploding or vanishing gradients.

Checks the worked example A = [[2, 1], [1, 2]] (lambda = 1 and 3, eigenvectors
along [1, -1] and [1, 1]), finds the dominant pair by power iteration, runs
PCA on the digits images (eigenvectors of the covariance), and shows that in
a linear recurrent net the gradient over 50 steps grows or shrinks like
|lambda|^50 of the recurrent matrix. Run: python examples/topic_03_eigen.py
"""

import numpy as np
from sklearn.datasets import load_digits

from autograd_lite import Tensor, linalg
from autograd_lite.demo.examples import EIGEN


def main():
    A = np.array(EIGEN.A)
    w, V = linalg.eigh(A)
    w, V = w.numpy(), V.numpy()
    print(f"eigenvalues of {A.tolist()}: {w.tolist()}  (roots of (2 - lambda)^2 - 1 = 0)")
    assert np.allclose(w, EIGEN.eigenvalues)
    for lam, v in zip(w, V.T):
        print(
            f"  lambda = {lam:g}: v = {np.round(v, 4).tolist()}, "
            f"max |A v - lambda v| = {np.abs(A @ v - lam * v).max():.1e}"
        )
        assert np.allclose(A @ v, lam * v)
    for v, direction in zip(V.T, EIGEN.eigenvectors):  # parallel: |cos| = 1
        assert np.isclose(abs(v @ direction), np.linalg.norm(direction))

    lam, v = linalg.power_iteration(A, num_iters=50, rng=0)
    print(f"power iteration: lambda_max = {lam.item():.12f}, v = {np.round(v.numpy(), 6).tolist()}")
    assert abs(lam.item() - max(EIGEN.eigenvalues)) < 1e-12

    digits = load_digits().data  # 1797 images of 8 x 8 pixels
    pca = linalg.pca(digits, 10)
    ratio = pca.explained_variance_ratio.numpy()
    print(
        f"PCA of the digits: the first 10 components explain {ratio.sum():.1%} of the variance "
        f"(first two: {ratio[0]:.1%}, {ratio[1]:.1%})"
    )
    assert np.all(np.diff(pca.explained_variance.numpy()) <= 0) and 0.7 < ratio.sum() < 0.8

    # A linear RNN h_t = W h_{t-1}. A loss u . h_50 sends back dL/dh_0 = (W^T)^50 u; along an
    # eigenvector of W that is lambda^50 u: it explodes for |lambda| > 1 and vanishes below 1.
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    for radius in (1.1, 1.0, 0.9):
        W = Tensor(q @ np.diag([radius, 0.5, 0.3, 0.1]) @ q.T)  # symmetric, top eigenvector q[:, 0]
        top = linalg.eigh(W)[0].numpy().max()
        h0 = Tensor(rng.standard_normal(4), requires_grad=True)
        h = h0
        for _ in range(50):
            h = linalg.matmul(W, h)
        linalg.dot(h, q[:, 0]).backward()
        size = linalg.vector_norm(h0.grad).item()
        print(
            f"  top eigenvalue {top:.2f}: |dL/dh_0| after 50 steps = {size:.4g} "
            f"(lambda^50 = {top**50:.4g})"
        )
        assert np.isclose(size, radius**50, rtol=1e-9)
    print("all topic 3 checks passed")


if __name__ == "__main__":
    main()
