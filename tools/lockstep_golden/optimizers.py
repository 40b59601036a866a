"""From a case's optimizer name and implementation to a class and constructor flags."""

from __future__ import annotations

import inspect

import torch
from torch.optim import Optimizer

from .references import HFAdamW
from .spec import Case, CaseError

# Optimizers defined by the project (file-relative path, for the `reference` provenance).
REFERENCE_CLASSES: dict[str, tuple[type[Optimizer], str]] = {
    "HFAdamW": (HFAdamW, "tools/lockstep_golden/references.py:HFAdamW"),
}

# How each torch.optim implementation is selected explicitly, never left to torch's default.
IMPLEMENTATION_FLAGS: dict[str, dict[str, bool]] = {
    "forloop": {"foreach": False, "fused": False},
    "foreach": {"foreach": True, "fused": False},
    "fused": {"fused": True},
}


def optimizer_class(case: Case) -> type[Optimizer]:
    """The class the case records: a project reference, else `torch.optim.<name>`."""
    if case.optimizer in REFERENCE_CLASSES:
        return REFERENCE_CLASSES[case.optimizer][0]
    cls = getattr(torch.optim, case.optimizer, None)
    if not (isinstance(cls, type) and issubclass(cls, Optimizer)):
        raise CaseError(f"case {case.name!r}: {case.optimizer!r} is neither torch.optim.{case.optimizer} "
                        f"nor a reference ({', '.join(REFERENCE_CLASSES)})")
    return cls


def reference_class_path(case: Case) -> str | None:
    """Where a project-defined reference lives, None for torch.optim classes."""
    entry = REFERENCE_CLASSES.get(case.optimizer)
    return entry[1] if entry else None


def implementation_flags(case: Case) -> dict[str, bool]:
    """Constructor flags that pin the implementation; references only have a for-loop."""
    if case.optimizer in REFERENCE_CLASSES:
        if case.implementation != "forloop":
            raise CaseError(f"case {case.name!r}: {case.optimizer} only has a forloop implementation")
        return {}
    flags = IMPLEMENTATION_FLAGS[case.implementation]
    accepted = inspect.signature(optimizer_class(case)).parameters
    if not all(key in accepted for key in flags):
        # A class without these flags (LBFGS) has one implementation, the for-loop one.
        if case.implementation != "forloop":
            raise CaseError(f"case {case.name!r}: {case.optimizer} only has a forloop implementation")
        return {}
    return flags
