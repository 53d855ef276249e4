"""Topic 5, the chain rule and backpropagation: local derivatives multiplied in reverse.

Checks the worked example y = sin(x^2), dy/dx = cos(x^2) 2x; a stack f(g(h(x)))
whose derivative is the product of the three local ones; and the backprop
example z = w . x + b, a = relu(z), L = (a - y)^2 on Tensors, where
dL/dw = dL/da da/dz dz/dw. Run: python examples/topic_05_chain_rule.py
(Uses backward() directly; autograd_lite.functional's grad() says the same in one call.)
"""

import math

import numpy as np

from autograd_lite import Tensor, Value, linalg, relu
from autograd_lite.demo.examples import BACKPROP, CHAIN


def main():
    x = Value(CHAIN.x)
    y = (x**2).sin()
    y.backward()
    by_hand = CHAIN.derivative
    print(f"y = sin(x^2) at x = {CHAIN.x:g}: engine {x.grad:.12f}, cos(x^2) 2x = {by_hand:.12f}")
    assert abs(x.grad - by_hand) < 1e-15

    # L = f(g(h(x))) with h = 3x + 1, g = tanh, f = exp: dL/dx = f'(g) g'(h) h'(x).
    x = Value(0.2)
    h = 3 * x + 1
    g = h.tanh()
    L = g.exp()
    L.backward()
    factors = (math.exp(g.data), 1 - g.data**2, 3.0)
    print(
        f"f(g(h(x))): engine {x.grad:.12f}, product of local derivatives {math.prod(factors):.12f}"
    )
    assert abs(x.grad - math.prod(factors)) < 1e-12
    # Every interior node kept its own gradient: dL/dg and dL/dh are the partial products.
    assert abs(g.grad - factors[0]) < 1e-12 and abs(h.grad - factors[0] * factors[1]) < 1e-12

    w = Tensor(BACKPROP.w, requires_grad=True)
    b = Tensor(BACKPROP.b, requires_grad=True)
    xs, target = np.array(BACKPROP.x), BACKPROP.y
    z = linalg.dot(w, xs) + b
    a = relu(z)
    loss = (a - target) ** 2
    loss.backward()
    dL_da, da_dz = 2 * (a.item() - target), float(z.item() > 0)
    print(f"backprop: z = {z.item():.4f}, a = {a.item():.4f}, L = {loss.item():.6f}")
    print(
        f"  dL/dw engine {np.round(w.grad.numpy(), 6).tolist()} "
        f"= dL/da da/dz x {np.round(dL_da * da_dz * xs, 6).tolist()}"
    )
    print(f"  dL/db engine {b.grad.item():.6f} = dL/da da/dz 1 = {dL_da * da_dz:.6f}")
    assert np.allclose(w.grad.numpy(), dL_da * da_dz * xs) and np.isclose(
        b.grad.item(), dL_da * da_dz
    )
    assert np.allclose(w.grad.numpy(), BACKPROP.dL_dw) and np.isclose(b.grad.item(), BACKPROP.dL_db)
    print("all topic 5 checks passed")


if __name__ == "__main__":
    main()
