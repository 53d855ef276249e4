"""A small, safe formula language: `sin(x**2)`, `[x**2 + y, sin(x*y)]`.

`parse(source)` turns a formula into a `Formula`, a function of its variables
that evaluates with autograd_lite's operations, so it runs on plain floats and
on `Value`s alike (and can be differentiated by `autograd_lite.functional`).

The grammar is a whitelist over Python's expression syntax, read with
`ast.parse(source, mode="eval")`:

    formula  := expr | "[" expr ("," expr)* "]"      (a list only at the top: a vector)
    expr     := number | constant | variable | expr op expr | "-" expr | "+" expr | "(" expr ")"
              | f "(" expr ")" | g "(" expr "," expr ")"
    op       := + - * / **
    f        := exp log sqrt sin cos tanh sigmoid relu abs
    g        := max min                                (elementwise maximum and minimum)
    constant := pi e

A variable is any other name made of ASCII letters, digits and underscores that
does not start with an underscore. Anything else (attribute access, strings,
calls of other functions, keyword arguments, comprehensions, lambdas,
subscripts, comparisons, booleans, complex numbers, ...) raises `FormulaError`,
whose one-line message names the offending part and its column, and suggests
the nearest known name for a misspelt function or variable ("did you mean 'sin'?").

Nothing is ever executed: the syntax tree is checked node by node and compiled
into a short postfix program of whitelisted operations, run by a loop over a
stack (no recursion in our evaluation). Python's own parser is recursive, so a chain of
more than about 2,500 operators in a row (x+x+...+x) is refused as too complex, even
under the length limit. Hostile sizes are refused before
parsing: more than `MAX_LENGTH` characters or brackets nested deeper than
`MAX_DEPTH`. Every number becomes a float, so `9**9**9` is inf (IEEE overflow)
instead of a Python integer that would take forever to compute.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import warnings

from ..core import ops

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Formula",
    "FormulaError",
    "check_variables",
    "parse",
    "parse_point",
]

MAX_LENGTH = 10_000
MAX_DEPTH = 100

#: The functions a formula may call: name -> (number of arguments, autograd_lite function).
FUNCTIONS = {op.formula: (op.arity, getattr(ops, op.function)) for op in ops.OPS if op.formula}


#: The named constants of the language; a variable may not take their names.
CONSTANTS = {"pi": math.pi, "e": math.e}


def _did_you_mean(name, candidates):
    """' (did you mean 'sin'?)' for the candidate nearest to a misspelt `name`, else ''."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _operator(op):
    # The engine's op table, also on plain floats: IEEE results (1/0 = inf, overflow = inf)
    # where Python's float operators would raise ZeroDivisionError or OverflowError.
    return lambda a, b: ops.apply(op, (a, b))


_OPERATORS = {
    ast.Add: ("+", _operator(ops.ADD)),
    ast.Sub: ("-", _operator(ops.SUB)),
    ast.Mult: ("*", _operator(ops.MUL)),
    ast.Div: ("/", _operator(ops.DIV)),
    ast.Pow: ("**", ops.power),
}
_UNARY = {ast.USub: ("-", lambda a: ops.apply(ops.NEG, (a,))), ast.UAdd: ("+", lambda a: a)}

