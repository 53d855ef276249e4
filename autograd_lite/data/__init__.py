"""Data for training: `TensorDataset`, `DataLoader`, `random_split` (as `torch.utils.data`),
training checkpoints (`save_checkpoint`, `load_checkpoint`), and the examples' data sets,
scikit-learn's bundled digits and iris (loaded on first use)."""

from .checkpoint import load_checkpoint, save_checkpoint
from .datasets import Split, digits_split, iris_split
from .loader import DataLoader, Subset, TensorDataset, random_split

__all__ = [
    "DataLoader",
    "Split",
    "Subset",
    "TensorDataset",
    "digits_split",
    "iris_split",
    "load_checkpoint",
    "random_split",
    "save_checkpoint",
]
