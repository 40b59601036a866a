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
    grad: np.ndarray | None  # None in closure mode: the closure computes gradients
    has_grad: np.ndarray
    param: np.ndarray
    state: dict[str, np.ndarray]
    # [N, *shape] uint8, 1 where the step's sparse gradient holds an entry; None: dense.
    grad_mask: np.ndarray | None = None
    # State keys that hold lists (LBFGS's history), padded with NaN to a fixed length.
    padded_lists: frozenset[str] = frozenset()

    @property
    def has_gaps(self) -> bool:
        return not bool(self.has_grad.all())


@dataclass(frozen=True)
class Trajectory:
    """One case's recording: its parameters, per-step learning rates and provenance.

    `hyperparameters` holds the other param-group values a scheduler changed at every
    step (`betas`, `momentum`), written to `/steps/<key>`. `metric` is what
    `ReduceLROnPlateau.step(metric)` received after each step (`/steps/metric`).
    """

    case: Case
    params: tuple[ParamRecord, ...]
    lr: np.ndarray | None
    param_groups: list[dict[str, object]]
    reference: dict[str, object]
    hyperparameters: dict[str, np.ndarray] = field(default_factory=dict)
    closure: ClosureRecord | None = None
    metric: np.ndarray | None = None


@dataclass(frozen=True)
class ClosureRecord:
    """What a closure-mode recording adds: per-step losses and closure calls, the objective."""

    loss: np.ndarray  # [N] float64: what step(closure) returned
    closure_calls: np.ndarray  # [N] int64: how often step t called the closure
    objective_kind: str
    objective_data: dict[str, np.ndarray]  # datasets under /objective, in the file's dtype
    objective_attrs: dict[str, float]


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