# What to call a construct the language refuses, by syntax-tree node type.
_REFUSED = {
    "Attribute": "attribute access",
    "Subscript": "indexing",
    "Slice": "a slice",
    "Lambda": "a lambda",
    "ListComp": "a comprehension",
    "SetComp": "a comprehension",
    "DictComp": "a comprehension",
    "GeneratorExp": "a generator expression",
    "NamedExpr": "an assignment (:=)",
    "JoinedStr": "an f-string",
    "FormattedValue": "an f-string",
    "Compare": "a comparison",
    "BoolOp": "'and'/'or'",
    "IfExp": "a conditional expression",
    "Tuple": "a tuple",
    "Dict": "a dict",
    "Set": "a set",
    "Starred": "a starred expression",
    "Await": "await",
    "Yield": "yield",
    "YieldFrom": "yield",
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_ALLOWED_CHARS = re.compile(r"[\x20-\x7e\t\n]*\Z")  # printable ASCII, tab and newline


class FormulaError(ValueError):
    """A formula (or a point to evaluate it at) that is not in the language.

    `str(error)` is one line naming the offending part and, when known, its
    column (1-based); `error.column` holds that column (or None).
    """

    def __init__(self, message, column=None):
        super().__init__(message)
        self.column = column


def _snippet(text, limit=40):
    """`text` quoted on one line, shortened to about `limit` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def _where(source, node):
    """' at column C: <snippet>' for a syntax-tree node (line and column if several lines)."""
    line, col = node.lineno, node.col_offset + 1  # the source is ASCII: bytes = characters
    where = f"line {line}, column {col}" if "\n" in source else f"column {col}"
    segment = ast.get_source_segment(source, node) or ""
    return f" at {where}: {_snippet(segment)}", col


def _formula_error(source, node, problem, hint=""):
    where, col = _where(source, node)
    raise FormulaError(problem + where + (f"; {hint}" if hint else ""), col)


def _check_size(source):
    """Refuse, before parsing, what is too long, too deep or not printable ASCII."""
    if not isinstance(source, str):
        raise FormulaError(f"a formula must be a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"formula too long: {len(source):,} characters (at most {MAX_LENGTH:,})")
    if not source.strip():
        raise FormulaError("empty formula")
    if not _ALLOWED_CHARS.match(source):
        i = next(i for i, c in enumerate(source) if not _ALLOWED_CHARS.match(c))
        raise FormulaError(
            f"character {source[i]!r} at column {i + 1} is not allowed "
            "(formulas are printable ASCII)",
            i + 1,
        )
    depth = 0
    for i, c in enumerate(source):
        if c in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(
                    f"formula nested too deeply: more than {MAX_DEPTH} levels of brackets "
                    f"at column {i + 1}",
                    i + 1,
                )
        elif c in ")]}":
            depth -= 1


def _parse_tree(source):
    try:
        with warnings.catch_warnings():
            # Python's parser warns about some odd spellings ("1if x else 2"); as errors they
            # become one clean refusal instead of a warning printed on stderr.
            warnings.simplefilter("error")
            return ast.parse(source, mode="eval")
    except SyntaxError as e:
        msg = (e.msg or "invalid syntax").split("\n")[0].split(";")[0]
        col = e.offset or None  # 0 or None: Python does not know where
        where = ""
        if col:
            where = f" at line {e.lineno}, column {col}" if "\n" in source else f" at column {col}"
        raise FormulaError(f"syntax error{where}: {msg} in {_snippet(source)}", col) from None
    except (RecursionError, MemoryError):
        raise FormulaError(
            "formula too complex to parse (too many operators in one chain); split it up"
        ) from None
    except ValueError as e:  # e.g. null bytes, in some Python versions
        raise FormulaError(f"cannot parse the formula: {e}") from None


def _compile(source, tree):
    """Check every node of the tree and compile it to a postfix program.

    Returns (program, names, is_vector, n_outputs). Instructions:
    ("num", float), ("var", name), ("apply", (function, n_args)), ("list", n).
    The walk is iterative: a stack of (node, expanded) pairs.
    """
    body = tree.body
    is_vector = isinstance(body, ast.List)
    if is_vector:
        if not body.elts:
            _formula_error(source, body, "an empty list is not a formula")
        roots = body.elts
    else:
        roots = [body]
    program, names = [], set()
    stack = [(node, False) for node in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            program.append(_instruction(node))
            continue
        children = _check_node(source, node)
        if children is None:  # a leaf: a number or a variable
            program.append(_instruction(node))
            if isinstance(node, ast.Name) and node.id not in CONSTANTS:
                names.add(node.id)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children))
    if is_vector:
        program.append(("list", len(roots)))
    return program, names, is_vector, len(roots)


def _check_node(source, node):
    """Refuse a node outside the language; return its operands (None for a leaf)."""
    kind = type(node).__name__
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool) or v is None or v is Ellipsis:
            _formula_error(source, node, f"{v!r} is not a number")
        if isinstance(v, complex):
            _formula_error(source, node, "complex numbers are not supported")
        if isinstance(v, (str, bytes)):
            _formula_error(source, node, "strings are not allowed")
        if not isinstance(v, (int, float)):
            _formula_error(source, node, f"{type(v).__name__} constants are not allowed")
        return None
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return None
        if node.id in FUNCTIONS:
            _formula_error(source, node, f"function {node.id!r} must be called, as in {node.id}(x)")
        if not _NAME.match(node.id):
            _formula_error(
                source, node, f"name {node.id!r} is not allowed", "a variable starts with a letter"
            )
        return None
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
            _formula_error(source, node, f"operator {symbol!r} is not supported", "use + - * / **")
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            symbol = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?")
            _formula_error(source, node, f"operator {symbol!r} is not supported", "use - or +")
        return [node.operand]
    if isinstance(node, ast.Call):
        return _check_call(source, node)
    if isinstance(node, ast.List):
        _formula_error(
            source,
            node,
            "a list inside the formula is not allowed",
            "a vector is written as [a, b] around the whole formula",
        )
    hint = "write a vector as [a, b] around the whole formula" if kind == "Tuple" else ""
    _formula_error(source, node, f"{_REFUSED.get(kind, kind)} is not allowed", hint)


_OPERATOR_SYMBOLS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
}


def _check_call(source, node):
    func = node.func
    known = "the functions are listed by 'autograd-lite grad --help'"
    if not isinstance(func, ast.Name):
        refused = _REFUSED.get(type(func).__name__)
        _formula_error(
            source,
            func,
            f"{refused} is not allowed" if refused else "only a function can be called",
            known,
        )
    name = func.id
    if name not in FUNCTIONS:
        _formula_error(
            source, func, f"unknown function {name!r}{_did_you_mean(name, FUNCTIONS)}", known
        )
    if node.keywords:
        _formula_error(source, node.keywords[0].value, f"{name}() takes no keyword arguments")
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            _formula_error(source, arg, f"{name}() takes no starred arguments")
    arity = FUNCTIONS[name][0]
    if len(node.args) != arity:
        plural = "argument" if arity == 1 else "arguments"
        _formula_error(source, node, f"{name}() takes {arity} {plural}, got {len(node.args)}")
    return list(node.args)


def _number(value):
    """A literal as a float; an integer too large for a float is inf (as 1e400 is)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _instruction(node):
    if isinstance(node, ast.Constant):
        return ("num", _number(node.value))
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return ("num", CONSTANTS[node.id])
        return ("var", node.id)
    if isinstance(node, ast.BinOp):
        return ("apply", (_OPERATORS[type(node.op)][1], 2))
    if isinstance(node, ast.UnaryOp):
        return ("apply", (_UNARY[type(node.op)][1], 1))
    arity, fn = FUNCTIONS[node.func.id]
    return ("apply", (fn, arity))


def _natural_key(name):
    """Sort key putting x2 before x10: text and digit runs compared as text and numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class Formula:
    """A parsed formula: call it with one number, `Value` or `Tensor` per variable.

    Attributes: `source` (the text), `variables` (names in argument order),
    `is_vector` (a top-level list), `n_outputs` (1 for a scalar formula).
    `formula(*args)` returns one result for a scalar formula and a list of
    results for a vector formula. Plain floats give floats with IEEE semantics
    (1/0 = inf, log(-1) = nan, overflow = inf); `Value`s give `Value`s with a
    recorded graph. Raises TypeError for a wrong number of arguments.
    """

    def __init__(self, source, variables, program, is_vector, n_outputs):
        self.source = source
        self.variables = tuple(variables)
        self.is_vector = is_vector
        self.n_outputs = n_outputs
        index = {name: i for i, name in enumerate(self.variables)}
        self._program = [(op, index[arg]) if op == "var" else (op, arg) for op, arg in program]

    def __call__(self, *args):
        if len(args) != len(self.variables):
            raise TypeError(
                f"the formula {self.source!r} takes {len(self.variables)} argument(s) "
                f"({', '.join(self.variables) or 'none'}), got {len(args)}"
            )
        stack = []
        for op, arg in self._program:
            if op == "num":
                stack.append(arg)
            elif op == "var":
                stack.append(args[arg])
            elif op == "apply":
                fn, n = arg
                operands = stack[-n:]
                del stack[-n:]
                stack.append(fn(*operands))
            else:  # "list": the vector of all outputs
                return stack
        return stack[0]

    def __repr__(self):
        return f"Formula({self.source!r}, variables={self.variables!r})"


def parse(source, variables=None):
    """Parse `source` into a `Formula`; raise `FormulaError` if it is not in the language.

    variables: the argument order, a sequence of names. It may name variables
        the formula does not use (their derivatives are 0), but every name in
        the formula must be among them. None (the default): the names found in
        the formula, in natural alphabetical order (x2 before x10).
    Raises FormulaError (a ValueError) with a one-line message naming the
    offending part and its column; nothing is ever executed.
    """
    _check_size(source)
    tree = _parse_tree(source)
    program, names, is_vector, n_outputs = _compile(source, tree)
    if variables is None:
        variables = sorted(names, key=_natural_key)
    else:
        variables = check_variables(variables)
        unknown = sorted(names - set(variables), key=_natural_key)
        if unknown:
            node = next(n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == unknown[0])
            _formula_error(
                source,
                node,
                f"unknown variable {unknown[0]!r}{_did_you_mean(unknown[0], variables)}",
                f"the variables are {', '.join(variables) or 'none'}",
            )
    return Formula(source, variables, program, is_vector, n_outputs)


def check_variables(variables):
    """The names of `--vars` (a sequence of strings), stripped, checked and in order.

    Raises FormulaError naming the offending name: one that is not an identifier
    (letters, digits and _, starting with a letter), one that is a function or a
    constant of the language (`sin`, `pi`, `e`, ...), or one given twice.
    """
    names = [v.strip() for v in variables]
    for name in names:
        if not _NAME.match(name):
            raise FormulaError(
                f"{name!r} is not a variable name (letters, digits and _, starting with a letter)"
            )
        if name in FUNCTIONS:
            raise FormulaError(f"{name!r} is a function, not a variable name")
        if name in CONSTANTS:
            raise FormulaError(
                f"{name!r} is the constant {CONSTANTS[name]!r}, not a variable name; "
                "choose another name"
            )
    seen = set()
    for name in names:
        if name in seen:
            raise FormulaError(f"variable {name!r} is named twice")
        seen.add(name)
    return names


def parse_point(assignments, variables):
    """Values of the variables from text such as "x=1.5,y=2": a tuple in `variables` order.

    assignments: a string "name=number, ..." or a list of such strings (they
        are joined). Numbers are anything `float()` reads ("2", "-1e-3", "inf").
    variables: the names that need a value, in order.
    Raises FormulaError naming the problem: a malformed pair, a value that is
    not a number, a variable given twice, a name that is not a variable, or a
    variable left without a value.
    """
    if isinstance(assignments, str):
        assignments = [assignments]
    given = {}
    for text in assignments or []:
        for pair in text.split(","):
            pair = pair.strip()
            if not pair:
                continue
            name, eq, number = (part.strip() for part in pair.partition("="))
            if not eq or not name:
                raise FormulaError(f"{pair!r} is not of the form name=number (e.g. x=1.5)")
            if name in given:
                raise FormulaError(f"variable {name!r} is given twice")
            try:
                given[name] = float(number)
            except ValueError:
                raise FormulaError(f"the value of {name!r} is not a number: {number!r}") from None
    unknown = [name for name in given if name not in variables]
    if unknown:
        name = unknown[0]
        if name in CONSTANTS:
            raise FormulaError(
                f"{name!r} is the constant {CONSTANTS[name]!r} in a formula, not a variable: "
                "it cannot be given a value"
            )
        known = ", ".join(variables) if variables else "none: the formula has no variables"
        raise FormulaError(
            f"{name!r} is not a variable of the formula{_did_you_mean(name, variables)} "
            f"(its variables: {known})"
        )
    missing = [name for name in variables if name not in given]
    if missing:
        raise FormulaError(f"no value for variable {missing[0]!r}: give it as {missing[0]}=NUMBER")
    return tuple(given[name] for name in variables)
