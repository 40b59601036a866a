"""Runs one case against its reference optimizer and records every step.

For t = 1 ... N: groups due at t join the optimizer, every parameter gets its gradient
(None where the case leaves a gap, or while its group has not joined; from a real
minibatch for a training recipe), the learning rate and the momentum in effect are noted,
`optimizer.step()` runs, then `scheduler.step()` as in a training loop (`ReduceLROnPlateau`'s
`scheduler.step(metric)` with the case's metric curve, `metrics.py`), and the
parameters and `optimizer.state` are copied out.

A closure-mode case (`_record_closure`) instead calls `optimizer.step(closure)` on the
case's objective and also notes what each step returned and how often it called the closure.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from . import objectives
from .metrics import metric_values
from .capability import check_capability
from .gradients import GradientStream, SparseRows, sparse_rows
from .optimizers import implementation_flags, optimizer_class
from .provenance import reference_info
from .references import get_linear_schedule_with_warmup
from .spec import Case, CaseError, Group, Scheduler
from .trajectory import ClosureRecord, ParamRecord, Trajectory, stack_rows
from .training import training_run

# Schedules built by a recipe in references.py rather than by a torch.optim.lr_scheduler class.
REFERENCE_SCHEDULERS = {"get_linear_schedule_with_warmup": get_linear_schedule_with_warmup}
# Param-group hyperparameters besides lr that a scheduler may change at every step
# (OneCycleLR's cycle_momentum); each is written to /steps/<key> when it does change.
SCHEDULED_HYPERPARAMETERS = ("momentum", "betas")

TORCH_DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}

Tensors = dict[str, torch.nn.Parameter]


def record(case: Case) -> Trajectory:
    """Records `case` in this process (whose ATEN_CPU_CAPABILITY must already suit it)."""
    torch.set_num_threads(1)
    check_capability(case, torch.backends.cpu.get_cpu_capability())
    dtype = TORCH_DTYPES[case.dtype]
    if case.mode == "closure":
        return _record_closure(case, dtype)

    run = training_run(case, dtype) if case.training is not None else None
    if run is not None:
        tensors: Tensors = {p.name: run.parameters[p.name] for p in case.params}
    else:
        torch.manual_seed(case.seed)
        tensors = {p.name: torch.nn.Parameter(torch.randn(p.shape, dtype=dtype)) for p in case.params}
    initial = {name: _to_numpy(p) for name, p in tensors.items()}

    groups = case.param_groups
    first = [g for g in groups if g.added_at_step == 1]
    optimizer = _build_optimizer(case, tensors, first)
    param_groups = [_group_json(optimizer, i, tensors, group) for i, group in enumerate(first)]
    scheduler = _build_scheduler(case, optimizer)
    gradients = GradientStream(case.seed, dtype)
    rows_chooser = SparseRows(case.seed)
    metric = metric_values(case.metric, case.seed, case.steps) if case.metric is not None else None

    rows = {name: _ParamRows() for name in tensors}
    lr_rows: list[list[float]] = []
    hyperparameter_rows: dict[str, list[list[object]]] = {key: [] for key in SCHEDULED_HYPERPARAMETERS}
    for t in range(1, case.steps + 1):
        param_groups += _join_groups_due(t, groups, optimizer, tensors)
        if run is not None:
            run.set_gradients(t)
            grads = {name: (_to_numpy(p.grad), None) for name, p in tensors.items()}
        else:
            grads = _set_gradients(case, t, tensors, gradients, rows_chooser)
        lr_rows.append(_learning_rates(optimizer, len(groups)))
        for key, series in hyperparameter_rows.items():
            series.append([g.get(key) for g in optimizer.param_groups])
        optimizer.step()
        if metric is not None:
            scheduler.step(metric[t - 1])
        elif scheduler is not None:
            scheduler.step()
        for name, p in tensors.items():
            grad, mask = grads[name]
            rows[name].add(grad, mask, _to_numpy(p), _state_row(optimizer, p))

    file_dtype = np.dtype(case.dtype)
    records = tuple(
        rows[spec.name].finish(spec.name, index, initial[spec.name], spec.shape, file_dtype, spec.name in case.sparse_grads)
        for index, spec in enumerate(case.params)
    )
    lr = np.asarray(lr_rows, dtype=np.float64) if case.records_lr else None
    return Trajectory(
        case, records, lr, param_groups, reference_info(case), hyperparameters=_changed(hyperparameter_rows),
        metric=np.asarray(metric, dtype=np.float64) if metric is not None else None)


def _record_closure(case: Case, dtype: torch.dtype) -> Trajectory:
    """Records `optimizer.step(closure)` on the case's objective, N times.

    The closure concatenates the parameters into the objective's variable, sets each
    `.grad` from the analytic gradient and returns `f`; it counts its calls.
    """
    assert case.objective is not None  # checked by the spec
    objective = objectives.build(case.objective, case.seed, dtype)
    shapes = [p.shape for p in case.params]
    values = objectives.split(objective.initial, shapes)
    tensors: Tensors = {spec.name: torch.nn.Parameter(v) for spec, v in zip(case.params, values, strict=True)}
    initial = {name: _to_numpy(p) for name, p in tensors.items()}
    optimizer = _build_optimizer(case, tensors, list(case.param_groups))
    param_groups = [_group_json(optimizer, i, tensors, g) for i, g in enumerate(case.param_groups)]

    calls = 0

    def closure() -> torch.Tensor:
        nonlocal calls
        calls += 1
        x = torch.cat([p.detach().reshape(-1) for p in tensors.values()])
        loss, grad = objective.evaluate(x)
        for p, g in zip(tensors.values(), objectives.split(grad, shapes), strict=True):
            p.grad = g
        return loss

    rows = {name: _ParamRows() for name in tensors}
    losses: list[float] = []
    call_counts: list[int] = []
    for _ in range(case.steps):
        calls = 0
        losses.append(float(optimizer.step(closure)))
        call_counts.append(calls)
        for name, p in tensors.items():
            rows[name].add(None, None, _to_numpy(p), _state_row(optimizer, p))

    file_dtype = np.dtype(case.dtype)
    records = tuple(
        rows[spec.name].finish(spec.name, index, initial[spec.name], spec.shape, file_dtype, closure=True)
        for index, spec in enumerate(case.params)
    )
    data = {name: array.astype(file_dtype) for name, array in objectives.datasets(objective).items()}
    closure_record = ClosureRecord(
        loss=np.asarray(losses, dtype=np.float64), closure_calls=np.asarray(call_counts, dtype=np.int64),
        objective_kind=objective.kind, objective_data=data, objective_attrs=objective.attrs)
    return Trajectory(case, records, None, param_groups, reference_info(case), closure=closure_record)


def _build_optimizer(case: Case, tensors: Tensors, groups: list[Group]) -> Optimizer:
    cls = optimizer_class(case)
    options: dict[str, Any] = {**case.options, **implementation_flags(case)}
    try:
        return cls([_group_dict(g, tensors) for g in groups], **options)
    except (TypeError, ValueError, RuntimeError) as error:
        raise CaseError(f"case {case.name!r}: {cls.__name__}(**{options}) failed: {error}") from error


def _build_scheduler(case: Case, optimizer: Optimizer) -> LRScheduler | None:
    if case.scheduler is None:
        return None
    return _make_scheduler(case, case.scheduler, optimizer)


def _make_scheduler(case: Case, spec: Scheduler, optimizer: Optimizer) -> LRScheduler:
    """Builds `spec` on `optimizer`; SequentialLR's and ChainedScheduler's sub-schedulers
    first, in order."""
    options = dict(spec.options)
    if "schedulers" in options:
        options["schedulers"] = [_make_scheduler(case, s, optimizer) for s in options["schedulers"]]
    if spec.name in REFERENCE_SCHEDULERS:
        return REFERENCE_SCHEDULERS[spec.name](optimizer, **options)
    cls = getattr(torch.optim.lr_scheduler, spec.name, None)
    if not (isinstance(cls, type) and issubclass(cls, LRScheduler)):
        raise CaseError(f"case {case.name!r}: torch.optim.lr_scheduler has no scheduler {spec.name!r}")
    if cls is torch.optim.lr_scheduler.ChainedScheduler:
        # ChainedScheduler(schedulers, optimizer=None): the optimizer comes second, by keyword.
        return cls(optimizer=optimizer, **options)
    return cls(optimizer, **options)


def _changed(rows_by_key: dict[str, list[list[object]]]) -> dict[str, np.ndarray]:
    """The per-step hyperparameters that every group has and that changed during the run,
    as float64 `[N, G]` (a number) or `[N, G, k]` (a tuple such as betas). Not recorded
    while groups join later (a scheduler is not allowed with them)."""
    changed = {}
    for key, rows in rows_by_key.items():
        if len({len(row) for row in rows}) != 1 or any(value is None for row in rows for value in row):
            continue
        data = np.asarray([[list(v) if isinstance(v, (tuple, list)) else v for v in row] for row in rows], dtype=np.float64)
        if not (data == data[0]).all():
            changed[key] = data
    return changed


def _join_groups_due(
    t: int, groups: tuple[Group, ...], optimizer: Optimizer, tensors: Tensors
) -> list[dict[str, object]]:
    """Adds the groups whose `added_at_step` is t > 1; returns their param_groups entries."""
    joined = []
    for index, group in enumerate(groups):
        if group.added_at_step == t and t > 1:
            optimizer.add_param_group(_group_dict(group, tensors))
            joined.append(_group_json(optimizer, index, tensors, group))
    return joined


def _group_dict(group: Group, tensors: Tensors) -> dict[str, object]:
    return {"params": [tensors[name] for name in group.params], **group.options}


def _group_json(optimizer: Optimizer, index: int, tensors: Tensors, group: Group) -> dict[str, object]:
    """`state_dict()["param_groups"][index]` as the group joins, names in place of indices.

    Taken before any scheduler rewrites `lr` (the schedule itself is in `/steps/lr`).
    """
    names_by_id = {id(p): name for name, p in tensors.items()}
    order = [names_by_id[id(p)] for g in optimizer.param_groups for p in g["params"]]
    saved = optimizer.state_dict()["param_groups"][index]
    out = {key: list(value) if isinstance(value, tuple) else value for key, value in saved.items()}
    out["params"] = [order[i] for i in saved["params"]]
    if group.added_at_step > 1:
        out["added_at_step"] = group.added_at_step
    return out


GradRow = tuple[np.ndarray | None, np.ndarray | None]


def _set_gradients(
    case: Case, t: int, tensors: Tensors, gradients: GradientStream, rows: SparseRows
) -> dict[str, GradRow]:
    """Gives each parameter its step-t gradient (or None) and returns copies of them: the
    dense values, and for a sparse gradient the mask of the entries it holds.

    Every parameter draws from the streams at every step, so gaps never shift the others' data.
    """
    joined = {name for g in case.param_groups if g.added_at_step <= t for name in g.params}
    grads: dict[str, GradRow] = {}
    for name, p in tensors.items():
        grad = gradients.draw(tuple(p.shape))
        mask = None
        if name in case.sparse_grads:
            grad = sparse_rows(grad, rows.draw(p.shape[0]))
            mask = _to_numpy(torch.sparse_coo_tensor(grad.indices(), torch.ones_like(grad.values()), grad.shape).to_dense())
        present = name in joined and t not in case.missing_grads.get(name, ())
        p.grad = grad if present else None
        dense = grad.to_dense() if grad.is_sparse else grad
        grads[name] = (_to_numpy(dense), mask) if present else (None, None)
    return grads


def _learning_rates(optimizer: Optimizer, group_count: int) -> list[float]:
    """Each group's lr while this step runs; NaN for groups that have not joined yet."""
    lrs = [float(g["lr"]) for g in optimizer.param_groups]
    return lrs + [math.nan] * (group_count - len(lrs))


