"""Training on the real data sets (reduced budgets), saved models, NaN stops, example scripts."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd_lite import Tensor, nn, optim
from autograd_lite.data import digits_split, iris_split
from autograd_lite.demo import train

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("digits")
    return train.train_digits(epochs=15, out_dir=out, progress=False), out


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("iris")
    return train.train_iris(epochs=8, out_dir=out, progress=False), out


def test_splits_are_fixed_stratified_and_scaled():
    a, b = digits_split(seed=0), digits_split(seed=0)
    assert a.X_train.shape == (1347, 64) and a.X_test.shape == (450, 64)
    np.testing.assert_array_equal(a.X_test, b.X_test)
    assert a.X_train.min() == 0.0 and a.X_train.max() == 1.0
    assert np.bincount(a.y_test).min() >= 43  # stratified: every digit has its share (~45)
    iris = iris_split(seed=0)
    assert iris.X_train.shape == (120, 4) and iris.X_test.shape == (30, 4)
    np.testing.assert_allclose(iris.X_train.mean(axis=0), 0.0, atol=1e-12)
    assert list(np.bincount(iris.y_test)) == [10, 10, 10]
    with pytest.raises(ValueError, match="test_size must be a fraction"):
        iris_split(test_size=1.5)


def test_digits_mlp_of_tensors_reaches_95_percent(digits_run):
    result, out = digits_run
    assert result.test_accuracy >= 0.95
    assert result.losses[-1] < result.losses[0] / 5
    assert len(result.losses) == 15 * 38 and len(result.epoch_test_accuracy) == 15  # 1,213 rows
    assert len(result.epoch_val_accuracy) == 15 and result.epoch_val_accuracy[-1] >= 0.9
    assert Path(result.paths["loss_curve"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["digits_loss.png", "digits_mlp.npz"]


def test_saved_digits_model_loads_back_to_identical_predictions(digits_run):
    result, _ = digits_run
    split = digits_split(seed=0)
    fresh = train.digits_model(seed=123).load(result.paths["weights"])
    np.testing.assert_array_equal(fresh(split.X_test).data, result.model(split.X_test).data)
    assert train.accuracy(fresh, split.X_test, split.y_test) == result.test_accuracy


def test_iris_mlp_of_values_reaches_90_percent_and_reloads(iris_run):
    result, _ = iris_run
    assert result.test_accuracy >= 0.90
    assert all(type(p.data) is float for p in result.model.parameters())
    split = iris_split(seed=0)
    fresh = train.iris_model(seed=99).load(result.paths["weights"])
    for row in split.X_test:
        assert [v.data for v in fresh(row.tolist())] == [v.data for v in result.model(row.tolist())]
    np.testing.assert_array_equal(
        train.predict(fresh, split.X_test), train.predict(result.model, split.X_test)
    )


def test_a_seed_makes_training_repeatable():
    a = train.train_digits(epochs=1, out_dir=None, progress=False)
    b = train.train_digits(epochs=1, out_dir=None, progress=False)
    assert a.losses == b.losses and a.paths == {}


def _tiny_problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))
    return model, X, y


def _fit(model, X, y, loss_fn=None, opt=None, **options):
    """train.fit with cross-entropy, SGD(lr=0.1) and no progress bar unless given."""
    options.setdefault("progress", False)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    opt = opt or optim.SGD(model.parameters(), lr=0.1)
    return train.fit(model, loss_fn, opt, X, y, **options)


def test_nan_in_the_inputs_stops_at_the_first_step():
    model, X, y = _tiny_problem()
    X[5, 1] = np.nan
    before = model.state_dict()
    with pytest.raises(FloatingPointError, match=r"loss is nan at step 1 \(epoch 1, batch 1\)"):
        _fit(model, X, y, epochs=2, batch_size=40)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_a_loss_that_turns_nan_stops_naming_the_step_and_skips_its_update():
    model, X, y = _tiny_problem()
    calls = []
    kept = {}

    def flaky_loss(logits, labels):
        calls.append(1)
        if len(calls) == 3:
            kept.update(model.state_dict())
            return nn.cross_entropy(logits, labels) * Tensor(np.nan)
        return nn.cross_entropy(logits, labels)

    with pytest.raises(FloatingPointError, match=r"at step 3 \(epoch 2, batch 1\)"):
        _fit(
            model,
            X,
            y,
            loss_fn=flaky_loss,
            opt=optim.Adam(model.parameters(), lr=0.1),
            epochs=3,
            batch_size=20,
        )
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, kept[name])


def test_fit_shows_the_loss_in_a_progress_bar(capsys):
    model, X, y = _tiny_problem()
    losses = _fit(
        model,
        X,
        y,
        opt=optim.Adam(model.parameters(), lr=0.05),
        epochs=2,
        batch_size=16,
        progress=True,
        desc="tiny",
    )
    assert len(losses) == 2 * 3
    err = capsys.readouterr().err
    assert "tiny" in err and "loss=" in err
    with pytest.raises(ValueError, match="batch_size must be a positive integer, got 0"):
        _fit(model, X, y, epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="X has 40 rows but y has 39"):
        _fit(model, X, y[:-1], epochs=1, batch_size=8)


def test_main_trains_saves_and_reports(tmp_path, capsys):
    result = train.main("iris", ["--epochs", "2", "--out", str(tmp_path), "--no-progress"])
    assert (tmp_path / "iris_mlp.npz").exists() and (tmp_path / "iris_loss.png").exists()
    assert "iris: test accuracy" in capsys.readouterr().out
    assert len(result.losses) == 2 * 14  # 108 of the 120 flowers; 12 for validation
    assert len(result.epoch_val_loss) == 2
    with pytest.raises(SystemExit):
        train.main("digits", ["--lr", "-1"])
    assert "must be a positive number, got -1" in capsys.readouterr().err


@pytest.mark.parametrize("script", ["train_digits.py", "train_iris.py"])
def test_example_scripts_run(script, tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / script),
            "--epochs",
            "1",
            "--out",
            str(tmp_path),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout
    assert len(list(tmp_path.glob("*.npz"))) == 1 and len(list(tmp_path.glob("*.png"))) == 1


def test_backprop_example_shows_engine_and_finite_differences():
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "backprop.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "True" in done.stdout and "finite diff" in done.stdout and "False" not in done.stdout
