"""The golden cases, one module per optimizer family.

Adding a fixture = adding one `Case` to its optimizer's module (or a new module listed
below), then `tools/golden NAME`. Case names read as the matrix they cover:
`<optimizer>_<flags>_<implementation>_<dtype>`.
"""

from __future__ import annotations

from ..spec import Case
from . import adam, schedules

CASES: tuple[Case, ...] = (
    *adam.CASES,
    *schedules.CASES,
)


def _check_unique_names(cases: tuple[Case, ...]) -> None:
    names = [c.name for c in cases]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"case names repeat: {repeated}")


_check_unique_names(CASES)


def case_named(name: str) -> Case:
    """The case called `name`; KeyError listing the known names otherwise."""
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(f"unknown case {name!r}; known cases: {', '.join(c.name for c in CASES)}")
