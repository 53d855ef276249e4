"""TensorDataset, DataLoader, random_split and training checkpoints (autograd_lite.data)."""

import json
import zipfile

import numpy as np
import pytest

from autograd_lite import Tensor, data, nn, optim
from autograd_lite.optim import lr_scheduler

from .helpers import load_in_child


def _xy(n=50, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, features)), rng.integers(0, classes, n)


# ---- DataLoader, TensorDataset, random_split ---------------------------------------------------


def test_loader_yields_tensor_batches_covering_the_data_once_per_epoch():
    X, y = _xy(50)
    loader = data.DataLoader(data.TensorDataset(X, y), batch_size=8, shuffle=True, seed=3)
    assert len(loader) == 7
    for _ in range(2):
        batches = list(loader)
        assert all(isinstance(t, Tensor) and not t.requires_grad for b in batches for t in b)
        assert [len(xb.data) for xb, _ in batches] == [8] * 6 + [2]
        rows = np.concatenate([xb.data for xb, _ in batches])
        labels = np.concatenate([yb.data for _, yb in batches])
        order = np.array([np.flatnonzero((X == r).all(axis=1))[0] for r in rows])
        assert sorted(order) == list(range(50))  # a permutation of the samples
        np.testing.assert_array_equal(labels, y[order])
    assert not np.array_equal(order, np.arange(50))


def test_loader_orders_repeat_with_the_seed_and_change_between_epochs():
    X, y = _xy(40)
    orders = []
    for _ in range(2):
        loader = data.DataLoader(data.TensorDataset(X, y), 10, shuffle=True, seed=7)
        orders.append([np.concatenate([b[0].data for b in loader]) for _ in range(3)])
    for a, b in zip(*orders):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(orders[0][0], orders[0][1])


def test_loader_without_shuffle_keeps_the_order_and_drop_last_drops_the_short_batch():
    X, y = _xy(10)
    loader = data.DataLoader(data.TensorDataset(X, y), 4, drop_last=True)
    assert len(loader) == 2
    np.testing.assert_array_equal(np.concatenate([b[0].data for b in loader]), X[:8])


def test_loader_stacks_samples_of_any_indexable_dataset():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], dtype=float), i

    (xb, yb), (xb2, _) = list(data.DataLoader(Squares(), 3))
    np.testing.assert_array_equal(xb.data, [[0, 0], [1, 1], [2, 4]])
    np.testing.assert_array_equal(yb.data, [0, 1, 2])
    assert xb2.shape == (2, 2)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, None])
def test_loader_refuses_a_batch_size_that_is_not_a_positive_int(bad):
    with pytest.raises(ValueError, match=f"batch_size must be a positive integer, got {bad!r}"):
        data.DataLoader(data.TensorDataset(np.zeros((3, 1))), bad)


def test_tensor_dataset_refuses_arrays_of_different_lengths():
    with pytest.raises(ValueError, match=r"different lengths \[3, 4\]"):
        data.TensorDataset(np.zeros((3, 2)), np.zeros(4))


def test_random_split_gives_disjoint_parts_of_the_asked_sizes():
    ds = data.TensorDataset(np.arange(10.0))
    parts = data.random_split(ds, [7, 3], seed=0)
    assert [len(p) for p in parts] == [7, 3]
    seen = np.concatenate([[p[i][0] for i in range(len(p))] for p in parts])
    assert sorted(seen) == list(range(10))
    fractions = data.random_split(ds, [0.75, 0.25], seed=0)
    assert [len(p) for p in fractions] == [8, 2]  # floor 7 and 2, the leftover to the first
    again = data.random_split(ds, [7, 3], seed=0)
    np.testing.assert_array_equal(parts[0].indices, again[0].indices)
    batch = next(iter(data.DataLoader(parts[1], 3)))[0]
    np.testing.assert_array_equal(batch.data, parts[1].indices.astype(float))
    with pytest.raises(ValueError, match=r"lengths \[5, 4\] .* length 10"):
        data.random_split(ds, [5, 4])


# ---- checkpoints -------------------------------------------------------------------------------


