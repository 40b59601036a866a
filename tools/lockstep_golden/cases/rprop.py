"""Golden cases of Rprop (torch.optim.Rprop).

The default step_sizes (1e-6, 50) never clamp in 24 steps; (1e-3, 2e-2) clamps both ways.
"""

from __future__ import annotations

from .matrix import described_case
from .shapes import GAPS, two_groups

CLAMPED = {"step_sizes": (1e-3, 2e-2)}

CASES = (
    described_case("Rprop", "", "forloop", "float32", 231, "defaults (lr 1e-2, etas (0.5, 1.2))", {}),
    described_case("Rprop", "", "forloop", "float64", 232, "defaults", {}),
    described_case("Rprop", "", "foreach", "float32", 233, "defaults", {}),
    described_case("Rprop", "", "foreach", "float64", 234, "defaults", {}),
    described_case("Rprop", "clamped_maximize", "forloop", "float64", 235,
                "step_sizes (1e-3, 2e-2), maximizing", {**CLAMPED, "maximize": True}),
    described_case("Rprop", "clamped_maximize", "foreach", "float32", 236,
                "step_sizes (1e-3, 2e-2), maximizing", {**CLAMPED, "maximize": True}),
    described_case("Rprop", "grad_gaps", "forloop", "float32", 237,
                "steps where a parameter has no grad", CLAMPED, missing_grads=GAPS),
    described_case("Rprop", "param_groups", "foreach", "float64", 238,
                "two groups: the second with lr 2e-2, etas (0.3, 1.5)",
                {}, groups=two_groups({"lr": 2e-2, "etas": (0.3, 1.5)})),
    described_case("Rprop", "added_group", "forloop", "float32", 239,
                "a second group (lr 2e-2, step_sizes (1e-3, 2e-2)) joins before step 6",
                {}, groups=two_groups({"lr": 2e-2, **CLAMPED}, added_at_step=6)),
)
