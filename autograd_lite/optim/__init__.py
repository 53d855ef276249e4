"""Optimizers that update parameters from their `.grad` (as `torch.optim`)."""

from .optimizers import SGD, Adam, Optimizer

__all__ = ["SGD", "Adam", "Optimizer"]
