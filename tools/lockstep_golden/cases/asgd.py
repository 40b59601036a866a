"""Golden cases of ASGD (torch.optim.ASGD).

With torch's default t0 = 1e6 the average `ax` is a copy of the parameter; t0 = 5 makes
mu fall below 1 from step 7, so the averaging runs. lambd = 1e-2 moves eta visibly.
"""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, two_groups

AVERAGING = {"t0": 5.0, "lambd": 1e-2}
DECAY = {**AVERAGING, "weight_decay": 0.1}

CASES = (
    described_case("ASGD", "", "forloop", "float32", 141, "defaults (t0 1e6: ax copies the parameter)", {}),
    described_case("ASGD", "", "foreach", "float64", 142, "defaults", {}),
    described_case("ASGD", "averaging", "forloop", "float64", 143, "t0 5, lambd 1e-2", AVERAGING),
    described_case("ASGD", "averaging", "foreach", "float32", 144, "t0 5, lambd 1e-2", AVERAGING),
    described_case("ASGD", "weight_decay_maximize", "forloop", "float32", 145,
                "t0 5, L2 weight decay 0.1, maximizing", {**DECAY, "maximize": True}),
    described_case("ASGD", "weight_decay_maximize", "foreach", "float64", 146,
                "t0 5, L2 weight decay 0.1, maximizing", {**DECAY, "maximize": True}),
    described_case("ASGD", "weight_decay", "foreach", "float32", 147, "t0 5, L2 weight decay 0.1", DECAY),
    described_case("ASGD", "grad_gaps", "forloop", "float64", 148,
                "t0 5, steps where a parameter has no grad", AVERAGING, missing_grads=GAPS),
    described_case("ASGD", "param_groups", "foreach", "float64", 149,
                "two groups: the second with lr 5e-2, lambd 1e-3, alpha 0.5, t0 2",
                AVERAGING, groups=two_groups({"lr": 5e-2, "lambd": 1e-3, "alpha": 0.5, "t0": 2.0})),
    described_case("ASGD", "added_group", "forloop", "float32", 150,
                "a second group (lr 5e-2, t0 2) joins before step 6",
                AVERAGING, groups=two_groups({"lr": 5e-2, "t0": 2.0}, added_at_step=6)),
    described_case("ASGD", "added_group_decayed", "forloop", "float64", 151,
                "t0 5, no decay, then a second group (lr 5e-2, t0 2, L2 weight decay 0.1) joins before step 6",
                AVERAGING, steps=12,
                groups=two_groups({"lr": 5e-2, "t0": 2.0, "weight_decay": 0.1}, added_at_step=6)),
)
