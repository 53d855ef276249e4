"""Topic 4, derivatives and partial derivatives: slopes the engine computes exactly.

Checks the seed's examples: f(x) = x^2 has f'(3) = 6 (and the difference
quotient (f(3 + h) - f(3)) / h tends to it as h shrinks); f(x, y) = 3x^2 + 2xy
has df/dx = 6x + 2y and df/dy = 2x. Then walks gradient descent down x^2:
each step against the slope lowers the loss.
Run: python examples/topic_04_derivatives.py
(Uses backward() directly, then checks it against autograd_lite.grad, which does it in one call.)
"""

import itertools

from autograd_lite import Value, grad


def derivative(f, x):
    """f'(x) by one backward pass through f."""
    v = Value(x)
    f(v).backward()
    return v.grad


def main():
    def square(x):
        return x**2

    slope = derivative(square, 3.0)
    print(f"f(x) = x^2: f'(3) = {slope:g}  (2x = 6)")
    assert slope == 6.0
    for h in (1.0, 0.1, 0.01, 0.001):
        quotient = (square(3.0 + h) - square(3.0)) / h
        print(f"  (f(3 + h) - f(3)) / h with h = {h:<6g} = {quotient:.6f}   (= 6 + h)")
        assert abs(quotient - (6 + h)) < 1e-9

    x, y = Value(1.5), Value(-2.0)
    f = 3 * x**2 + 2 * x * y
    f.backward()
    print(
        f"f(x, y) = 3x^2 + 2xy at (1.5, -2): "
        f"df/dx = {x.grad:g} (6x + 2y = 5), df/dy = {y.grad:g} (2x = 3)"
    )
    assert (x.grad, y.grad) == (6 * 1.5 + 2 * -2.0, 2 * 1.5)
    by_transform = grad(lambda x, y: 3 * x**2 + 2 * x * y, argnums=(0, 1))(1.5, -2.0)
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