def _setup(init_seed=0):
    X, y = _xy(60)
    model = nn.Sequential(  # Dropout's generator is part of the state an exact resume needs
        nn.Linear(4, 16, rng=init_seed),
        nn.ReLU(),
        nn.Dropout(0.2, rng=init_seed + 2),
        nn.Linear(16, 3, rng=init_seed + 1),
    )
    opt = optim.Adam(model.parameters(), lr=0.02, amsgrad=True)
    sched = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    loader = data.DataLoader(data.TensorDataset(X, y), 8, shuffle=True, seed=5)
    return model, opt, sched, loader


def _train(model, opt, sched, loader, epochs, start=0, on_epoch=None):
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(start, epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        sched.step()
        if on_epoch:
            on_epoch(epoch + 1)


@pytest.mark.parametrize("k", [1, 3])
def test_resuming_from_a_checkpoint_gives_exactly_the_uninterrupted_parameters(tmp_path, k):
    path = tmp_path / "ckpt.npz"
    whole = _setup()

    def save(epoch):
        if epoch == k:
            m, o, s, dl = whole
            data.save_checkpoint(path, model=m, optimizer=o, scheduler=s, loader=dl, epoch=epoch)

    _train(*whole, epochs=5, on_epoch=save)
    resumed = _setup(init_seed=10)  # other weights: everything must come from the file
    m, o, s, dl = resumed
    info = data.load_checkpoint(path, model=m, optimizer=o, scheduler=s, loader=dl)
    assert info == {"epoch": k, "extra": None}
    _train(*resumed, epochs=5, start=info["epoch"])
    for (name, a), b in zip(whole[0].state_dict().items(), m.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert whole[1].state_dict()["state"][0]["step"] == o.state_dict()["state"][0]["step"]
    np.testing.assert_array_equal(
        whole[1].state_dict()["state"][0]["exp_avg"], o.state_dict()["state"][0]["exp_avg"]
    )
    assert whole[2].get_last_lr() == s.get_last_lr()


def test_the_loader_state_matters_for_an_exact_resume(tmp_path):
    """Without the loader's generator the resumed run shuffles differently: the resume
    test above would see it."""
    path = tmp_path / "ckpt.npz"
    whole = _setup()
    _train(*whole, epochs=2)
    data.save_checkpoint(path, model=whole[0], optimizer=whole[1], scheduler=whole[2], epoch=2)
    _train(*whole, epochs=4, start=2)
    m, o, s, dl = _setup()
    data.load_checkpoint(path, model=m, optimizer=o, scheduler=s)  # loader not restored
    _train(m, o, s, dl, epochs=4, start=2)
    assert not np.array_equal(whole[0][0].weight.data, m[0].weight.data)


def test_a_checkpoint_is_an_archive_of_arrays_and_json(tmp_path):
    model, opt, sched, loader = _setup()
    _train(model, opt, sched, loader, epochs=1)
    path = data.save_checkpoint(
        tmp_path / "c.npz", model=model, optimizer=opt, epoch=1, extra={"losses": [0.5]}
    )
    with np.load(path, allow_pickle=False) as archive:
        assert {"model.0.weight", "optimizer.0.exp_avg", "meta"} <= set(archive.files)
        meta = json.loads(archive["meta"].tobytes())
    assert meta["epoch"] == 1 and meta["optimizer"]["type"] == "Adam"
    assert data.load_checkpoint(path, model=model)["extra"] == {"losses": [0.5]}
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left


def test_a_checkpoint_of_another_architecture_is_refused_and_nothing_changes(tmp_path):
    model, opt, sched, loader = _setup()
    path = data.save_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt, scheduler=sched)
    other = nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))
    other_opt = optim.Adam(other.parameters())
    before = other.state_dict()
    with pytest.raises(ValueError, match=r"c.npz', model: .*'0.weight' has shape \(16, 4\)"):
        data.load_checkpoint(path, model=other, optimizer=other_opt)
    for name, arr in other.state_dict().items():
        np.testing.assert_array_equal(arr, before[name])


def test_a_failing_optimizer_part_puts_the_loaded_model_back(tmp_path):
    model, opt, sched, loader = _setup()
    _train(model, opt, sched, loader, epochs=1)
    path = data.save_checkpoint(tmp_path / "c.npz", model=model, optimizer=opt)
    fresh, _, _, _ = _setup(init_seed=10)
    before = fresh.state_dict()
    sgd = optim.SGD(fresh.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"optimizer: .*it is the state of 'Adam'"):
        data.load_checkpoint(path, model=fresh, optimizer=sgd)
    for name, arr in fresh.state_dict().items():
        np.testing.assert_array_equal(arr, before[name], err_msg=name)
    with pytest.raises(ValueError, match="has no scheduler state"):
        data.load_checkpoint(path, model=fresh, scheduler=sched)


