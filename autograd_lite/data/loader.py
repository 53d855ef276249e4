"""Data sets and mini-batches as `torch.utils.data` spells them: `TensorDataset`, `Subset`,
`random_split` and `DataLoader`, so a training loop reads as it would in PyTorch.

A data set is anything with `len()` and `dataset[i]` returning a tuple of arrays (one
sample). `DataLoader` cuts it into batches: each batch is a tuple of constant `Tensor`s
(float64, as every Tensor), the samples stacked on a new first axis.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core.tensor import Tensor

__all__ = ["DataLoader", "Subset", "TensorDataset", "random_split"]


class TensorDataset:
    """Samples made of rows of equally long arrays: `dataset[i] == (a[i], b[i], ...)`.

    arrays: numpy arrays, array-likes or Tensors, each (n, ...) with the same n (a
    Tensor's data is used; nothing is recorded). Raises ValueError naming the lengths
    when they differ, or when no array or a 0-d one is given.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(np.asarray(a.data if isinstance(a, Tensor) else a) for a in arrays)
        for k, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {k} is 0-d; each needs a first axis")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: the arrays have different lengths {lengths}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, i):
        return tuple(a[i] for a in self.arrays)

    def _batch(self, idx):
        """The samples at the int array idx, one array (len(idx), ...) per field."""
        return tuple(a[idx] for a in self.arrays)


class Subset:
    """The samples of `dataset` at `indices` (a sequence of ints), in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        return self.dataset[int(self.indices[i])]

    def _batch(self, idx):
        return _gather(self.dataset, self.indices[idx])


def _gather(dataset, idx):
    """One array per field of the samples at idx: fancy indexing when the data set has it."""
    if hasattr(dataset, "_batch"):
        return dataset._batch(idx)
    samples = [dataset[int(i)] for i in idx]
    if not isinstance(samples[0], tuple):
        return (np.stack([np.asarray(s) for s in samples]),)
    return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(samples[0])))


def random_split(dataset, lengths, seed=None):
    """Split `dataset` into non-overlapping `Subset`s of the given lengths, at random.

    lengths: ints summing to `len(dataset)`, or fractions summing to 1 (each part gets
    `floor(f * n)`, and the samples left over go one each to the first parts, as PyTorch).
    seed: an int or a `numpy.random.Generator`; the same seed gives the same split.
    Raises ValueError naming the lengths when they do not add up or one is negative.
    """
    n = len(dataset)
    lengths = list(lengths)
    if lengths and all(isinstance(f, float) for f in lengths):
        if any(not 0 <= f <= 1 for f in lengths) or not np.isclose(sum(lengths), 1.0):
            raise ValueError(f"random_split: fractions {lengths} must lie in [0, 1] and sum to 1")
        sizes = [int(np.floor(f * n)) for f in lengths]
        for k in range(n - sum(sizes)):
            sizes[k % len(sizes)] += 1
        lengths = sizes
    if any(not isinstance(m, numbers.Integral) or m < 0 for m in lengths) or sum(lengths) != n:
        raise ValueError(
            f"random_split: lengths {lengths} must be non-negative ints summing to the "
            f"data set's length {n}"
        )
    order = np.random.default_rng(seed).permutation(n)
    ends = np.cumsum(lengths)
    return [Subset(dataset, order[end - m : end]) for m, end in zip(lengths, ends)]


class DataLoader:
    """Batches of a data set, each a tuple of constant Tensors (float64), as PyTorch's.

    dataset: a `TensorDataset`, `Subset` or anything with `len()` and `dataset[i]`
    returning a tuple of arrays. batch_size: a positive int. shuffle: draw a new order
    every epoch (every `iter()`) from the loader's own generator, seeded by `seed`
    (an int; None draws a seed from the operating system). drop_last: leave out a last
    batch smaller than batch_size. The order of epoch e is the e-th permutation drawn
    from `numpy.random.default_rng(seed)`, so a seed repeats the whole sequence of
    epochs, and `state_dict()` / `load_state_dict()` save and restore the generator
    (a checkpoint taken between epochs resumes with the same orders).
    `len(loader)` is the number of batches in an epoch.
    Raises ValueError naming batch_size when it is not a positive int.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.seed = np.random.SeedSequence().entropy if seed is None else seed
        self.generator = np.random.default_rng(self.seed)

    def __len__(self):
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n = len(self.dataset)
        order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            yield tuple(Tensor(a) for a in _gather(self.dataset, idx))

    def state_dict(self):
        """{"type": "DataLoader", "generator": the bit generator's state}, plain numbers only."""
        return {"type": "DataLoader", "generator": self.generator.bit_generator.state}

    def load_state_dict(self, state):
        """Restore the generator saved by `state_dict()`; ValueError, and no change, if it is
        not such a state or is of another bit generator."""
        bitgen = self.generator.bit_generator
        saved = state.get("generator") if isinstance(state, dict) else None
        if not (
            isinstance(state, dict)
            and state.get("type") == "DataLoader"
            and isinstance(saved, dict)
            and saved.get("bit_generator") == bitgen.state["bit_generator"]
        ):
            raise ValueError(
                "cannot load this state into DataLoader: expected the state_dict() of a "
                f"DataLoader with a {bitgen.state['bit_generator']} generator"
            )
        fresh = type(bitgen)()
        fresh.state = saved  # checked by numpy; an error leaves this loader alone
        self.generator = np.random.Generator(fresh)
