"""The ten benchmark workloads, each a module with `cases(smoke=False) -> list[Case]`.

`smoke=True` gives tiny sizes: the test suite runs every case that way once.
"""

from . import (
    compiled,
    depth,
    digits,
    forward,
    hessian,
    jacobian,
    op_overhead,
    scalar_mlp,
    taylor,
    tensor_mlp,
)

ALL = {
    "scalar_mlp": scalar_mlp,
    "tensor_mlp": tensor_mlp,
    "op_overhead": op_overhead,
    "hessian": hessian,
    "depth": depth,
    "digits": digits,
    "forward": forward,
    "jacobian": jacobian,
    "taylor": taylor,
    "compiled": compiled,
}
