"""Golden cases of RMSprop (torch.optim.RMSprop)."""

from __future__ import annotations

from .matrix import matrix_case
from .shapes import GAPS, two_groups

CENTERED = {"centered": True}
MOMENTUM = {"momentum": 0.9}
BOTH = {**CENTERED, **MOMENTUM}
DECAY = {"weight_decay": 0.1, "maximize": True}

CASES = (
    matrix_case("RMSprop", "", "forloop", "float32", 201, "defaults (lr 1e-2, alpha 0.99)", {}),
    matrix_case("RMSprop", "", "foreach", "float64", 202, "defaults", {}),
    matrix_case("RMSprop", "centered", "forloop", "float64", 203, "centered", CENTERED),
    matrix_case("RMSprop", "centered", "foreach", "float32", 204, "centered", CENTERED),
    matrix_case("RMSprop", "momentum", "forloop", "float32", 205, "momentum 0.9", MOMENTUM),
    matrix_case("RMSprop", "momentum", "foreach", "float64", 206, "momentum 0.9", MOMENTUM),
    matrix_case("RMSprop", "centered_momentum", "forloop", "float32", 207, "centered, momentum 0.9", BOTH),
    matrix_case("RMSprop", "centered_momentum", "foreach", "float64", 208, "centered, momentum 0.9", BOTH),
    matrix_case("RMSprop", "weight_decay_maximize", "forloop", "float64", 209,
                "L2 weight decay 0.1, maximizing", DECAY),
    matrix_case("RMSprop", "weight_decay_maximize", "foreach", "float32", 210,
                "L2 weight decay 0.1, maximizing", DECAY),
    matrix_case("RMSprop", "grad_gaps", "forloop", "float32", 211,
                "centered, momentum 0.9, steps where a parameter has no grad", BOTH, missing_grads=GAPS),
    matrix_case("RMSprop", "param_groups", "foreach", "float32", 212,
                "two groups: plain, and centered with momentum 0.5 and alpha 0.9",
                {}, groups=two_groups({"centered": True, "momentum": 0.5, "alpha": 0.9})),
    matrix_case("RMSprop", "added_group", "forloop", "float64", 213,
                "a second group (lr 5e-3, momentum 0.9) joins before step 6",
                CENTERED, groups=two_groups({"lr": 5e-3, "momentum": 0.9}, added_at_step=6)),
)
