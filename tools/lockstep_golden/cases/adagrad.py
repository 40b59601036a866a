"""Golden cases of Adagrad: lr decay, weight decay, initial accumulator, maximize;
for-loop, foreach and fused; the fused kernel at AVX-512, AVX2 and DEFAULT."""

from __future__ import annotations

from typing import Any

from ..spec import Case
from .matrix import matrix_case
from .shapes import GAPS, two_groups

LR = {"lr": 0.05}
DECAYS = {**LR, "lr_decay": 0.01, "weight_decay": 0.01}
ACCUMULATOR = {**LR, "initial_accumulator_value": 0.1, "eps": 1e-6}
MAXIMIZE = {**LR, "maximize": True, "weight_decay": 0.01}


def _case(*args: Any, **kwargs: Any) -> Case:
    return matrix_case("Adagrad", *args, **kwargs)


CASES: tuple[Case, ...] = (
    _case("", LR, "forloop", "float32", 201),
    _case("", LR, "forloop", "float64", 202),
    _case("", LR, "foreach", "float32", 203),
    _case("", LR, "fused", "float32", 204),
    _case("", LR, "fused", "float64", 205),
    _case("decays", DECAYS, "forloop", "float64", 206),
    _case("decays", DECAYS, "foreach", "float64", 207),
    _case("decays", DECAYS, "fused", "float32", 208),
    # float64 shows the kernel's fma(t − 1, η, 1) in the decayed learning rate.
    _case("decays", DECAYS, "fused", "float64", 223),
    _case("decays", DECAYS, "fused", "float32", 209, "avx2"),
    _case("decays", DECAYS, "fused", "float64", 210, "avx2"),
    _case("decays", DECAYS, "fused", "float32", 211, "default"),
    _case("decays", DECAYS, "fused", "float64", 212, "default"),
    _case("accumulator", ACCUMULATOR, "forloop", "float32", 213),
    _case("accumulator", ACCUMULATOR, "fused", "float64", 214),
    _case("maximize", MAXIMIZE, "foreach", "float32", 215),
    _case("maximize", MAXIMIZE, "fused", "float64", 216),
    _case("decays", DECAYS, "forloop", "float32", 217, "default"),
    _case(
        "param_groups", LR, "fused", "float32", 218,
        description="Adagrad, fused, float32: (v16, v3) with other lr, lr_decay, eps and weight decay",
        groups=two_groups({"lr": 0.02, "lr_decay": 0.05, "eps": 1e-3, "weight_decay": 0.1}),
    ),
    _case(
        "grad_gaps", ACCUMULATOR, "forloop", "float32", 219, steps=24, missing_grads=GAPS,
        description="Adagrad, for-loop, float32, with steps where a parameter has no grad; "
                    "state (step 0, sum 0.1) exists from the constructor, before b's first grad at step 3",
    ),
    _case(
        "grad_gaps", ACCUMULATOR, "fused", "float64", 220, steps=24, missing_grads=GAPS,
        description="Adagrad, fused, float64, with steps where a parameter has no grad; "
                    "state exists from the constructor, before b's first grad at step 3",
    ),
    _case(
        "added_group", ACCUMULATOR, "fused", "float32", 221, steps=24,
        description="Adagrad, fused, float32: a second group joins before step 6 asking for "
                    "initial_accumulator_value 0.5; torch starts its sum from the defaults' 0.1",
        groups=two_groups({"lr": 0.02, "initial_accumulator_value": 0.5}, added_at_step=6),
    ),
    _case(
        "added_group", DECAYS, "foreach", "float64", 222, steps=24,
        description="Adagrad, foreach, float64: a second group (no decays) joins before step 6",
        groups=two_groups({"lr_decay": 0.0, "weight_decay": 0.0}, added_at_step=6),
    ),
    _case(
        "added_group_decayed", LR, "fused", "float64", 224, steps=12,
        description="Adagrad, fused, float64: no decay, then a second group (lr 0.02, "
                    "weight decay 0.1) joins before step 6",
        groups=two_groups({"lr": 0.02, "weight_decay": 0.1}, added_at_step=6),
    ),
)