def test_files_that_are_not_checkpoints_are_refused(tmp_path):
    model = _setup()[0]
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        data.load_checkpoint(tmp_path / "missing.npz", model=model)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a checkpoint archive"):
        data.load_checkpoint(tmp_path / "junk.npz", model=model)
    model.save(tmp_path / "weights.npz")  # weights only, no meta
    with pytest.raises(ValueError, match="not an autograd_lite checkpoint"):
        data.load_checkpoint(tmp_path / "weights.npz", model=model)
    with zipfile.ZipFile(tmp_path / "obj.npz", "w") as zf:  # a pickled object array
        with zf.open("meta.npy", "w") as f:
            np.lib.format.write_array(f, np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="not a checkpoint archive"):
        data.load_checkpoint(tmp_path / "obj.npz", model=model)


def _with_member(tmp_path, name, write, member="model.0.weight.npy"):
    """A good checkpoint copied to `name`, its `member` written by `write(f)` (deflated)."""
    model, opt = _setup()[:2]
    good = data.save_checkpoint(tmp_path / "good.npz", model=model, optimizer=opt)
    path = tmp_path / name
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info.filename, src.read(info))
                continue
            crafted = zipfile.ZipInfo(info.filename)
            crafted.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(crafted, "w") as f:
                write(f)
    return path


@pytest.mark.parametrize(
    "member, descr, shape, data_bytes",
    [
        ("model.0.weight", "<f8", (10**10,), 64),  # 80 GB declared, 64 bytes held
        # zip bombs: megabytes of zeros held, in a few kilobytes
        ("model.0.weight", "<f8", (5 * 2**20,), 40 * 2**20),
        ("meta", "|u1", (80 * 2**20,), 80 * 2**20),  # past meta's 64 MiB
    ],
)
def test_a_checkpoint_declaring_a_huge_array_is_refused_before_reading_it(
    tmp_path, member, descr, shape, data_bytes
):
    # Refused with ValueError naming the member, never allocated (the load runs in a child
    # that reports the traced peak of its allocations), and the model is left as it was.
    def write(f):
        np.lib.format.write_array_header_1_0(
            f, {"descr": descr, "fortran_order": False, "shape": shape}
        )
        for start in range(0, data_bytes, 2**20):
            f.write(bytes(min(2**20, data_bytes - start)))

    path = _with_member(tmp_path, "crafted.npz", write, f"{member}.npy")
    assert path.stat().st_size < 2**20
    report = load_in_child(
        "model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2, rng=2), "
        "nn.Linear(16, 3))",
        f"data.load_checkpoint({str(path)!r}, model=model)",
    )
    assert report["error"] is not None and report["error"][0] == "ValueError", report
    assert repr(member) in report["error"][1] and str(path) in report["error"][1], report
    assert report["peak"] < 10 * 2**20, f"load traced {report['peak']} bytes at its peak"
    assert report["unchanged"]


def test_a_checkpoint_holding_a_member_twice_is_refused(tmp_path):
    # zipfile reads the last of two members of one name: the file is ambiguous, not loaded.
    model, opt = _setup()[:2]
    good = data.save_checkpoint(tmp_path / "good.npz", model=model, optimizer=opt)
    path = tmp_path / "twice.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            dst.writestr("model.0.weight.npy", src.read("model.0.weight.npy"))
    fresh = _setup(init_seed=10)[0]
    before = fresh.state_dict()
    with pytest.raises(ValueError, match=r"twice.npz'.*'model.0.weight' appears twice"):
        data.load_checkpoint(path, model=fresh)
    for name, arr in fresh.state_dict().items():
        np.testing.assert_array_equal(arr, before[name])


# ---- fit on top of the loader ------------------------------------------------------------------


def _fit_model():
    return nn.Sequential(nn.Linear(4, 8, rng=0), nn.ReLU(), nn.Linear(8, 3, rng=1))


