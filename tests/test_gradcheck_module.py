"""gradcheck_module (a model's parameters, reported by name), check_grads (every order up to
`order`, by mode) and the blame of a wrong rule injected into a three-layer MLP."""

import re

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import GradcheckError, nn
from autograd_lite.core import ops
from benchmarks.gradcheck_fast import MLP3, WRONG, caught, mse, replaced_rule, scaled

RNG = np.random.default_rng(0)


X = RNG.normal(size=(6, 4))
T = RNG.normal(size=(6, 3))


def _snapshot(model):
    return [
        (n, p.data.copy(), None if p.grad is None else np.array(p.grad.data), p.is_leaf)
        for n, p in model.named_parameters()
    ]


def _assert_same(before, model):
    after = _snapshot(model)
    assert [b[0] for b in before] == [a[0] for a in after]
    for (n, d0, g0, leaf0), (_, d1, g1, leaf1) in zip(before, after):
        assert np.array_equal(d0, d1), n
        assert (g0 is None and g1 is None) or np.array_equal(g0, g1), n
        assert leaf0 and leaf1, n
        assert getattr(model, n).requires_grad


def _with_grads(model):
    mse(model(al.Tensor(X)), T).backward()  # .grad set: the check must leave it alone
    return model


def test_a_correct_model_passes_and_is_left_exactly_as_it_was():
    model = _with_grads(MLP3(np.random.default_rng(1)))
    before = _snapshot(model)
    assert al.gradcheck_module(model, mse, X, T) is True
    assert al.gradcheck_module(model, mse, X, T, fast_mode=True, seed=4) is True
    _assert_same(before, model)
    # The model still trains as before: its graph runs to its own leaves.
    loss = mse(model(al.Tensor(X)), T)
    loss.backward()
    assert model.W1.grad is not None


def test_the_layers_of_nn_and_a_value_mlp_pass():
    seq = nn.Sequential(nn.Linear(4, 6, rng=np.random.default_rng(2)), nn.Tanh(), nn.Linear(6, 3))
    labels = np.array([0, 2, 1, 1, 0, 2])
    assert al.gradcheck_module(seq, nn.cross_entropy, X, labels)
    mlp = nn.MLP(2, [3, 1], rng=np.random.default_rng(3))
    loss = lambda outs, t: sum((o[0] - y) ** 2 for o, y in zip(outs, t))  # noqa: E731
    model = lambda rows: [mlp(r) for r in rows]  # noqa: E731
    model.named_parameters = mlp.named_parameters
    assert al.gradcheck_module(model, loss, [[0.5, -1.0], [1.0, 2.0]], [1.0, -1.0])


def test_params_is_a_glob_on_the_names_and_no_match_is_named():
    model = MLP3(np.random.default_rng(1))
    seen = []
    loss = lambda out, t: (seen.append(1), mse(out, t))[1]  # noqa: E731
    al.gradcheck_module(model, loss, X, T, params="b*")
    few = len(seen)
    seen.clear()
    al.gradcheck_module(model, loss, X, T)
    assert few < len(seen)  # fewer elements differenced: only b1, b2, b3
    with pytest.raises(ValueError, match=r"no parameter .* 'conv\*'.*\['W1', 'b1'"):
        al.gradcheck_module(model, mse, X, T, params="conv*")
    with pytest.raises(TypeError, match="params"):
        al.gradcheck_module(model, mse, X, T, params=["W1"])
    with pytest.raises(TypeError, match="named_parameters"):
        al.gradcheck_module(lambda x: x, mse, X, T)


def wrong_rule(op, i):
    """The op's rule for input i scaled by 1.5 (wrong), only inside the block: the op table
    is shared, so it is put back in `finally`."""
    return replaced_rule(op, i, scaled)


# (op, input whose rule is wrong, its name in the report): an elementwise op, a binary op
# whose input 1 (the bias) is broadcast, a reduction, matmul, two shape ops.
INJECTED = [
    (ops.TANH, 0, "tanh"),
    (ops.ADD, 1, "+"),
    (ops.MEAN, 0, "mean"),
    (ops.MATMUL, 1, "@"),
    (ops.MATMUL, 0, "@"),
    (ops.RESHAPE, 0, "reshape"),
    (ops.TRANSPOSE, 0, "transpose"),
]


@pytest.mark.parametrize("op, i, name", INJECTED, ids=[f"{n} input {i}" for _, i, n in INJECTED])
def test_a_wrong_rule_in_an_mlp_is_named(op, i, name):
    model = _with_grads(MLP3(np.random.default_rng(1)))
    before = _snapshot(model)
    with wrong_rule(op, i), pytest.raises(GradcheckError) as info:
        al.gradcheck_module(model, mse, X, T)
    msg = str(info.value)
    assert re.search(r"with respect to parameter '(W|b)\d'", msg), msg
    blame = re.search(r"first op whose rule is wrong: '([^']+)' \(.*\), input (\d)", msg)
    assert blame and blame.groups() == (name, str(i)), msg
    _assert_same(before, model)
    assert al.gradcheck_module(model, mse, X, T)  # the rule is back


def test_fast_mode_catches_the_injected_rules_and_names_the_parameter():
    model = MLP3(np.random.default_rng(1))
    for op, i, _ in INJECTED:
        with wrong_rule(op, i), pytest.raises(GradcheckError, match=r"fast mode.*parameter '"):
            al.gradcheck_module(model, mse, X, T, fast_mode=True, seed=11)


def test_the_model_is_restored_when_the_loss_raises():
    model = _with_grads(MLP3(np.random.default_rng(1)))
    before = _snapshot(model)

    def bad_loss(out, t):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        al.gradcheck_module(model, bad_loss, X, T)
    _assert_same(before, model)


# ---- check_grads ---------------------------------------------------------------------------


