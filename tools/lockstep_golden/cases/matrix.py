"""Cases named and described from their place in the matrix: optimizer, flags,
implementation, capability, dtype (`sgd_nesterov_fused_avx2_f64`, `rmsprop_centered_forloop_f32`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..spec import RECORDED_CAPABILITY, Case, CpuCapability, DType, Implementation
from .shapes import WIDE

_DTYPE_SUFFIX = {"float32": "f32", "float64": "f64"}

IMPLEMENTATION_TEXT = {
    "forloop": "single-tensor for-loop",
    "foreach": "multi-tensor foreach",
    "fused": "fused CPU kernel",
}


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
        cpu_capability=capability or RECORDED_CAPABILITY, **extra,
    )


def described_case(
    optimizer: str, flags: str, implementation: str, dtype: str, seed: int, what: str,
    options: dict[str, Any], steps: int = 24, **more: Any,
) -> Case:
    """One case of `optimizer` over WIDE (unless `params` is given); `what` says in words
    what `flags` select."""
    short = _DTYPE_SUFFIX[dtype]
    name = "_".join(part for part in (optimizer.lower(), flags, implementation, short) if part)
    more.setdefault("params", WIDE)
    return Case(
        name=name,
        description=f"{optimizer}, {what}, {IMPLEMENTATION_TEXT[implementation]}, {dtype}",
        optimizer=optimizer, dtype=dtype, implementation=implementation,  # type: ignore[arg-type]
        steps=steps, seed=seed, options=options, **more,
    )
