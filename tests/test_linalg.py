"""autograd_lite.linalg: the worked examples, gradients against finite differences, errors.

The gradient checks use `central_difference` below, a small stand-in until
`autograd_lite.gradcheck` (being built on another branch) lands on main.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd_lite import Tensor, Value, linalg
from autograd_lite import sum as tsum


def central_difference(f, x, eps=1e-6):
    """d f / d x by central differences, element by element: f maps an ndarray to a float."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def engine_grad(f, x):
    """d f / d x by the engine: f maps a Tensor to a one-element Tensor."""
    t = Tensor(x, requires_grad=True)
    f(t).backward()
    return t.grad.numpy()


def assert_gradcheck(f, x, atol=1e-6, rtol=1e-5):
    """The engine's gradient of f at x equals central differences of f's forward."""
    numeric = central_difference(lambda a: f(Tensor(a)).item(), x)
    np.testing.assert_allclose(engine_grad(f, x), numeric, atol=atol, rtol=rtol)


def sym(t):
    """(X + X^T) / 2 over the last two axes: exactly symmetric, so eigh accepts it for any X."""
    return (t + t.swapaxes(-1, -2)) * 0.5


# No magnitudes below 1e-100: squaring them underflows, so their 2-norm is 0 (in numpy too).
finite = st.floats(-10, 10).filter(lambda v: v == 0 or abs(v) > 1e-100)
vectors = hnp.arrays(np.float64, st.integers(1, 6), elements=finite)


# ---------------------------------------------------------------------------------------
# Topic 1: dot product and matrix multiplication

A = [[1, 2], [3, 4]]
B = [[5, 6], [7, 8]]


def test_worked_example_matrix_product_and_not_commutative():
    np.testing.assert_array_equal(linalg.matmul(A, B).numpy(), [[19, 22], [43, 50]])
    np.testing.assert_array_equal(linalg.matmul(B, A).numpy(), [[23, 34], [31, 46]])


def test_matrix_product_is_associative():
    C = [[0, 1], [-1, 2]]
    left = linalg.matmul(linalg.matmul(A, B), C)
    right = linalg.matmul(A, linalg.matmul(B, C))
    np.testing.assert_array_equal(left.numpy(), right.numpy())


def test_matmul_gradients_are_g_bt_and_at_g():
    a = Tensor(A, requires_grad=True)
    b = Tensor(B, requires_grad=True)
    linalg.matmul(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones((2, 2)) @ np.array(B).T)
    np.testing.assert_array_equal(b.grad.numpy(), np.array(A).T @ np.ones((2, 2)))


def test_dense_layer_is_w_x_plus_b():
    W = Tensor([[1.0, -1.0], [2.0, 0.5]], requires_grad=True)
    x = Tensor([3.0, 4.0])
    z = linalg.matmul(W, x) + Tensor([0.5, -0.5])
    np.testing.assert_array_equal(z.numpy(), [-0.5, 7.5])
    z.sum().backward()
    np.testing.assert_array_equal(W.grad.numpy(), [[3, 4], [3, 4]])


def test_dot_value_and_gradients():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([4.0, -5.0, 6.0], requires_grad=True)
    d = linalg.dot(a, b)
    assert d.shape == () and d.item() == 12.0
    d.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4, -5, 6])
    np.testing.assert_array_equal(b.grad.numpy(), [1, 2, 3])


def test_outer_and_hadamard():
    np.testing.assert_array_equal(linalg.outer([1, 2], [3, 4, 5]).numpy(), [[3, 4, 5], [6, 8, 10]])
    np.testing.assert_array_equal(linalg.hadamard(A, B).numpy(), [[5, 12], [21, 32]])
    assert_gradcheck(lambda t: tsum(linalg.hadamard(t, t * t)), np.array([[0.5, -1.0], [2.0, 3.0]]))


