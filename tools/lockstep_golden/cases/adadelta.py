"""Golden cases of Adadelta (torch.optim.Adadelta)."""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, two_groups

DECAY = {"weight_decay": 0.1}

CASES = (
    described_case("Adadelta", "", "forloop", "float32", 101, "defaults (lr 1.0, rho 0.9)", {}),
    described_case("Adadelta", "", "forloop", "float64", 102, "defaults", {}),
    described_case("Adadelta", "", "foreach", "float32", 103, "defaults", {}),
    described_case("Adadelta", "", "foreach", "float64", 104, "defaults", {}),
    described_case("Adadelta", "weight_decay_maximize", "forloop", "float32", 105,
                "L2 weight decay 0.1, maximizing", {**DECAY, "maximize": True}),
    described_case("Adadelta", "weight_decay_maximize", "foreach", "float64", 106,
                "L2 weight decay 0.1, maximizing", {**DECAY, "maximize": True}),
    described_case("Adadelta", "weight_decay", "foreach", "float32", 107, "L2 weight decay 0.1", DECAY),
    described_case("Adadelta", "param_groups", "forloop", "float64", 108,
                "two groups: the second with lr 0.5, rho 0.95, eps 1e-5",
                {}, groups=two_groups({"lr": 0.5, "rho": 0.95, "eps": 1e-5})),
    described_case("Adadelta", "grad_gaps", "foreach", "float32", 109,
                "steps where a parameter has no grad", DECAY, missing_grads=GAPS),
    described_case("Adadelta", "added_group", "forloop", "float32", 110,
                "a second group (lr 0.5, no decay) joins before step 6",
                DECAY, groups=two_groups({"lr": 0.5, "weight_decay": 0.0}, added_at_step=6)),
    described_case("Adadelta", "added_group_decayed", "forloop", "float64", 111,
                "no decay, then a second group (lr 0.5, L2 weight decay 0.1) joins before step 6",
                {}, steps=12, groups=two_groups({"lr": 0.5, "weight_decay": 0.1}, added_at_step=6)),
)
