"""Training checkpoints: a model, its optimizer, scheduler and data loader in one file.

`save_checkpoint` writes one `.npz` archive, atomically (`_files.atomic_write`): the
model's arrays as `model.<name>`, the optimizer's state arrays as
`optimizer.<index>.<entry>`, and everything else (the optimizer's options and step
counts, the scheduler's counters, the generators of the loader and of the model's random
layers such as `Dropout`, the epoch) as JSON text in
the member `meta`. Nothing is pickled, and `load_checkpoint` reads with
`allow_pickle=False`, so a checkpoint from elsewhere cannot run code.
Resuming from a checkpoint written after epoch k gives exactly the parameters of a run
that was never interrupted (tests/test_data_loader.py checks it bit for bit).
"""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from .._files import OPEN_ERRORS, atomic_write, read_npy_member

__all__ = ["load_checkpoint", "save_checkpoint"]

_FORMAT = "autograd_lite checkpoint"
_VERSION = 1
_META_MOST = 64 << 20  # bytes of the JSON member: options, counters, generators and `extra`


def _plain(obj):
    """numpy scalars and arrays as Python numbers and lists, for json."""
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"a checkpoint cannot hold {type(obj).__name__} {obj!r}")


def _split_optimizer(state, arrays):
    """The optimizer's state_dict with its arrays moved into `arrays` and named in place."""
    entries = {}
    for i, entry in state["state"].items():
        entries[str(i)] = {}
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                name = f"optimizer.{i}.{key}"
                arrays[name] = value
                entries[str(i)][key] = {"array": name}
            else:
                entries[str(i)][key] = value
    return {**state, "state": entries}


def _join_optimizer(meta, arrays):
    state = {}
    for i, entry in meta["state"].items():
        state[int(i)] = {
            key: arrays[v["array"]] if isinstance(v, dict) else v for key, v in entry.items()
        }
    return {**meta, "state": state}


class _Generators:
    """The random generators a model's layers draw from (`Dropout`'s masks), by module name,
    with the `state_dict` / `load_state_dict` pair the other parts have: without them a
    resumed run would draw other masks than the uninterrupted one."""

    def __init__(self, model):
        self.rngs = {
            name: m._rng
            for name, m in model.named_modules()
            if isinstance(getattr(m, "_rng", None), np.random.Generator)
        }

    def state_dict(self):
        return {name: rng.bit_generator.state for name, rng in self.rngs.items()}

    def load_state_dict(self, state):
        if set(state) != set(self.rngs):
            raise ValueError(
                f"the file has generators for modules {sorted(state)}, the model has them "
                f"for {sorted(self.rngs)}"
            )
        for name, rng in self.rngs.items():
            kind = rng.bit_generator.state["bit_generator"]
            if state[name].get("bit_generator") != kind:
                raise ValueError(f"module {name!r}: the file's generator is not a {kind}")
        for name, rng in self.rngs.items():
            rng.bit_generator.state = state[name]


