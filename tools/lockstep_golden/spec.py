"""The vocabulary of a golden case: plain, immutable values, checked once when built.

Nothing here imports torch, so listing cases (`tools/golden --list`) stays instant.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

DType = Literal["float32", "float64"]
Implementation = Literal["forloop", "foreach", "fused"]
CpuCapability = Literal["default", "avx2", "avx512"]
# The capability of a case that does not name one: the goldens recorded before every case
# pinned its capability were recorded on an AVX-512 host, at its best capability.
RECORDED_CAPABILITY: CpuCapability = "avx512"
Mode = Literal["replay", "closure"]

DTYPES: tuple[str, ...] = ("float32", "float64")
IMPLEMENTATIONS: tuple[str, ...] = ("forloop", "foreach", "fused")
CPU_CAPABILITIES: tuple[str, ...] = ("default", "avx2", "avx512")
MODES: tuple[str, ...] = ("replay", "closure")
OBJECTIVE_KINDS: tuple[str, ...] = ("quadratic", "rosenbrock", "logistic_regression")
METRIC_KINDS: tuple[str, ...] = ("loss", "accuracy")
# The scheduler whose step() takes the metric (`/steps/metric`).
METRIC_SCHEDULER = "ReduceLROnPlateau"


class CaseError(ValueError):
    """A case declaration that cannot be recorded; the message names the case."""


@dataclass(frozen=True)
class Param:
    """One parameter tensor: its name in the fixture (`/params/<name>`) and its shape."""

    name: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Group:
    """One optimizer param group.

    `options` override the optimizer's constructor arguments for this group only.
    A group with `added_at_step = t > 1` joins through `add_param_group` just before step t.
    """

    params: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    added_at_step: int = 1


@dataclass(frozen=True)
class Scheduler:
    """A `torch.optim.lr_scheduler` class by name, with its keyword arguments, or a schedule
    recipe from `references.py` (`get_linear_schedule_with_warmup`).

    `SequentialLR` and `ChainedScheduler` take their sub-schedulers as
    `options["schedulers"]`, a tuple of `Scheduler`s; the recorder builds them first, in
    order, on the same optimizer.
    """

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The fixture's `scheduler` attribute: the name and arguments, sub-schedulers nested."""
        return {
            "name": self.name,
            **{key: _json_argument(value) for key, value in self.options.items()},
        }


def _json_argument(value: Any) -> Any:
    if isinstance(value, Scheduler):
        return value.to_json()
    if isinstance(value, (tuple, list)):
        return [_json_argument(v) for v in value]
    return value


@dataclass(frozen=True)
class ObjectiveSpec:
    """The function a closure-mode case minimises (see `objectives.py`).

    `size` is the number of variables: every parameter flattened and concatenated.
    `samples` is `m`, the rows of logistic regression's data. `options` are the kind's
    constants: `a`, `b` for rosenbrock, `l2` for logistic regression. `initial` replaces
    rosenbrock's standard start (-1.2, 1, -1.2, ...) with a chosen point.
    """

    kind: str
    size: int
    samples: int = 0
    options: Mapping[str, float] = field(default_factory=dict)
    initial: tuple[float, ...] | None = None


