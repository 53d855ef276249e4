"""Topic 1, linear algebra: the dot product and the matrix product, run on the engine.

Checks the seed's worked example AB = [[19, 22], [43, 50]], that BA differs
(the product does not commute), that (AB)C = A(BC), and a dense layer
z = W x + b with its gradient. Run: python examples/topic_01_linear_algebra.py
"""

import numpy as np

from autograd_lite import Tensor, linalg


def main():
    a, b = [1.0, 2.0, 3.0], [4.0, -5.0, 6.0]
    d = linalg.dot(a, b).item()
    cos = linalg.cosine_similarity(a, b).item()
    print(f"a . b = {d:g}  (= |a| |b| cos(angle), cos = {cos:.4f})")
    assert d == 12.0

    A = [[1, 2], [3, 4]]
    B = [[5, 6], [7, 8]]
    AB = linalg.matmul(A, B).numpy()
    BA = linalg.matmul(B, A).numpy()
    print(f"AB = {AB.astype(int).tolist()}")
    print(f"BA = {BA.astype(int).tolist()}  (AB != BA: the product does not commute)")
    assert AB.tolist() == [[19, 22], [43, 50]] and BA.tolist() == [[23, 34], [31, 46]]

    C = [[0, 1], [-1, 2]]
    left = linalg.matmul(AB, C).numpy()
    right = linalg.matmul(A, linalg.matmul(B, C)).numpy()
    print(f"(AB)C = {left.tolist()} = A(BC): associative")
    assert np.array_equal(left, right)

    # A dense layer z = W x + b; dz_i/dW_ij = x_j, so the gradient of sum(z) is x in every row.
    W = Tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    x = Tensor([3.0, 4.0])
    bias = Tensor([0.1, -0.1], requires_grad=True)
    z = linalg.matmul(W, x) + bias
    z.sum().backward()
    print(f"dense layer z = W x + b = {z.numpy().tolist()}")
    print(f"d sum(z) / dW = {W.grad.numpy().tolist()}  (each row is x)")
    assert np.allclose(z.numpy(), [-2.4, 6.9]) and W.grad.numpy().tolist() == [[3, 4], [3, 4]]
    print("all topic 1 checks passed")


if __name__ == "__main__":
    main()