def save_checkpoint(
    path, *, model, optimizer=None, scheduler=None, loader=None, epoch=None, extra=None
):
    """Write the training state to `path` (an `.npz` archive), atomically; returns `path`.

    model: an `nn.Module` (its `state_dict()`). optimizer, scheduler, loader (a
    `DataLoader`, for its shuffling generator): optional, saved by their `state_dict()`.
    epoch: the number of epochs done (any int), returned by `load_checkpoint`. extra:
    anything json can write (numbers, strings, lists, dicts), e.g. the losses so far.
    The file is written beside `path` and renamed onto it, so a crash or Ctrl-C never
    leaves a partial checkpoint and an older one survives. Raises TypeError naming an
    object json cannot write (before anything is written).
    """
    arrays = {f"model.{k}": v for k, v in model.state_dict().items()}
    meta = {"format": _FORMAT, "version": _VERSION, "epoch": epoch, "extra": extra}
    meta["model"] = type(model).__name__
    meta["generators"] = _Generators(model).state_dict()
    if optimizer is not None:
        meta["optimizer"] = _split_optimizer(optimizer.state_dict(), arrays)
    if scheduler is not None:
        meta["scheduler"] = scheduler.state_dict()
    if loader is not None:
        meta["loader"] = loader.state_dict()
    text = json.dumps(meta, default=_plain)
    arrays["meta"] = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def _read(path, most, optimizer):
    """({member name: array}, meta dict) of a checkpoint file; ValueError if it is not one.

    Each member's `.npy` header is checked before its data is read (`Module.load`'s
    reader): a numeric dtype, and exactly as many data bytes as the zip entry holds, at
    most `most` (the largest array the objects loaded can take; `meta` 64 MiB), so a crafted
    header declaring a huge array, or a compressed member unpacking to one, costs no
    memory. The optimizer's arrays are read only if `optimizer`. A name twice is refused."""
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"no checkpoint at {path!r}") from None
    except OPEN_ERRORS as e:
        raise ValueError(f"{path!r} is not a checkpoint archive ({e})") from None
    arrays = {}
    with zf:
        for info in zf.infolist():
            name = info.filename.removesuffix(".npy")
            if name in arrays:
                raise ValueError(f"{path!r} is not a checkpoint archive: {name!r} appears twice")
            if name.startswith("optimizer.") and not optimizer:
                continue  # not needed
            limit = _META_MOST if name == "meta" else most
            array, problem = read_npy_member(zf, info, name, None, limit)
            if problem:
                raise ValueError(f"{path!r} is not a checkpoint archive: {problem}")
            arrays[name] = array.copy()  # writable, and not a view of the file's bytes
    try:
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        assert meta["format"] == _FORMAT and isinstance(meta["version"], int)
    except Exception:
        raise ValueError(f"{path!r} is not an autograd_lite checkpoint (no valid 'meta')") from None
    if meta["version"] > _VERSION:
        raise ValueError(f"{path!r} is a checkpoint of a newer version {meta['version']}")
    return arrays, meta


def load_checkpoint(path, *, model, optimizer=None, scheduler=None, loader=None):
    """Restore what `save_checkpoint` wrote into the given objects; returns
    `{"epoch": epoch, "extra": extra}` as saved.

    Build the objects as for the original run (same architecture, optimizer over the
    same parameters, the scheduler made after it), then load. Every object passed must
    have its part in the file. All or nothing: if any part does not fit (a model of
    another architecture, another optimizer or scheduler type, another number of
    parameters, a missing part), the objects already loaded are put back as they were
    and ValueError is raised naming the file, the part and the first mismatch found.
    Raises FileNotFoundError for a missing file and ValueError for a file that is not
    a checkpoint.
    """
    path = os.fspath(path)
    params = [] if optimizer is None else optimizer.params
    sizes = [np.size(v) for v in model.state_dict().values()] + [np.size(p.data) for p in params]
    arrays, meta = _read(path, 16 * max(sizes, default=0), optimizer is not None)  # 16: widest
    model_state = {k[6:]: v for k, v in arrays.items() if k.startswith("model.")}
    parts = [("model", model, model_state)]
    if meta.get("generators") is not None:  # files written before generators were saved lack it
        parts.append(("generators", _Generators(model), meta["generators"]))
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if obj is None:
            continue
        if name not in meta:
            raise ValueError(f"checkpoint {path!r} has no {name} state")
        try:
            state = _join_optimizer(meta[name], arrays) if name == "optimizer" else meta[name]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"checkpoint {path!r} has a damaged {name} state") from None
        parts.append((name, obj, state))
    before = [(obj, obj.state_dict()) for _, obj, _ in parts]
    done = 0
    try:
        for name, obj, state in parts:
            try:
                obj.load_state_dict(state)
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(f"checkpoint {path!r}, {name}: {e}") from None
            done += 1
    except BaseException:
        for obj, state in before[:done]:
            obj.load_state_dict(state)
        raise
    return {"epoch": meta.get("epoch"), "extra": meta.get("extra")}
