"""Topic 6, gradients, Jacobians and Hessians, by reverse mode.

Checks the worked examples: the gradient of x^2 + y^2 is [2x, 2y] (and points
uphill); the Jacobian of [x^2 + y, sin(xy)] is [[2x, 1], [y cos(xy), x cos(xy)]],
one backward pass per output row; the Hessian of x^2 + xy + y^2 is
[[2, 1], [1, 2]], from differentiating the gradient again (create_graph=True).
Its eigenvalues 1 and 3 are positive (a bowl); x^2 - y^2 has -2 and 2 (a saddle).
Run: python examples/topic_06_gradients_jacobians_hessians.py
(Builds them from backward() to show how, then checks against autograd_lite.jacobian and hessian.)
"""

import numpy as np

import autograd_lite as al
from autograd_lite import Tensor, linalg, sin, stack
from autograd_lite.demo.examples import GRADIENT, HESSIAN, JACOBIAN


def jacobian_rows(f, point):
    """The Jacobian of f: R^n -> R^m at `point`, one reverse pass (vjp with e_i) per output."""
    x = Tensor(point, requires_grad=True)
    out = f(x)
    rows = []
    for i in range(len(out)):
        x.grad = None
        out[i].backward()  # the graph is kept, so it can be swept once per row
        rows.append(x.grad.numpy())
    return np.array(rows)


def hessian(f, point):
    """The Hessian of f: R^n -> R at `point`: the Jacobian of the gradient."""
    x = Tensor(point, requires_grad=True)
    f(x).backward(create_graph=True)
    grad = x.grad
    rows = []
    for i in range(len(point)):
        x.grad = None
        grad[i].backward()
        rows.append(x.grad.numpy())
    return np.array(rows)


def main():
    p = Tensor(GRADIENT.at, requires_grad=True)
    (p[0] ** 2 + p[1] ** 2).backward()
    at = ", ".join(f"{v:g}" for v in GRADIENT.at)
    print(f"gradient of x^2 + y^2 at ({at}): {p.grad.numpy().tolist()}  ([2x, 2y])")
    assert p.grad.numpy().tolist() == list(GRADIENT.gradient)
    step = p.numpy() - 0.1 * p.grad.numpy()
    assert (step**2).sum() < (p.numpy() ** 2).sum()  # a step against the gradient goes downhill

    def f(v):
        x, y = v[0], v[1]
        return stack([x**2 + y, sin(x * y)])

    x, y = JACOBIAN.at
    J = jacobian_rows(f, [x, y])
    print(f"Jacobian of [x^2 + y, sin(xy)] at ({x:g}, {y:g}): {np.round(J, 6).tolist()}")
    assert np.allclose(J, JACOBIAN.jacobian, rtol=1e-15, atol=0)
    assert np.array_equal(al.jacobian(f)(np.array([x, y])), J)  # the transform: the same rows

    H = hessian(lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2, HESSIAN.at)
    print(f"Hessian of x^2 + xy + y^2: {H.tolist()}")
    assert H.tolist() == list(map(list, HESSIAN.hessian))
    assert (
        al.hessian(lambda v: v[0] ** 2 + v[0] * v[1] + v[1] ** 2)(HESSIAN.at).tolist() == H.tolist()
    )
    bowl = linalg.eigh(H)[0].numpy()
    saddle = linalg.eigh(hessian(lambda v: v[0] ** 2 - v[1] ** 2, HESSIAN.at))[0].numpy()
    print(
        f"Hessian eigenvalues: bowl {bowl.tolist()} (all > 0, a minimum); "
        f"saddle {saddle.tolist()} (mixed signs)"
    )
    assert np.allclose(bowl, [1, 3]) and np.allclose(saddle, [-2, 2])
    print("all topic 6 checks passed")


if __name__ == "__main__":
    main()
