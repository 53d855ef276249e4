"""The safe formula language: what it accepts, how it evaluates, and everything it refuses."""

import builtins
import math
import string
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd_lite import Value
from autograd_lite.cli.formula import MAX_DEPTH, MAX_LENGTH, FormulaError, parse, parse_point

from .helpers import numeric_grad

# (formula, the same thing in Python's math, a point)
EVALUATIONS = [
    ("sin(x**2)", lambda x: math.sin(x**2), (1.5,)),
    ("3*x**2 + 2*x*y", lambda x, y: 3 * x**2 + 2 * x * y, (1.25, -0.5)),
    (
        "exp(x) - log(y) / sqrt(z)",
        lambda x, y, z: math.exp(x) - math.log(y) / math.sqrt(z),
        (0.3, 2.0, 4.0),
    ),
    (
        "cos(x) * tanh(y) + sigmoid(x)",
        lambda x, y: math.cos(x) * math.tanh(y) + 1 / (1 + math.exp(-x)),
        (0.7, -1.1),
    ),
    ("relu(x) + relu(-x) + abs(y)", lambda x, y: abs(x) + abs(y), (-2.5, -3.0)),
    ("max(x, y) - min(x, y)", lambda x, y: abs(x - y), (0.25, 4.0)),
    ("-x + +y - -2", lambda x, y: -x + y + 2, (1.0, 5.0)),
    ("2**-x / (1 + x)", lambda x: 2.0**-x / (1 + x), (3.0,)),
    ("x ** y ** 2", lambda x, y: x ** (y**2), (1.1, 1.5)),  # ** is right-associative
    ("1e-3 * x + .5 + 7.", lambda x: 1e-3 * x + 0.5 + 7.0, (2.0,)),
    (
        "log1p(x) * expm1(y) + log2(x) - log10(y) + exp2(x) + square(y) * reciprocal(x)",
        lambda x, y: (
            math.log1p(x) * math.expm1(y) + math.log2(x) - math.log10(y) + 2.0**x + y * y * (1 / x)
        ),
        (0.7, 1.3),
    ),
    (
        "tan(x) + sinh(y) * cosh(x) + arcsin(x) - arccos(x) + arctan(y) + arcsinh(y)",
        lambda x, y: (
            math.tan(x)
            + math.sinh(y) * math.cosh(x)
            + math.asin(x)
            - math.acos(x)
            + math.atan(y)
            + math.asinh(y)
        ),
        (0.4, -1.2),
    ),
    (
        "arccosh(y) * arctanh(x) + sign(x) + floor(y) + ceil(x) + round(y)",
        lambda x, y: math.acosh(y) * math.atanh(x) + 1 + math.floor(y) + math.ceil(x) + 2,
        (0.4, 1.6),
    ),
    (
        "arctan2(y, x) + hypot(x, y) * logaddexp(x, y)",
        lambda x, y: math.atan2(y, x) + math.hypot(x, y) * math.log(math.exp(x) + math.exp(y)),
        (-0.4, 1.6),
    ),
    (
        "sinc(x) + deg2rad(y) * rad2deg(x) + mod(y, x) + mod(-y, 0.75)",
        lambda x, y: (
            math.sin(math.pi * x) / (math.pi * x)
            + math.radians(y) * math.degrees(x)
            + y % x
            + (-y) % 0.75
        ),
        (-0.4, 1.6),
    ),
]


@pytest.mark.parametrize("source, reference, point", EVALUATIONS)
def test_a_formula_evaluates_like_python_on_floats_and_on_values(source, reference, point):
    f = parse(source)
    assert len(f.variables) == len(point)
    expected = reference(*point)
    assert f(*point) == pytest.approx(expected, rel=1e-14, abs=1e-15)
    out = f(*[Value(p) for p in point])
    assert isinstance(out, Value) and out.data == pytest.approx(expected, rel=1e-14, abs=1e-15)


def test_the_chain_rule_example_differentiates_through_a_formula():
    x = Value(1.5)
    parse("sin(x**2)")(x).backward()
    assert x.grad == pytest.approx(math.cos(2.25) * 3, rel=1e-15)


def test_a_top_level_list_is_a_vector_formula():
    f = parse("[x**2 + y, sin(x*y), 3]")
    assert f.is_vector and f.n_outputs == 3 and f.variables == ("x", "y")
    assert f(1.0, 2.0) == [3.0, math.sin(2.0), 3.0]
    scalar = parse("x")
    assert not scalar.is_vector and scalar.n_outputs == 1


