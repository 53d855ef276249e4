"""Topic 2, norms and distances: L1, L2, L-infinity, and the distances built on them.

Checks the worked example (x = [3, -4] has norms 5, 7 and 4), the unit balls
(a diamond, a circle and a square: their corners and edges have norm 1), the
distances, cosine similarity (0 for a zero vector, never NaN), and the
gradients of the L2 and L1 penalties used in ridge and lasso.
Run: python examples/topic_02_norms_distances.py
"""

import numpy as np

from autograd_lite import Tensor, linalg
from autograd_lite.demo.examples import DISTANCES, NORMS


def main():
    x = list(NORMS.x)
    l2, l1, linf = (linalg.vector_norm(x, o).item() for o in (2, 1, np.inf))
    print(f"x = {x}: L2 = {l2:g}, L1 = {l1:g}, L-inf = {linf:g}")
    assert (l2, l1, linf) == (NORMS.l2, NORMS.l1, NORMS.linf)

    # Points on each unit ball: the L1 ball is a diamond, L2 a circle, L-inf a square.
    angles = np.linspace(0, 2 * np.pi, 9)[:-1]
    circle = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    balls = {
        1: circle / np.abs(circle).sum(1, keepdims=True),
        2: circle,
        np.inf: circle / np.abs(circle).max(1, keepdims=True),
    }
    for order, points in balls.items():
        norms = linalg.vector_norm(points, order, axis=1).numpy()
        assert np.allclose(norms, 1.0)
    print("8 points on each unit ball (diamond, circle, square) all have norm 1")

    p, q = list(DISTANCES.x), list(DISTANCES.y)
    e, m = linalg.euclidean_distance(p, q).item(), linalg.manhattan_distance(p, q).item()
    cos = linalg.cosine_similarity(p, q).item()
    print(f"from {p} to {q}: Euclidean {e:g}, Manhattan {m:g}, cosine similarity {cos:.6f}")
    assert (e, m) == (DISTANCES.euclidean, DISTANCES.manhattan)
    assert abs(cos - DISTANCES.cosine) < 1e-15
    zero = linalg.cosine_similarity([0.0, 0.0], q).item()
    print(f"cosine similarity with a zero vector = {zero} (defined as 0, never NaN)")
    assert zero == 0.0

    # Regularisation: d/dw lambda ||w||_2^2 = 2 lambda w (ridge);
    # d/dw lambda ||w||_1 = lambda sign(w) (lasso).
    w = Tensor([0.5, -2.0, 0.0], requires_grad=True)
    lam = 0.1
    (lam * linalg.vector_norm(w) ** 2).backward()
    ridge = w.grad.numpy().copy()
    w.zero_grad()
    (lam * linalg.vector_norm(w, 1)).backward()
    print(
        f"ridge gradient 2 lambda w = {ridge.tolist()}; "
        f"lasso gradient lambda sign(w) = {w.grad.numpy().tolist()}"
    )
    assert np.allclose(ridge, [0.1, -0.4, 0.0]) and np.allclose(w.grad.numpy(), [0.1, -0.1, 0.0])
    print("all topic 2 checks passed")


if __name__ == "__main__":
    main()