@pytest.mark.parametrize(
    "call, shapes",
    [
        (lambda: linalg.dot([1, 2, 3], [1, 2]), "(3,) and (2,)"),
        (lambda: linalg.dot(A, B), "(2, 2) and (2, 2)"),
        (lambda: linalg.outer(A, [1, 2]), "(2, 2) and (2,)"),
        (lambda: linalg.hadamard([1, 2, 3], A), "(3,) and (2, 2)"),
        (lambda: linalg.matmul([1, 2, 3], A), "(3,) and (2, 2)"),
        (lambda: linalg.euclidean_distance([1, 2, 3], [1, 2]), "(3,) and (2,)"),
        (lambda: linalg.cosine_similarity([[1, 2, 3]], [1, 2]), "(1, 3) and (2,)"),
    ],
)
def test_shape_mismatch_names_both_shapes(call, shapes):
    with pytest.raises(ValueError, match=rf"{shapes}".replace("(", r"\(").replace(")", r"\)")):
        call()


def test_value_input_is_a_type_error():
    with pytest.raises(TypeError, match="Value"):
        linalg.dot(Value(1.0), [1.0])


# ---------------------------------------------------------------------------------------
# Topic 2: norms and distances


def test_worked_example_norms_of_3_minus_4():
    x = [3, -4]
    assert linalg.vector_norm(x).item() == 5.0
    assert linalg.vector_norm(x, ord=1).item() == 7.0
    assert linalg.vector_norm(x, ord=np.inf).item() == 4.0


def test_norm_gradients():
    assert_gradcheck(lambda t: linalg.vector_norm(t), np.array([3.0, -4.0]))
    np.testing.assert_array_equal(
        engine_grad(lambda t: linalg.vector_norm(t, 1), [3.0, -4.0]), [1, -1]
    )
    np.testing.assert_array_equal(
        engine_grad(lambda t: linalg.vector_norm(t, np.inf), [3.0, -4.0]), [0, -1]
    )
    # At 0 the 2-norm has no derivative; like PyTorch we return 0, never NaN.
    np.testing.assert_array_equal(engine_grad(lambda t: linalg.vector_norm(t), [0.0, 0.0]), [0, 0])


def test_norm_along_an_axis():
    x = [[3, -4], [6, 8]]
    np.testing.assert_array_equal(linalg.vector_norm(x, axis=1).numpy(), [5, 10])
    np.testing.assert_array_equal(linalg.vector_norm(x, ord=1, axis=0).numpy(), [9, 12])
    assert linalg.vector_norm(x, axis=1, keepdims=True).shape == (2, 1)


@pytest.mark.parametrize("ord_", ["fro", "nuc", None, True, "x"])
def test_unknown_ord_is_named(ord_):
    if ord_ is None:  # None is the 2-norm (numpy's default)
        assert linalg.vector_norm([3.0, 4.0], ord=ord_).item() == 5.0
        return
    with pytest.raises(ValueError, match=repr(ord_)):
        linalg.vector_norm([1.0, 2.0], ord=ord_)


@settings(max_examples=60, deadline=None)
@given(vectors)
def test_norms_are_ordered(x):
    inf, two, one = (linalg.vector_norm(x, o).item() for o in (np.inf, 2, 1))
    assert inf <= two * (1 + 1e-12) and two <= one * (1 + 1e-12)
    assert one <= len(x) * inf * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.tuples(*[hnp.arrays(np.float64, n, elements=finite)] * 3)
    )
)
def test_distances_obey_the_triangle_inequality(xyz):
    x, y, z = xyz
    for dist in (linalg.euclidean_distance, linalg.manhattan_distance):
        assert dist(x, z).item() <= dist(x, y).item() + dist(y, z).item() + 1e-9
        assert dist(x, y).item() == pytest.approx(dist(y, x).item())
        assert dist(x, x).item() == 0.0


def test_distances_worked_and_broadcast():
    assert linalg.euclidean_distance([0, 0], [3, -4]).item() == 5.0
    assert linalg.manhattan_distance([0, 0], [3, -4]).item() == 7.0
    points = [[0, 0], [3, 4], [1, 1]]
    np.testing.assert_allclose(
        linalg.euclidean_distance(points, [0, 0]).numpy(), [0, 5, np.sqrt(2)]
    )
    np.testing.assert_array_equal(linalg.manhattan_distance(points, [1, 1]).numpy(), [2, 5, 0])


def test_distance_gradient_is_a_unit_vector_and_0_at_zero_distance():
    x = Tensor([3.0, 4.0], requires_grad=True)
    linalg.euclidean_distance(x, [0.0, 0.0]).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.6, 0.8])
    np.testing.assert_array_equal(
        engine_grad(lambda t: linalg.euclidean_distance(t, [1.0, 2.0]), [1.0, 2.0]), [0, 0]
    )