def _state_row(optimizer: Optimizer, p: torch.Tensor) -> dict[str, np.ndarray]:
    return {key: _state_value(key, value, optimizer) for key, value in optimizer.state.get(p, {}).items()}


# List-valued state (LBFGS's history): each element's shape, "flat" for the concatenated
# parameters. Lists are recorded padded with NaN to `history_size` elements.
LIST_ELEMENTS: dict[str, str | tuple[int, ...]] = {"old_dirs": "flat", "old_stps": "flat", "ro": (), "al": ()}


def _state_value(key: str, value: object, optimizer: Optimizer) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return _to_numpy(value)
    if isinstance(value, (bool, int, float)):
        return np.asarray(value)
    if isinstance(value, list) and key in LIST_ELEMENTS:
        return _padded_list(key, value, optimizer)
    raise TypeError(f"optimizer state {key!r} holds a {type(value).__name__}, which a fixture cannot store")


def _padded_list(key: str, values: list[torch.Tensor | None], optimizer: Optimizer) -> np.ndarray:
    """`[history_size, *element]`: the list's elements, then NaN rows (None is NaN too)."""
    group = optimizer.param_groups[0]
    element = LIST_ELEMENTS[key]
    shape = (sum(p.numel() for p in group["params"]),) if element == "flat" else element
    length = group["history_size"]
    if len(values) > length:
        raise ValueError(f"state {key!r} holds {len(values)} elements, more than history_size {length}")
    out = np.full((length, *shape), np.nan, dtype=np.float64)
    for index, value in enumerate(values):
        if value is not None:
            out[index] = _to_numpy(value).reshape(shape)
    return out


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


