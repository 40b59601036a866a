"""A recorded trajectory as plain numpy arrays, ready to be written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .spec import Case


@dataclass(frozen=True)
class ParamRecord:
    """Everything recorded about one parameter; arrays with a step axis have N rows."""

    name: str
    index: int
    initial: np.ndarray
    grad: np.ndarray
    has_grad: np.ndarray
    param: np.ndarray
    state: dict[str, np.ndarray]

    @property
    def has_gaps(self) -> bool:
        return not bool(self.has_grad.all())


@dataclass(frozen=True)
class Trajectory:
    """One case's recording: its parameters, per-step learning rates and provenance.

    `hyperparameters` holds the other param-group values a scheduler changed at every
    step (`betas`, `momentum`), written to `/steps/<key>`.
    """

    case: Case
    params: tuple[ParamRecord, ...]
    lr: np.ndarray | None
    param_groups: list[dict[str, object]]
    reference: dict[str, object]
    hyperparameters: dict[str, np.ndarray] = field(default_factory=dict)


def stack_rows(
    rows: Sequence[np.ndarray | None], dtype: np.dtype, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """Stacks per-step rows into `[N, *shape]`, NaN where a row is None.

    `shape` defaults to the first present row's shape; every present row must have it.
    """
    present = [r for r in rows if r is not None]
    if shape is None:
        if not present:
            raise ValueError("cannot infer the row shape: every row is missing")
        shape = present[0].shape
    out = np.full((len(rows), *shape), np.nan, dtype=dtype)
    for t, row in enumerate(rows):
        if row is None:
            continue
        if row.shape != shape:
            raise ValueError(f"row {t} has shape {row.shape}, expected {shape}")
        out[t] = row
    return out
