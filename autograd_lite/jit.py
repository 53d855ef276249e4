"""`compile(fn)`: record one call of `fn`, then replay it without building a graph.

A training loop does the same work thousands of times over the same shapes, and the
cost of an eager step is mostly Python work per op: making node objects, the
topological sort, the dictionaries of the sweep. `compile` records that work once as
a flat program and replays it (the idea of `jax.jit`, PyTorch's CUDA graphs and
tinygrad's `TinyJit`, kept as small as the engine).

Recording. The first call with arguments of a new structure runs `fn` eagerly while
a recorder watches the few places where the engine does work:

- every node made (`tensor._new_tensor`, `value._new_value`: the op, its raw inputs and
  parameters) and every leaf made (`Tensor(...)`, `Value(...)`) inside `fn`;
- every backward sweep (`backward`, and the `cotangents` of the transforms): the sweep
  is run by the recorder itself, rule call by rule call, in the order and with the
  sums to shape and the accumulations of `graph._sweep`, so the program holds the
  same float operations in the same order;
- the commits of `.grad`, assignments of `.grad`, and the optimizers' and schedulers'
  `step()`, which are replayed by calling the very same methods.

The recorder is installed by swapping those functions for the duration of the
recording only: eager mode runs exactly the code it ran before (no flag tested per op).

Program. A list of instructions over a register file (a Python list): each is a
function and the registers of its arguments and result, `r[o] = f(r[a], r[b])`,
grouped in blocks of one kind, each run by a short loop (`_optimize` then fuses,
inlines float arithmetic and reuses registers). There are no nodes, no sort and no
dictionaries. The functions are the ops' own raw-array and float forwards and vjp
rules (or, for a few operators, the same expression: `operator.mul` for the rule
`g * y`), and for the hot ones on arrays the kernels they end in, called directly once
the recording knows the shapes (`_KERNELS`), so a replay is bit-for-bit the eager call.
Python source compiled with `compile()` was measured slower to make (tens of
microseconds per line) than the program saves, so none is generated (and a Tensor step
written out as one straight-line function replayed no faster than the interpreter).
A scalar program (tens of thousands of float operations, most of them independent: the
samples of a batch, the neurons of a layer) is replayed by levels instead (`_levelled`):
the float operations of one kind that depend on nothing not computed yet run as one numpy
call on an array of the floats, which IEEE 754's exact rounding makes the same bits as
Python's operators.

Leaves not passed as arguments (a model's parameters, captured by closure) are
read from their objects when the program first needs them, and again after every
optimizer step, as eager code reads them.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from operator import attrgetter, itemgetter

import numpy as np

from .core import graph, ops, shapes, tensor, value
from .core.graph import Node
from .core.tensor import Tensor
from .core.value import Value
from .nn import layers, losses
from .nn.layers import Dropout
from .nn.module import Module
from .nn.normalization import BatchNorm1d
from .optim import lr_scheduler, optimizers
from .transforms import functional
from .transforms.functional import _Call

__all__ = ["compile"]

_ndarray = np.ndarray

# ---------------------------------------------------------------------------------------
# Scalar arithmetic as C functions: the same float operation as the op's own code.

#: Forwards on floats that never raise (so no IEEE fallback is needed): the op's own function.
_SAFE_SCALAR = {ops.ADD, ops.SUB, ops.MUL, ops.NEG, ops.RELU, ops.TANH}


def _tanh_rule(g, out):
    return g * (1 - out * out)  # TANH's rule, g * (1 - out * out), on its two operands


def _relu_rule(g, x):
    return 0.0 if x <= 0 else g  # RELU's rule on floats (`ops._relu_rule`)


#: vjp rules as one cheap call: (op, input) -> (function, which rule arguments it takes);
#: the function computes exactly the expression of the rule. None: the rule returns g itself.
#: `scalar` entries hold for floats only; the others for arrays as well.
_FAST_RULES = {
    (ops.ADD, 0): None,
    (ops.ADD, 1): None,
    (ops.SUB, 0): None,
    (ops.SUB, 1): (operator.neg, ()),
    (ops.NEG, 0): (operator.neg, ()),
    (ops.MUL, 0): (operator.mul, (3,)),  # g * y: the rule arguments are (g, out, x, y)
    (ops.MUL, 1): (operator.mul, (2,)),  # g * x
    (ops.TANH, 0): (_tanh_rule, (1,)),
}
_FAST_SCALAR_RULES = {(ops.RELU, 0): (_relu_rule, (2,))}


def _plan(op, i, scalar):
    """How the sweep runs the rule of input i of `op`: (function, positions of its rule
    arguments (g, out, *inputs, *params) after g, or None for all); (None, None): g itself."""
    fast = _FAST_RULES.get((op, i), False)
    if fast is False and scalar:
        fast = _FAST_SCALAR_RULES.get((op, i), False)
    if fast is None:
        return None, None
    if fast is not False:
        return fast[0], tuple(k - 1 for k in fast[1])
    return (_float_rule(op.vjps[i]) if scalar else op.vjps[i]), None


# ---------------------------------------------------------------------------------------
# The program and its interpreter.

# Instruction kinds. Recorded: a call `f` of one, two or n registers, or `f(r)` for the calls
# with effects (commits, optimizer steps). Made by `_optimize` from those: arithmetic written
# in the interpreter itself, which calls nothing (the same operators, so the same floats).
_CALL, _UNARY, _BINARY, _NARY = 0, 1, 2, 3
_MIXED = 4  # one- and two-operand calls, as (f, o, a, b), b None for one
_MULADD, _ADDMUL, _ADD, _MUL, _RELU, _RELU_RULE, _TANH_RULE = 5, 6, 7, 8, 9, 10, 11

_RELU_SCALAR = ops.RELU.scalar


# One function per kind runs a block of instructions on the register file `r` (a list): a
# program is a list of (function, block), so a block costs one call, whatever its kind.


def _muladd(r, code):
    for o, c, a, b in code:
        r[o] = r[c] + r[a] * r[b]


def _addmul(r, code):
    for o, c, a, b in code:
        r[o] = r[a] * r[b] + r[c]


def _add(r, code):
    for o, a, b in code:
        r[o] = r[a] + r[b]


def _mul(r, code):
    for o, a, b in code:
        r[o] = r[a] * r[b]


def _relu(r, code):
    for o, a in code:
        x = r[a]
        r[o] = 0.0 if x <= 0 else x  # RELU's forward on floats


def _relu_rule_inline(r, code):
    for o, g, a in code:
        r[o] = 0.0 if r[a] <= 0 else r[g]  # RELU's rule on floats (`_relu_rule`)


def _tanh_rule_inline(r, code):
    for o, g, a in code:
        y = r[a]
        r[o] = r[g] * (1.0 - y * y)  # TANH's rule g * (1 - out * out); 1.0 == 1 exactly


def _unary(r, code):
    for f, o, a in code:
        r[o] = f(r[a])


def _binary(r, code):
    for f, o, a, b in code:
        r[o] = f(r[a], r[b])


def _mixed(r, code):
    for f, o, a, b in code:
        r[o] = f(r[a]) if b is None else f(r[a], r[b])


def _nary(r, code):
    get = r.__getitem__
    for f, o, idx in code:
        r[o] = f(*map(get, idx))


def _calls(r, code):  # effects (commits, optimizer steps): no result
    get = r.__getitem__
    for f, idx in code:
        f(*map(get, idx))


_RUNNERS = {
    _CALL: _calls,
    _UNARY: _unary,
    _BINARY: _binary,
    _NARY: _nary,
    _MIXED: _mixed,
    _MULADD: _muladd,
    _ADDMUL: _addmul,
    _ADD: _add,
    _MUL: _mul,
    _RELU: _relu,
    _RELU_RULE: _relu_rule_inline,
    _TANH_RULE: _tanh_rule_inline,
}


def _run(r, program):
    """Execute `program` [(runner, block), ...] on the register file `r`, in order."""
    for run, code in program:
        run(r, code)


def _reads(kind, ins):
    """The registers instruction `ins` of `kind` reads, as recorded (before `_optimize`)."""
    if kind == _BINARY:
        return ins[2:]
    if kind == _UNARY:
        return (ins[2],)
    return ins[2] if kind == _NARY else ins[1]


def _optimize(blocks, pinned, fixed, vals):
    """The recorded program made quicker, computing the same floats, in two passes.

    1. Inline arithmetic: a product whose only use is the sum that follows is fused with it
       (`r[c] + r[a] * r[b]`, rounded twice as the two operations were); sums, products and
       ReLU on floats are written in the interpreter (the same operators, no call).
    2. Registers reused: a register is free after its last read, so the live values stay
       few and close together in memory (a register file as large as the program was
       measured several times slower, from cache misses alone).
    `pinned`: registers read by the outputs; `fixed`: registers of constants and inputs;
    `vals`: the recorded values (inline arithmetic is for floats; calls on arrays go in
    blocks mixing one and two operands, so a chain of ops is one block).
    Returns (blocks, {recorded register: register} as a list, number of registers).
    """
    size = len(vals)
    reads, last = [0] * size, [-1] * size
    pos = 0
    for kind, code in blocks:
        if kind == _BINARY:  # the common kind, unrolled
            for _, _, a, b in code:
                reads[a] += 1
                reads[b] += 1
                last[a] = last[b] = pos
                pos += 1
            continue
        for ins in code:
            for k in _reads(kind, ins):
                reads[k] += 1
                last[k] = pos
            pos += 1
    where = [-1] * size
    n_regs = 0
    for k in sorted(fixed | pinned):  # constants, inputs and outputs: one register each
        where[k] = n_regs
        n_regs += 1
    never = pos + 1  # `dies[k]`: the position of k's last read, `never` if k is kept
    dies = last
    for k in fixed | pinned:
        dies[k] = never
    free, out = [], []
    mul, add = operator.mul, operator.add
    inline = {mul: _MUL, add: _ADD, _relu_rule: _RELU_RULE, _tanh_rule: _TANH_RULE}
    pos = 0
    current_kind, current = None, None
    for kind, code in blocks:
        j, n = 0, len(code)
        while j < n:
            ins = code[j]
            j += 1
            new_kind = kind
            if kind == _BINARY:
                f, o, a, b = ins
                ins_reads = (a, b)
                if vals[o].__class__ is not float:  # arrays: calls, in long blocks of one kind
                    new_kind = _MIXED
                elif f is mul and j < n and code[j][0] is add and reads[o] == 1 and dies[o] < never:
                    _, o2, x, y = code[j]
                    if (x == o) != (y == o):  # r[x] + (a * b) or (a * b) + r[y]
                        j += 1
                        pos += 1
                        c = x if y == o else y
                        new_kind = _MULADD if y == o else _ADDMUL
                        o, ins_reads = o2, (c, a, b)
                if new_kind == _BINARY:
                    new_kind = inline.get(f, _BINARY)
            else:
                ins_reads = _reads(kind, ins)
                if kind == _UNARY:
                    if ins[0] is _RELU_SCALAR:
                        new_kind = _RELU
                    elif vals[ins[1]].__class__ is not float:
                        new_kind = _MIXED
                o = None if kind == _CALL else ins[1]
            operands = tuple([where[k] for k in ins_reads])
            for k in ins_reads:  # read before the result is written: its slot may take it
                if dies[k] <= pos and where[k] >= 0:
                    free.append(where[k])
                    where[k] = -2  # freed (a register read twice is freed once)
            pos += 1
            if o is None:
                ins = (ins[0], operands)
            else:
                w = where[o]
                if w == -1:
                    w = where[o] = free.pop() if free else n_regs
                    if w == n_regs:
                        n_regs += 1
                if new_kind >= _MULADD:
                    ins = (w, *operands)
                elif new_kind == _MIXED:
                    ins = (ins[0], w, operands[0], operands[1] if len(operands) == 2 else None)
                elif new_kind == _NARY:
                    ins = (ins[0], w, operands)
                else:
                    ins = (ins[0], w, *operands)
                if dies[o] < 0:  # never read: its slot is free at once
                    free.append(w)
            if new_kind == current_kind:
                current.append(ins)
            else:
                current_kind, current = new_kind, [ins]
                out.append((new_kind, current))
    return [(_RUNNERS[kind], tuple(code)) for kind, code in out], where, n_regs


# ---------------------------------------------------------------------------------------
# Float arithmetic by levels, on a numpy array (`_levelled`).
#
# A scalar step is tens of thousands of float operations on registers, but few of them
# depend on each other: the 32 samples of a batch, the 16 neurons of a layer are computed
# side by side. Between two calls with effects, an instruction's level is 1 + the highest
# level of the instructions whose results it reads; the instructions of one level are
# independent, so those of one kind run as one numpy operation over the float registers,
# kept in one float64 array. IEEE 754 rounds +, -, * and negation exactly, and numpy's
# float64 ufuncs are those operations, so `np.add(x, y)` gives, element by element, the
# bits of Python's `x + y`, as long as each Python operation is one ufunc call (nothing
# fused: `g * (1 - y * y)` is three calls, rounded three times as Python rounds it).
# Everything else (math.tanh, pow with its fallback, reading a parameter's data) is called
# one by one, as recorded, in the order of the levels: libm and numpy may round
# transcendental functions differently.

_FLOATS = 0  # the register holding the float array, in a levelled program


def _relu_into(out, x):
    out[...] = np.where(x <= 0, 0.0, x)  # `0.0 if x <= 0 else x`: NaN kept, -0.0 gives 0.0


def _relu_rule_into(out, g, x):
    out[...] = np.where(x <= 0, 0.0, g)  # `_relu_rule`: `0.0 if x <= 0 else g`


def _tanh_rule_into(out, g, y):
    t = y * y  # `_tanh_rule`: g * (1 - y * y), one rounding per operation
    np.subtract(1.0, t, out=t)
    np.multiply(g, t, out=out)


#: The float operations run by numpy, by the number of their operands: recorded function
#: -> function writing the results into `out` from the operand arrays.
_VECTOR1 = {
    operator.neg: lambda out, x: np.negative(x, out=out),
    _RELU_SCALAR: _relu_into,
}
_VECTOR2 = {
    operator.add: lambda out, x, y: np.add(x, y, out=out),
    operator.sub: lambda out, x, y: np.subtract(x, y, out=out),
    operator.mul: lambda out, x, y: np.multiply(x, y, out=out),
    _relu_rule: _relu_rule_into,
    _tanh_rule: _tanh_rule_into,
}

#: A numpy call costs about as much as 20 instructions of the interpreter: the float
#: operations of one function and level run by numpy from this many on, and a program is
#: levelled when those are at least this share of its float instructions.
_LEVELS_MIN_WIDTH = 16
_LEVELS_MIN_SHARE = 0.5


def _vector1(r, code):
    into, _, a, out = code
    floats = r[_FLOATS]
    into(floats[out], floats[a])


def _vector2(r, code):
    into, _, a, b, out = code
    floats = r[_FLOATS]
    into(floats[out], floats[a], floats[b])


# Which NaN an operation on two NaNs gives (its sign, its payload) is left to the machine
# code: CPython's `x * y` and numpy's loops pick different operands. A region whose results
# hold a NaN is run again with these runners, which compute the elements with a NaN operand
# by the recorded Python function itself (`_nan_check`).


def _vector1_nan(r, code):
    _vector1(r, code)
    _, f, a, out = code
    floats = r[_FLOATS]
    x, result = floats[a], floats[out]
    for i in np.flatnonzero(np.isnan(x)).tolist():
        result[i] = f(x.item(i))


def _vector2_nan(r, code):
    _vector2(r, code)
    _, f, a, b, out = code
    floats = r[_FLOATS]
    x, y, result = floats[a], floats[b], floats[out]
    for i in np.flatnonzero(np.isnan(x) | np.isnan(y)).tolist():
        result[i] = f(x.item(i), y.item(i))


def _nan_check(r, code):
    """Run a region again by the runners above if its results (a slice) hold a NaN: an
    arithmetic operation with a NaN operand gives a NaN, so without one, none met two NaNs."""
    results, again = code
    if np.isnan(r[_FLOATS][results]).any():
        _run(r, again)


def _to_list(r, code):
    """Floats of the array the interpreter reads, as Python floats, into r[lo:hi]."""
    source, lo, hi = code
    r[lo:hi] = r[_FLOATS][source].tolist()


def _to_array(r, code):
    """Floats the interpreter computed, in the registers `regs` of r, into the array."""
    regs, out = code
    r[_FLOATS][out] = list(map(r.__getitem__, regs))


def _positions(positions):
    """An index into the float array: a slice (a view, no copy) where consecutive."""
    start, n = positions[0], len(positions)
    if positions[-1] == start + n - 1 and positions == list(range(start, start + n)):
        return slice(start, start + n)
    return np.array(positions, dtype=np.intp)


def _levelled(blocks, pinned, fixed, consts, vals):
    """The recorded program with its float arithmetic run by levels on a float array, or
    None where too little of it would run on numpy.

    Regions: runs of instructions whose results are floats (between calls with effects,
    array work, ...). In each, an instruction's level is 1 + the highest level of the
    instructions it reads. The instructions of `_VECTOR1` and `_VECTOR2` on floats of one
    level and function run as one numpy call when there are `_LEVELS_MIN_WIDTH` of them or
    more, their results side by side in the array (so the next
    level often reads a slice); the others are called one by one, level by level in
    recorded order, on Python floats copied out of the array (and their results into it
    when numpy reads them). The program is levelled when the numpy ones are at least
    `_LEVELS_MIN_SHARE` of the float instructions. Registers are numbered anew and never
    reused: the schedule is made on the recorded program, where each register is written
    once (reuse would let a level overwrite what a later one reads). r[_FLOATS] is the
    array, `floats` its template (the float constants in place); the floats that the
    interpreter reads (calls, array work, the outputs) are copied into r at the end of
    their region.
    Returns (blocks, [register in r of each recorded register], size of r, floats).
    """
    size = len(vals)
    level, in_array = [0] * size, [False] * size  # in_array: a float of the float array
    for reg, obj in consts:
        in_array[reg] = obj.__class__ is float
    # One pass: regions, levels, and the groups of each region by (level, numpy function).
    parts, groups, plain_reads = [], None, set(pinned)
    for kind, code in blocks:
        for ins in code:
            o = ins[1]
            if kind == _CALL or vals[o].__class__ is not float:
                groups = None
                parts.append((kind, ins))
                plain_reads.update(_reads(kind, ins))
                continue
            if groups is None:
                groups = {}
                parts.append(groups)
            if kind == _BINARY:  # the common kind, written out
                a, b = ins[2], ins[3]
                la, lb = level[a], level[b]
                lv = level[o] = (la if la > lb else lb) + 1
                into = _VECTOR2.get(ins[0]) if in_array[a] and in_array[b] else None
            else:
                reads = ins[2] if kind == _NARY else ins[2:]
                lv = level[o] = 1 + max(map(level.__getitem__, reads), default=0)
                into = _VECTOR1.get(ins[0]) if kind == _UNARY and in_array[ins[2]] else None
            in_array[o] = True
            if into is None:
                ins = (kind, ins)  # called as recorded (a math function, an int operand)
            group = groups.get((lv, into))
            if group is None:
                group = groups[(lv, into)] = []
            group.append(ins)
    min_width = _LEVELS_MIN_WIDTH
    n_wide = sum(
        len(group)
        for part in parts
        if part.__class__ is dict
        for (_, into), group in part.items()
        if into is not None and len(group) >= min_width
    )
    if n_wide == 0 or n_wide < _LEVELS_MIN_SHARE * sum(
        len(group) for part in parts if part.__class__ is dict for group in part.values()
    ):
        return None

    where, position = [-1] * size, [-1] * size  # recorded register -> in r, in the array
    n_slots, n_floats, floats, program = 1, 0, [], []  # r[0]: the float array
    pending = []  # results of the interpreter not copied into the array yet

    def slots(regs):  # new registers of r for `regs`: (first, end)
        nonlocal n_slots
        lo = n_slots
        for k in regs:
            where[k] = n_slots
            n_slots += 1
        return lo, n_slots

    def placed(regs):  # the float array's slice for the results `regs`, side by side
        nonlocal n_floats
        start = n_floats
        for k in regs:
            position[k] = n_floats
            n_floats += 1
        return slice(start, n_floats)

    def gather(regs):
        return _positions([position[k] for k in regs])

    def emit(runner, ins):  # an instruction for the interpreter, in blocks of one runner
        if program and program[-1][0] is runner:
            program[-1][1].append(ins)
        else:
            program.append((runner, [ins]))

    slots(sorted(fixed))
    for reg, obj in consts:
        if in_array[reg]:
            floats.append((placed([reg]).start, obj))
    for part in parts:
        if part.__class__ is not dict:
            kind, ins = part
            if kind == _CALL:
                emit(_calls, (ins[0], tuple([where[k] for k in ins[1]])))
            elif kind == _NARY:
                o = slots([ins[1]])[0]
                emit(_nary, (ins[0], o, tuple([where[k] for k in ins[2]])))
            else:
                o = slots([ins[1]])[0]
                emit(_RUNNERS[kind], (ins[0], o, *[where[k] for k in ins[2:]]))
            continue
        made, start, first = [], n_floats, len(program)  # the region's results by numpy
        for (_, into), group in sorted(part.items(), key=lambda item: item[0][0]):
            if into is not None and len(group) >= min_width:
                operands = list(zip(*[ins[2:] for ins in group]))
                if any(position[k] < 0 for regs in operands for k in regs):
                    program.append((_to_array, ([where[k] for k in pending], placed(pending))))
                    pending = []
                args = [gather(regs) for regs in operands]
                outs = [ins[1] for ins in group]
                runner = _vector1 if len(args) == 1 else _vector2
                program.append((runner, (into, group[0][0], *args, placed(outs))))
                made += outs
                continue
            if into is not None:  # too few for a numpy call: one by one
                group = [(_BINARY if len(ins) == 4 else _UNARY, ins) for ins in group]
            reads = [k for kind, ins in group for k in _reads(kind, ins)]
            loads = list(dict.fromkeys(k for k in reads if in_array[k] and where[k] < 0))
            if loads:
                program.append((_to_list, (gather(loads), *slots(loads))))
            for kind, ins in group:
                o = slots([ins[1]])[0]
                if kind == _NARY:
                    emit(_nary, (ins[0], o, tuple([where[k] for k in ins[2]])))
                else:
                    emit(_RUNNERS[kind], (ins[0], o, *[where[k] for k in ins[2:]]))
                pending.append(ins[1])
        again = [(_NAN_RUNNERS.get(run, run), code) for run, code in program[first:]]
        program.append((_nan_check, (slice(start, n_floats), again)))
        exports = [k for k in made if k in plain_reads and where[k] < 0]
        if exports:
            program.append((_to_list, (gather(exports), *slots(exports))))
    template = np.zeros(n_floats)
    for at, obj in floats:
        template[at] = obj
    return _frozen(program), where, n_slots, template


_NAN_RUNNERS = {_vector1: _vector1_nan, _vector2: _vector2_nan}


def _frozen(program):
    """The blocks of `program` as tuples (the interpreter's), also in `_nan_check`'s."""
    out = []
    for run, code in program:
        if code.__class__ is list:
            code = tuple(code)
        elif run is _nan_check:
            code = (code[0], _frozen(code[1]))
        out.append((run, code))
    return out


@functools.cache
def _scalar_forward(op, n):
    """`op` on floats with the IEEE fallback, as `Value` runs it (n inputs, then params)."""
    forward = ops.scalar_forward

    def run(*args):
        return forward(op, args[:n], args[n:])

    return run


@functools.cache
def _array_forward(op, zero_d):
    """`op`'s array forward as `Tensor` runs it (an ndarray even for 0-d results)."""
    if not zero_d:
        return op.array
    array, asarray = op.array, np.asarray

    def run(*args):
        return asarray(array(*args))

    return run


@functools.cache
def _float_rule(rule):
    """A vjp rule on floats with the sweep's IEEE fallback at a pole (`graph._ieee_rule`)."""

    def run(g, *args):
        try:
            return rule(g, *args)
        except (ArithmeticError, ValueError):
            return graph._ieee_rule(rule, g, args)

    return run


def _as_value_forward(x):
    return float(x.reshape(()))  # `Tensor._as_value`


def _tuple(*items):
    return items


def _from_items(convert, cls, items):
    return convert(cls(items))  # a list or tuple operand made of registers, converted


# ---------------------------------------------------------------------------------------
# Kernels. A recorded call of a generic function (a rule that tells nodes from raw arrays,
# reads shapes, normalizes axes, picks a path) is replaced, for the kinds and shapes it met,
# by the kernel it ended in (`ops`' kernels: the same numpy calls in the same order), with
# the parameters those shapes fix bound once. In a replay the Python around the arithmetic
# costs more than the arithmetic of a small layer. Each maker takes the recorded arguments
# and gives (kernel, the positions of the arguments it takes) or None (kept generic), or
# a list of such steps: a position past the arguments is the result of an earlier step.


def _relu_rule_kernel(g, out, x):
    if g.__class__ is _ndarray and x.__class__ is _ndarray and out.__class__ is _ndarray:
        return ops._relu_rule_raw, (0, 1)
    return None


def _log_softmax_kernel(x, axis):
    if x.__class__ is _ndarray:
        return functools.partial(ops._log_softmax_raw, ops._normalize_axes(axis, x.ndim)), (0,)
    return None


def _log_softmax_rule_kernel(g, out, x, axis):
    if g.__class__ is _ndarray and out.__class__ is _ndarray:
        # In two steps: the sum of g (computed once where g is a constant: the cotangent of
        # a loss picking log-probabilities at captured labels), then the rest.
        total = functools.partial(ops._sum, axis=ops._from_end(axis, out.ndim), keepdims=True)
        return [(total, (0,)), (ops._log_softmax_rule_summed, (0, 1, 4))]
    return None


def _mean_kernel(x, axis, keepdims):
    if x.__class__ is _ndarray:
        axes, scale = ops._normalize_axes(axis, x.ndim), ops._mean_scale(x.shape, axis)
        return functools.partial(ops._mean_raw, axes, keepdims, scale), (0,)
    return None


def _mean_rule_kernel(g, out, x, axis, keepdims):
    if axis is None and g.__class__ is _ndarray and not g.ndim and x.__class__ is _ndarray:
        scale = ops._mean_scale(x.shape, None)
        return functools.partial(ops._mean_all_rule_raw, scale, x.shape), (0,)
    return None


def _getitem_rule_kernel(g, out, x, index):
    if g.__class__ is not _ndarray or x.__class__ is not _ndarray:
        return None
    parts = index if index.__class__ is tuple else (index,)
    # A batched sweep's g (batch axes in front) has another shape than the positions.
    if ops._int_on_every_axis(g, parts, x.shape):
        if np.ravel_multi_index(parts, x.shape, mode="wrap").shape == g.shape:
            return functools.partial(ops._scatter_by_index, x.shape), (3, 0)
    return None


def _sum_to_shape_kernel(c, like):
    if like.__class__ is not _ndarray or c.dtype != like.dtype:
        return None
    if c.__class__ is _ndarray and c.ndim >= like.ndim and c.shape != like.shape:
        return functools.partial(
            tensor._summed, tensor._broadcast_axes(c.shape, like.shape), like.shape
        ), (0,)
    if isinstance(c, np.generic) and c.shape == like.shape:  # numpy's scalar for 0-d arithmetic
        return np.asarray, (0,)
    return None


def _ones_like_kernel(x):
    if x.__class__ is _ndarray and not x.ndim:  # a scalar root's seed, 1 in its dtype
        return functools.partial(np.array, 1, x.dtype), ()
    return None


def _matmul_kernel(a, b):
    if a.__class__ is _ndarray and b.__class__ is _ndarray and a.ndim and b.ndim:
        return np.matmul, (0, 1)
    return None


def _matmul_da_kernel(g, out, a, b):
    if b.ndim == 2 and g.__class__ is _ndarray and b.__class__ is _ndarray:
        return ops._matmul_da_raw, (0, 3)
    return None


def _matmul_db_kernel(g, out, a, b):
    if a.ndim == 2 and b.ndim == 2 and g.__class__ is _ndarray and a.__class__ is _ndarray:
        return ops._matmul_db_raw, (2, 0)
    return None


#: function recorded -> the maker of its kernel for the arguments recorded.
_KERNELS = {
    ops._relu_rule: _relu_rule_kernel,
    ops._log_softmax_array: _log_softmax_kernel,
    ops._log_softmax_rule: _log_softmax_rule_kernel,
    ops._mean_array: _mean_kernel,
    _array_forward(ops.MEAN, True): _mean_kernel,  # the mean of all, a 0-d array
    ops._mean_rule: _mean_rule_kernel,
    ops.GETITEM.vjps[0]: _getitem_rule_kernel,
    Tensor._sum_to_shape: _sum_to_shape_kernel,
    np.ones_like: _ones_like_kernel,
    ops._matmul_array: _matmul_kernel,
    ops._matmul_da: _matmul_da_kernel,
    ops._matmul_db: _matmul_db_kernel,
}


#: Functions that make a new value from their operands alone (nothing else read, nothing
#: written): a call of one on immutable constants is a constant (`_folded`).
_PURE = {
    np.array,
    np.asarray,
    np.matmul,
    operator.add,
    operator.mul,
    operator.neg,
    operator.sub,
    ops._log_softmax_raw,
    ops._log_softmax_rule_raw,
    ops._log_softmax_rule_summed,
    ops._matmul_da_raw,
    ops._matmul_db_raw,
    ops._mean_all_rule_raw,
    ops._mean_raw,
    ops._relu_rule_raw,
    ops._scatter_by_index,
    ops._sum,
    tensor._summed,
}
_IMMUTABLE = (float, int, bool, complex, str, type(None), np.generic)


def _immutable(obj):
    if obj.__class__ is tuple:
        return all(map(_immutable, obj))
    return isinstance(obj, _IMMUTABLE)


def _unchanging(obj):
    """A constant of a program that holds the same value at every call it replays: a number,
    an array (a program compares its constant arrays bit for bit at every call, and
    records again after an edit: `_Program.valid`), or a tuple of them."""
    if obj.__class__ is tuple:
        return all(map(_unchanging, obj))
    return obj.__class__ is _ndarray or isinstance(obj, _IMMUTABLE)


def _shares(x, y):
    """`y` is `x`, may share its memory (a view), or may hold it (a list of views, anything
    but an array or a number). Numbers share nothing anyone could edit."""
    if x is y:
        return True
    if x.__class__ is not _ndarray:
        return False
    if y.__class__ is _ndarray:
        return np.may_share_memory(x, y)
    if y.__class__ is list or y.__class__ is tuple:
        return any(_shares(x, item) for item in y)
    return not _immutable(y)


def _folded(blocks, vals, consts, pinned):
    """Calls computed once, at the recording: those of a function of `_PURE` on constants
    that hold the same value at every call (`_unchanging`: numbers, arrays, tuples of them)
    or on results of such calls (a scalar root's seed, and the rules that follow it on
    constants alone: the mean's spread of 1/n, its scatter to the labels' places), unless
    the result could leave the program: read by a call with effects (a commit into
    `.grad`), by the outputs (`pinned`), or shared by a value computed at every call. So
    nobody ever holds, and may edit, an object that every call reuses.
    Returns the blocks without those calls, and their results as [(register, value)].
    """
    foldable = {reg for reg, obj in consts if _unchanging(obj)}
    folded, operands, readers, leaving = set(), {}, {}, set(pinned)
    for kind, code in blocks:
        for ins in code:
            if kind == _CALL:
                leaving.update(ins[1])
                continue
            f, o = ins[0], ins[1]
            args = ins[2] if kind == _NARY else ins[2:]
            operands[o] = args
            for a in args:
                readers.setdefault(a, []).append(o)
            if (f.func if f.__class__ is functools.partial else f) in _PURE and all(
                a in foldable for a in args
            ):
                folded.add(o)
                foldable.add(o)
    # A result read at every call (by a call not folded, or as it leaves) is computed at
    # every call; then its folded operands may be shared through it, and so on.
    todo = [
        reg
        for reg in folded
        if reg in leaving
        or any(o not in folded and _shares(vals[reg], vals[o]) for o in readers.get(reg, ()))
    ]
    while todo:
        reg = todo.pop()
        if reg in folded:
            folded.discard(reg)
            todo.extend(a for a in operands[reg] if a in folded and _shares(vals[a], vals[reg]))
    out = []
    for kind, code in blocks:
        kept = [ins for ins in code if kind == _CALL or ins[1] not in folded]
        if kept:
            out.append((kind, kept))
    return out, [(reg, vals[reg]) for reg in sorted(folded)]


# ---------------------------------------------------------------------------------------
# Results written over an operand. Eager code gives every op's result a new array: an
# operand may be held by a node, by the user, by a later rule. A replay knows every reader:
# where an operand is read by one instruction only, and was made by the program for itself
# (a product before its bias is added, a cotangent before ReLU's rule zeroes some of it),
# the instruction writes its result over that operand. The same ufunc on the same operands
# gives the same floats, with one array fewer to allocate.


def _relu_in_place(x):
    return ops._relu_array(x, x)  # one array operand: numpy lays the new array out as x


def _c_order(a, b):
    """Both operands (b an array or a number) are C-contiguous: then so is the new array
    numpy would make for their result, so writing it over `a` keeps eager's layout, and
    with it the order in which a later sum adds its elements (an F-ordered product plus a
    C-ordered array is a C-ordered array in eager code)."""
    return a.flags.c_contiguous and (b.__class__ is not _ndarray or b.flags.c_contiguous)


def _relu_rule_in_place(g, out):
    return ops._relu_rule_raw(g, out, g if _c_order(g, out) else None)


@functools.cache
def _into_first(ufunc):
    """ufunc(a, b), written over a where that gives eager's array (`_c_order`)."""

    def run(a, b):
        if a.flags.c_contiguous and (b.__class__ is not _ndarray or b.flags.c_contiguous):
            return ufunc(a, b, out=a)  # `_c_order`, written out: this runs at every call
        return ufunc(a, b)

    run.__qualname__ = f"{ufunc.__name__}_into_first"
    return run


#: function -> its form that writes the result over its first operand (and returns it).
_IN_PLACE = {
    op: _into_first(ufunc)
    for ops_of_ufunc, ufunc in [
        ((np.add, operator.add), np.add),
        ((np.subtract, operator.sub), np.subtract),
        ((np.multiply, operator.mul), np.multiply),
        ((np.true_divide, operator.truediv), np.true_divide),
    ]
    for op in ops_of_ufunc
}
_IN_PLACE.update({ops._relu_array: _relu_in_place, ops._relu_rule_raw: _relu_rule_in_place})

#: Functions whose array result is new and theirs alone (never an operand or a view of one,
#: nothing else keeps it), with the in-place forms above (given an operand of that kind),
#: and numpy's ufuncs.
_FRESH = {
    ops._log_softmax_raw,
    ops._log_softmax_rule_summed,
    ops._matmul_da_raw,
    ops._matmul_db_raw,
    *_IN_PLACE,
    *_IN_PLACE.values(),
}


def _in_place(blocks, vals, kept):
    """`blocks` with each call of a function of `_IN_PLACE` that may write over its first
    operand doing so: an array made in this program by a function of `_FRESH` or a ufunc,
    read by this call alone and not `kept` (inputs, constants, outputs and what calls with
    effects read), of the result's shape and dtype (so numpy computes the same operation)."""
    reads = {}
    for kind, code in blocks:
        for ins in code:
            for k in _reads(kind, ins):
                reads[k] = reads.get(k, 0) + 1
    made_by, out = {}, []
    for kind, code in blocks:
        if kind == _CALL:
            out.append((kind, code))
            continue
        new = []
        for ins in code:
            f, o = ins[0], ins[1]
            into = _IN_PLACE.get(f) if kind != _NARY else None
            if into is not None:
                a, res = ins[2], vals[ins[1]]
                x = vals[a]
                if (
                    reads[a] == 1
                    and a not in kept
                    and made_by.get(a, False)
                    and res.__class__ is _ndarray
                    and x.__class__ is _ndarray
                    and res.shape == x.shape
                    and res.dtype == x.dtype
                    and (kind == _UNARY or vals[ins[3]].__class__ in (_ndarray, float))
                ):
                    f = into
                    ins = (into, *ins[1:])
            f = f.func if f.__class__ is functools.partial else f
            made_by[o] = f in _FRESH or f.__class__ is np.ufunc
            new.append(ins)
        out.append((kind, new))
    return out


#: Ops whose result has its operands' shape whatever their parameters hold (a mask, bounds).
#: A parameter computed by fn for any other op (an index: x[x > 0], a shape, a primitive's
#: own) can give other shapes at every call, which a program cannot follow.
_SHAPE_KEEPING = {ops.WHERE, ops.CLIP}


def _with_kernels(blocks, vals):
    """The recorded `blocks` with every call `_KERNELS` has a kernel for (at the recorded
    values `vals`) calling that kernel instead, on the arguments it takes. A kernel in
    several steps writes its intermediate results to new registers, appended to `vals`
    (their values computed from the recorded ones)."""
    out, current_kind = [], None
    for recorded_kind, code in blocks:
        for ins in code:
            made = [(recorded_kind, ins)]
            make = _KERNELS.get(ins[0]) if recorded_kind != _CALL else None
            if make is not None:
                args = ins[2] if recorded_kind == _NARY else ins[2:]
                found = make(*[vals[a] for a in args])
                if found is not None:
                    made, regs = [], list(args)
                    steps = found if found.__class__ is list else [found]
                    for k, (kernel, picks) in enumerate(steps):
                        step_args = tuple(regs[p] for p in picks)
                        o = ins[1]
                        if k < len(steps) - 1:  # an intermediate result: a new register
                            o = len(vals)
                            vals.append(kernel(*[vals[a] for a in step_args]))
                            regs.append(o)
                        made.append(_instruction(kernel, o, step_args))
            for kind, new in made:
                if kind != current_kind:
                    current_kind, current = kind, []
                    out.append((kind, current))
                current.append(new)
    return out


def _instruction(f, o, args):
    """(kind, instruction) of a call of f on the registers `args`, its result to register o."""
    n = len(args)
    if n == 1:
        return _UNARY, (f, o, args[0])
    if n == 2:
        return _BINARY, (f, o, *args)
    return _NARY, (f, o, args)


# ---------------------------------------------------------------------------------------
# Arguments: their structure (the cache key) and their dynamic leaves.

_STATIC = (int, bool, str, type(None), complex)


def _key(x, nodes, path="argument"):
    """The cache key of `x`; its nodes (Tensors, Values) and arrays are appended to `nodes`.

    Python numbers and arrays of integers or bools (labels, indices, masks) are part of
    the key by value, since numpy and Python arithmetic on them is not recorded: a new
    value records again. Float arrays are inputs of the program.
    """
    cls = x.__class__
    if cls is Tensor:
        index = next((i for i, n in enumerate(nodes) if n is x), len(nodes))
        if index == len(nodes):
            nodes.append(x)
        return ("T", x._data.shape, x._data.dtype.str, x.requires_grad, index)
    if cls is Value:
        index = next((i for i, n in enumerate(nodes) if n is x), len(nodes))
        if index == len(nodes):
            nodes.append(x)
        return ("V", x.requires_grad, index)
    if cls is _ndarray:
        if x.dtype.kind != "f":  # labels, indices, masks: library code works on them with numpy
            return ("a", x.shape, x.dtype.str, x.tobytes())
        # One array in two places is one input (as a node is): a program recorded for f(a, a)
        # reads one register in both places, which f(c, d) must not replay.
        index = next((i for i, n in enumerate(nodes) if n is x), len(nodes))
        if index == len(nodes):
            nodes.append(x)
        return ("A", x.shape, x.dtype.str, index)
    if cls is float:
        return ("f", x.hex())  # -0.0 and nan are keys of their own
    if isinstance(x, _STATIC):
        return ("s", cls, x)
    if cls is list or cls is tuple:
        return (cls, tuple(_key(v, nodes, f"{path}[{i}]") for i, v in enumerate(x)))
    if cls is dict:
        return (dict, tuple((k, _key(v, nodes, f"{path}[{k!r}]")) for k, v in x.items()))
    raise TypeError(
        f"al.compile: {path} is a {cls.__name__} ({x!r:.60}); a compiled function takes "
        "Tensors, Values, numpy arrays, Python numbers, and lists, tuples and dicts of them"
    )


# ---------------------------------------------------------------------------------------
# The recorder.

_recording = threading.local()  # .current: the recorder of this thread, or None
_record_lock = threading.RLock()  # one recording at a time: the swapped functions are global


def _distinct(data):
    """A new object with the bits of a node's data (a float or an ndarray, its layout
    kept: a later sum over it adds in the same order)."""
    return np.copy(data) if data.__class__ is _ndarray else math.copysign(data, data)


class _Recorder:
    """The state of one recording: registers, the program, and where each value came from."""

    def __init__(self, inputs):
        self.thread = threading.get_ident()
        self.suspended = 0  # > 0 inside a call replayed as a whole (optimizer.step)
        self.vals = []  # the value of every register during the recording
        self.consts = []  # (register, constant) to place in the register file of every call
        self.blocks = []  # [(kind, [instruction, ...]), ...]
        self.last = None  # the last block
        self.node_reg = {}  # id(node) -> register of its data (external leaves: until a step)
        self.leaf_reads = []  # ids of external nodes whose data register must be read again
        self.value_reg = {}  # id(raw value) -> register (None: two registers, ambiguous)
        self.ctx_regs = {}  # id(node) -> registers of its rule arguments (out, *inputs, *params)
        self.grad_reg = {}  # id(node made here) -> register of its .grad
        self.created = set()  # ids of the nodes made during the recording
        self.const_reg = {}  # id(constant) -> register
        self.held = {}  # id(array) -> (array, shape, dtype, bytes) when fn first used it
        self.edited = False  # fn used an array of `held` again after editing it in place
        self.keep = []  # everything whose id is a key above, alive until the end
        self.quiet = False  # the program needs numpy's floating-point warnings silenced
        self.captured = []  # captured nodes read: (node, shape, dtype, requires_grad)
        self.fixed = set()  # the registers of constants
        self.same_object = set()  # registers of constants a second recording must hold as is
        self.pinned = set()  # registers read by calls (commits) and by the outputs
        self.input_regs = []
        self.escaped = []  # (captured node, the array fn read by .data, its bytes then)
        self.modules = {}  # id(module) -> (module, `_attributes(module)` when fn called it)
        self.node_seen = set()  # ids of the external nodes read so far
        self.computed_params = False  # an op's parameter (a mask, a bound) computed by fn
        self.varying_shapes = False  # ... for an op that may change shape (x[x > 0])
        self.arrays = False  # an op on arrays recorded (kernels and folding are for those)
        self.arguments = {id(x) for x in inputs if isinstance(x, Node)}
        self.fingerprint = [_fingerprint(x) for x in inputs]
        for x in inputs:  # the dynamic leaves of the arguments, in order
            reg = self.new(x)
            self.input_regs.append(reg)
            if isinstance(x, Node):
                self.const_reg[id(x)] = reg  # the node object itself: the argument
            else:
                self.track(x, reg)

    # ---- registers ---------------------------------------------------------------------
    def new(self, val):
        self.vals.append(val)
        return len(self.vals) - 1

    def track(self, val, reg):
        """Remember that the raw value `val` is register `reg` (for values met by identity)."""
        key = id(val)
        old = self.value_reg.get(key, reg)
        self.value_reg[key] = reg if old == reg else None
        self.keep.append(val)

    def const(self, obj):
        """The register holding the constant `obj` (the same object at every call)."""
        reg = self.const_reg.get(id(obj))
        if reg is None:
            reg = self.const_reg[id(obj)] = self.new(obj)
            self.consts.append((reg, obj))
            self.fixed.add(reg)
            self.keep.append(obj)
        if obj.__class__ is _ndarray or obj.__class__ is tuple or obj.__class__ is list:
            self.hold(obj)
        return reg

    def computed(self, x):
        """`x` is a value the program computes (at every call), not a constant."""
        reg = self.value_reg.get(id(x), -1)
        return reg is None or (reg >= 0 and reg not in self.fixed)

    def hold(self, obj):
        """The arrays in `obj` (an array, or tuples and lists holding some) are constants of
        the program, by object: each is compared at every call with its shape, dtype and
        bytes as fn first used it (`_Program.valid`). A use that finds one edited since
        marks the recording as one no replay can follow (`edited`)."""
        for a in _arrays_in(obj):
            if self.computed(a):
                continue  # not a constant: computed at every call
            now = (a, a.shape, a.dtype, a.tobytes())
            saved = self.held.setdefault(id(a), now)
            if saved is now:
                self.keep.append(a)
            elif saved[1:] != now[1:]:
                self.edited = True

    def emit(self, kind, instruction):
        last = self.last
        if last is not None and last[0] == kind:
            last[1].append(instruction)
        else:
            self.last = (kind, [instruction])
            self.blocks.append(self.last)

    def clear_grad(self, node_reg):
        """Emit `.grad = None` for the node in register `node_reg`, in one call with the
        clearings just before it (`zero_grad`'s loop)."""
        last = self.last
        if last is not None and last[0] == _CALL and last[1][-1][0] is _clear_grads:
            last[1][-1] = (_clear_grads, (*last[1][-1][1], node_reg))
        else:
            self.emit(_CALL, (_clear_grads, (node_reg,)))

    def call(self, f, args, result):
        """Emit `r[o] = f(*r[args])` for a value `result` computed already; its register."""
        vals = self.vals
        o = len(vals)
        vals.append(result)
        n = len(args)
        if n == 2:
            kind, instruction = _BINARY, (f, o, args[0], args[1])
        elif n == 1:
            kind, instruction = _UNARY, (f, o, args[0])
        else:
            kind, instruction = _NARY, (f, o, tuple(args))
        self.emit(kind, instruction)
        return o

    def run(self, f, args):
        """Emit `r[o] = f(*r[args])` and compute it now, as the replay will: its register."""
        return self.call(f, args, f(*[self.vals[a] for a in args]))

    # ---- where values come from ---------------------------------------------------------
    def node(self, node):
        """The register of `node`'s data: made here, or read from an external node now."""
        reg = self.node_reg.get(id(node))
        if reg is not None:
            return reg
        if id(node) in self.created:  # pragma: no cover - every node made here has one
            raise AssertionError("a node made during the recording has no register")
        obj = self.const(node)  # an argument, or a leaf captured by fn (a parameter)
        reg = self.call(_get_data, (obj,), node._data)
        key = id(node)
        if key not in self.node_seen:  # first read: its kind is part of what the program needs
            self.node_seen.add(key)
        else:
            key = None
        self.node_reg[id(node)] = reg
        self.leaf_reads.append(id(node))
        self.track(node._data, reg)
        if key is not None and key not in self.arguments:
            shape = np.shape(node._data)
            self.captured.append(
                (node, shape, getattr(node._data, "dtype", None), node.requires_grad)
            )
        return reg

    def raw(self, x):
        """The register of a raw operand: a value the program computed, else a constant."""
        reg = self.value_reg.get(id(x), -1)
        if reg is None:
            raise TypeError(
                "al.compile: a raw number or array used here was computed by two different "
                "operations of the recording, so which one it stands for is ambiguous; keep "
                "values as nodes (Tensor, Value) inside a compiled function"
            )
        if reg >= 0:
            return reg
        if isinstance(x, tuple) and any(id(v) in self.value_reg for v in x):
            return self.run(_tuple, [self.raw(v) for v in x])  # an index holding inputs
        return self.const(x)

    def operand(self, parent, raw):
        return self.node(parent) if parent is not None else self.raw(raw)

    def forget_leaves(self):
        """After a replayed call (an optimizer step) external data must be read again."""
        for key in self.leaf_reads:
            self.node_reg.pop(key, None)
        self.leaf_reads = []

    # ---- nodes made --------------------------------------------------------------------
    def made(self, node, data, op, parents, ctx, is_value):
        """Record the node `node` made by `op` (None: a constant holding `data`)."""
        self.keep.append(node)  # it holds `data` too, which `track` need not keep then
        key = id(node)
        self.created.add(key)
        if op is None:
            reg = self.raw(data)
        elif op is graph.ALIAS:
            reg = self.value_reg.get(id(ctx[1]))
            if reg is None:  # the parent's data (not a copy made since): its register
                reg = self.node(parents[0])
            self.ctx_regs[key] = (reg, reg)
        else:
            node_reg = self.node_reg
            regs = []
            k = 0
            for p in parents:  # the hot path: an input made earlier by the program
                k += 1
                reg = node_reg.get(id(p)) if p is not None else None
                regs.append(reg if reg is not None else self.operand(p, ctx[k]))
            n = k
            for param in ctx[n + 1 :]:
                reg = self.raw(param)
                regs.append(reg)
                if reg not in self.fixed:  # computed by fn (a mask, an input array)
                    self.computed_params = True
                    self.varying_shapes = self.varying_shapes or op not in _SHAPE_KEEPING
            if self.fixed.issuperset(regs):  # constants only: a constant too, made once
                reg = self.const(data)
                self.ctx_regs[key] = (reg, *regs)
                self.node_reg[key] = reg
                return
            if op is ops.AS_VALUE:
                f = _as_value_forward
            elif is_value:
                f = op.scalar if op in _SAFE_SCALAR and n == len(regs) else _scalar_forward(op, n)
            else:
                f = _array_forward(op, not data.ndim)
                self.quiet = self.quiet or op.quiet
                self.arrays = True
            reg = self.call(f, regs, data)
            self.ctx_regs[key] = (reg, *regs)
        self.node_reg[key] = reg
        value_reg = self.value_reg
        key = id(data)
        if key in self.const_reg and data.__class__ in (float, _ndarray):  # a constant
            # operand itself (minimum(x, c) is c when x > c): its own object, so neither is
            # taken for the other
            data = _distinct(data)
            node._data = data
            node._ctx = (data, *node._ctx[1:])
            key = id(data)
            self.keep.append(data)
        value_reg[key] = reg if value_reg.get(key, reg) == reg else None

    def leaf(self, node, data, is_tensor):
        """Record a leaf made by `Tensor(data, ...)` or `Value(data, ...)` inside fn."""
        self.keep.append(node)
        self.created.add(id(node))
        source = data._data if isinstance(data, Node) else data
        if isinstance(data, Node) and (id(data) in self.node_reg or id(data) in self.const_reg):
            source_reg = self.node(data)
        else:
            source_reg = self.value_reg.get(id(source), -1)
        if source_reg is None or source_reg < 0:  # made from constants: a constant
            self.hold(source)  # `Tensor(array)` copies: the program compares the array
            reg = self.const(node._data)
        elif is_tensor:
            convert = functools.partial(tensor._as_array, dtype=node._data.dtype)
            reg = self.call(convert, (source_reg,), node._data)
        else:
            reg = self.call(value._as_float, (source_reg,), node._data)
        self.node_reg[id(node)] = reg
        self.track(node._data, reg)

    # ---- the backward sweep --------------------------------------------------------------
    def sweep(self, root, gradient, batch=None):
        """`graph._sweep(root, gradient, batch=batch)` on raw data, recorded (see `_sweep_raw`)."""
        self.suspended += 1  # the rules run on raw data: nothing they call is recorded
        self.quiet = True  # a sweep silences numpy's warnings (`graph._sweeping`)
        try:
            return self._sweep_raw(root, gradient, batch)
        finally:
            self.suspended -= 1

    def _sweep_raw(self, root, gradient, batch=None):
        """`graph._sweep(root, gradient, batch=batch)` on raw data, recorded: {node:
        cotangent}, and {node: register}. Mirrors `graph._sweep` step by step (keep the two
        alike); a batched sweep (`batch`, the jacobian's rows) sums to (B, *input.shape)."""
        if gradient is not None:
            if isinstance(gradient, Node) or id(gradient) in self.value_reg:
                raise TypeError(
                    "al.compile: backward(gradient=...) with a gradient computed inside the "
                    "compiled function is not supported; pass a constant, or reduce to a scalar"
                )
        if graph._hooks or graph._state.anomaly is not None:
            raise TypeError(
                "al.compile: hooks (register_hook) and detect_anomaly are not replayed; "
                "remove them, or call the function without compiling it"
            )
        graph._check_root(root)
        if gradient is not None:  # a captured cotangent: `_seed` copies it, so compare it
            self.hold(gradient._data if isinstance(gradient, Node) else gradient)
        seed = root._seed(gradient, False) if batch is None else gradient
        if batch is not None:
            seed_reg = self.call(np.copy, (self.const(seed),), seed)
        elif isinstance(root, Tensor) and gradient is None:
            seed_reg = self.call(np.ones_like, (self.node(root),), seed)
        elif isinstance(seed, _ndarray):
            seed_reg = self.call(np.copy, (self.const(seed),), seed)  # .grad may keep it
        else:
            seed_reg = self.const(seed)
        grads, regs = {root: seed}, {root: seed_reg}
        vals, run, plans = self.vals, self.run, {}
        keep_value, blocks = vals.append, self.blocks

        def run2(f, a, b):  # `run` for the common rule of two registers, made short
            o = len(vals)
            keep_value(f(vals[a], vals[b]))
            last = self.last
            if last is not None and last[0] == _BINARY:
                last[1].append((f, o, a, b))
            else:
                self.last = (_BINARY, [(f, o, a, b)])
                blocks.append(self.last)
            return o

        uniform = None if graph._kinds_met else root._SHAPED
        with graph._sweeping(False):
            for node in graph.toposort(root):
                op = node._op
                if op is None:
                    continue
                g = grads.get(node)
                if g is None:
                    continue
                ctx = node._ctx
                args = self.ctx_regs.get(id(node))
                if args is None:  # made before the call: its forward-time data is constant
                    args = [self.const(v) for v in ctx]
                g_reg = regs[node]
                if batch is not None and op in graph._PER_ROW:
                    raise TypeError(
                        f"al.compile: the batched sweep of a Jacobian reached {op.name!r}, whose "
                        "rules take one row at a time; compile the transform with vectorize=False"
                    )
                every = run(op.vjps[0], (g_reg, *args)) if op.variadic else None
                scalar = g.__class__ is float
                for i, p in enumerate(node._parents):
                    if p is None or not p.requires_grad:
                        continue
                    if every is not None:
                        c_reg = run(_item(i), (every,))
                    else:
                        plan = plans.get((op, i, scalar))
                        if plan is None:
                            plan = plans[(op, i, scalar)] = _plan(op, i, scalar)
                        f, positions = plan
                        if f is None:
                            c_reg = g_reg
                        elif positions is None:
                            c_reg = run(f, (g_reg, *args))
                        elif len(positions) == 1:
                            c_reg = run2(f, g_reg, args[positions[0]])
                        else:
                            c_reg = run(f, (g_reg, *[args[k] for k in positions]))
                    c = vals[c_reg]
                    shaped = uniform if uniform is not None else ctx[i + 1].__class__ is _ndarray
                    if shaped:
                        like = ctx[i + 1]
                        if batch is not None:
                            c_reg = run(_summed_to_batch(p, batch), (c_reg, args[i + 1]))
                        elif c.shape != like.shape or c.dtype is not like.dtype or not like.ndim:
                            c_reg = run(p._sum_to_shape, (c_reg, args[i + 1]))
                    t_reg = regs.get(p)
                    if t_reg is not None:
                        t_reg = run2(operator.add, t_reg, c_reg)
                        if shaped and not like.ndim and batch is None:
                            t_reg = run(p._sum_to_shape, (t_reg, args[i + 1]))
                    else:
                        t_reg = c_reg
                    grads[p] = vals[t_reg]
                    regs[p] = t_reg
        for reg in regs.values():
            self.track(vals[reg], reg)
        return grads, regs

    def backward(self, root, gradient, create_graph):
        """`graph.backward`, recorded: the sweep, then the commit into `.grad`.

        Only the nodes made before the call (parameters, arguments) are committed to: the
        nodes made by fn are gone after it, and `.grad` of one of them read inside fn is
        its cotangent's register (`grad_reg`).
        """
        if create_graph:
            raise TypeError(
                "al.compile: backward(create_graph=True) is not supported in a compiled "
                "function; the first-order transforms (al.grad, al.vjp, ...) are"
            )
        grads, regs = self.sweep(root, gradient)
        created, grad_reg = self.created, self.grad_reg
        external = []
        for n in grads:
            key = id(n)
            if key in created:
                grad_reg[key] = _LOST if key in grad_reg else regs[n]
            else:
                external.append(n)
        if not external:
            return
        with graph._commit_lock, _Suspended(self):
            news = [n._new_grad(grads[n]) for n in external]
            if root._SHAPED:
                news = graph._unshared(news)
            graph._commit(external, news)
        self.keep.append(external)
        # The nodes by register: an argument is another node at every call.
        reads = tuple([self.const(n) for n in external] + [regs[n] for n in external])
        self.emit(_CALL, (functools.partial(_commit, len(external), root._SHAPED), reads))

    def replayed(self, method, obj, args, kwargs):
        """Record a call replayed as a whole (an optimizer's step), and make it now."""
        if args or kwargs:
            raise TypeError(
                f"al.compile: {type(obj).__name__}.{method.__name__}() with arguments is not "
                "supported in a compiled function; call it outside"
            )
        self.suspended += 1
        try:
            out = method(obj)
        finally:
            self.suspended -= 1
        self.keep.append(obj)
        self.emit(_CALL, (functools.partial(method, obj), ()))
        self.forget_leaves()
        return out


#: `grad_reg` of a node made by fn that two backward passes reached (not followed).
_LOST = -1


class _Suspended:
    """Context manager: nothing is recorded inside (the recorder itself computes)."""

    def __init__(self, rec):
        self.rec = rec

    def __enter__(self):
        self.rec.suspended += 1

    def __exit__(self, *exc):
        self.rec.suspended -= 1
        return False


_get_data = attrgetter("_data")
_get_grad = attrgetter("_grad")
_item = functools.cache(itemgetter)  # one getter per index: recordings compare them


def _commit(n, shaped, *nodes_and_cotangents):
    """Add the cotangents into `.grad` of the nodes (n of each), as `graph.backward` does."""
    nodes, gs = nodes_and_cotangents[:n], nodes_and_cotangents[n:]
    with graph._commit_lock:
        if shaped:  # Tensors: with no gradient yet, `_new_grad` is the cotangent itself
            news = [g if node._grad is None else node._new_grad(g) for node, g in zip(nodes, gs)]
            news = graph._unshared(news)
        else:
            news = [node._new_grad(g) for node, g in zip(nodes, gs)]
        graph._commit(nodes, news)


def _set_grad(const, node, *new):
    node.grad = new[0] if new else const


def _clear_grads(*nodes):
    for node in nodes:
        node._grad = None  # `Tensor.grad = None` (the setter has nothing to check)


def _grad_data(node):
    return node.grad._data  # `Tensor.grad` wraps the raw gradient once, as in eager code


# ---------------------------------------------------------------------------------------
# The functions swapped while recording. Each one does exactly what the original does; it
# also tells the recorder, when the recorder belongs to this thread and is not suspended.

_active = None  # the recorder, while one runs (in the thread `_active.thread`)


def _watching():
    rec = _active
    if rec is None or rec.suspended or rec.thread != threading.get_ident():
        return None
    return rec


def _node_maker(original, is_value):
    get_ident = threading.get_ident

    def new(data, op=None, parents=(), ctx=(), requires_grad=False):
        node = original(data, op, parents, ctx, requires_grad)
        rec = _active  # `_watching()`, written out: this runs for every op
        if rec is not None and not rec.suspended and rec.thread == get_ident():
            rec.made(node, data, op, parents, ctx, is_value)
        return node

    return new


def _init(original, is_tensor):
    def __init__(self, data, *args, **kwargs):
        original(self, data, *args, **kwargs)
        rec = _watching()
        if rec is not None:
            rec.leaf(self, data, is_tensor)

    return __init__


def _data_property(original):
    def get(self):
        data = original.fget(self)
        rec = _watching()
        if rec is not None:
            if id(self) not in rec.created and id(self) not in rec.arguments:
                # A captured node's array in fn's hands: numpy work on it is not recorded,
                # so the program holds for this very array, with these very bytes (edited in
                # place, it is another), only (`_Program.valid`).
                saved = data.tobytes() if data.__class__ is _ndarray else None
                rec.escaped.append((self, data, saved))
            if data.__class__ is float:
                # An object of its own (the same bits): max or ReLU may give back an operand's
                # very float, and what fn gets must stand for this node alone.
                data = _distinct(data)
            rec.track(data, rec.node(self))  # a copy made by the read is the same register
        return data

    def set(self, new):
        if _watching() is not None:
            raise TypeError(
                f"al.compile: assigning .data of a {type(self).__name__} inside a compiled "
                "function is not recorded (numpy arithmetic on raw data is invisible to it); "
                "update parameters with an optimizer of al.optim (SGD, Adam, ...), whose "
                "step() is replayed"
            )
        original.fset(self, new)

    return property(get, set, doc=original.__doc__)


def _grad_property(original, is_tensor):
    def get(self):
        rec = _watching()
        if rec is None:
            return original.fget(self)
        key = id(self)
        if key in rec.created:  # its gradient lives in a register (see `_Recorder.backward`)
            reg = rec.grad_reg.get(key)
            if reg is None:
                return original.fget(self)  # no backward pass reached it
            if reg == _LOST:
                raise TypeError(
                    "al.compile: .grad of a node made inside the compiled function, after two "
                    "backward passes reached it, is not supported"
                )
            raw = rec.vals[reg]
            g = _NEW_TENSOR(raw) if is_tensor else raw
        else:
            with _Suspended(rec):
                g = original.fget(self)
            if g is None or (not is_tensor and g is self._ZERO_GRAD):
                return g
            raw = g._data if is_tensor else g
            reader = _grad_data if is_tensor else _get_grad
            reg = rec.call(reader, (rec.const(self),), raw)
        if raw.__class__ is float:  # a Value's: an object of its own, as `.data` gives
            g = raw = _distinct(raw)
        if is_tensor:
            rec.keep.append(g)
            rec.created.add(id(g))
            rec.node_reg[id(g)] = reg
        # fn holds this array through `.grad` only (`g.data`): it stands for what `.grad`
        # holds at every call, whichever register computed it first (the cotangent).
        rec.value_reg[id(raw)] = reg
        rec.keep.append(raw)
        return g

    def set(self, new):
        original.fset(self, new)
        rec = _watching()
        if rec is None:
            return
        if isinstance(new, Node):
            reg = rec.node(new)
        else:
            reg = rec.value_reg.get(id(new), -1)
            if reg is None or reg < 0:
                reg = None
        if id(self) in rec.created:
            if reg is None and new is not None and new is not self._ZERO_GRAD:
                reg = rec.const(new)
            if reg is None:
                rec.grad_reg.pop(id(self), None)
            else:
                rec.grad_reg[id(self)] = reg
        else:
            const = None if reg is not None else new
            rec.keep.append(self)
            reads = (rec.const(self),) if reg is None else (rec.const(self), reg)
            if reg is None and new is None and is_tensor:
                rec.clear_grad(reads[0])
            else:
                rec.emit(_CALL, (functools.partial(_set_grad, const), reads))

    return property(get, set, doc=original.__doc__)


def _escape_guard(original, how):
    @functools.wraps(original)
    def guarded(self, *args, **kwargs):
        rec = _watching()
        if rec is not None and rec.node(self) not in rec.fixed:
            raise TypeError(
                f"al.compile: {how} a {type(self).__name__} computed from the inputs, inside a "
                "compiled function: the number would be fixed at recording and never "
                "recomputed. Return the node and convert it outside, or keep computing on nodes"
            )
        return original(self, *args, **kwargs)

    return guarded


def _recorded_comparison(rec, compare, operands, out):
    """Record `out = compare(*operands)`, a comparison of node data (a bool array, never an
    op), as a call when it depends on the inputs, so a replay makes the mask from its own
    (`al.where(x > 0, a, b)`). Returns what fn gets: `out`, or for a 0-d comparison's numpy
    bool (one shared object) a 0-d array of its own, so the recording can tell it apart."""
    raws = [ops._raw(x) for x in operands]
    regs = [rec.operand(x if isinstance(x, Node) else None, r) for x, r in zip(operands, raws)]
    if rec.fixed.issuperset(regs):
        return out
    if out.__class__ is not _ndarray:
        out = np.asarray(out)
    rec.track(out, rec.call(compare, regs, out))
    return out


def _comparison(original):
    """A comparison operator of nodes (`x > 0`), recorded (see `_recorded_comparison`); a
    Value's Python bool stays Python control flow, fixed at recording."""
    compare = getattr(operator, original.__name__.strip("_"))  # __gt__: operator.gt

    @functools.wraps(original)
    def swapped(self, other):
        out = original(self, other)
        rec = _watching()
        if rec is not None and out.__class__ in (_ndarray, np.bool_):
            return _recorded_comparison(rec, compare, (self, other), out)
        return out

    return swapped


def _ufunc_comparison(original):
    """numpy's comparison ufuncs on nodes (`np.greater(x, 0)`, `array < x`), recorded."""

    def compare(ufunc, inputs):
        out = original(ufunc, inputs)
        rec = _watching()
        if rec is not None and len(inputs) == 2 and out.__class__ in (_ndarray, np.bool_):
            return _recorded_comparison(rec, ufunc, inputs, out)
        return out

    return compare


def _converted_operand(original, replayed=None):
    """A function making a raw operand fn passed into what an op computes with
    (`tensor._operand`: a float array; `value._as_float`: a float). A conversion of a value
    the program holds in a register (an argument, a value it computed: a recorded mask in
    `x * (x > 0)`, a 0-d array argument of Value arithmetic) is recorded as a call, so the
    op reads it converted at every call, not as it was at the recording; of a constant, the
    program compares what fn passed (`_Recorder.hold`). `replayed`: the conversion a replay
    calls, where the register may hold another kind than fn met (`float`: a comparison fn
    got as a 0-d array is numpy's bool scalar in a replay, which `_as_float` refuses)."""

    def operand(x, *args):
        out = original(x, *args)
        rec = _watching()
        if rec is not None and out is not x and _ndarray in (out.__class__, x.__class__):
            reg = rec.value_reg.get(id(x), -1)
            if reg is not None and reg >= 0 and reg not in rec.fixed:
                rec.track(out, rec.call(replayed or original, (reg,), out))
            elif (x.__class__ is list or x.__class__ is tuple) and any(map(rec.computed, x)):
                # a list holding values the program computes ([x > 0]): converted from them
                items = rec.call(_tuple, [rec.raw(v) for v in x], tuple(x))
                convert = functools.partial(_from_items, original, x.__class__)
                rec.track(out, rec.call(convert, (items,), out))
            else:  # the converted copy is a constant
                rec.hold(x)
        return out

    return operand


def _held_source(original):
    """A function converting a value fn passed into a new array (a list index into an
    array, `repeat`'s counts into int64, a loss's class labels checked, pad widths given
    per axis in a dict): the converted copy becomes a constant, so the program compares
    the arrays fn passed (`_Recorder.hold`)."""

    def convert(values, *args, **kwargs):
        rec = _watching()
        if rec is not None and values.__class__ in (_ndarray, list, tuple, dict):
            rec.hold(list(values.values()) if values.__class__ is dict else values)
        return original(values, *args, **kwargs)

    return convert


def _recorded_mask(original):
    """`ops._as_mask`: where's condition made a bool array. A condition that is not one
    already (floats: a Tensor fn computed, a float array argument, a captured parameter) is
    converted by a recorded call, so a replay converts its own."""

    def as_mask(cond):
        out = original(cond)
        rec = _watching()
        raw = ops._raw(cond)
        if rec is not None and out is not raw:
            reg = rec.operand(cond if isinstance(cond, Node) else None, raw)
            if reg not in rec.fixed:
                rec.track(out, rec.call(original, (reg,), out))
        return out

    return as_mask


def _backward(original):
    def backward(root, gradient=None, create_graph=False):
        rec = _watching()
        if rec is None:
            return original(root, gradient, create_graph)
        return rec.backward(root, gradient, create_graph)

    return backward


def _summed_to_batch(node, batch):
    """The batched sweep's sum-to-shape for `node`'s kind, the batch shape fixed."""
    to_batch = node._sum_to_batch
    return lambda c, like: to_batch(c, like, batch)


def _sweep(original):
    def sweep(root, gradient, create_graph, observe=None, batch=None):
        rec = _watching()
        if rec is None or not root.requires_grad:
            return original(root, gradient, create_graph, observe, batch)  # eager, or raises
        if create_graph:
            raise TypeError(
                "al.compile: a backward pass with create_graph=True (higher derivatives: "
                "hessian, hvp, ...) is not supported in a compiled function: its rules build "
                "masks with numpy comparisons on raw data, which a recording cannot see. "
                "al.grad, al.vjp and al.jacrev take that path too when the differentiated "
                "function's arguments or captured parameters require grad (the result keeps "
                "its history); for a first derivative only, call them under "
                "`with al.no_grad():` inside fn"
            )
        if observe is not None:
            raise TypeError("al.compile: a backward sweep with an observer is not supported")
        return rec.sweep(root, gradient, batch)[0]

    return sweep


def _own_memory(original):
    def own(results):
        out = original(results)
        rec = _watching()
        if rec is not None:
            for before, after in zip(results, out):
                if after is not before:  # a copy of an array another result holds: recorded
                    rec.track(after, rec.call(np.copy, (rec.raw(before),), after))
        return out

    return own


def _apply(original):
    def apply(op, args, params=()):
        rec = _watching()
        if rec is None:
            return original(op, args, params)
        if any(isinstance(a, (Node, list, tuple)) for a in args) or not any(
            id(a) in rec.value_reg for a in (*args, *params)
        ):
            if not any(isinstance(a, Node) for a in args):  # a constant made of constants
                rec.hold(args)
                rec.hold(params)
            return original(op, args, params)
        out = original(op, args, params)  # raw numbers or arrays the program computed
        n = len(args)
        regs = [rec.raw(a) for a in args] + [rec.raw(p) for p in params]
        rec.quiet = True
        reg = rec.call(lambda *a: original(op, a[:n], a[n:]), regs, out)
        rec.track(out, reg)
        return out

    return apply


def _export_output(original):
    def export_output(self, o, history):
        rec = _watching()
        if rec is None or history or isinstance(o, Value):
            return original(self, o, history)
        copy = rec.run(np.copy, (rec.node(o),))  # the copy of o.data the original makes
        rec.track(rec.vals[copy], copy)
        return self.export(rec.vals[copy], o)

    return export_output


def _assemble(original):
    """`functional._assemble` (numpy stacking the rows of a Jacobian), recorded as one call."""

    def assemble(rows, out_shape, x):
        rec = _watching()
        if rec is None or any(isinstance(r, Node) for r in rows):
            return original(rows, out_shape, x)  # nodes: stacked by ops, recorded already
        out = original(rows, out_shape, x)
        regs = [rec.raw(r) for r in rows]  # None rows (zero blocks) are constants
        # x tells only its kind, shape and dtype: a stand-in made per call keeps the program
        # free of the recording's nodes (two recordings compare equal).
        scalar, shape, dtype = isinstance(x, Value), np.shape(x._data), np.result_type(x._data)

        def stacked(*rs):
            like = Value(0.0, requires_grad=False) if scalar else Tensor(np.zeros(shape, dtype))
            return original(list(rs), out_shape, like)

        reg = rec.call(stacked, regs, out)
        rec.track(out, reg)
        return out

    return assemble


def _raw_rows(original):
    """`functional._shaped_block` or `_joined` (numpy reshaping or joining the rows of a
    batched Jacobian), recorded as one call on the rows' registers."""

    def rows_call(rows, *rest):
        rec = _watching()
        parts = rows if isinstance(rows, list) else [rows]
        if rec is None or any(r is None or isinstance(r, Node) for r in parts):
            return original(rows, *rest)  # zeros (constant), or nodes recorded already
        out = original(rows, *rest)
        if isinstance(rows, list):
            reg = rec.call(lambda *rs: original(list(rs)), [rec.raw(r) for r in parts], out)
        else:  # the block: only its shape and dtype come from o and x
            shape, dtype = out.shape, out.dtype
            reg = rec.call(lambda r: np.array(r, dtype=dtype).reshape(shape), [rec.raw(rows)], out)
        rec.track(out, reg)
        return out

    return rows_call


def _attributes(module):
    """[(container, its items)] for a module's attributes (`__dict__`) and those of them
    that are lists or dicts.

    What its forward reads in Python, which the program cannot see: its mode (`training`,
    on which Dropout and BatchNorm1d branch), its options (`eps`, `p`), its parameters and
    sub-modules (replaced by assignment or by a loader). The program holds for these very
    objects (`_Program.valid` compares by identity: a value assigned is a new object).
    """
    attributes = module.__dict__
    out = [(attributes, tuple(attributes.values()))]
    for v in attributes.values():
        if v.__class__ is list:
            out.append((v, tuple(v)))
        elif v.__class__ is dict:
            out.append((v, tuple(v.values())))
    return out


def _module_call(original):
    def __call__(self, *args, **kwargs):
        rec = _watching()
        if rec is not None:
            if id(self) not in rec.modules:
                rec.modules[id(self)] = _attributes(self)
            rec.hold(args)  # a raw array a scalar model iterates over: numbers met one by one
        return original(self, *args, **kwargs)

    return functools.wraps(original)(__call__)


def _dropout_forward(original):
    def forward(self, x):
        if _watching() is not None and self.training and self.p:
            raise TypeError(
                "al.compile: Dropout in training mode draws a new mask with numpy at every "
                "call, and a recording would keep its first mask for good; call .eval() on "
                "the model for a compiled step, or leave the step eager"
            )
        return original(self, x)

    return functools.wraps(original)(forward)


def _refused_forward_mode(original):
    def __init__(self, f, args, kwargs, argnums, name, copy=True):
        if _watching() is not None and not copy:  # jvp, jacfwd, hvp, hessian: forward mode
            raise TypeError(
                f"al.compile: al.{name} uses forward mode (tangents carried through the ops), "
                "which a recording does not replay; compile a reverse-mode transform (al.grad, "
                f"al.vjp, al.jacrev) instead, or call al.{name} outside the compiled function"
            )
        original(self, f, args, kwargs, argnums, name, copy)

    return functools.wraps(original)(__init__)


def _refused_running_stats(original):
    def update(self, *args):
        if _watching() is not None:
            raise TypeError(
                f"al.compile: {type(self).__name__} in training mode updates its running "
                "statistics with numpy at every call, which a replay would skip; call .eval() "
                "on the model for a compiled step, or leave the step eager"
            )
        return original(self, *args)

    return functools.wraps(original)(update)


def _replayed_method(original):
    def method(self, *args, **kwargs):
        rec = _watching()
        if rec is None:
            return original(self, *args, **kwargs)
        return rec.replayed(original, self, args, kwargs)

    return functools.wraps(original)(method)


def _subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


def _swaps():
    """[(owner, name, replacement)]: what the recorder swaps in (see the module docstring)."""
    swaps = [
        (tensor, "_new_tensor", _node_maker(tensor._new_tensor, False)),
        (value, "_new_value", _node_maker(value._new_value, True)),
        (graph, "backward", _backward(graph.backward)),
        (graph, "_sweep", _sweep(graph._sweep)),
        (graph, "_own_memory", _own_memory(graph._own_memory)),
        (ops, "apply", _apply(ops.apply)),
        (Tensor, "__init__", _init(Tensor.__init__, True)),
        (Value, "__init__", _init(Value.__init__, False)),
        (Node, "data", _data_property(Node.__dict__["data"])),
        (Tensor, "data", _data_property(Tensor.__dict__["data"])),
        (Node, "grad", _grad_property(Node.__dict__["grad"], False)),
        (Tensor, "grad", _grad_property(Tensor.__dict__["grad"], True)),
    ]
    swaps.append((_Call, "export_output", _export_output(_Call.__dict__["export_output"])))
    swaps.append((Dropout, "forward", _dropout_forward(Dropout.__dict__["forward"])))
    swaps.append((_Call, "__init__", _refused_forward_mode(_Call.__init__)))
    stats = BatchNorm1d.__dict__["_update_running_stats"]
    swaps.append((BatchNorm1d, "_update_running_stats", _refused_running_stats(stats)))
    swaps.append((Module, "__call__", _module_call(Module.__dict__["__call__"])))
    swaps.append((functional, "_assemble", _assemble(functional._assemble)))
    swaps.append((functional, "_shaped_block", _raw_rows(functional._shaped_block)))
    swaps.append((functional, "_joined", _raw_rows(functional._joined)))
    for cls, name, how in [
        (Value, "__float__", "float() of"),
        (Value, "item", "item() of"),
        (Value, "__array__", "a numpy conversion of"),
        (Tensor, "item", "float() or item() of"),
        (Tensor, "numpy", "numpy() of"),
        (Tensor, "__array__", "a numpy conversion of"),
    ]:
        swaps.append((cls, name, _escape_guard(cls.__dict__[name], how)))
    for name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"):
        swaps.append((ops.Arithmetic, name, _comparison(ops.Arithmetic.__dict__[name])))
    swaps.append((tensor, "_ufunc_comparison", _ufunc_comparison(tensor._ufunc_comparison)))
    swaps.append((tensor, "_operand", _converted_operand(tensor._operand)))
    swaps.append((ops, "_as_mask", _recorded_mask(ops._as_mask)))
    swaps.append((tensor, "_index_part", _held_source(tensor._index_part)))
    swaps.append((shapes, "_ints", _held_source(shapes._ints)))
    swaps.append((losses, "_class_labels", _held_source(losses._class_labels)))
    swaps.append((layers, "_as_integers", _held_source(layers._as_integers)))
    swaps.append((losses, "_class_weights", _held_source(losses._class_weights)))
    swaps.append((losses, "_element_weights", _held_source(losses._element_weights)))
    swaps.append((shapes, "_pad_widths", _held_source(shapes._pad_widths)))
    swaps.append((ops, "as_shape", _held_source(ops.as_shape)))
    swaps.append((ops, "real_array", _held_source(ops.real_array)))
    swaps.append((ops, "as_real_array", _held_source(ops.as_real_array)))
    swaps.append((value, "_as_float", _converted_operand(value._as_float, float)))
    for base in (optimizers.Optimizer, lr_scheduler._Schedule):
        for cls in _subclasses(base):
            if "step" in cls.__dict__:
                swaps.append((cls, "step", _replayed_method(cls.__dict__["step"])))
    return swaps


class _Swapped:
    """Context manager: the recorder's functions in place, the originals back on exit."""

    def __init__(self, rec):
        self.rec = rec

    def __enter__(self):
        global _active
        self.saved = []
        for owner, name, new in _swaps():
            self.saved.append((owner, name, owner.__dict__[name]))
            setattr(owner, name, new)
        _active = self.rec

    def __exit__(self, *exc):
        global _active
        _active = None
        for owner, name, old in reversed(self.saved):
            setattr(owner, name, old)
        return False


# ---------------------------------------------------------------------------------------
# Programs and the compiled function.

_NEW_TENSOR, _NEW_VALUE = tensor._new_tensor, value._new_value


def _output_builder(rec, out, where=None):
    """A function of the register file giving the result's structure with its values:
    nodes made in fn come back as constants (no history), external nodes as themselves.
    `where`: {recorded register: register} of the optimized program (None: as recorded)."""

    def at(reg):
        rec.pinned.add(reg)
        return reg if where is None else where[reg]

    if isinstance(out, Node):
        if id(out) not in rec.created:
            return itemgetter(at(rec.const(out)))
        reg = rec.node(out)
        fixed = reg in rec.fixed
        reg = at(reg)
        if isinstance(out, Value):
            return lambda r: _NEW_VALUE(r[reg])
        if fixed:  # a constant array: each call gets its own copy to edit
            return lambda r: _NEW_TENSOR(np.copy(r[reg]))  # (order K: the layout kept)
        return lambda r: _NEW_TENSOR(r[reg])
    if isinstance(out, (list, tuple)):
        parts = [_output_builder(rec, x, where) for x in out]
        if out.__class__ is list or out.__class__ is tuple:
            return lambda r: out.__class__([part(r) for part in parts])
        return lambda r: out.__class__(*[part(r) for part in parts])  # a named tuple
    if isinstance(out, dict):
        parts = {k: _output_builder(rec, v, where) for k, v in out.items()}
        return lambda r: {k: part(r) for k, part in parts.items()}
    if callable(out):
        raise TypeError(
            f"al.compile: fn returned a function ({out!r:.60}), which holds the recording's "
            "data; compile that function itself instead (for al.vjp, compile the vjp you need)"
        )
    if isinstance(out, (numbers.Number, _ndarray, np.generic)):
        reg = rec.value_reg.get(id(out), -1)
        if reg is None:
            rec.raw(out)  # raises: ambiguous
        if reg >= 0:
            return itemgetter(at(reg))
        # Not computed by recorded work (numpy on a raw input, a metric from `.data`, float
        # arithmetic on `.grad`): a constant of the program that the second recording must
        # return as the very same object (a literal, a captured array), not merely an equal
        # value, which two calls may compute by chance; else those calls run eagerly.
        # Never the recording's value returned for new inputs.
        const = rec.const(out)
        rec.same_object.add(const)
        reg = at(const)
        if isinstance(out, _ndarray):
            return lambda r: np.copy(r[reg])  # the caller may edit what it gets
        return itemgetter(reg)
    return lambda r: out


def _arrays_in(obj):
    """The ndarrays `obj` is or holds (in tuples and lists: an index)."""
    if obj.__class__ is _ndarray:
        return [obj]
    if obj.__class__ is tuple or obj.__class__ is list:
        return [a for item in obj for a in _arrays_in(item)]
    return []


class _Program:
    """One recording: as recorded (to compare with a second one), then optimized to replay
    (`finish`): instructions, constants in place, the output's structure."""

    __slots__ = (
        "blocks",
        "build",
        "captured",
        "edits_held",
        "escaped",
        "fingerprint",
        "floats",
        "held",
        "input_regs",
        "modules",
        "pending",
        "quiet",
        "recorded",
        "stale",
        "template",
        "varying_shapes",
        "verified",
    )

    def __init__(self, rec):
        self.recorded = (rec.blocks, rec.consts, len(rec.vals), rec.same_object)
        self.captured = rec.captured
        self.escaped = rec.escaped
        self.varying_shapes = rec.varying_shapes
        # The arrays fn used as constants (a captured index, an integer array argument), by
        # object, as fn used them: compared at every call, so an edit in place (of contents,
        # shape or dtype) records again, even one fn made itself after using the array.
        self.held = list(rec.held.values())
        # ... which fn itself may edit after using them (labels shifted at every step): a
        # replay would not redo the edit, so such a program is never replayed.
        self.edits_held = rec.edited or not self.valid_held()
        self.modules = [pair for pairs in rec.modules.values() for pair in pairs]
        self.verified = False  # compared with a second recording (`Compiled.__call__`)
        self.stale = 0  # recordings in a row that found the one before invalid (`valid`)
        self.fingerprint = rec.fingerprint  # the inputs' data at this recording
        self.pending = None  # inputs verified for their data at the recordings only (`Compiled`)

    def finish(self, rec, out):
        """Optimize the program to replay it (done for the second, verified recording only:
        the first is only compared with it)."""
        fixed = rec.fixed | set(rec.input_regs)
        blocks, consts = rec.blocks, rec.consts
        if rec.arrays and not rec.computed_params:  # every shape fixed by the inputs' shapes
            blocks, computed = _folded(
                _with_kernels(blocks, rec.vals), rec.vals, consts, rec.pinned
            )
            consts = consts + computed
            fixed = fixed | {reg for reg, _ in computed}
            blocks = _in_place(blocks, rec.vals, fixed | rec.pinned)
        levelled = _levelled(blocks, rec.pinned, fixed, consts, rec.vals)
        if levelled is None:
            self.blocks, where, size = _optimize(blocks, rec.pinned, fixed, rec.vals)
            self.floats = None
        else:  # numpy on the float array: its floating-point warnings are not Python's
            self.blocks, where, size, self.floats = levelled
        self.template = [None] * size
        for reg, obj in consts:
            self.template[where[reg]] = obj
        self.input_regs = [where[reg] for reg in rec.input_regs]
        self.quiet = rec.quiet or self.floats is not None
        self.build = _output_builder(rec, out, where)
        self.verified = True

    def valid(self):
        """The captured nodes still have the shapes, dtypes and requires_grad the program was
        made for, those whose array fn read by `.data` still have that array with the same
        contents (compared bit for bit), the arrays fn used as constants hold what they held
        (bit for bit), and the modules fn called still hold the attributes they held
        (`_attributes`)."""
        for node, shape, dtype, requires_grad in self.captured:
            data = node._data
            if (
                node.requires_grad is not requires_grad
                or getattr(data, "dtype", None) != dtype
                or (dtype is not None and data.shape != shape)
            ):
                return False
        for node, data, saved in self.escaped:
            if node._data is not data or (saved is not None and data.tobytes() != saved):
                return False
        if not self.valid_held():
            return False
        is_ = operator.is_
        for container, items in self.modules:
            now = container.values() if container.__class__ is dict else container
            if len(now) != len(items) or not all(map(is_, now, items)):
                return False
        return True

    def valid_held(self):
        """The arrays fn used as constants have the shapes and dtypes, and hold the bytes,
        they had when fn used them (`.shape` and `.dtype` can be assigned in place)."""
        for array, shape, dtype, saved in self.held:
            if array.shape != shape or array.dtype != dtype or array.tobytes() != saved:
                return False
        return True

    def __call__(self, inputs):
        r = self.template.copy()
        if self.floats is not None:
            r[_FLOATS] = self.floats.copy()
        for reg, x in zip(self.input_regs, inputs):
            r[reg] = x
        if self.quiet:
            with np.errstate(all="ignore"):
                _run(r, self.blocks)
        else:
            _run(r, self.blocks)
        return self.build(r)


_EAGER = object()  # a cache entry: arguments of this structure run eagerly
_VALUE_MISSES_WARNED = 3  # recordings for new values of int arrays or numbers only, then a warning
_STALE_WARNED = 3  # recordings in a row for edits of what a program holds, before a warning


def _without_values(key):
    """A cache key with the values of integer and bool arrays (their shape kept) and of
    Python numbers left out."""
    if key.__class__ is tuple:
        if len(key) == 4 and key[0] == "a" and key[3].__class__ is bytes:
            return key[:3]
        if len(key) == 2 and key[0] == "f" and key[1].__class__ is str:
            return key[:1]
        if len(key) == 3 and key[0] == "s" and key[1] in (int, bool, complex):
            return key[:2]
        return tuple(_without_values(k) for k in key)
    return key


def _fingerprint(x):
    """An input's data, bit for bit: two recordings with equal data verify little about it."""
    data = x._data if isinstance(x, Node) else x
    return data.tobytes() if data.__class__ is _ndarray else float(data).hex()


def _unverified(base, inputs):
    """[fingerprint of the input, or None] for the inputs with the same data as in `base`
    (the fingerprints of the recordings so far, None where they differed); None if none."""
    out = [b if b is not None and b == _fingerprint(x) else None for b, x in zip(base, inputs)]
    return out if any(b is not None for b in out) else None


def _unchanged(pending, inputs):
    """The inputs not verified yet (`pending`) still have their data of the recordings."""
    return all(b is None or b == _fingerprint(x) for b, x in zip(pending, inputs))


def _same_constant(a, b):
    """The constants of two recordings are the same (arrays and floats bit for bit)."""
    if a is b:
        return True
    if type(a) is not type(b) or isinstance(a, Node):
        return False
    if isinstance(a, _ndarray):
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
            and (a.dtype.kind != "f" or np.array_equal(np.signbit(a), np.signbit(b)))
        )
    if isinstance(a, float):
        return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same_constant(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _same_function(f, g):
    """Two recordings call the same function (closures made per recording compared by code)."""
    if f is g:
        return True
    if isinstance(f, functools.partial) and isinstance(g, functools.partial):
        return (
            _same_function(f.func, g.func)
            and len(f.args) == len(g.args)
            and all(_same_constant(x, y) for x, y in zip(f.args, g.args))
            and f.keywords.keys() == g.keywords.keys()
            and all(_same_constant(f.keywords[k], g.keywords[k]) for k in f.keywords)
        )
    code = getattr(f, "__code__", None)
    if code is None or code is not getattr(g, "__code__", None):
        return False
    cells_f, cells_g = f.__closure__ or (), g.__closure__ or ()
    return len(cells_f) == len(cells_g) and all(
        _same_function(x.cell_contents, y.cell_contents)
        if callable(x.cell_contents)
        else _same_constant(x.cell_contents, y.cell_contents)
        for x, y in zip(cells_f, cells_g)
    )


def _same_program(p, q):
    """Two recordings of one structure of arguments made the same program (as recorded)."""
    (blocks_p, consts_p, size_p, same_p), (blocks_q, consts_q, size_q, _) = p.recorded, q.recorded
    if size_p != size_q or len(blocks_p) != len(blocks_q) or len(consts_p) != len(consts_q):
        return False
    for (kind_p, code_p), (kind_q, code_q) in zip(blocks_p, blocks_q):
        if kind_p != kind_q or len(code_p) != len(code_q):
            return False
        for ins_p, ins_q in zip(code_p, code_q):
            if ins_p[1:] != ins_q[1:] or not _same_function(ins_p[0], ins_q[0]):
                return False
    if (
        len(p.held) != len(q.held)
        or any(  # one array may hold other contents at each call
            held_p[1:] != held_q[1:] for held_p, held_q in zip(p.held, q.held)
        )
    ):
        return False
    return all(
        reg_p == reg_q and (a is b if reg_p in same_p else _same_constant(a, b))
        for (reg_p, a), (reg_q, b) in zip(consts_p, consts_q)
    )


class Compiled:
    """A function compiled by `al.compile`: call it as the function; see `compile`."""

    def __init__(self, fn: Callable, cache_size: int = 8):
        if not callable(fn):
            raise TypeError(f"al.compile: fn must be callable, got {type(fn).__name__} {fn!r}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 1:
            raise ValueError(f"al.compile: cache_size must be an int >= 1, got {cache_size!r}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.cache_size = cache_size
        self._cache = OrderedDict()
        self.recordings = 0  # how many times fn was recorded (a cache miss each)
        self._value_misses = 0  # recordings caused by new values of int arrays or numbers only
        # Structures of arguments (keys without integer values) whose fn edits in place an
        # array it used in an op: eager whatever the values (fn edits its own labels).
        self._eager_structures = set()

    def __call__(self, *args, **kwargs):
        if _watching() is not None:  # inside another recording: run eagerly, recorded there
            return self.fn(*args, **kwargs)
        inputs = []
        if args or kwargs:
            key = (_key(args, inputs, "argument"), _key(kwargs, inputs, "keyword argument"))
        else:  # a training step taking nothing
            key = ()
        key = (key, graph._state.enabled, graph._kinds_met)
        program = self._cache.get(key)
        if program is _EAGER:
            self._cache.move_to_end(key)
            return self.fn(*args, **kwargs)
        if program is not None and program.valid():
            self._cache.move_to_end(key)
            if program.verified and (
                program.pending is None or _unchanged(program.pending, inputs)
            ):
                return program(inputs)
            # The second call records again and compares: a recording that depends on the
            # data in a way it cannot see (numpy on raw arrays, a branch on a value, random
            # numbers) differs, and this structure of arguments then runs eagerly.
            # An input with the same data at both recordings (one batch twice, full-batch
            # training, equal labels by chance) gives the same constants whatever fn computes
            # from it outside the ops: replayed for that data only (`pending`), and recorded
            # and compared again by the first call that brings other data for it.
            base = program.pending if program.verified else program.fingerprint
            again, out = self._record(args, kwargs, inputs, verify=program)
            if again is not None:
                again.pending = _unverified(base, inputs)
                if again.pending is None:
                    again.recorded = None  # verified: only the optimized program is kept
                self._cache[key] = again
            else:
                self._cache[key] = _EAGER
                warnings.warn(
                    f"al.compile: two calls of {getattr(self.fn, '__name__', self.fn)!r} recorded "
                    "different programs (a Python branch on data, numpy arithmetic on raw "
                    "arrays, as library losses do on integer labels, or random numbers inside "
                    "it), so a replay would be wrong; calls with arguments of this structure "
                    "run eagerly (docs/compile.md)",
                    RuntimeWarning,
                    stacklevel=2,
                )
            return out
        if self._eager_structures and _without_values(key) in self._eager_structures:
            return self.fn(*args, **kwargs)
        self._warn_if_values_vary(key)
        invalid = program
        program, out = self._record(args, kwargs, inputs)
        if invalid is not None:  # what it holds changed since (`_Program.valid`)
            program.stale = 1 if invalid.verified else invalid.stale + 1
            if program.stale == _STALE_WARNED:
                warnings.warn(
                    f"al.compile: {getattr(self.fn, '__name__', self.fn)!r} has recorded "
                    f"again at {_STALE_WARNED} calls in a row because what it reads without "
                    "being passed changed between calls (a captured array edited in place, "
                    "a module's attribute): each records, slower than an eager call. Pass "
                    "arrays that change as arguments (docs/compile.md)",
                    RuntimeWarning,
                    stacklevel=2,
                )
        eager = program.varying_shapes or program.edits_held
        self._cache[key] = _EAGER if eager else program
        if program.edits_held:
            self._eager_structures.add(_without_values(key))
        if eager:
            name = getattr(self.fn, "__name__", self.fn)
            if program.varying_shapes:
                why = (
                    "indexes with a mask or an index it computes (x[x > 0]), or gives one to "
                    "an op as a parameter, so the shapes of its values can change from call "
                    "to call, which a replay cannot follow"
                )
            else:
                why = (
                    "edits in place an array it has used in an op (labels, an index), which "
                    "a replay would not do again"
                )
            warnings.warn(
                f"al.compile: {name!r} {why}; calls with arguments of this structure run "
                "eagerly (docs/compile.md)",
                RuntimeWarning,
                stacklevel=2,
            )
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return out

    def _warn_if_values_vary(self, key):
        """Warn once when calls keep recording only because the values of integer or bool
        arrays (new labels every minibatch) or of Python numbers among the arguments differ:
        each records anew."""
        if key in self._cache:  # recorded again for another reason (a module changed)
            return
        shape = _without_values(key)
        if any(_without_values(k) == shape for k in self._cache):
            self._value_misses += 1
            if self._value_misses == _VALUE_MISSES_WARNED:  # once: the count only grows
                warnings.warn(
                    f"al.compile: {getattr(self.fn, '__name__', self.fn)!r} has recorded again "
                    f"{_VALUE_MISSES_WARNED} times only because the values of integer or bool "
                    "arrays (labels, indices) or of Python numbers among its arguments "
                    "changed: those values are part of a recording, so each new one records "
                    "(as slow as an eager call and more). Pass labels one-hot, as a float "
                    "array, and compute the loss with ops; pass numbers that change as Values "
                    "or 0-d float arrays (docs/compile.md)",
                    RuntimeWarning,
                    stacklevel=3,
                )

    def _record(self, args, kwargs, inputs, verify=None):
        """Call fn, recorded: (the program, fn's result). With `verify` (the first recording):
        the program optimized if it is the same as `verify`, else None."""
        # The collector paused (as the sweep pauses it): the recording allocates many small
        # containers, which would make it walk every node of the graph again and again.
        with _record_lock:
            graph._pause_collector()
            try:
                rec = _Recorder(inputs)
                with _Swapped(rec):
                    out = self.fn(*args, **kwargs)
                result = _output_builder(rec, out)(rec.vals)  # pins the outputs' registers
                self.recordings += 1
                program = _Program(rec)
                if verify is not None:
                    if not _same_program(verify, program):
                        return None, result
                    program.finish(rec, out)
                return program, result
            finally:
                graph._resume_collector()

    def cache_clear(self) -> None:
        """Forget every recording: the next call records again."""
        self._cache.clear()
        self._eager_structures.clear()

    def __repr__(self):
        return f"<al.compile of {self.fn!r}: {len(self._cache)} recording(s) cached>"


def compile(fn: Callable | None = None, *, cache_size: int = 8):  # noqa: A001 - jax.jit's role
    """`fn` recorded at its first call and replayed after (as `jax.jit`; docs/compile.md).

    Usable as `al.compile(fn)`, `@al.compile` or `@al.compile(cache_size=4)`. The result
    is called as `fn`; its results are bit for bit those of an eager call (the ops' own
    forwards and vjp rules, in the sweep's order), with the structure `fn` returned and
    nodes made inside returned as constants (no history).

    Arguments: Tensors, Values and float arrays (any shape; float16/32/64) are inputs of
    the program; Python numbers and integer or bool arrays are part of the cache key by
    value; lists, tuples and dicts of these are followed. A call whose arguments differ in
    structure, shape or dtype from every cached recording records again (the last
    `cache_size` recordings are kept, least recently used out); so does a call after a
    captured parameter changed shape, dtype or requires_grad, after an attribute of a module
    fn called became another object (a parameter, a layer, `eps`, the mode of `train()`),
    and after an array fn read by `.data` was edited. `.recordings` counts them,
    `.cache_clear()` forgets them.

    Python control flow that depends on data, and numpy work on raw arrays, happen at the
    recordings only (the pitfall of every tracing compiler). The second call records again
    and compares (again at the first call with other data for an input that had the same
    data at both; a result not computed by ops must be the same object in both): if the
    programs differ, a RuntimeWarning says so and those calls run eagerly from then on.
    Side effects on Python state happen at the recordings too; a replay repeats only the
    numerical work: the ops, backward passes, `.grad` commits and assignments, and
    optimizers' and schedulers' `step()`.

    Raises TypeError: fn not callable; an argument of another kind (naming it); inside
    fn at recording, an assignment to `.data`, `float()` / `.item()` / `.numpy()` of a
    node computed from the inputs, `backward(create_graph=True)` and the transforms that
    need it, hooks, `detect_anomaly`, Dropout and BatchNorm1d in training mode, forward mode
    (jvp, jacfwd, hvp). ValueError: cache_size < 1.
    """
    if fn is None:
        return lambda f: Compiled(f, cache_size)
    return Compiled(fn, cache_size)
