"""numpy's products beyond `matmul`, `dot` of at most two axes and `outer` (in `ops`):
`tensordot`, `einsum`, `kron`, and `dot` on any number of axes.

Each op is declared with `primitive`, the public way to add an op (docs/custom_ops.md);
see `reductions` for the pattern.
"""

from __future__ import annotations

__all__: list[str] = []

#: numpy's functions this module implements, for `Tensor.__array_function__`.
NUMPY_FUNCTIONS: dict = {}