def test_cosine_similarity_known_angles():
    assert linalg.cosine_similarity([1, 2], [2, 4]).item() == pytest.approx(1.0)
    assert linalg.cosine_similarity([1, 2], [-2, -4]).item() == pytest.approx(-1.0)
    assert linalg.cosine_similarity([1, 0], [0, 3]).item() == 0.0
    assert linalg.cosine_similarity([1, 0], [1, 1]).item() == pytest.approx(np.sqrt(0.5))
    np.testing.assert_allclose(
        linalg.cosine_similarity([[1, 0], [0, 1]], [1, 1]).numpy(), [0.5**0.5] * 2
    )


def test_cosine_similarity_of_a_zero_vector_is_0_with_finite_gradients():
    x = Tensor([0.0, 0.0], requires_grad=True)
    y = Tensor([3.0, 4.0], requires_grad=True)
    s = linalg.cosine_similarity(x, y)
    assert s.item() == 0.0
    s.backward()
    assert np.all(np.isfinite(x.grad.numpy())) and np.all(np.isfinite(y.grad.numpy()))
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0])
    assert linalg.cosine_similarity([0.0, 0.0], [0.0, 0.0]).item() == 0.0


def test_cosine_similarity_gradient():
    y = np.array([1.0, -2.0, 0.5])
    assert_gradcheck(lambda t: linalg.cosine_similarity(t, y), np.array([0.3, 0.7, -1.1]))


@settings(max_examples=60, deadline=None)
@given(vectors, st.floats(0.01, 100))
def test_cosine_similarity_is_bounded_and_scale_invariant(x, c):
    y = x[::-1] + 1.0
    s = linalg.cosine_similarity(x, y).item()
    assert -1 - 1e-12 <= s <= 1 + 1e-12
    if np.linalg.norm(x) > 1e-6:
        assert linalg.cosine_similarity(c * x, y).item() == pytest.approx(s, abs=1e-9)


# ---------------------------------------------------------------------------------------
# Topic 3: eigenvalues and eigenvectors


def test_worked_example_eigen_example():
    w, V = linalg.eigh([[2, 1], [1, 2]])
    np.testing.assert_allclose(w.numpy(), [1.0, 3.0])
    s = np.sqrt(0.5)
    assert abs(V.numpy()[:, 0] @ [s, -s]) == pytest.approx(1.0)  # along [1, -1]
    assert abs(V.numpy()[:, 1] @ [s, s]) == pytest.approx(1.0)  # along [1, 1]
    # det(A - lambda I) = (2 - lambda)^2 - 1 vanishes at both eigenvalues.
    for lam in w.numpy():
        assert np.linalg.det(np.array([[2, 1], [1, 2]]) - lam * np.eye(2)) == pytest.approx(
            0, abs=1e-12
        )


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: hnp.arrays(np.float64, (n, n), elements=finite)))
def test_eigh_reconstructs_a_symmetric_matrix(x):
    a = (x + x.T) / 2
    w, V = linalg.eigh(a)
    v = V.numpy()
    np.testing.assert_allclose(v @ np.diag(w.numpy()) @ v.T, a, atol=1e-9 * (1 + np.abs(a).max()))
    np.testing.assert_allclose(v.T @ v, np.eye(len(a)), atol=1e-9)
    assert np.all(np.diff(w.numpy()) >= 0)


def test_eigenvalue_gradient_is_v_vt():
    a = Tensor([[2.0, 1.0], [1.0, 2.0]], requires_grad=True)
    w, V = linalg.eigh(a)
    w[1].backward()
    v = V.numpy()[:, 1]
    vvt = np.outer(v, v)  # the symmetric gradient (PyTorch's); ours lands on the lower triangle
    np.testing.assert_allclose(a.grad.numpy(), np.tril(2 * vvt) - np.diag(np.diag(vvt)))


RNG = np.random.default_rng(7)
X5 = RNG.standard_normal((5, 5))
C5 = RNG.standard_normal(5)
D5 = RNG.standard_normal((5, 5))


def eigen_loss(t):
    """Depends on eigenvalues and on eigenvectors through V o V (blind to each one's sign)."""
    w, V = linalg.eigh(sym(t))
    return tsum(w * C5) + tsum(V * V * D5)


