"""fit(grad_norms=True) records each parameter's gradient norm per step; plot_grad_flow draws
them (the gradient-flow picture)."""

import numpy as np
import pytest

import autograd_lite as al
from autograd_lite import nn, optim
from autograd_lite.demo.train import History, fit

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 5))
Y = (X[:, 0] > 0).astype(np.int64)


def _model(gain=1.0, depth=3):
    r = np.random.default_rng(1)
    layers, sizes = [], [5] + [8] * depth
    for a, b in zip(sizes, sizes[1:]):
        lin = nn.Linear(a, b, rng=r)
        lin.weight.data = r.normal(0, gain / np.sqrt(a), (b, a))
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(8, 2, rng=r))


def test_fit_records_the_norm_of_every_parameter_s_gradient_at_every_step():
    model = _model()
    seen = []

    class Spy(optim.SGD):
        def step(self):  # the gradients this step uses, as fit saw them
            seen.append({n: np.linalg.norm(p.grad.data) for n, p in model.named_parameters()})
            super().step()

    history = fit(
        model, nn.cross_entropy, Spy(model.parameters(), lr=0.1), X, Y,
        epochs=2, batch_size=16, progress=False, grad_norms=True,
    )  # fmt: skip
    assert len(history) == 8 and all(isinstance(v, float) for v in history)
    names = [n for n, _ in model.named_parameters()]
    assert list(history.grad_norms) == names
    for name in names:
        assert history.grad_norms[name] == pytest.approx([s[name] for s in seen], rel=1e-12)
    plain = fit(_model(), nn.cross_entropy, optim.SGD(_model().parameters(), lr=0.1), X, Y,
                epochs=1, batch_size=16, progress=False)  # fmt: skip
    assert plain.grad_norms == {} and len(plain) == 4


def test_vanishing_gradients_show_in_the_recorded_norms():
    model = _model(0.3, depth=6)
    h = fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.0), X, Y, epochs=1,
            batch_size=64, progress=False, grad_norms=True)  # fmt: skip
    first, last = h.grad_norms["0.weight"][0], h.grad_norms["10.weight"][0]
    assert first < last / 20  # each tanh layer of gain 0.3 shrinks the gradient (~40x here)


def test_plot_grad_flow_draws_one_point_per_parameter_on_a_log_axis(tmp_path):
    model = _model()
    h = fit(model, nn.cross_entropy, optim.SGD(model.parameters(), lr=0.1), X, Y, epochs=1,
            batch_size=16, progress=False, grad_norms=True)  # fmt: skip
    path = tmp_path / "flow.png"
    fig = al.plot_grad_flow(h, path=path)
    assert path.read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    median = ax.lines[-1].get_ydata()
    expected = np.median(np.array(list(h.grad_norms.values())).T, axis=0)
    assert np.allclose(median, expected)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(h.grad_norms)
    weights = al.plot_grad_flow(h.grad_norms, params="*.weight").axes[0]
    assert [t.get_text() for t in weights.get_xticklabels()] == [
        "0.weight",
        "2.weight",
        "4.weight",
        "6.weight",
    ]


def test_plot_grad_flow_names_bad_input():
    with pytest.raises(ValueError, match="grad_norms=True"):
        al.plot_grad_flow(History([1.0, 0.5]))
    with pytest.raises(ValueError, match="same positive number of steps"):
        al.plot_grad_flow({"a": [1.0], "b": [1.0, 2.0]})
    with pytest.raises(TypeError, match="history"):
        al.plot_grad_flow([1.0, 2.0])
    with pytest.raises(ValueError, match="no parameter matches 'x'"):
        al.plot_grad_flow({"a": [1.0]}, params="x")
