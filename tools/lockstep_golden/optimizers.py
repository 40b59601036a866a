"""From a case's optimizer name and implementation to a class and constructor flags."""

from __future__ import annotations

import inspect

import torch
from torch.optim import Optimizer

from .conjugate_gradient import ConjugateGradient
from .references import HFAdamW
from .spec import Case, CaseError

# Optimizers defined by the project (file-relative path, for the `reference` provenance).
REFERENCE_CLASSES: dict[str, tuple[type[Optimizer], str]] = {
    "HFAdamW": (HFAdamW, "tools/lockstep_golden/references.py:HFAdamW"),
    "ConjugateGradient": (ConjugateGradient, "tools/lockstep_golden/conjugate_gradient.py:ConjugateGradient"),
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
    # A False flag the class does not take (Adafactor has no `fused`, Muon neither flag) is
    # its only behaviour anyway; a True one it does not take cannot be recorded.
    accepted = inspect.signature(optimizer_class(case).__init__).parameters
    flags = {key: on for key, on in IMPLEMENTATION_FLAGS[case.implementation].items() if key in accepted or on}
    unknown = [key for key in flags if key not in accepted]
    if unknown:
        raise CaseError(f"case {case.name!r}: {case.optimizer} has no {case.implementation} implementation ({unknown[0]}=True)")
    return flags