def test_eigh_gradient_against_finite_differences():
    assert_gradcheck(eigen_loss, X5, atol=1e-6, rtol=1e-4)


def test_eigh_gradient_batched():
    xs = RNG.standard_normal((3, 4, 4))
    assert_gradcheck(lambda t: tsum(linalg.eigh(sym(t))[0] ** 2), xs)


def test_eigh_second_derivative_against_finite_differences_of_the_gradient():
    direction = RNG.standard_normal((5, 5))

    def grad_of(x, create_graph=False):
        t = Tensor(x, requires_grad=True)
        eigen_loss(t).backward(create_graph=create_graph)
        return t, t.grad

    t, g = grad_of(X5, create_graph=True)
    tsum(g * direction).backward()  # Hessian-vector product H @ direction, into t.grad
    hvp = t.grad.numpy() - g.numpy()  # t.grad had g added first, then H @ direction
    eps = 1e-5
    numeric = (
        grad_of(X5 + eps * direction)[1].numpy() - grad_of(X5 - eps * direction)[1].numpy()
    ) / (2 * eps)
    np.testing.assert_allclose(hvp, numeric, atol=1e-5, rtol=1e-4)


def test_eigh_repeated_eigenvalues_eigenvalue_gradients_are_exact():
    # At A = I every eigenvalue is 1. Losses of the eigenvalues alone stay well defined:
    # d trace(A)/dA = I and d sum(w^2)/dA = d ||A||_F^2/dA = 2A.
    a = Tensor(np.eye(3), requires_grad=True)
    w, _ = linalg.eigh(a)
    (tsum(w) + tsum(w * w)).backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 * np.eye(3), atol=1e-12)


def test_eigh_gradient_of_a_simple_eigenvector_beside_a_repeated_eigenvalue():
    # A = diag(1, 1, 2): the eigenvector of 2 is a smooth function of A even though 1 repeats.
    c = np.array([0.3, -1.2, 0.7])

    def loss(t):
        _, V = linalg.eigh(sym(t))
        return tsum(V[:, 2] * V[:, 2] * c)  # blind to the eigenvector's sign

    assert_gradcheck(loss, np.diag([1.0, 1.0, 2.0]), atol=1e-6, rtol=1e-4)


def test_eigh_repeated_eigenvalues_eigenvector_gradients_are_nan():
    # The eigenvectors of a repeated eigenvalue are not functions of A (any rotation of
    # them is as good), so a loss that turns with them has no gradient: NaN, as PyTorch
    # gives, never a plausible-looking wrong number.
    a = Tensor(np.diag([1.0, 1.0, 2.0]), requires_grad=True)
    _, V = linalg.eigh(a)
    tsum(V * D5[:3, :3]).backward()
    assert np.isnan(a.grad.numpy()[:2, :2]).any()


def test_eigh_reads_one_triangle_as_numpy():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])  # not symmetric: numpy reads one triangle
    for uplo in ("L", "U"):
        w, v = linalg.eigh(a, UPLO=uplo)
        w_np, v_np = np.linalg.eigh(a, UPLO=uplo)
        np.testing.assert_allclose(w.numpy(), w_np)
        np.testing.assert_allclose(np.abs(v.numpy()), np.abs(v_np))
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U', got 'X'"):
        linalg.eigh(a, UPLO="X")


@pytest.mark.parametrize("bad", [[1.0, 2.0], [[1, 2, 3], [2, 1, 0]], np.ones((2, 3, 3))[..., :2]])
def test_eigh_rejects_non_square_naming_the_shape(bad):
    with pytest.raises(ValueError, match=r"square.*\(") as e:
        linalg.eigh(bad)
    assert str(np.shape(bad)) in str(e.value)


def test_eigh_rejects_nan():
    with pytest.raises(ValueError, match="nan"):
        linalg.eigh([[1.0, np.nan], [np.nan, 1.0]])


# ---------------------------------------------------------------------------------------
# Inverse and log-determinant


