"""Golden cases of SGD: plain, momentum, dampening, Nesterov, weight decay, maximize;
for-loop, foreach and fused; the fused kernel at AVX-512, AVX2 and DEFAULT."""

from __future__ import annotations

from typing import Any

from ..spec import Case
from .matrix import matrix_case
from .shapes import GAPS, two_groups

LR = {"lr": 0.05}
MOMENTUM = {**LR, "momentum": 0.9}
# Dampening makes (1 − τ)·g a product of its own, so the fused kernel's two ways of
# contracting μb + (1 − τ)g give different results.
DAMPENED = {**MOMENTUM, "dampening": 0.3, "weight_decay": 0.01}
NESTEROV = {**MOMENTUM, "nesterov": True, "weight_decay": 0.01}
MAXIMIZE = {**MOMENTUM, "dampening": 0.1, "weight_decay": 0.01, "maximize": True}
# Fused SGD with momentum raises TypeError when a parameter's first gradient comes after
# the others' (is_first_step covers the whole group): every parameter has one at step 1.
LATE_GAPS = {"b": (2, 9, 10, 17, 20), "w": (5, 12, 13, 20), "v16": (20,), "v3": (20,)}


def _case(*args: Any, **kwargs: Any) -> Case:
    return matrix_case("SGD", *args, **kwargs)


CASES: tuple[Case, ...] = (
    _case("", LR, "forloop", "float32", 101),
    _case("", LR, "fused", "float64", 102),
    _case("momentum", MOMENTUM, "forloop", "float32", 103),
    _case("momentum", MOMENTUM, "foreach", "float64", 104),
    _case("momentum", MOMENTUM, "fused", "float32", 105),
    _case("dampening", DAMPENED, "forloop", "float64", 106),
    _case("dampening", DAMPENED, "foreach", "float32", 107),
    _case("dampening", DAMPENED, "fused", "float32", 108),
    _case("dampening", DAMPENED, "fused", "float64", 109),
    _case("dampening", DAMPENED, "fused", "float32", 110, "avx2"),
    _case("dampening", DAMPENED, "fused", "float64", 111, "avx2"),
    _case("dampening", DAMPENED, "fused", "float32", 112, "default"),
    _case("dampening", DAMPENED, "fused", "float64", 113, "default"),
    _case("nesterov", NESTEROV, "forloop", "float32", 114),
    _case("nesterov", NESTEROV, "foreach", "float64", 115),
    _case("nesterov", NESTEROV, "fused", "float32", 116),
    _case("nesterov", NESTEROV, "fused", "float64", 117, "avx2"),
    _case("nesterov", NESTEROV, "fused", "float32", 118, "default"),
    _case("maximize", MAXIMIZE, "forloop", "float64", 119),
    _case("maximize", MAXIMIZE, "fused", "float32", 120),
    _case("maximize", MAXIMIZE, "forloop", "float32", 121, "default"),
    _case(
        "param_groups", MOMENTUM, "fused", "float32", 122,
        description="SGD, fused, float32: (w, b) momentum 0.9; (v16, v3) Nesterov 0.5 with decay at another lr",
        groups=two_groups({"lr": 0.02, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}),
    ),
    _case(
        "param_groups", MOMENTUM, "foreach", "float64", 123,
        description="SGD, foreach, float64: (w, b) momentum 0.9; (v16, v3) no momentum, maximizing",
        groups=two_groups({"lr": 0.02, "momentum": 0.0, "maximize": True}),
    ),
    _case(
        "grad_gaps", DAMPENED, "forloop", "float32", 124, steps=24, missing_grads=GAPS,
        description="SGD with momentum, for-loop, float32, with steps where a parameter has no grad; "
                    "b's first grad (and buffer) comes at step 3",
    ),
    _case(
        "grad_gaps", DAMPENED, "fused", "float64", 125, steps=24, missing_grads=LATE_GAPS,
        description="SGD with momentum, fused, float64, with steps where a parameter has no grad "
                    "(all have one at step 1: torch's fused SGD cannot start one buffer alone)",
    ),
    _case(
        "added_group", DAMPENED, "fused", "float32", 126, steps=24,
        description="SGD, fused, float32: a second group (Nesterov, other lr) joins before step 6",
        groups=two_groups({"lr": 0.02, "dampening": 0.0, "nesterov": True}, added_at_step=6),
    ),
    _case(
        "added_group", MOMENTUM, "foreach", "float64", 127, steps=24,
        description="SGD, foreach, float64: a second group (no momentum, decay) joins before step 6",
        groups=two_groups({"momentum": 0.0, "weight_decay": 0.1}, added_at_step=6),
    ),
)
