"""Topic 4, derivatives and partial derivatives: slopes the engine computes exactly.

Checks the worked examples: f(x) = x^2 has f'(3) = 6 (and the difference
quotient (f(3 + h) - f(3)) / h tends to it as h shrinks); f(x, y) = 3x^2 + 2xy
has df/dx = 6x + 2y and df/dy = 2x. Then walks gradient descent down x^2:
each step against the slope lowers the loss.
Run: python examples/topic_04_derivatives.py
(Uses backward() directly, then checks it against autograd_lite.grad, which does it in one call.)
"""

import itertools

from autograd_lite import Value, grad
from autograd_lite.demo.examples import DERIVATIVE, PARTIALS


def derivative(f, x):
    """f'(x) by one backward pass through f."""
    v = Value(x)
    f(v).backward()
    return v.grad


def main():
    def square(x):
        return x**2

    x0 = DERIVATIVE.x
    slope = derivative(square, x0)
    print(f"f(x) = x^2: f'({x0:g}) = {slope:g}  (2x = {2 * x0:g})")
    assert slope == DERIVATIVE.slope
    for h in (1.0, 0.1, 0.01, 0.001):
        quotient = (square(x0 + h) - square(x0)) / h
        print(f"  (f({x0:g} + h) - f({x0:g})) / h with h = {h:<6g} = {quotient:.6f}   (= 6 + h)")
        assert abs(quotient - (DERIVATIVE.slope + h)) < 1e-9  # (x + h)^2 - x^2 = (2x + h) h

    (x0, y0), (dx, dy) = PARTIALS.at, PARTIALS.gradient
    x, y = Value(x0), Value(y0)
    f = 3 * x**2 + 2 * x * y
    f.backward()
    print(
        f"f(x, y) = 3x^2 + 2xy at ({x0:g}, {y0:g}): "
        f"df/dx = {x.grad:g} (6x + 2y = {dx:g}), df/dy = {y.grad:g} (2x = {dy:g})"
    )
    assert (x.grad, y.grad) == PARTIALS.gradient
    by_transform = grad(lambda x, y: 3 * x**2 + 2 * x * y, argnums=(0, 1))(x0, y0)
    print(f"  the same with autograd_lite.grad(f, argnums=(0, 1)): {by_transform}")
    assert by_transform == (x.grad, y.grad)

    # Gradient descent on x^2 from x = 3 with step 0.1: x <- x - 0.1 f'(x) = 0.8 x.
    x, losses = 3.0, []
    for _ in range(10):
        losses.append(x**2)
        x -= 0.1 * derivative(square, x)
    print("gradient descent on x^2: " + ", ".join(f"{loss:.3f}" for loss in losses))
    assert all(a > b for a, b in itertools.pairwise(losses)) and abs(x - 3 * 0.8**10) < 1e-12
    print("all topic 4 checks passed")


if __name__ == "__main__":
    main()