def test_inv_and_logdet_values():
    a = np.array([[4.0, 7.0], [2.0, 6.0]])
    np.testing.assert_allclose(linalg.inv(a).numpy(), [[0.6, -0.7], [-0.2, 0.4]])
    assert linalg.logdet(a).item() == pytest.approx(np.log(10.0))
    assert linalg.logdet([[0.0, 1.0], [1.0, 0.0]]).numpy() != linalg.logdet(a).numpy()  # det -1
    assert np.isnan(linalg.logdet([[0.0, 1.0], [1.0, 0.0]]).item())
    assert linalg.logdet([[1.0, 2.0], [2.0, 4.0]]).item() == -np.inf
    np.testing.assert_allclose(
        linalg.logdet(np.stack([a, 2 * np.eye(2)])).numpy(), np.log([10.0, 4.0])
    )


def test_inv_and_logdet_gradients_against_finite_differences():
    a = RNG.standard_normal((4, 4)) + 4 * np.eye(4)
    assert_gradcheck(lambda t: tsum(linalg.inv(t) * D5[:4, :4]), a)
    assert_gradcheck(linalg.logdet, a)


def test_logdet_second_derivative():
    # d/dA log det A = A^-T; differentiating that again against finite differences.
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    direction = RNG.standard_normal((3, 3))
    t = Tensor(a, requires_grad=True)
    linalg.logdet(t).backward(create_graph=True)
    g = t.grad
    tsum(g * direction).backward()
    eps = 1e-6
    numeric = (np.linalg.inv(a + eps * direction).T - np.linalg.inv(a - eps * direction).T) / (
        2 * eps
    )
    np.testing.assert_allclose(t.grad.numpy() - g.numpy(), numeric, atol=1e-7)


def test_inv_and_logdet_bad_input():
    with pytest.raises(ValueError, match=r"singular"):
        linalg.inv([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        linalg.inv(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        linalg.logdet(np.ones(3))


def test_power_iteration_finds_the_dominant_eigenpair():
    lam, v = linalg.power_iteration([[2, 1], [1, 2]], num_iters=60, rng=0)
    assert lam.item() == pytest.approx(3.0)
    assert abs(v.numpy() @ [np.sqrt(0.5), np.sqrt(0.5)]) == pytest.approx(1.0)  # along [1, 1]
    a = sym(Tensor(RNG.standard_normal((6, 6)))).numpy() + np.diag([8.0, 0, 0, 0, 0, 0])
    w = np.linalg.eigvalsh(a)
    top = w[np.argmax(np.abs(w))]
    lam, v = linalg.power_iteration(a, num_iters=300, rng=np.random.default_rng(1))
    assert lam.item() == pytest.approx(top, rel=1e-10)
    np.testing.assert_allclose(a @ v.numpy(), top * v.numpy(), atol=1e-8)


def test_power_iteration_is_differentiable_by_unrolling():
    a = Tensor([[2.0, 1.0], [1.0, 2.0]], requires_grad=True)
    lam, _ = linalg.power_iteration(a, num_iters=60, rng=3)
    lam.backward()
    np.testing.assert_allclose(a.grad.numpy(), np.full((2, 2), 0.5), atol=1e-10)  # v v^T


def test_power_iteration_bad_input():
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        linalg.power_iteration(np.ones((2, 3)))
    with pytest.raises(ValueError, match="num_iters"):
        linalg.power_iteration(np.eye(2), num_iters=0)


# ---------------------------------------------------------------------------------------
# PCA


def test_pca_of_points_on_a_line():
    t = np.linspace(-1, 1, 9)
    x = np.stack([t, t], axis=1) + [3.0, -1.0]
    r = linalg.pca(x, 1)
    np.testing.assert_allclose(r.components.numpy(), [[np.sqrt(0.5)] * 2])
    np.testing.assert_allclose(r.explained_variance_ratio.numpy(), [1.0])
    np.testing.assert_allclose(r.explained_variance.numpy(), [2 * np.var(t, ddof=1)])
    np.testing.assert_allclose(r.projected.numpy()[:, 0], t * np.sqrt(2), atol=1e-12)
    np.testing.assert_allclose(r.mean.numpy(), [3.0, -1.0])


def test_pca_of_digits_matches_sklearn():
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA

    x = load_digits().data
    ours = linalg.pca(x, 5)
    ref = PCA(n_components=5, svd_solver="full").fit(x)
    np.testing.assert_allclose(ours.explained_variance.numpy(), ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(
        ours.explained_variance_ratio.numpy(), ref.explained_variance_ratio_, rtol=1e-8
    )
    signs = np.sign(np.sum(ours.components.numpy() * ref.components_, axis=1))
    np.testing.assert_allclose(ours.components.numpy() * signs[:, None], ref.components_, atol=1e-8)
    np.testing.assert_allclose(ours.projected.numpy() * signs, ref.transform(x), atol=1e-6)


def test_pca_is_differentiable():
    x = RNG.standard_normal((6, 3))
    assert_gradcheck(lambda t: tsum(linalg.pca(t, 2).explained_variance), x, rtol=1e-4)


@pytest.mark.parametrize("k", [0, 4, 1.5])
def test_pca_rejects_bad_k(k):
    with pytest.raises(ValueError, match=f"got {k}"):
        linalg.pca(np.ones((5, 3)), k)


def test_pca_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"\(5,\)"):
        linalg.pca(np.ones(5), 1)
    with pytest.raises(ValueError, match=r"\(1, 3\)"):
        linalg.pca(np.ones((1, 3)), 1)


def test_a_non_finite_matrix_is_named_as_such():
    with pytest.raises(ValueError, match=r"finite matrix, but A\[0, 0\] = nan"):
        linalg.eigh(np.array([[np.nan, 0.0], [0.0, 1.0]]))


# ---------------------------------------------------------------------------------------
# numpy's linear algebra: det, slogdet, solve, cholesky, eigh(UPLO), norm; PyTorch as the
# oracle to second order (value, vjp, Hessian-vector product), special points included.

try:  # PyTorch is the oracle (pip install torch==2.13.0); without it those tests skip
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the oracle: not installed")

import autograd_lite as al  # noqa: E402

from .helpers import check_first_and_second_order  # noqa: E402
from .peers._oracle import compare, ours, theirs  # noqa: E402

R = np.random.default_rng(5)
SPD = (lambda m: m @ m.swapaxes(-1, -2) + 3 * np.eye(3))(R.normal(size=(2, 3, 3)))
RANK2 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank n - 1
RANK1 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 2.0, 3.0]])  # rank n - 2


