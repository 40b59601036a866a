"""Golden cases of Adamax (torch.optim.Adamax)."""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, MOVING_LR, two_groups

DECAY = {**MOVING_LR, "weight_decay": 0.1}

CASES = (
    described_case("Adamax", "", "forloop", "float32", 121, "defaults but lr 1e-2", MOVING_LR),
    described_case("Adamax", "", "forloop", "float64", 122, "defaults but lr 1e-2", MOVING_LR),
    described_case("Adamax", "", "foreach", "float32", 123, "defaults but lr 1e-2", MOVING_LR),
    described_case("Adamax", "", "foreach", "float64", 124, "defaults but lr 1e-2", MOVING_LR),
    described_case("Adamax", "weight_decay_maximize", "forloop", "float64", 125,
                "L2 weight decay 0.1, maximizing", {**DECAY, "maximize": True}),
    described_case("Adamax", "weight_decay_maximize", "foreach", "float32", 126,
                "L2 weight decay 0.1, maximizing", {**DECAY, "maximize": True}),
    described_case("Adamax", "weight_decay", "forloop", "float32", 127, "L2 weight decay 0.1", DECAY),
    described_case("Adamax", "grad_gaps", "foreach", "float64", 128,
                "steps where a parameter has no grad", DECAY, missing_grads=GAPS),
    described_case("Adamax", "param_groups", "forloop", "float32", 129,
                "two groups: the second with betas (0.8, 0.99), eps 1e-3",
                MOVING_LR, groups=two_groups({"betas": (0.8, 0.99), "eps": 1e-3})),
    described_case("Adamax", "added_group", "foreach", "float32", 130,
                "a second group (lr 5e-3, no decay) joins before step 6",
                DECAY, groups=two_groups({"lr": 5e-3, "weight_decay": 0.0}, added_at_step=6)),
    described_case("Adamax", "added_group_decayed", "forloop", "float64", 131,
                "no decay, then a second group (lr 5e-3, L2 weight decay 0.1) joins before step 6",
                MOVING_LR, steps=12, groups=two_groups({"lr": 5e-3, "weight_decay": 0.1}, added_at_step=6)),
)
