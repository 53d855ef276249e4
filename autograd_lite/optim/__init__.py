"""Optimizers that update parameters from their `.grad`, and learning-rate schedules for them
(`optim.lr_scheduler`), as `torch.optim`."""

from . import lr_scheduler
from .optimizers import SGD, Adam, AdamW, Optimizer, RMSprop

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