def tsym(t):
    return (t + t.transpose(-1, -2)) * 0.5


def against_torch(al_fn, torch_fn, xs, seed=0, rtol=1e-8):
    rng = np.random.default_rng(seed)
    out = torch_fn(*[torch.tensor(x) for x in xs])
    w = rng.normal(size=tuple(out.shape))
    v = [rng.normal(size=np.shape(x)) for x in xs]
    return compare(ours(al_fn, xs, w, v), theirs(torch_fn, xs, w, v), rtol=rtol)


LINALG_ORACLE = (
    {}
    if torch is None
    else {
        "det": (linalg.det, torch.linalg.det, [R.normal(size=(3, 3))]),
        "det_batched": (linalg.det, torch.linalg.det, [R.normal(size=(2, 4, 4))]),
        "det_1x1": (linalg.det, torch.linalg.det, [R.normal(size=(2, 1, 1))]),
        "det_singular_rank_n-1": (linalg.det, torch.linalg.det, [RANK2]),
        "det_singular_rank_n-2": (linalg.det, torch.linalg.det, [RANK1]),
        "slogdet": (
            lambda a: linalg.slogdet(a).logabsdet,
            lambda a: torch.linalg.slogdet(a)[1],
            [R.normal(size=(2, 3, 3))],
        ),
        "solve_vector": (linalg.solve, torch.linalg.solve, [SPD[0], R.normal(size=3)]),
        "solve_matrix": (linalg.solve, torch.linalg.solve, [SPD[0], R.normal(size=(3, 2))]),
        "solve_batched_a": (linalg.solve, torch.linalg.solve, [SPD, R.normal(size=(3, 2))]),
        "solve_batched_b": (linalg.solve, torch.linalg.solve, [SPD[0], R.normal(size=(2, 3, 2))]),
        "solve_batched_vector": (linalg.solve, torch.linalg.solve, [SPD, R.normal(size=3)]),
        # cholesky and eigh read one triangle (the gradient lands on it), PyTorch gives the
        # symmetric gradient: on a matrix built symmetric the two agree.
        "cholesky": (
            lambda a: linalg.cholesky(sym(a)),
            lambda a: torch.linalg.cholesky(tsym(a)),
            [SPD],
        ),
        "cholesky_upper": (
            lambda a: linalg.cholesky(sym(a), upper=True),
            lambda a: torch.linalg.cholesky(tsym(a), upper=True),
            [SPD],
        ),
        "eigh_U_values": (
            lambda a: linalg.eigh(sym(a), UPLO="U")[0],
            lambda a: torch.linalg.eigh(tsym(a), UPLO="U")[0],
            [SPD],
        ),
    }
)


