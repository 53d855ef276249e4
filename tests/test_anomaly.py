"""detect_anomaly: the first non-finite value of the forward or backward pass raises
FloatingPointError naming the op, where the user's code made it, and its inputs."""

import math

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import Tensor, Value
from autograd_lite.core import graph
from autograd_lite.core.graph import Op


def _line_of(marker):
    """The line number in this file of the line holding `marker`."""
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if marker in line and "_line_of" not in line)


def test_a_forward_nan_names_the_op_the_line_and_the_inputs():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    with pytest.raises(FloatingPointError) as info:
        with al.detect_anomaly():
            y = x * 2.0
            al.log(y)  # MARK-LOG
    msg = str(info.value)
    assert "'log'" in msg and "forward" in msg
    assert f"test_anomaly.py:{_line_of('MARK-LOG')}" in msg
    assert "shape (3,)" in msg and "min -4" in msg and "max 6" in msg
    assert "nan" in msg.lower()


def test_an_infinity_stops_only_when_check_inf_is_true():
    v = Value(0.0)
    with pytest.raises(FloatingPointError, match="inf"):
        with al.detect_anomaly():
            al.log(v)
    with al.detect_anomaly(check_inf=False):
        w = al.log(v)  # -inf, not NaN: allowed
        assert w.data == -math.inf
        with pytest.raises(FloatingPointError, match="nan"):
            w - w  # -inf - -inf = nan


def test_outside_the_block_nothing_is_checked():
    x = Tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = al.log(x)
    assert np.isnan(y.data).all()
    assert graph._state.anomaly is None


# sqrt with a rule that divides by zero at x = 0: inf in the backward pass only.
def _bad_rule(g, out, x):
    return g / (x * 0.0)


BAD = Op("badsqrt", scalar=math.sqrt, array=np.sqrt, vjps=(_bad_rule,), quiet=True)


def test_a_backward_rule_producing_inf_is_named_with_its_input_index():
    from autograd_lite.core import ops

    x = Tensor([4.0, 9.0], requires_grad=True)
    with al.detect_anomaly():
        y = ops.apply(BAD, (x,))  # MARK-BAD
        loss = y.sum()
        with pytest.raises(FloatingPointError) as info:
            loss.backward()
    msg = str(info.value)
    assert "'badsqrt'" in msg and "backward" in msg and "input 0" in msg
    assert f"test_anomaly.py:{_line_of('MARK-BAD')}" in msg
    assert x.grad is None  # nothing committed


def test_a_backward_nan_under_create_graph_is_caught():
    x = Value(0.0)
    with al.detect_anomaly():
        y = al.sqrt(x * x + 1.0) * 0.0 + al.abs(x)  # finite forward
        y.backward(create_graph=True)  # abs'(0) = 0: finite
    z = Value(-1.0)
    with al.detect_anomaly(), pytest.raises(FloatingPointError):
        (al.sqrt(z * 0.0) * z).backward()  # sqrt'(0) = inf, times 0 -> nan in the rule


def test_the_state_is_restored_after_an_error_and_blocks_nest():
    with pytest.raises(FloatingPointError):
        with al.detect_anomaly():
            al.log(Value(-1.0))
    assert graph._state.anomaly is None
    with al.detect_anomaly(check_inf=False):
        with al.detect_anomaly():
            with pytest.raises(FloatingPointError):
                al.exp(Value(1000.0))
        al.exp(Value(1000.0))  # the outer block allows inf again
    assert graph._state.anomaly is None


def test_check_inf_must_be_a_bool():
    with pytest.raises(TypeError, match="check_inf"):
        al.detect_anomaly(check_inf="yes")


def _outlined(dot, name):
    """True if the DOT line of the node named `name` carries the non-finite outline."""
    line = next(s for s in dot.splitlines() if f"<B>{name}</B>" in s)
    return "penwidth=3" in line and al.viz.drawing.NONFINITE_COLOR in line


def test_draw_graph_outlines_the_nodes_holding_a_nan_or_an_inf():
    x = Tensor([1.0, -1.0], requires_grad=True, label="x")
    w = Tensor([1.0, 2.0], requires_grad=True, label="w")
    with np.errstate(invalid="ignore"):
        y = al.sqrt(x)  # data nan at -1
    y.label = "y"
    loss = (y * 0.0).sum() + (w * 2.0).sum()
    with np.errstate(all="ignore"):
        loss.backward()  # x.grad: 0 * inf = nan at -1
    dot = al.draw_graph(loss, highlight_nonfinite=True).source
    assert _outlined(dot, "y") and _outlined(dot, "x")
    assert not _outlined(dot, "w")  # finite data and grad
    assert al.viz.drawing.NONFINITE_COLOR not in al.draw_graph(loss).source


def test_grad_mode_switches_inside_and_around_a_block_keep_the_check():
    # Grad mode's flag carries the active block (graph._on): every switch must keep it.
    x = Value(-1.0, requires_grad=True)
    with al.no_grad():
        with al.detect_anomaly():
            assert al.is_grad_enabled() is False
            al.log(x)  # not recorded: nothing checked, as outside
            with al.enable_grad():
                assert al.is_grad_enabled() is True
                with pytest.raises(FloatingPointError, match="'log'"):
                    al.log(x)
        with al.enable_grad():
            al.log(x)  # the block is over: no check
    with al.detect_anomaly():
        with al.no_grad():
            al.log(x)
        with pytest.raises(FloatingPointError, match="'log'"):
            al.log(x)  # back on after no_grad
        y = al.sqrt(Value(2.0, requires_grad=True))
        g = al.grad(lambda t: al.log(t - 3.0))  # a transform inside the block is checked
        with pytest.raises(FloatingPointError, match="'log'"):
            g(y)
    assert graph._state.enabled is True and graph._state.anomaly is None
    assert al.is_grad_enabled() is True