class _ParamRows:
    """Per-step rows of one parameter, collected during the run."""

    def __init__(self) -> None:
        self.grads: list[np.ndarray | None] = []
        self.masks: list[np.ndarray | None] = []
        self.params: list[np.ndarray] = []
        self.states: list[dict[str, np.ndarray]] = []

    def add(
        self, grad: np.ndarray | None, mask: np.ndarray | None, param: np.ndarray, state: dict[str, np.ndarray]
    ) -> None:
        self.grads.append(grad)
        self.masks.append(mask)
        self.params.append(param)
        self.states.append(state)

    def finish(
        self, name: str, index: int, initial: np.ndarray, shape: tuple[int, ...], dtype: np.dtype,
        sparse: bool = False, closure: bool = False,
    ) -> ParamRecord:
        """`closure`: no gradients are recorded (the closure computes them)."""
        keys = dict.fromkeys(key for row in self.states for key in row)
        return ParamRecord(
            name=name,
            index=index,
            initial=initial.astype(dtype),
            grad=None if closure else stack_rows(self.grads, dtype, shape),
            has_grad=np.array([closure or g is not None for g in self.grads], dtype=np.uint8),
            # Steps without a gradient hold no entry.
            grad_mask=np.nan_to_num(stack_rows(self.masks, np.float64, shape)).astype(np.uint8) if sparse else None,
            param=stack_rows(self.params, dtype, shape),
            state={key: stack_rows([row.get(key) for row in self.states], dtype) for key in keys},
            padded_lists=frozenset(key for key in keys if key in LIST_ELEMENTS),
        )
