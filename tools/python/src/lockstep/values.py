"""From torch values to what a fixture stores: tensors, numbers, lists, hyperparameters.

Everything the format cannot express is a `FixtureError` naming the object, never a
silently different number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from .fixture import FixtureError

# torch's LBFGS keeps lists whose elements span every parameter of its group ("flat") or
# are numbers (extension 6). Their element shapes are known before the first element.
LIST_ELEMENTS: dict[str, str | tuple[int, ...]] = {"old_dirs": "flat", "old_stps": "flat", "ro": (), "al": ()}
# Group keys that are implementation flags or names, not hyperparameters.
NOT_HYPERPARAMETERS = ("params", "param_names")


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A detached CPU copy; a sparse tensor becomes its dense equivalent."""
    tensor = tensor.detach()
    if tensor.is_sparse:
        tensor = tensor.to_dense()
    return tensor.cpu().numpy().copy()


def sparse_mask(grad: torch.Tensor) -> np.ndarray:
    """1 where the coalesced sparse COO gradient holds an entry (extension 4)."""
    grad = grad.detach().coalesce()
    ones = torch.ones_like(grad.values())
    return torch.sparse_coo_tensor(grad.indices(), ones, grad.shape).to_dense().cpu().numpy().astype(np.uint8)


def gradient(p: torch.Tensor, where: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """`p.grad` as (dense values, sparse mask or None); (None, None) when it is None."""
    grad = p.grad
    if grad is None:
        return None, None
    if grad.layout == torch.sparse_coo:
        return to_numpy(grad), sparse_mask(grad)
    if grad.layout != torch.strided:
        raise FixtureError(f"{where}: a {grad.layout} gradient cannot be recorded (dense or sparse COO only)")
    return to_numpy(grad), None


def state_value(key: str, value: object, group: Mapping[str, Any], where: str) -> tuple[np.ndarray | None, bool]:
    """`optimizer.state[p][key]` as an array, and whether it is a padded list.

    Tensors and numbers as they are; a list of tensors or numbers (LBFGS's history) as
    `[history_size, *element]`, its entries then NaN rows (extension 6), which needs the
    group's `history_size`. (None, True) for an empty list whose element shape is unknown yet.
    """
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise FixtureError(f"{where}: a complex tensor cannot be recorded")
        return to_numpy(value), False
    if isinstance(value, (bool, int, float)):
        return np.asarray(value, dtype=np.float64), False
    if isinstance(value, list):
        return _padded_list(key, value, group, where), True
    raise FixtureError(f"{where}: holds a {type(value).__name__}, which a fixture cannot store "
                       "(tensors, numbers and lists of them only)")


def _padded_list(key: str, values: list[Any], group: Mapping[str, Any], where: str) -> np.ndarray | None:
    length = group.get("history_size")
    if not isinstance(length, int):
        raise FixtureError(f"{where}: a list is recorded padded to its group's history_size, and this group has none")
    if len(values) > length:
        raise FixtureError(f"{where}: holds {len(values)} elements, more than history_size {length}")
    known = LIST_ELEMENTS.get(key)
    if known == "flat":
        element: tuple[int, ...] | None = (sum(p.numel() for p in group["params"]),)
    elif isinstance(known, tuple):
        element = known
    else:
        first = next((v for v in values if v is not None), None)
        element = None if first is None else tuple(np.shape(to_numpy(first) if isinstance(first, torch.Tensor) else first))
    if element is None:
        return None
    out = np.full((length, *element), np.nan, dtype=np.float64)
    for index, value in enumerate(values):
        if value is None:
            continue
        row = to_numpy(value) if isinstance(value, torch.Tensor) else np.asarray(value, dtype=np.float64)
        if row.size != math.prod(element):
            raise FixtureError(f"{where}: element {index} holds {row.size} numbers, element 0 {math.prod(element)}")
        out[index] = row.reshape(element)
    return out


# Extension 16: a group's hyperparameters that are 0-dim tensors, with their dtype.
TENSOR_HYPERPARAMETERS = "tensor_hyperparameters"
TENSOR_DTYPES = {torch.float32: "float32", torch.float64: "float64"}


def json_value(value: Any, where: str) -> Any:
    """A param-group value as JSON: numbers, booleans, strings, None, tuples as lists.
    A tensor is refused here; a group's own value may be a 0-dim one (`group_value`)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (tuple, list)):
        return [json_value(v, where) for v in value]
    if isinstance(value, torch.Tensor):
        raise FixtureError(f"{where}: holds a Tensor inside a list or tuple; the format records a tensor "
                           "hyperparameter only as a group's own 0-dim value (extension 16)")
    raise FixtureError(f"{where}: holds a {type(value).__name__}, which the format cannot record")


def group_value(value: Any, where: str) -> tuple[Any, str | None]:
    """A group's hyperparameter as JSON, and for a 0-dim float32/float64 tensor its dtype
    (extension 16: the value is written as its number, the dtype under
    `tensor_hyperparameters`). Any other tensor is refused."""
    if not isinstance(value, torch.Tensor):
        return json_value(value, where), None
    if value.numel() != 1:
        raise FixtureError(f"{where}: is a tensor of {value.numel()} elements; a tensor hyperparameter must be "
                           "1-element, as torch's optimizers require (\"Tensor lr must be 1-element\")")
    if value.dim() != 0:
        raise FixtureError(f"{where}: is a tensor of shape {list(value.shape)}; the format records a 0-dim tensor "
                           "hyperparameter (extension 16): pass torch.tensor(x), not torch.tensor([x])")
    dtype = TENSOR_DTYPES.get(value.dtype)
    if dtype is None or value.is_complex():
        raise FixtureError(f"{where}: is a 0-dim {str(value.dtype).removeprefix('torch.')} tensor; the format records "
                           "float32 and float64 tensor hyperparameters only (extension 16)")
    return float(value.detach().cpu().item()), dtype


def hyperparameters(group: Mapping[str, Any]) -> dict[str, Any]:
    """A group's values other than its parameters and their names."""
    return {key: value for key, value in group.items() if key not in NOT_HYPERPARAMETERS}
