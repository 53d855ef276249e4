"""Derivatives as functions (`grad`, `vjp`, `jvp`, `jacobian`, `hessian`, ...) and their checks."""

from .forward import jacfwd, jvp, linearize
from .functional import derivative, grad, hessian, hvp, jacobian, value_and_grad, vjp
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
    "jacfwd",
    "jacobian",
    "jvp",
    "linearize",
    "value_and_grad",
    "vjp",
]
