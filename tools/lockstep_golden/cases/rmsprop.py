"""Golden cases of RMSprop (torch.optim.RMSprop)."""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, two_groups

CENTERED = {"centered": True}
MOMENTUM = {"momentum": 0.9}
BOTH = {**CENTERED, **MOMENTUM}
DECAY = {"weight_decay": 0.1, "maximize": True}

CASES = (
    described_case("RMSprop", "", "forloop", "float32", 201, "defaults (lr 1e-2, alpha 0.99)", {}),
    described_case("RMSprop", "", "foreach", "float64", 202, "defaults", {}),
    described_case("RMSprop", "centered", "forloop", "float64", 203, "centered", CENTERED),
    described_case("RMSprop", "centered", "foreach", "float32", 204, "centered", CENTERED),
    described_case("RMSprop", "momentum", "forloop", "float32", 205, "momentum 0.9", MOMENTUM),
    described_case("RMSprop", "momentum", "foreach", "float64", 206, "momentum 0.9", MOMENTUM),
    described_case("RMSprop", "centered_momentum", "forloop", "float32", 207, "centered, momentum 0.9", BOTH),
    described_case("RMSprop", "centered_momentum", "foreach", "float64", 208, "centered, momentum 0.9", BOTH),
    described_case("RMSprop", "weight_decay_maximize", "forloop", "float64", 209,
                "L2 weight decay 0.1, maximizing", DECAY),
    described_case("RMSprop", "weight_decay_maximize", "foreach", "float32", 210,
                "L2 weight decay 0.1, maximizing", DECAY),
    described_case("RMSprop", "grad_gaps", "forloop", "float32", 211,
                "centered, momentum 0.9, steps where a parameter has no grad", BOTH, missing_grads=GAPS),
    described_case("RMSprop", "param_groups", "foreach", "float32", 212,
                "two groups: plain, and centered with momentum 0.5 and alpha 0.9",
                {}, groups=two_groups({"centered": True, "momentum": 0.5, "alpha": 0.9})),
    described_case("RMSprop", "added_group", "forloop", "float64", 213,
                "a second group (lr 5e-3, momentum 0.9) joins before step 6",
                CENTERED, groups=two_groups({"lr": 5e-3, "momentum": 0.9}, added_at_step=6)),
    described_case("RMSprop", "added_group_decayed", "forloop", "float64", 214,
                "no decay, then a second group (lr 5e-3, L2 weight decay 0.1) joins before step 6",
                {}, steps=12, groups=two_groups({"lr": 5e-3, "weight_decay": 0.1}, added_at_step=6)),
)
