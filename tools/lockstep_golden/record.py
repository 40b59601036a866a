"""Runs one case against its reference optimizer, recorded by `lockstep.record`.

For t = 1 ... N: groups due at t join the optimizer, every parameter gets its gradient
(None where the case leaves a gap, or while its group has not joined; from a real
minibatch for a training recipe), `optimizer.step()` runs, then `scheduler.step()` as in a
training loop (`ReduceLROnPlateau`'s `scheduler.step(metric)` with the case's metric curve,
`metrics.py`). The recorder, attached through torch's step hooks, copies what the format
holds: gradients, learning rates, parameters, `optimizer.state`.

A closure-mode case (`_record_closure`) instead calls `optimizer.step(closure)` on the
case's objective; the recorder notes what each step returned and how often it called the closure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lockstep
import numpy as np
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler

from . import objectives
from .gradients import GradientStream, SparseRows, sparse_rows
from .metrics import metric_values
from .optimizers import implementation_flags, optimizer_class, reference_class_path
from .references import get_linear_schedule_with_warmup
from .spec import Case, CaseError, Group, Scheduler
from .training import training_run

# Schedules built by a recipe in references.py rather than by a torch.optim.lr_scheduler class.
REFERENCE_SCHEDULERS = {"get_linear_schedule_with_warmup": get_linear_schedule_with_warmup}

TORCH_DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "float64": torch.float64}

Tensors = dict[str, torch.nn.Parameter]


def record(case: Case, path: Path) -> None:
    """Records `case` into `path` in this process, whose ATEN_CPU_CAPABILITY the caller
    (`lockstep.cases`) has checked."""
    torch.set_num_threads(1)
    dtype = TORCH_DTYPES[case.dtype]
    if case.mode == "closure":
        _record_closure(case, dtype, path)
        return

    run = training_run(case, dtype) if case.training is not None else None
    if run is not None:
        tensors: Tensors = {p.name: run.parameters[p.name] for p in case.params}
    else:
        torch.manual_seed(case.seed)
        tensors = {p.name: torch.nn.Parameter(torch.randn(p.shape, dtype=dtype)) for p in case.params}

    groups = case.param_groups
    optimizer = _build_optimizer(case, tensors, [g for g in groups if g.added_at_step == 1])
    gradients = GradientStream(case.seed, dtype)
    rows_chooser = SparseRows(case.seed)
    metric = metric_values(case.metric, case.seed, case.steps) if case.metric is not None else None
    with _recorder(case, optimizer, tensors, path) as recording:
        # Built inside the block: param_groups records the values before the scheduler changed them.
        scheduler = _build_scheduler(case, optimizer)
        recording.watch_scheduler(scheduler)
        for t in range(1, case.steps + 1):
            for group in groups:
                if group.added_at_step == t and t > 1:
                    optimizer.add_param_group(_group_dict(group, tensors))
            if run is not None:
                run.set_gradients(t)
            else:
                _set_gradients(case, t, tensors, gradients, rows_chooser)
            optimizer.step()
            if metric is not None:
                scheduler.step(metric[t - 1])
            elif scheduler is not None:
                scheduler.step()


def _recorder(case: Case, optimizer: Optimizer, tensors: Tensors, path: Path, **extra: Any) -> lockstep.record:
    origin = reference_class_path(case)
    return lockstep.record(
        optimizer, path, names=tensors, optimizer_name=case.optimizer,
        scheduler_spec=case.scheduler.to_json() if case.scheduler is not None else None,
        implementation=case.implementation, reference={"reference_class": origin} if origin else None,
        description=case.description, case=case.name, seed=case.seed, tolerance=case.tolerance,
        compress=case.compress, **extra)


def _record_closure(case: Case, dtype: torch.dtype, path: Path) -> None:
    """Records `optimizer.step(closure)` on the case's objective, N times.

    The closure concatenates the parameters into the objective's variable, sets each
    `.grad` from the analytic gradient and returns `f`.
    """
    assert case.objective is not None  # checked by the spec
    objective = objectives.build(case.objective, case.seed, dtype)
    shapes = [p.shape for p in case.params]
    values = objectives.split(objective.initial, shapes)
    tensors: Tensors = {spec.name: torch.nn.Parameter(v) for spec, v in zip(case.params, values, strict=True)}
    optimizer = _build_optimizer(case, tensors, list(case.param_groups))

    closure = objectives.closure(objective, list(tensors.values()), shapes)

    data = {name: np.asarray(array) for name, array in objectives.datasets(objective).items()}
    described = lockstep.Objective(kind=objective.kind, data=data, attrs=objective.attrs)
    with _recorder(case, optimizer, tensors, path, objective=described):
        for _ in range(case.steps):
            optimizer.step(closure)


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


def _group_dict(group: Group, tensors: Tensors) -> dict[str, object]:
    return {"params": [tensors[name] for name in group.params], **group.options}


def _set_gradients(case: Case, t: int, tensors: Tensors, gradients: GradientStream, rows: SparseRows) -> None:
    """Gives each parameter its step-t gradient, or None where the case leaves a gap or its
    group has not joined. Every parameter draws from the streams at every step, so gaps
    never shift the others' data."""
    joined = {name for g in case.param_groups if g.added_at_step <= t for name in g.params}
    for name, p in tensors.items():
        grad = gradients.draw(tuple(p.shape))
        if name in case.sparse_grads:
            grad = sparse_rows(grad, rows.draw(p.shape[0]))
        present = name in joined and t not in case.missing_grads.get(name, ())
        p.grad = grad if present else None