@needs_torch
@pytest.mark.parametrize("name", list(LINALG_ORACLE))
def test_linalg_against_torch_to_second_order(name):
    al_fn, torch_fn, xs = LINALG_ORACLE[name]
    problems = against_torch(al_fn, torch_fn, xs)
    assert not problems, problems


@needs_torch  # the table holds PyTorch functions too
@pytest.mark.parametrize("name", ["det", "det_singular_rank_n-1", "solve_vector", "cholesky"])
def test_linalg_against_finite_differences_to_second_order(name):
    al_fn, _, xs = LINALG_ORACLE[name]
    check_first_and_second_order(al_fn, *xs, what=name)


def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix():
    a = Tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)  # det exactly 0
    linalg.det(a).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]])
    # a 3x3 zero matrix: det is cubic, so its gradient and Hessian vanish there (PyTorch
    # gives NaN for the Hessian at this point)
    h = al.hessian(lambda t: linalg.det(t.reshape((3, 3))))(np.zeros(9))
    np.testing.assert_array_equal(h, np.zeros((9, 9)))


@needs_torch
def test_cholesky_and_eigh_gradients_land_on_the_triangle_read():
    a = SPD[0]
    w = R.normal(size=(3, 3))
    tt = torch.tensor(a, requires_grad=True)
    (torch.linalg.cholesky(tt) * torch.tensor(w)).sum().backward()
    g_torch = tt.grad.numpy()  # symmetric
    t = Tensor(a, requires_grad=True)
    tsum(linalg.cholesky(t) * w).backward()
    folded = np.tril(g_torch + g_torch.T) - np.diag(np.diag(g_torch))
    np.testing.assert_allclose(t.grad.numpy(), folded, rtol=1e-10, atol=1e-12)
    for uplo, tri in (("L", np.tril), ("U", np.triu)):
        t = Tensor(a, requires_grad=True)
        tsum(linalg.eigh(t, UPLO=uplo)[0] * w[0]).backward()
        assert np.array_equal(t.grad.numpy(), tri(t.grad.numpy()))


@needs_torch
def test_eigh_repeated_eigenvalues_against_torch():
    # eigenvalue functions: exact and equal to PyTorch's; eigenvectors: NaN in both
    a = np.diag([1.0, 1.0, 2.0])
    problems = against_torch(
        lambda t: linalg.eigh(sym(t))[0], lambda t: torch.linalg.eigh(tsym(t))[0], [a]
    )
    assert not problems, problems
    t = Tensor(a, requires_grad=True)
    tsum(linalg.eigh(t)[1] * R.normal(size=(3, 3))).backward()
    tt = torch.tensor(a, requires_grad=True)
    (torch.linalg.eigh(tt)[1] * torch.tensor(R.normal(size=(3, 3)))).sum().backward()
    assert np.isnan(t.grad.numpy()).any() and np.isnan(tt.grad.numpy()).any()


VECTOR_ORDS = [None, 2, 1, 3, 0.5, 1.5, -1, -2.5, 0, np.inf, -np.inf]
MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]
WITH_ZEROS = np.array([[0.0, 1.0, 2.0, -3.0], [0.0, 0.0, 0.0, 0.0], [1.0, -1.0, 1.0, -1.0]])


@needs_torch
@pytest.mark.parametrize("ord_", VECTOR_ORDS, ids=str)
@pytest.mark.parametrize("x", [R.normal(size=(3, 4)), WITH_ZEROS], ids=["random", "zeros"])
@pytest.mark.parametrize("axis, keepdims", [(1, False), (0, True), (-1, True)])
def test_vector_norms_against_torch_to_second_order(ord_, x, axis, keepdims):
    problems = against_torch(
        lambda t: al.norm(t, ord_, axis, keepdims),
        lambda t: torch.linalg.vector_norm(t, 2 if ord_ is None else ord_, axis, keepdims),
        [x],
    )
    assert not problems, problems


