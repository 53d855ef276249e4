"""Optimizers that update parameters from their `.grad` (as `torch.optim`)."""

from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop"]