def test_variables_are_ordered_naturally_unless_given():
    assert parse("y + x10 + x2 + x1 + alpha").variables == ("alpha", "x1", "x2", "x10", "y")
    f = parse("x - y", variables=["y", "x", "z"])
    assert f.variables == ("y", "x", "z")
    assert f(1.0, 10.0, 100.0) == 9.0  # arguments follow the given order
    with pytest.raises(
        FormulaError, match=r"unknown variable 'y' at column 5: 'y'; the variables are x"
    ):
        parse("x + y", variables=["x"])
    for bad in (["x", "x"], ["1x"], ["sin"], ["_x"]):
        with pytest.raises(FormulaError):
            parse("x", variables=bad)


def test_a_formula_checks_its_number_of_arguments():
    with pytest.raises(TypeError, match="takes 2 argument"):
        parse("x + y")(1.0)


def test_every_number_is_a_float_so_huge_powers_overflow_to_inf_at_once():
    start = time.perf_counter()
    assert parse("9**9**9")() == math.inf
    assert parse("x**9**9**9")(2.0) == math.inf
    assert (
        time.perf_counter() - start < 5
    )  # an int 9**9**9 would run for minutes: this is a hang guard
    assert parse("1" * 400)() == math.inf  # an integer literal too large for a float
    assert parse("1e400")() == math.inf


def test_floats_follow_ieee_instead_of_raising():
    assert parse("1/0")() == math.inf
    assert parse("-1/x")(0.0) == -math.inf
    assert math.isnan(parse("log(-1)")())
    assert parse("log(0)")() == -math.inf
    assert parse("exp(1000)")() == math.inf


def test_a_long_chain_is_evaluated_without_recursion():
    f = parse(" + ".join(["x"] * 800))  # as long as Python's own parser accepts
    assert f(0.5) == 400.0
    x = Value(0.5)
    f(x).backward()
    assert x.grad == 800.0


