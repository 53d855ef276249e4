"""Derivatives as functions (`grad`, `vjp`, `jvp`, `jacobian`, `hessian`, ...) and their checks."""

from .forward import jacfwd, jvp, linearize
from .functional import (
    derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jacrev,
    value_and_grad,
    vjp,
)
from .gradcheck import (
    GradcheckError,
    KinkNote,
    check_grads,
    gradcheck,
    gradcheck_module,
    gradgradcheck,
)
from .taylor import SeriesFallbackWarning, taylor

__all__ = [
    "GradcheckError",
    "KinkNote",
    "SeriesFallbackWarning",
    "check_grads",
    "derivative",
    "grad",
    "gradcheck",
    "gradcheck_module",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "taylor",
    "linearize",
    "value_and_grad",
    "vjp",
]
