"""Hostile review of forward mode (jvp, jacfwd, linearize, forward-over-reverse): each test
is a defect found by attacking it as a JAX or PyTorch user would, kept as a regression test."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite.transforms import forward

# ---------------------------------------------------------------------------------------
# The caller's float arrays are shared read-only with the recording (no copy per call).
# When a result carries history (f closes over a leaf requiring grad), the recording
# outlives the call: it must not keep reading the caller's array, which the caller may
# edit afterwards (a silent wrong gradient otherwise).


def _edit_after(x):
    x[...] = 100.0


def test_jvp_result_with_history_does_not_read_the_callers_array_later():
    w = al.Tensor([1.0, 2.0], requires_grad=True)
    x = np.array([3.0, 4.0])
    out, _ = al.jvp(lambda a: al.sum(a * w), (x,), (np.array([1.0, 0.0]),))
    _edit_after(x)
    out.backward()
    np.testing.assert_allclose(w.grad.data, [3.0, 4.0])  # d/dw sum(a w) = a, as called


def test_jvp_output_with_history_is_not_a_view_of_the_callers_array():
    w = al.Tensor([1.0, 2.0], requires_grad=True)
    x = np.array([3.0, 4.0])
    (_, first), _ = al.jvp(lambda a: (a * w, a[0:1]), (x,), (np.ones(2),))
    _edit_after(x)
    np.testing.assert_allclose(first.data, [3.0])


def test_jvp_tangent_with_history_does_not_read_the_callers_array_later():
    v = al.Tensor([1.0, 0.5], requires_grad=True)
    x = np.array([3.0, 4.0])
    _, tangent = al.jvp(lambda a: al.sum(a * a), (x,), (v,))  # 2 <a, v>
    _edit_after(x)
    tangent.backward()
    np.testing.assert_allclose(v.grad.data, [6.0, 8.0])


def test_jacfwd_with_history_does_not_read_the_callers_array_later():
    w = al.Tensor([1.0, 2.0], requires_grad=True)
    x = np.array([3.0, 4.0])
    jac = al.jacfwd(lambda a: al.sum(a * w) * a)(x)  # a w^T + <a, w> I
    _edit_after(x)
    al.sum(jac).backward()  # d/dw sum(a w^T) + d/dw 2 <a, w> = sum(a) + 2 a
    np.testing.assert_allclose(w.grad.data, [13.0, 15.0])


def test_hvp_with_history_does_not_read_the_callers_array_later():
    w = al.Tensor([1.0, 2.0], requires_grad=True)
    x = np.array([3.0, 4.0])
    # f = <a, w> |a|^2: H e0 = 2 w a0 + 2 a w0 + 2 <a, w> e0
    hv = forward.hvp(lambda a: al.sum(a * w) * al.sum(a * a), x, np.array([1.0, 0.0]))
    _edit_after(x)
    al.sum(hv).backward()  # d/dw (2 a0 sum(w) + 2 w0 sum(a) + 2 <a, w>)
    np.testing.assert_allclose(w.grad.data, [2 * 3 + 2 * 7 + 2 * 3, 2 * 3 + 2 * 4])


def test_forward_over_reverse_hessian_with_history_does_not_read_the_callers_array_later():
    w = al.Tensor([1.0, 2.0], requires_grad=True)
    x = np.array([3.0, 4.0])
    # f = <a, w> |a|^2: H = 2 w a^T + 2 a w^T + 2 <a, w> I
    hess = forward._hessian_fwd_over_rev(lambda a: al.sum(a * w) * al.sum(a * a))(x)
    _edit_after(x)
    al.sum(hess).backward()  # d/dw (4 sum(w) sum(a) + 4 <a, w>)
    np.testing.assert_allclose(w.grad.data, 4 * 7 + 4 * np.array([3.0, 4.0]))


def test_the_callers_array_stays_writeable_and_unchanged():
    x = np.array([3.0, 4.0])
    v = np.array([1.0, 2.0])
    al.jvp(lambda a: al.sin(a), (x,), (v,))
    al.jacfwd(lambda a: al.sin(a) * a)(x)
    forward.hvp(lambda a: al.sum(al.sin(a)), x, v)
    forward._hessian_fwd_over_rev(lambda a: al.sum(al.sin(a) * a))(x)
    assert x.flags.writeable and v.flags.writeable
    np.testing.assert_array_equal(x, [3.0, 4.0])
    np.testing.assert_array_equal(v, [1.0, 2.0])


# ---------------------------------------------------------------------------------------
# Empty arrays: a Jacobian with no columns is an empty block, as jax.jacfwd and jacobian.


@pytest.mark.parametrize("options", [{}, {"vectorize": False}, {"chunk_size": 2}])
def test_jacfwd_of_an_empty_argument_is_an_empty_block(options):
    x, y = np.zeros((0, 2)), np.array([1.0, 2.0])
    jac = al.jacfwd(lambda a, b: (a * 2.0, b * al.sum(a)), argnums=(0, 1), **options)(x, y)
    expected = al.jacobian(lambda a, b: (a * 2.0, b * al.sum(a)), argnums=(0, 1))(x, y)
    for got_row, want_row in zip(jac, expected):
        for got, want in zip(got_row, want_row):
            assert np.shape(got) == np.shape(want)
            np.testing.assert_array_equal(got, want)
    hess = forward._hessian_fwd_over_rev(lambda a: al.sum(a * a), **options)(x)
    assert np.shape(hess) == (0, 2, 0, 2)


# ---------------------------------------------------------------------------------------
# A tangent passed in is the caller's: an output tangent that is the seed itself (the
# identity, a reshape, +c) must not hand the caller's array back to be edited.


@pytest.mark.parametrize(
    "f",
    [
        lambda a: a,
        lambda a: a + 1.0,
        lambda a: a.reshape(2, 1),
        lambda a: a[::-1],
        lambda a: (a, a),
        lambda a: (a * 2.0,) * 2,
    ],
)
def test_jvp_and_linearize_results_are_not_the_callers_tangent(f):
    x, v = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    _, tangent = al.jvp(f, (x,), (v,))
    _, f_jvp = al.linearize(f, x)
    for t in (tangent, f_jvp(v)):
        for part in t if isinstance(t, tuple) else (t,):
            assert part.flags.writeable
            part[...] = -1.0
    np.testing.assert_array_equal(v, [3.0, 4.0])
    if isinstance(tangent, tuple):
        assert tangent[0] is not tangent[1]


# ---------------------------------------------------------------------------------------
# A primitive's rule returning something that is not a tangent (None, a string, a wrong
# shape): a clear error naming the primitive and the input, never a NaN derivative.


def _doubled(rule, kind):
    p = al.primitive(lambda x: x * 2.0)
    if kind == "jvp":
        p.defvjp(lambda g, out, x: 2.0 * g)
        p.defjvp(rule)
    else:
        p.defvjp(rule)
    return p


_CALLS = {
    "jvp": [
        lambda p: al.jvp(p, (np.ones(2),), (np.ones(2),)),
        lambda p: al.jvp(p, (1.0,), (1.0,)),
        lambda p: al.jacfwd(p)(np.ones(2)),
    ],
    "vjp": [
        lambda p: al.grad(lambda a: al.sum(p(a)))(np.ones(2)),
        lambda p: al.grad(p)(1.0),
    ],
}


@pytest.mark.parametrize("kind", ["jvp", "vjp"])
@pytest.mark.parametrize("bad", [None, "s", [1.0, None]])
def test_a_rule_returning_no_numbers_is_refused_naming_the_primitive(kind, bad):
    p = _doubled(lambda *args: bad, kind)
    for call in _CALLS[kind]:
        with pytest.raises(TypeError, match=rf"primitive .*{kind} rule for input 0 returned"):
            call(p)


def test_a_jvp_rule_of_the_wrong_shape_is_refused_naming_the_primitive():
    p = _doubled(lambda t, out, x: np.ones(5), "jvp")
    message = r"jvp rule for input 0 returned a tangent of shape \(5,\)"
    for call in _CALLS["jvp"]:
        with pytest.raises(ValueError, match=message):
            call(p)


def test_a_primitive_of_broadcast_inputs_passes_the_tangent_check_in_a_batched_sweep():
    p = al.primitive(lambda x, y: x * y)
    p.defvjp(lambda g, out, x, y: g * y, lambda g, out, x, y: g * x)
    p.defjvp(lambda t, out, x, y: t * y, lambda t, out, x, y: x * t)
    x, y = np.array([1.0, 2.0, 3.0]), np.arange(6.0).reshape(2, 3)
    for options in ({}, {"vectorize": False}):
        jac = al.jacfwd(p, argnums=(0, 1), **options)(x, y)
        want = al.jacobian(lambda a, b: a * b, argnums=(0, 1))(x, y)
        for got, expected in zip(jac, want):
            np.testing.assert_allclose(got, expected)
