"""gradcheck at kinks (one-sided derivatives disagree), its fast mode (random projections
u^T J v) and its failure table."""

import math
import re
import warnings

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import GradcheckError, gradcheck
from autograd_lite.core import ops
from autograd_lite.core.graph import Op
from autograd_lite.transforms.gradcheck import KinkNote


def _notes(f, inputs, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert gradcheck(f, inputs, **kw) is True
    return [str(w.message) for w in caught if issubclass(w.category, KinkNote)]


def test_relu_at_zero_passes_as_a_subgradient_with_a_note():
    x = np.array([0.0, 1.0, -2.0])
    notes = _notes(lambda t: al.relu(t), (x,))
    assert len(notes) == 1
    assert "element (0, 0): kink, one-sided derivatives 0 and 1, engine 0 (subgradient)" in notes[0]


def test_abs_at_zero_and_a_tie_of_maximum_and_clip_at_a_bound_pass():
    assert "one-sided derivatives -1 and 1, engine 0" in _notes(al.abs, (0.0,))[0]
    tie = _notes(lambda a, b: al.maximum(a, b), (np.array([1.0]), np.array([1.0])))
    assert tie and all("kink" in n for n in tie)
    assert _notes(lambda t: al.clip(t, -1.0, 1.0), (np.array([1.0, 0.5]),))


def test_strict_fails_at_any_kink():
    with pytest.raises(GradcheckError, match=r"kink.*strict"):
        gradcheck(al.abs, (0.0,), strict=True)
    assert gradcheck(al.abs, (0.5,), strict=True)


# relu whose rule says 5 at every x: outside [0, 1] at the kink, and wrong away from it.
BAD_RELU = Op(
    "badrelu",
    scalar=lambda x: max(x, 0.0),
    array=lambda x: np.maximum(x, 0.0),
    vjps=(lambda g, out, x: g * 5.0,),
)


def test_an_engine_value_outside_the_one_sided_derivatives_fails():
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: ops.apply(BAD_RELU, (t,)), (0.0,))
    assert "kink" in str(info.value) and "one-sided derivatives 0 and 1" in str(info.value)


def test_a_smooth_function_makes_no_note():
    assert _notes(lambda t: al.sin(t) * t, (np.array([0.3, -1.2]),)) == []


WRONG_SIN = Op(
    "sin", scalar=math.sin, array=np.sin, vjps=(lambda g, out, x: g * ops.sin(x),), quiet=True
)


def test_fast_mode_passes_correct_rules_and_catches_a_wrong_one():
    x = np.array([0.3, -1.2, 0.7])
    assert gradcheck(lambda t: al.tanh(t) * t, (x,), fast_mode=True, seed=3)
    assert gradcheck(lambda a, b: a @ b, (np.ones((2, 3)), np.arange(3.0)), fast_mode=True)
    with pytest.raises(GradcheckError, match=r"fast mode, seed 7.*u\^T J v"):
        gradcheck(lambda t: ops.apply(WRONG_SIN, (t,)), (x,), fast_mode=True, seed=7)


def test_fast_mode_evaluates_f_a_constant_number_of_times():
    calls = []

    def f(t):
        calls.append(1)
        return al.sin(t)

    gradcheck(f, (np.linspace(-1, 1, 50),), fast_mode=True)
    fast = len(calls)
    calls.clear()
    gradcheck(f, (np.linspace(-1, 1, 50),))
    assert fast < 10 < len(calls)


def test_the_failure_report_has_a_table_of_the_worst_elements():
    x = np.array([0.3, -1.2, 0.7, 2.0])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda t: ops.apply(WRONG_SIN, (t,)), (x,))
    msg = str(info.value)
    assert re.search(r"index +numerical +analytical +abs error +rel error", msg)
    rows = re.findall(r"^\s+\((\d+), (\d+)\)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", msg, re.M)
    assert len(rows) == 4  # every failing element, worst first
    worst = rows[0]
    assert worst[:2] == ("3", "3")  # |cos 2 - sin 2| is the largest
    assert float(worst[2]) == pytest.approx(math.cos(2.0), rel=1e-6)
    assert float(worst[3]) == pytest.approx(math.sin(2.0), rel=1e-6)
    assert float(worst[4]) == pytest.approx(abs(math.cos(2.0) - math.sin(2.0)), rel=1e-5)
    assert "atol=1e-05, rtol=0.001" in msg


def test_seed_and_strict_are_checked():
    with pytest.raises(TypeError, match="seed"):
        gradcheck(al.sin, (0.5,), fast_mode=True, seed="x")


# multiply whose rule for input 1 is wrong (it returns g * b instead of g * a).
WRONG_MUL = Op(
    "wrongmul",
    scalar=lambda a, b: a * b,
    array=np.multiply,
    vjps=(lambda g, out, a, b: g * b, lambda g, out, a, b: g * b),
)


def test_a_failure_names_the_first_op_whose_rule_is_wrong():
    def f(x):
        h = al.tanh(x * 2.0)
        h.label = "h"
        s = ops.apply(WRONG_SIN, (h,))
        s.label = "s"
        return al.exp(s).sum()

    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (np.array([0.3, -1.2]),))
    msg = str(info.value)
    assert re.search(r"first op whose rule is wrong: 'sin' \(label 's', op 3 of 5", msg), msg
    assert "input 0" in msg.split("first op whose rule is wrong")[1]


def test_the_blame_names_the_input_index_of_a_two_input_op():
    f = lambda a, b: al.sin(ops.apply(WRONG_MUL, (a, b)))
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (0.7, 1.3))
    tail = str(info.value).split("first op whose rule is wrong: ")[1]
    assert tail.startswith("'wrongmul'") and "input 1" in tail


def test_an_op_undefined_where_it_was_evaluated_is_named_and_its_rule_not_blamed():
    # sqrt(-1) is NaN on both sides of the check: no derivative exists, sqrt's rule is fine.
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: al.log(x * x) + al.sqrt(x), (-1.0,))
    msg = str(info.value)
    assert "first op whose rule is wrong" not in msg, msg
    assert "first op undefined where it was evaluated: 'sqrt' (no label, op " in msg, msg


def test_a_step_of_f_is_not_a_kink():
    # d relu / dx jumps at 0: its one-sided differences grow like 1/eps, no subgradient.
    from autograd_lite import gradgradcheck

    with pytest.raises(GradcheckError):
        gradgradcheck(al.relu, (0.0,))


def test_the_kink_note_points_at_the_caller():
    for check in (
        lambda: gradcheck(al.relu, (np.array([0.0, 1.5]),)),
        lambda: al.gradcheck_module(_Relu(), lambda out, t: out.sum(), np.zeros(2), None),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check()
        notes = [w for w in caught if issubclass(w.category, KinkNote)]
        assert notes and notes[0].filename == __file__


class _Relu(al.nn.Module):
    def __init__(self):
        self.shift = al.Tensor(np.zeros(2), requires_grad=True)

    def forward(self, x):
        return al.relu(x + self.shift)