def test_nesting_up_to_the_limit_works_and_one_more_level_is_refused():
    deep = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse(deep)(3.0) == 3.0
    calls = "sin(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse(calls)(0.0) == 0.0
    with pytest.raises(
        FormulaError,
        match=rf"nested too deeply: more than {MAX_DEPTH} levels.*column {MAX_DEPTH + 1}",
    ):
        parse("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1))


def test_sizes_are_bounded_before_parsing():
    at_limit = "x+" * (MAX_LENGTH // 2 - 1) + "xx"
    assert len(at_limit) == MAX_LENGTH
    with pytest.raises(
        FormulaError, match="too complex"
    ):  # Python's parser gives up: refused cleanly
        parse(at_limit)
    with pytest.raises(FormulaError, match="too long: 10,001 characters"):
        parse("x" * (MAX_LENGTH + 1))
    with pytest.raises(FormulaError, match="too complex"):
        parse("-" * 9_000 + "x")


# (formula, a piece of the message that names what is wrong and where)
HOSTILE = [
    ("__import__('os').system('touch PWNED')", "attribute access is not allowed at column 1"),
    ("__import__('os')", "unknown function '__import__' at column 1"),
    ("open('x', 'w')", "unknown function 'open' at column 1"),
    ("eval('1+1')", "unknown function 'eval'"),
    ("exec('x=1')", "unknown function 'exec'"),
    ("globals()", "unknown function 'globals'"),
    ("().__class__.__bases__", "attribute access is not allowed"),
    ("x.real", "attribute access is not allowed at column 1: 'x.real'"),
    ("sin.__globals__", "attribute access"),
    ("'touch PWNED'", "strings are not allowed"),
    ("b'bytes'", "strings are not allowed"),
    ("f'{x}'", "an f-string is not allowed"),
    ("lambda: 0", "a lambda is not allowed"),
    ("[i for i in range(9**9)]", "a comprehension is not allowed"),
    ("sum(i for i in x)", "unknown function 'sum'"),
    ("{i for i in x}", "a comprehension"),
    ("x[0]", "indexing is not allowed at column 1: 'x[0]'"),
    ("sin(x=1)", "sin() takes no keyword arguments at column 7"),
    ("sin(*x)", "sin() takes no starred arguments at column 5"),
    ("max(x)", "max() takes 2 arguments, got 1"),
    ("sin(x, y)", "sin() takes 1 argument, got 2"),
    ("exp()", "exp() takes 1 argument, got 0"),
    ("foo(x)", "unknown function 'foo'"),
    ("x(1)", "unknown function 'x'"),
    ("sin(x)(y)", "only a function can be called"),
    ("sin + 1", "function 'sin' must be called, as in sin(x) at column 1"),
    ("__builtins__", "name '__builtins__' is not allowed"),
    ("_x + 1", "name '_x' is not allowed"),
    ("True + x", "True is not a number at column 1"),
    ("None", "None is not a number"),
    ("...", "Ellipsis is not a number"),
    ("2j * x", "complex numbers are not supported at column 1: '2j'"),
    ("(y := 2)", "an assignment (:=) is not allowed at column 2"),
    ("x if y else 1", "a conditional expression is not allowed"),
    ("x < y", "a comparison is not allowed"),
    ("x and y", "'and'/'or' is not allowed"),
    ("not x", "operator 'not' is not supported"),
    ("~x", "operator '~' is not supported"),
    ("x % 2", "operator '%' is not supported at column 1: 'x % 2'; use + - * / **"),
    ("x // 2", "operator '//' is not supported"),
    ("x @ y", "operator '@' is not supported"),
    ("x << 2", "operator '<<' is not supported"),
    ("1if x else 2", "syntax error"),  # a SyntaxWarning in Python: refused, and nothing printed
    ("(x, y)", "a tuple is not allowed"),
    ("[[x], y]", "a list inside the formula is not allowed at column 2"),
    ("1 + [x]", "a list inside the formula is not allowed at column 5"),
    ("[]", "an empty list is not a formula"),
    ("[*x]", "a starred expression is not allowed"),
    ("{x: 1}", "a dict is not allowed"),
    ("{x}", "a set is not allowed"),
    ("await x", "await is not allowed"),
    ("x +", "syntax error"),
    ("x = 1", "syntax error at column 3"),
    ("import os", "syntax error"),
    ("x; y", "syntax error"),
    (")", "syntax error at column 1: unmatched ')'"),
    ("", "empty formula"),
    ("   ", "empty formula"),
    ("x\x00", "character '\\x00' at column 2 is not allowed"),
    ("\u00e9 + 1", "is not allowed (formulas are printable ASCII)"),
    ("1" * 5000, "syntax error"),  # longer than Python's int-from-text limit
    ("(" * 150 + "x" + ")" * 150, "nested too deeply"),
    ("x" * 20_000, "too long"),
]


@pytest.mark.parametrize("source, message", HOSTILE, ids=[repr(s[:30]) for s, _ in HOSTILE])
def test_a_formula_outside_the_language_is_refused_with_a_one_line_message(source, message):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(FormulaError) as info:
            parse(source)
    assert not caught  # nothing printed besides the error (Python's parser may warn)
    text = str(info.value)
    assert "\n" not in text and len(text) < 300
    assert message in text
    assert isinstance(info.value, ValueError)


def test_nothing_is_ever_passed_to_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert parse("[sin(x**2), max(x, 1/x)]")(2.0) == [math.sin(4.0), 2.0]
    for source, _ in HOSTILE[:10]:
        with pytest.raises(FormulaError):
            parse(source)


def test_the_column_of_an_error_is_kept():
    with pytest.raises(FormulaError) as info:
        parse("x + y.z")
    assert info.value.column == 5
    with pytest.raises(FormulaError, match="line 2, column 3"):
        parse("[x,\n  y.z]")


TOKENS = [
    "x",
    "y",
    "1",
    "2.5",
    "1e3",
    "+",
    "-",
    "*",
    "/",
    "**",
    "%",
    "(",
    ")",
    "[",
    "]",
    ",",
    "sin",
    "max",
    "exp",
    "__import__",
    "'s'",
    ".",
    "=",
    ":=",
    "lambda",
    ":",
    "for",
    "in",
    "if",
    "else",
    "not",
    "True",
    "j",
    " ",
    "\n",
    "*x",
    "x=",
    "{",
    "}",
    "<",
]


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=60)
    | st.text(alphabet=string.printable, max_size=60)
    | st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)
)
def test_any_text_parses_or_raises_formula_error_and_nothing_else(source):
    try:
        f = parse(source)
    except FormulaError as e:
        assert "\n" not in str(e)
        return
    f(*[0.5] * len(f.variables))  # whatever parses also evaluates (IEEE, never an exception)


SMOOTH = {
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
    "sigmoid": lambda t: 1 / (1 + math.exp(-t)),
    "exp": lambda t: math.exp(t),
    "arctan": math.atan,
    "arcsinh": math.asinh,
    "sinh": math.sinh,
}


