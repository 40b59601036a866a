"""Lockstep's recorder: golden optimizer trajectories from PyTorch, for Lockstep's Swift harness.

- `lockstep.record(optimizer, "run.h5", names=model.named_parameters())`: a context manager
  that records any `torch.optim.Optimizer` from the user's own training loop.
- `lockstep.synthetic(OptimizerClass, {"w": (3, 4)}, steps=20, out="run.h5")`: a trajectory
  on seeded adversarial gradients (sign flips, exact zeros, gaps, scale changes).
- `python -m lockstep`: the same from the command line, and a runner for a module of cases.

The files follow Lockstep's fixture format (`docs/fixture-format.md` in the repository).
"""

from __future__ import annotations

from typing import Any

from .cases import Case
from .fixture import FixtureError, Objective

__all__ = ["AdversarialGradients", "Case", "FixtureError", "Objective", "record", "synthetic"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`record`, `synthetic` and `AdversarialGradients` import torch: only when first used,
    so that a module of cases can be listed, and can pin the CPU capability, before torch loads."""
    if name == "record":
        from .recorder import record

        return record
    if name in ("synthetic", "AdversarialGradients"):
        from . import adversarial

        return getattr(adversarial, name)
    raise AttributeError(f"module 'lockstep' has no attribute {name!r}")
