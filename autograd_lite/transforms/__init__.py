"""Derivatives as functions (`grad`, `vjp`, `jvp`, `jacobian`, `hessian`, ...) and their checks."""

from .functional import (
    derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)
from .gradcheck import GradcheckError, KinkNote, gradcheck, gradgradcheck

__all__ = [
    "GradcheckError",
    "KinkNote",
    "derivative",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jacobian",
    "jacrev",
    "jvp",
    "value_and_grad",
    "vjp",
]
