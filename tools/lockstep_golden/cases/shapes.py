"""Parameters and gradient gaps shared by the cases of every optimizer.

Shapes exercise both the SIMD bodies and the scalar tails of vectorised kernels
(AVX-512 holds 16 float32 or 8 float64 lanes; AVX2 half as many): 35 and 37 elements
leave tails, 16 fills whole vectors, 3 is tail only.
"""

from __future__ import annotations

from ..spec import Group, Param

WEIGHT = Param("w", (5, 7))
BIAS = Param("b", (37,))
FULL_VECTOR = Param("v16", (16,))
TAIL_ONLY = Param("v3", (3,))

BASIC = (WEIGHT, BIAS)
WIDE = (WEIGHT, BIAS, FULL_VECTOR, TAIL_ONLY)

# A learning rate large enough that 30 steps visibly move the parameters.
MOVING_LR = {"lr": 1e-2}
# b's first grad arrives at step 3 (its state appears late); at step 20 no parameter has one.
GAPS = {"b": (1, 2, 9, 10, 17, 20), "w": (5, 12, 13, 20), "v16": (20,), "v3": (20,)}


def two_groups(second: dict[str, object], added_at_step: int = 1) -> tuple[Group, Group]:
    """WIDE split in two groups: (w, b) with the case's options, (v16, v3) with `second`
    overriding them, joining before `added_at_step` (1: from the start)."""
    return (
        Group(params=("w", "b")),
        Group(params=("v16", "v3"), options=second, added_at_step=added_at_step),
    )
