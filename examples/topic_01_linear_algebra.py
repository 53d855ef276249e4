"""Topic 1, linear algebra: the dot product and the matrix product, run on the engine.

Checks the worked example AB = [[19, 22], [43, 50]], that BA differs
(the product does not commute), that (AB)C = A(BC), and a dense layer
z = W x + b with its gradient. Run: python examples/topic_01_linear_algebra.py
"""

import numpy as np

from autograd_lite import Tensor, linalg
from autograd_lite.demo.examples import DENSE, DOT, MATMUL


def main():
    a, b = DOT.a, DOT.b
    d = linalg.dot(a, b).item()
    cos = linalg.cosine_similarity(a, b).item()
    print(f"a . b = {d:g}  (= |a| |b| cos(angle), cos = {cos:.4f})")
    assert d == DOT.value

    A, B = MATMUL.A, MATMUL.B
    AB = linalg.matmul(A, B).numpy()
    BA = linalg.matmul(B, A).numpy()
    print(f"AB = {AB.astype(int).tolist()}")
    print(f"BA = {BA.astype(int).tolist()}  (AB != BA: the product does not commute)")
    assert AB.tolist() == list(map(list, MATMUL.AB)) and BA.tolist() == list(map(list, MATMUL.BA))

    C = [[0, 1], [-1, 2]]
    left = linalg.matmul(AB, C).numpy()
    right = linalg.matmul(A, linalg.matmul(B, C)).numpy()
    print(f"(AB)C = {left.tolist()} = A(BC): associative")
    assert np.array_equal(left, right)

    # A dense layer z = W x + b; dz_i/dW_ij = x_j, so the gradient of sum(z) is x in every row.
    W = Tensor(DENSE.W, requires_grad=True)
    x = Tensor(DENSE.x)
    bias = Tensor(DENSE.b, requires_grad=True)
    z = linalg.matmul(W, x) + bias
    z.sum().backward()
    print(f"dense layer z = W x + b = {z.numpy().tolist()}")
    print(f"d sum(z) / dW = {W.grad.numpy().tolist()}  (each row is x)")
    assert np.allclose(z.numpy(), DENSE.z) and W.grad.numpy().tolist() == [list(DENSE.x)] * 2
    print("all topic 1 checks passed")


if __name__ == "__main__":
    main()
