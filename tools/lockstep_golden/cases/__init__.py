"""The golden cases, one module per optimizer family.

Adding a fixture = adding one `Case` to its optimizer's module (or a new module listed
below), then `tools/golden NAME`. Case names read as the matrix they cover:
`<optimizer>_<flags>_<implementation>_<dtype>`.
"""

from __future__ import annotations

import lockstep

from ..spec import Case
from . import (
    adadelta, adafactor, adagrad, adam, adamax, asgd, conjugate_gradient, default_capability, lbfgs, muon, nadam,
    radam, recorded_closure, rmsprop, rprop, schedules, sgd, sparse_adam,
)

# Spec cases (`spec.Case`, recorded by `record.py`), and cases that record themselves
# (`lockstep.Case`: a function around a `lockstep.record` block).
CASES: tuple[Case | lockstep.Case, ...] = (
    *adam.CASES,
    *sgd.CASES,
    *adagrad.CASES,
    *adadelta.CASES,
    *adamax.CASES,
    *asgd.CASES,
    *nadam.CASES,
    *radam.CASES,
    *rmsprop.CASES,
    *rprop.CASES,
    *adafactor.CASES,
    *muon.CASES,
    *sparse_adam.CASES,
    *lbfgs.CASES,
    *conjugate_gradient.CASES,
    *schedules.CASES,
    *default_capability.CASES,
    *recorded_closure.CASES,
)


def _check_unique_names(cases: tuple[Case | lockstep.Case, ...]) -> None:
    names = [c.name for c in cases]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"case names repeat: {repeated}")


_check_unique_names(CASES)


def case_named(name: str) -> Case | lockstep.Case:
    """The case called `name`; KeyError listing the known names otherwise."""
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(f"unknown case {name!r}; known cases: {', '.join(c.name for c in CASES)}")