def test_check_grads_passes_correct_functions_to_third_order():
    x = np.array([0.3, -1.2, 0.7])
    assert al.check_grads(lambda t: al.tanh(t) * al.sin(t), (x,), order=3) is None
    al.check_grads(lambda a, b: (a @ b).sum(), (RNG.normal(size=(2, 3)), RNG.normal(size=3)))


def test_check_grads_catches_a_wrong_second_derivative_and_names_the_order():
    # A rule right in value whose own derivative is wrong: g * cos(x) written with a
    # non-differentiable cos (a constant in x), so order 1 passes and order 2 fails.
    f = lambda t: al.sin(t).sum()  # noqa: E731
    x = np.array([0.3, -1.2])
    al.check_grads(f, (x,), order=1)
    flat_cos = lambda rule: lambda g, out, x: g * np.cos(ops._raw(x))  # noqa: E731
    with replaced_rule(ops.SIN, 0, flat_cos):
        al.check_grads(f, (x,), order=1)
        with pytest.raises(GradcheckError, match=r"order 2 of 2, mode 'rev'"):
            al.check_grads(f, (x,), order=2)


def test_check_grads_catches_a_wrong_first_derivative():
    with wrong_rule(ops.TANH, 0), pytest.raises(GradcheckError, match=r"order 1 of 2"):
        al.check_grads(al.tanh, (np.array([0.2, 0.5]),))


def test_check_grads_forward_mode_checks_the_jvp_rules_to_every_order():
    x, y = RNG.normal(size=(2, 3)), RNG.normal(size=3)
    f = lambda a, b: al.tanh(a @ b) * al.exp(b[:2]).sum()  # noqa: E731
    al.check_grads(f, (x, y), order=3, modes=("fwd", "rev"))
    al.check_grads(lambda t: (al.sin(t), t * t), (0.4,), order=2, modes=("fwd",))
    with replaced_rule(ops.TANH, 0, scaled, field="jvps"):  # its vjp rule stays right
        al.check_grads(f, (x, y), order=2, modes=("rev",))  # reverse mode never reads it
        with pytest.raises(GradcheckError, match=r"order 1 of 2, mode 'fwd'"):
            al.check_grads(f, (x, y), modes=("rev", "fwd"))


def test_check_grads_forward_mode_catches_a_wrong_second_derivative():
    # sin's jvp right in value, its own derivative lost (cos taken as a constant)
    f = lambda t: al.sin(t).sum()  # noqa: E731
    x = np.array([0.3, -1.2])
    flat_cos = lambda rule: lambda t, out, x: t * np.cos(ops._raw(x))  # noqa: E731
    with replaced_rule(ops.SIN, 0, flat_cos, field="jvps"):
        al.check_grads(f, (x,), order=1, modes=("fwd",))
        with pytest.raises(GradcheckError, match=r"order 2 of 2, mode 'fwd'"):
            al.check_grads(f, (x,), order=2, modes=("fwd",))


def test_check_grads_arguments_are_checked():
    with pytest.raises(ValueError, match="unknown mode 'back'"):
        al.check_grads(al.tanh, (0.5,), modes=("back",))
    with pytest.raises(ValueError, match="order"):
        al.check_grads(al.tanh, (0.5,), order=0)
    with pytest.raises(ValueError, match="modes"):
        al.check_grads(al.tanh, (0.5,), modes="rev")


# ---- plot ------------------------------------------------------------------------------------


def test_plot_saves_a_heat_map_of_a_matrix_input_marking_the_failing_elements(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    w = np.random.default_rng(0).normal(size=(3, 4))
    path = tmp_path / "err.png"
    with wrong_rule(ops.TANH, 0), pytest.raises(GradcheckError) as info:
        al.gradcheck(lambda t: al.tanh(t).sum(), (w,), plot=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = info.value.figure.axes[0]
    assert ax.images[0].get_array().shape == (3, 4)  # one cell per element of the matrix
    marked = ax.collections[0].get_offsets()
    assert len(marked) == 12  # every element is wrong by the factor 1.5
    assert np.allclose(ax.images[0].get_array(), 0.5 * (1 - np.tanh(w) ** 2), rtol=1e-4)


def test_plot_true_draws_a_pyplot_figure_and_a_pass_marks_nothing():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    assert al.gradcheck(lambda a, v: a @ v, (np.ones((2, 3)), np.arange(3.0)), plot=True)
    fig = plt.gcf()
    assert len(fig.axes) == 4  # one heat map and its colour bar per input
    maps = [ax for ax in fig.axes if ax.images]
    assert len(maps) == 2 and all(len(ax.collections[0].get_offsets()) == 0 for ax in maps)
    plt.close("all")
    with pytest.raises(ValueError, match="plot"):
        al.gradcheck(al.sin, (0.5,), fast_mode=True, plot=True)


def test_fast_mode_catches_a_wrong_rule_for_every_one_of_100_seeds():
    # benchmarks/gradcheck_fast.py runs 1,000 seeds (docs/gradcheck.md has the counts).
    for wrong in (WRONG[0], WRONG[-1]):  # tanh x1.5 everywhere; tanh +10% at one element
        assert caught(100, wrong)[0] == 100, wrong[0]


def test_fast_mode_tries_two_projections_per_input():
    # Seed 940's first direction for W2 is nearly orthogonal to its gradient, so a reshape
    # rule scaled by 1.5 (an error along the gradient itself) hides from it; the second
    # direction catches it.
    rng = np.random.default_rng(0)
    model, x, t = MLP3(rng), rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    with wrong_rule(ops.RESHAPE, 0), pytest.raises(GradcheckError, match="parameter 'W2'"):
        al.gradcheck_module(model, mse, x, t, fast_mode=True, seed=940)
