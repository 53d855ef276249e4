"""The small real data sets the examples train on, bundled with scikit-learn (no download).

Each loader returns a fixed, stratified train/test `Split` for a given seed,
with features scaled using the training part only. scikit-learn comes with
the `examples` extra: `pip install 'autograd_lite[examples]'`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Split", "digits_split", "iris_split"]


@dataclass(frozen=True)
class Split:
    """Train and test features (float64, (n, features)) and class labels (int64, (n,))."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    n_classes: int


def _sklearn():
    try:
        import sklearn.datasets
        import sklearn.model_selection
    except ImportError:  # pragma: no cover - depends on the installation
        raise ImportError(
            "the bundled data sets need scikit-learn: pip install 'autograd_lite[examples]'"
        ) from None
    return sklearn


def _split(X, y, test_size, seed):
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size!r}")
    parts = _sklearn().model_selection.train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    return [np.ascontiguousarray(p) for p in parts]


def digits_split(test_size=0.25, seed=0) -> Split:
    """The 1,797 handwritten digits (8x8 images, 64 features, 10 classes) from scikit-learn.

    Pixel intensities 0..16 are divided by 16, so features lie in [0, 1].
    Returns a stratified `Split`; the same seed gives the same split.
    """
    data = _sklearn().datasets.load_digits()
    X_train, X_test, y_train, y_test = _split(data.data / 16.0, data.target, test_size, seed)
    return Split(X_train, X_test, y_train.astype(np.int64), y_test.astype(np.int64), 10)


def iris_split(test_size=0.2, seed=0) -> Split:
    """Fisher's 150 iris flowers (4 measurements in cm, 3 species) from scikit-learn.

    Features are standardised with the training part's mean and standard
    deviation (the test part is scaled with the same numbers).
    Returns a stratified `Split`; the same seed gives the same split.
    """
    data = _sklearn().datasets.load_iris()
    X_train, X_test, y_train, y_test = _split(data.data, data.target, test_size, seed)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return Split(
        (X_train - mean) / std,
        (X_test - mean) / std,
        y_train.astype(np.int64),
        y_test.astype(np.int64),
        3,
    )
