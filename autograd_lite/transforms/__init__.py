"""Derivatives as functions (`grad`, `vjp`, `jvp`, `jacobian`, `hessian`, ...) and their checks."""

from .functional import derivative, grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .gradcheck import GradcheckError, KinkNote, gradcheck, gradgradcheck
from .taylor import SeriesFallbackWarning, taylor

__all__ = [
    "GradcheckError",
    "KinkNote",
    "SeriesFallbackWarning",
    "derivative",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "taylor",
    "value_and_grad",
    "vjp",
]