@dataclass(frozen=True)
class Case:
    """One golden trajectory: everything needed to record `fixtures/<name>.h5`.

    `options` are the optimizer's constructor arguments (the defaults of every group).
    `groups` defaults to a single group holding every parameter.
    `missing_grads` maps a parameter name to the 1-based steps at which its `.grad` is None.
    `cpu_capability` pins `ATEN_CPU_CAPABILITY` for the recording: every case has one, so a
    golden does not depend on the host that records it (default `RECORDED_CAPABILITY`, the
    capability the goldens that did not name one were recorded at); a host that lacks it is
    refused rather than recorded at another.
    `tolerance` becomes the fixture's optional `tolerance` attribute.
    `sparse_grads` names parameters whose gradient is a sparse COO tensor holding a seeded
    subset of rows each step (as `nn.Embedding(sparse=True)` gives); written with `grad_mask`.
    `mode` "closure" records `optimizer.step(closure)` on `objective` instead of replaying
    synthetic gradients; the parameters' initial values then come from the objective.
    `training` names a recipe in `training.py` (a model and a dataset): the initial values
    are the model's, and each step's gradients come from a real minibatch's backward pass
    instead of the synthetic stream; `params` must list the model's parameters.
    `compress` writes the datasets with gzip and shuffle (for long trajectories).
    `metric` names a curve in `metrics.py` passed to `scheduler.step(metric)` after each
    step; required by (and only with) a `ReduceLROnPlateau` scheduler, written to `/steps/metric`.
    """

    name: str
    description: str
    optimizer: str
    dtype: DType
    implementation: Implementation
    steps: int
    seed: int
    params: tuple[Param, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    groups: tuple[Group, ...] | None = None
    missing_grads: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    scheduler: Scheduler | None = None
    cpu_capability: CpuCapability = "avx512"
    tolerance: Mapping[str, float] | None = None
    sparse_grads: tuple[str, ...] = ()
    mode: Mode = "replay"
    objective: ObjectiveSpec | None = None
    training: str | None = None
    compress: bool = False
    metric: str | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def param_groups(self) -> tuple[Group, ...]:
        if self.groups is not None:
            return self.groups
        return (Group(params=tuple(p.name for p in self.params)),)

    @property
    def has_added_groups(self) -> bool:
        return any(g.added_at_step > 1 for g in self.param_groups)

    @property
    def records_lr(self) -> bool:
        """Whether `/steps/lr` is written: when a scheduler moves lr or a group joins late."""
        return self.scheduler is not None or self.has_added_groups


def _validate(case: Case) -> None:
    def fail(message: str) -> None:
        raise CaseError(f"case {case.name!r}: {message}")

    if not case.name or "/" in case.name:
        fail("the name must be non-empty and hold no '/'")
    if case.dtype not in DTYPES:
        fail(f"dtype {case.dtype!r} is not one of {DTYPES}")
    if case.implementation not in IMPLEMENTATIONS:
        fail(f"implementation {case.implementation!r} is not one of {IMPLEMENTATIONS}")
    if case.cpu_capability not in CPU_CAPABILITIES:
        fail(f"cpu_capability {case.cpu_capability!r} is not one of {CPU_CAPABILITIES}")
    if case.steps < 1:
        fail(f"steps must be >= 1, not {case.steps}")

    names = [p.name for p in case.params]
    if len(set(names)) != len(names):
        fail(f"parameter names repeat: {names}")
    for param in case.params:
        if not param.name or "/" in param.name:
            fail(f"parameter name {param.name!r} must be non-empty and hold no '/'")
        if any(d < 0 for d in param.shape):
            fail(f"parameter {param.name!r} has a negative dimension: {param.shape}")

    groups = case.param_groups
    grouped = [name for g in groups for name in g.params]
    if grouped != names:
        fail(f"the groups must list every parameter once, in parameter order: {grouped} vs {names}")
    starts = [g.added_at_step for g in groups]
    if starts[0] != 1 or starts != sorted(starts) or starts[-1] > case.steps:
        fail(f"added_at_step must start at 1, never decrease and stay <= steps: {starts}")
    if case.scheduler is not None and case.has_added_groups:
        fail("a scheduler together with groups added later is not supported")
    plateau = case.scheduler is not None and case.scheduler.name == METRIC_SCHEDULER
    if plateau != (case.metric is not None):
        fail(f"a metric is given exactly when the scheduler is {METRIC_SCHEDULER}")
    if case.metric is not None and case.metric not in METRIC_KINDS:
        fail(f"metric {case.metric!r} is not one of {METRIC_KINDS}")

    shapes = {p.name: p.shape for p in case.params}
    for name in case.sparse_grads:
        if name not in shapes or not shapes[name]:
            fail(f"sparse_grads names {name!r}, which is not a parameter of at least one dimension")
    _validate_mode(case, fail)
    if case.training is not None and (case.missing_grads or case.has_added_groups):
        fail("a training recipe computes every gradient: no missing_grads or groups added later")

    for name, steps in case.missing_grads.items():
        if name not in names:
            fail(f"missing_grads names an unknown parameter {name!r}")
        if any(not 1 <= t <= case.steps for t in steps):
            fail(f"missing_grads[{name!r}] holds a step outside 1...{case.steps}: {steps}")


def _validate_mode(case: Case, fail: Callable[[str], None]) -> None:
    if case.mode not in MODES:
        fail(f"mode {case.mode!r} is not one of {MODES}")
    if case.mode == "replay":
        if case.objective is not None:
            fail("an objective belongs to closure mode")
        return
    objective = case.objective
    if objective is None:
        fail("closure mode needs an objective")
        return
    if objective.kind not in OBJECTIVE_KINDS:
        fail(f"objective kind {objective.kind!r} is not one of {OBJECTIVE_KINDS}")
    if sum(p.numel for p in case.params) != objective.size:
        fail(f"the parameters hold {sum(p.numel for p in case.params)} elements, the objective has {objective.size}")
    if objective.kind == "logistic_regression" and objective.samples < 1:
        fail("logistic regression needs samples >= 1")
    if case.missing_grads or case.scheduler is not None or case.has_added_groups:
        fail("closure mode takes no missing_grads, scheduler or groups added later")
