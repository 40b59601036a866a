"""Builds cases whose name and description follow the matrix they cover:
`<optimizer>_<flags>_<implementation>_<f32|f64>`."""

from __future__ import annotations

from typing import Any

from ..spec import Case
from .shapes import WIDE

IMPLEMENTATION_TEXT = {
    "forloop": "single-tensor for-loop",
    "foreach": "multi-tensor foreach",
    "fused": "fused CPU kernel",
}


def matrix_case(
    optimizer: str, flags: str, implementation: str, dtype: str, seed: int, what: str,
    options: dict[str, Any], steps: int = 24, **more: Any,
) -> Case:
    """One case of `optimizer` over WIDE (unless `params` is given); `what` says in words
    what `flags` select."""
    short = {"float32": "f32", "float64": "f64"}[dtype]
    name = "_".join(part for part in (optimizer.lower(), flags, implementation, short) if part)
    more.setdefault("params", WIDE)
    return Case(
        name=name,
        description=f"{optimizer}, {what}, {IMPLEMENTATION_TEXT[implementation]}, {dtype}",
        optimizer=optimizer, dtype=dtype, implementation=implementation,  # type: ignore[arg-type]
        steps=steps, seed=seed, options=options, **more,
    )