@needs_torch
@pytest.mark.parametrize("ord_", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize(
    "x",
    [R.normal(size=(3, 4)), R.normal(size=(2, 3, 2)), np.eye(3), np.zeros((2, 3))],
    ids=["random", "batched", "tied", "zero"],
)
def test_matrix_norms_against_torch(ord_, x):
    axes = (-2, -1) if x.ndim == 2 else (2, 0)
    torch_ord = "fro" if ord_ is None else ord_

    def mine(t):
        return al.norm(t, ord_, axis=axes, keepdims=True)

    def ref(t):
        return torch.linalg.matrix_norm(t, torch_ord, dim=axes, keepdim=True)

    problems = against_torch(mine, ref, [x])
    special = np.array_equal(x, np.eye(3)) or not x.any()
    if special:  # a repeated or zero singular value: compare values and first derivatives
        problems = [p for p in problems if not p.startswith("d2")]
        if ord_ in ("nuc", 2, -2) and not x.any():  # different subgradients at 0 (ours 0 for ±2)
            problems = [p for p in problems if not p.startswith("d1")]
    assert not problems, problems


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=finite),
    st.sampled_from([None, 2, 1, 3, -1, 0, np.inf, -np.inf, "fro", "nuc", -2]),
    st.booleans(),
    st.integers(0, 5),
)
def test_norm_values_and_errors_are_numpys(x, ord_, keepdims, pick):
    axes = [None, -1, (0, -1), (-1, 0), 0]
    axis = axes[pick % len(axes)]
    try:
        with np.errstate(all="ignore"):
            expected = np.linalg.norm(x, ord_, axis, keepdims)
    except ValueError:
        with pytest.raises(ValueError):
            al.norm(Tensor(x), ord_, axis, keepdims)
        return
    got = al.norm(Tensor(x), ord_, axis, keepdims)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-12)


def test_linalg_bad_input_is_named():
    with pytest.raises(np.linalg.LinAlgError, match=r"not positive definite"):
        linalg.cholesky([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(np.linalg.LinAlgError, match=r"singular"):
        linalg.solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"\(3, 3\).*\(2,\)"):
        linalg.solve(np.eye(3), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(2, 3, 3\).*\(4, 3, 1\)"):
        linalg.solve(np.ones((2, 3, 3)), np.ones((4, 3, 1)))
    with pytest.raises(ValueError, match=r"square.*\(2, 3\)"):
        linalg.det(np.ones((2, 3)))
    with pytest.raises(ValueError, match="'nuc' for vectors"):
        al.norm(np.ones(3), "nuc")
    with pytest.raises(ValueError, match="3 for matrices"):
        al.norm(np.ones((2, 2)), 3)
    with pytest.raises(ValueError, match=r"1-d or 2-d.*\(2, 2, 2\)"):
        al.norm(np.ones((2, 2, 2)), 1)
    with pytest.raises(np.exceptions.AxisError, match="axis 3"):
        al.norm(np.ones((2, 2)), axis=3)


def test_bad_input_leaves_the_graph_and_gradients_alone():
    a = Tensor(np.eye(2), requires_grad=True)
    tsum(a * 2).backward()
    with pytest.raises(np.linalg.LinAlgError):
        linalg.cholesky(-a)
    np.testing.assert_array_equal(a.grad.numpy(), 2 * np.ones((2, 2)))
    tsum(linalg.det(a)).backward()  # the graph still works
    np.testing.assert_array_equal(a.grad.numpy(), 2 * np.ones((2, 2)) + np.eye(2))


def test_norm_keeps_the_fast_path_and_takes_values_and_lists():
    x = Tensor([3.0, 4.0], requires_grad=True)
    y = al.norm(x)
    assert y._op.name == "norm"  # one NORM2 node, as before
    assert al.norm(al.Value(-2.0)).data == 2.0
    vs = [al.Value(3.0), al.Value(4.0)]
    al.norm(vs).backward()
    assert [v.grad for v in vs] == [0.6, 0.8]
    assert isinstance(al.norm([[1.0, 2.0], [3.0, 4.0]], 2), np.ndarray)  # raw in, raw out
