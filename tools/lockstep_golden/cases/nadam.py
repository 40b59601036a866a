"""Golden cases of NAdam (torch.optim.NAdam)."""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, MOVING_LR, two_groups

L2 = {**MOVING_LR, "weight_decay": 0.1}
DECOUPLED = {**L2, "decoupled_weight_decay": True}

CASES = (
    described_case("NAdam", "", "forloop", "float32", 161, "defaults but lr 1e-2", MOVING_LR),
    described_case("NAdam", "", "forloop", "float64", 162, "defaults but lr 1e-2", MOVING_LR),
    described_case("NAdam", "", "foreach", "float32", 163, "defaults but lr 1e-2", MOVING_LR),
    described_case("NAdam", "", "foreach", "float64", 164, "defaults but lr 1e-2", MOVING_LR),
    described_case("NAdam", "l2_maximize", "forloop", "float64", 165,
                "L2 weight decay 0.1, maximizing", {**L2, "maximize": True}),
    described_case("NAdam", "l2_maximize", "foreach", "float32", 166,
                "L2 weight decay 0.1, maximizing", {**L2, "maximize": True}),
    described_case("NAdam", "decoupled", "forloop", "float32", 167, "decoupled weight decay 0.1", DECOUPLED),
    described_case("NAdam", "decoupled", "foreach", "float64", 168, "decoupled weight decay 0.1", DECOUPLED),
    described_case("NAdam", "grad_gaps", "foreach", "float32", 169,
                "momentum_decay 1e-2, steps where a parameter has no grad",
                {**MOVING_LR, "momentum_decay": 1e-2}, missing_grads=GAPS),
    described_case("NAdam", "param_groups", "forloop", "float64", 170,
                "two groups: the second with lr 5e-3, momentum_decay 8e-3, betas (0.8, 0.99)",
                MOVING_LR, groups=two_groups({"lr": 5e-3, "momentum_decay": 8e-3, "betas": (0.8, 0.99)})),
    described_case("NAdam", "added_group", "foreach", "float64", 171,
                "a second group (lr 5e-3, no decay) joins before step 6",
                DECOUPLED, groups=two_groups({"lr": 5e-3, "weight_decay": 0.0}, added_at_step=6)),
    described_case("NAdam", "added_group_decayed", "forloop", "float64", 172,
                "no decay, then a second group (lr 5e-3, L2 weight decay 0.1) joins before step 6",
                MOVING_LR, steps=12, groups=two_groups({"lr": 5e-3, "weight_decay": 0.1}, added_at_step=6)),
)
