"""Golden cases of RAdam (torch.optim.RAdam).

With betas (0.9, 0.999) the variance is rectified (rho_t > 5) from step 6 on; earlier
steps take the unrectified branch, so every case crosses the switch.
"""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, MOVING_LR, two_groups

L2 = {**MOVING_LR, "weight_decay": 0.1}
DECOUPLED = {**L2, "decoupled_weight_decay": True}

CASES = (
    described_case("RAdam", "", "forloop", "float32", 181, "defaults but lr 1e-2", MOVING_LR),
    described_case("RAdam", "", "forloop", "float64", 182, "defaults but lr 1e-2", MOVING_LR),
    described_case("RAdam", "", "foreach", "float32", 183, "defaults but lr 1e-2", MOVING_LR),
    described_case("RAdam", "", "foreach", "float64", 184, "defaults but lr 1e-2", MOVING_LR),
    described_case("RAdam", "l2_maximize", "forloop", "float64", 185,
                "L2 weight decay 0.1, maximizing", {**L2, "maximize": True}),
    described_case("RAdam", "l2_maximize", "foreach", "float32", 186,
                "L2 weight decay 0.1, maximizing", {**L2, "maximize": True}),
    described_case("RAdam", "decoupled", "forloop", "float32", 187, "decoupled weight decay 0.1", DECOUPLED),
    described_case("RAdam", "decoupled", "foreach", "float64", 188, "decoupled weight decay 0.1", DECOUPLED),
    described_case("RAdam", "grad_gaps", "foreach", "float32", 189,
                "steps where a parameter has no grad (b's rectification starts later)", MOVING_LR,
                missing_grads=GAPS),
    described_case("RAdam", "param_groups", "forloop", "float64", 190,
                "two groups: the second with lr 5e-3, betas (0.8, 0.99) (rho_inf 199 rather than 1999)",
                MOVING_LR, groups=two_groups({"lr": 5e-3, "betas": (0.8, 0.99)})),
    described_case("RAdam", "added_group", "foreach", "float64", 191,
                "a second group (lr 5e-3, no decay) joins before step 6",
                DECOUPLED, groups=two_groups({"lr": 5e-3, "weight_decay": 0.0}, added_at_step=6)),
    described_case("RAdam", "added_group_decayed", "forloop", "float64", 192,
                "no decay, then a second group (lr 5e-3, L2 weight decay 0.1) joins before step 6",
                MOVING_LR, steps=12, groups=two_groups({"lr": 5e-3, "weight_decay": 0.1}, added_at_step=6)),
)