def test_fit_takes_a_loader_validation_data_a_scheduler_and_callbacks():
    from autograd_lite.demo.train import fit

    X, y = _xy(60)
    Xv, yv = _xy(20, seed=1)
    runs = []
    for train_data in ((X, y), (data.DataLoader(data.TensorDataset(X, y), 16, True, seed=0),)):
        model = _fit_model()
        opt = optim.SGD(model.parameters(), lr=0.1)
        sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        logs = []
        extra = {"batch_size": 16} if len(train_data) == 2 else {}
        losses = fit(
            model,
            nn.CrossEntropyLoss(),
            opt,
            *train_data,
            epochs=3,
            progress=False,
            val=(Xv, yv),
            scheduler=sched,
            callbacks=[logs.append],
            **extra,
        )
        runs.append((losses, model.state_dict()))
        assert [entry["lr"] for entry in logs] == [0.1, 0.05, 0.025]
        assert [entry["epoch"] for entry in logs] == [1, 2, 3]
        assert logs[-1]["loss"] == pytest.approx(np.mean(losses[-4:]))
        with_no_grad = nn.cross_entropy(model(Xv), yv).item()
        assert logs[-1]["val_loss"] == pytest.approx(with_no_grad, rel=1e-12)
    assert runs[0][0] == runs[1][0]  # the same shuffles from the same seed


def test_fit_steps_reduce_lr_on_plateau_with_the_validation_loss():
    from autograd_lite.demo.train import fit

    X, y = _xy(30)
    model = _fit_model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    seen = []

    class Plateau(lr_scheduler.ReduceLROnPlateau):
        def step(self, metrics):
            seen.append(metrics)
            super().step(metrics)

    logs = []
    fit(model, nn.CrossEntropyLoss(), opt, X, y, epochs=2, batch_size=10, progress=False,
        val=(X[:5], y[:5]), scheduler=Plateau(opt), callbacks=[logs.append])  # fmt: skip
    assert seen == [entry["val_loss"] for entry in logs]
    with pytest.raises(ValueError, match="neither y nor another batch_size"):
        fit(model, nn.CrossEntropyLoss(), opt, data.DataLoader(data.TensorDataset(X, y)), y,
            epochs=1, progress=False)  # fmt: skip


def test_a_checkpoint_of_a_value_mlp_round_trips(tmp_path):
    X, y = _xy(12)
    model = nn.MLP(4, [5, 3], rng=0)
    opt = optim.Adam(model.parameters(), lr=0.1)
    for row, label in zip(X.tolist(), y):
        opt.zero_grad()
        nn.cross_entropy(model(row), int(label)).backward()
        opt.step()
    path = data.save_checkpoint(tmp_path / "v.npz", model=model, optimizer=opt, epoch=1)
    fresh = nn.MLP(4, [5, 3], rng=1)
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.1)
    data.load_checkpoint(path, model=fresh, optimizer=fresh_opt)
    assert [p.data for p in fresh.parameters()] == [p.data for p in model.parameters()]
    assert all(type(p.data) is float for p in fresh.parameters())
    assert fresh_opt.state_dict()["state"][3]["step"] == 12


def test_a_checkpoint_with_a_damaged_optimizer_part_is_refused(tmp_path):
    model, opt, sched, loader = _setup()
    _train(model, opt, sched, loader, epochs=1)
    path = tmp_path / "c.npz"
    data.save_checkpoint(path, model=model, optimizer=opt)
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files if k != "optimizer.0.exp_avg"}
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="has a damaged optimizer state"):
        data.load_checkpoint(path, model=model, optimizer=opt)


def test_a_model_without_the_saved_random_layers_is_refused_and_nothing_changes(tmp_path):
    model, opt, sched, loader = _setup()
    path = data.save_checkpoint(tmp_path / "c.npz", model=model)
    other = nn.Sequential(  # the same parameters, but its Dropout sits elsewhere
        nn.Linear(4, 16, rng=3), nn.Dropout(0.2, rng=4), nn.ReLU(), nn.Linear(16, 3, rng=5)
    )
    before = other.state_dict()
    state = other[1]._rng.bit_generator.state
    with pytest.raises(ValueError, match=r"generators: .*modules \['2'\], the model has .*\['1'\]"):
        data.load_checkpoint(path, model=other)
    for name, arr in other.state_dict().items():
        np.testing.assert_array_equal(arr, before[name], err_msg=name)
    assert other[1]._rng.bit_generator.state == state
