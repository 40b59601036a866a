"""Lockstep's recorder: golden optimizer trajectories from PyTorch, for Lockstep's Swift harness.

- `lockstep.record(optimizer, "run.h5", names=model.named_parameters())`: a context manager
  that records any `torch.optim.Optimizer` from the user's own training loop.
- `lockstep.synthetic(OptimizerClass, {"w": (3, 4)}, steps=20, out="run.h5")`: a trajectory
  on seeded adversarial gradients (sign flips, exact zeros, gaps, scale changes).
- `python -m lockstep`: the same from the command line, and a runner for a module of cases.

The files follow Lockstep's fixture format (`docs/fixture-format.md` in the repository).
"""

from .fixture import FixtureError, Objective
from .recorder import record
from .synthetic import AdversarialGradients, synthetic

__all__ = ["AdversarialGradients", "FixtureError", "Objective", "record", "synthetic"]
__version__ = "0.1.0"
