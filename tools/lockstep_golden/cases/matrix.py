"""A case named and described from its place in the matrix: optimizer, flags,
implementation, capability, dtype (`sgd_nesterov_fused_avx2_f64`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import Case, CpuCapability, DType, Implementation
from .shapes import WIDE

_DTYPE_SUFFIX = {"float32": "f32", "float64": "f64"}


def matrix_case(
    optimizer: str, flags: str, options: Mapping[str, Any], implementation: Implementation, dtype: DType,
    seed: int, capability: CpuCapability | None = None, *, description: str | None = None, steps: int = 30,
    **extra: Any,
) -> Case:
    """`<optimizer>[_<flags>]_<implementation>[_<capability>]_<f32|f64>` over WIDE."""
    parts = [optimizer.lower(), flags, implementation, capability or "", _DTYPE_SUFFIX[dtype]]
    if description is None:
        what = f"{optimizer} {flags.replace('_', ' ')}".rstrip()
        at = f" at the {capability.upper()} capability" if capability else ""
        description = f"{what}, {implementation}{at}, {dtype}"
    return Case(
        name="_".join(p for p in parts if p), description=description, optimizer=optimizer, dtype=dtype,
        implementation=implementation, steps=steps, seed=seed, params=WIDE, options=options,
        cpu_capability=capability, **extra,
    )