@st.composite
def smooth_formulas(draw, depth=3):
    """Random formulas over x and y with their Python counterpart: (text, function)."""
    if depth == 0 or draw(st.booleans()):
        choice = draw(st.sampled_from(["x", "y", "number"]))
        if choice == "number":
            c = draw(st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)))
            return f"({c!r})", lambda x, y: c
        return choice, (lambda x, y: x) if choice == "x" else (lambda x, y: y)
    kind = draw(st.sampled_from(["+", "-", "*", "fn"]))
    if kind == "fn":
        name = draw(st.sampled_from(sorted(SMOOTH)))
        text, g = draw(smooth_formulas(depth=depth - 1))
        fn = SMOOTH[name]
        return f"{name}({text})", lambda x, y: fn(g(x, y))
    (ta, a), (tb, b) = (
        draw(smooth_formulas(depth=depth - 1)),
        draw(smooth_formulas(depth=depth - 1)),
    )
    op = {"+": lambda u, v: u + v, "-": lambda u, v: u - v, "*": lambda u, v: u * v}[kind]
    return f"({ta} {kind} {tb})", lambda x, y: op(a(x, y), b(x, y))


@settings(max_examples=80, deadline=None)
@given(smooth_formulas(), st.floats(-1, 1), st.floats(-1, 1))
def test_random_formulas_evaluate_and_differentiate_like_their_python_twin(formula, x0, y0):
    text, reference = formula
    f = parse(text, variables=["x", "y"])
    assert f(x0, y0) == pytest.approx(reference(x0, y0), rel=1e-12, abs=1e-12)
    x, y = Value(x0), Value(y0)
    out = f(x, y)
    if isinstance(out, Value) and out.requires_grad:
        out.backward()
    assert x.grad == pytest.approx(numeric_grad(lambda t: reference(t, y0), x0), rel=1e-4, abs=1e-6)
    assert y.grad == pytest.approx(numeric_grad(lambda t: reference(x0, t), y0), rel=1e-4, abs=1e-6)


def test_a_point_is_read_from_name_value_pairs():
    assert parse_point("x=1.5,y=2", ("x", "y")) == (1.5, 2.0)
    assert parse_point(["y=-1e-3", " x = inf "], ("x", "y")) == (math.inf, -1e-3)
    assert parse_point(None, ()) == ()
    cases = [
        ("x=1", "no value for variable 'y': give it as y=NUMBER"),
        ("x=1,y=2,z=3", "'z' is not a variable of the formula (its variables: x, y)"),
        ("x=abc,y=1", "the value of 'x' is not a number: 'abc'"),
        ("x=1,x=2,y=1", "variable 'x' is given twice"),
        ("x1,y=2", "'x1' is not of the form name=number"),
        ("=1", "'=1' is not of the form name=number"),
    ]
    for text, message in cases:
        with pytest.raises(FormulaError) as info:
            parse_point(text, ("x", "y"))
        assert message in str(info.value)
    with pytest.raises(FormulaError, match="none: the formula has no variables"):
        parse_point("x=1", ())


def test_pi_and_e_are_constants_and_cannot_be_variables():
    f = parse("sin(pi*x) + e")
    assert f.variables == ("x",)
    assert f(0.5) == math.sin(math.pi * 0.5) + math.e
    assert parse("2*pi").variables == () and parse("2*pi")() == 2 * math.pi
    for names in (["x", "pi"], ["e"]):
        with pytest.raises(FormulaError, match="is the constant .* not a variable name"):
            parse("x", names)
    with pytest.raises(FormulaError, match="'e' is the constant .* cannot be given a value"):
        parse_point("x=1,e=2", ("x",))


def test_a_misspelt_function_or_variable_gets_a_suggestion():
    with pytest.raises(FormulaError, match=r"unknown function 'sine' \(did you mean 'sin'\?\)"):
        parse("sine(x)")
    with pytest.raises(
        FormulaError, match=r"unknown function 'sigmiod' \(did you mean 'sigmoid'\?\)"
    ):
        parse("sigmiod(x)")
    with pytest.raises(FormulaError, match=r"unknown variable 'alph' \(did you mean 'alpha'\?\)"):
        parse("alph * beta", ["alpha", "beta"])
    with pytest.raises(FormulaError, match=r"'alhpa' is not a variable .*did you mean 'alpha'"):
        parse_point("alhpa=1", ("alpha",))
    with pytest.raises(FormulaError) as e:  # nothing near: no suggestion
        parse("qqq(x)")
    assert "did you mean" not in str(e.value)
