"""The backprop example on scalar Values: z = w.x + b, a = relu(z), L = (a - y)^2.

The engine's gradients dL/dw_i and dL/db are printed next to the chain rule
worked by hand: dL/dw_i = dL/da * da/dz * dz/dw_i, with dL/da = 2 (a - y),
da/dz = 1 if z > 0 else 0, dz/dw_i = x_i and dz/db = 1.

Then the same example built from `nn.Linear`, `nn.ReLU` and `nn.MSELoss`
(z = W x + b with W of shape (1, 3)): `explain_backprop` prints each
chain-rule factor, their product, the engine's gradient and a central
finite-difference estimate side by side. The numbers are those of
`autograd_lite.demo.examples.BACKPROP`.
"""

from autograd_lite import Value
from autograd_lite.demo.examples import BACKPROP
from autograd_lite.demo.explain import explain_backprop


def main():
    x, y = BACKPROP.x, BACKPROP.y
    w = [Value(wi, label=f"w{i}") for i, wi in enumerate(BACKPROP.w)]
    b = Value(BACKPROP.b, label="b")

    z = sum((wi * xi for wi, xi in zip(w, x)), b)
    a = z.relu()
    loss = (a - y) ** 2
    loss.backward()

    dL_da = 2 * (a.data - y)
    da_dz = 1.0 if z.data > 0 else 0.0
    print(f"z = {z.data:.6g}, a = relu(z) = {a.data:.6g}, L = (a - y)^2 = {loss.data:.6g}")
    print(f"dL/da = 2(a - y) = {dL_da:.6g};  da/dz = {da_dz:g}")
    print(f"{'param':8}{'by hand':>20}{'engine':>14}{'agree':>8}")
    rows = [(f"w{i}", xi, wi.grad) for i, (wi, xi) in enumerate(zip(w, x))] + [("b", 1.0, b.grad)]
    for name, dz, engine in rows:
        by_hand = dL_da * da_dz * dz
        print(f"{name:8}{by_hand:>20.10g}{engine:>14.10g}{abs(by_hand - engine) < 1e-12!s:>8}")

    print("\nThe same chain rule for a layer built from nn.Linear, nn.ReLU and nn.MSELoss:")
    explain_backprop()


if __name__ == "__main__":
    main()
