"""`lockstep.record`: a golden trajectory from the user's own, unchanged training loop.

The recorder attaches to the optimizer through torch's step hooks
(`register_step_pre_hook`, `register_step_post_hook`), which every `torch.optim.Optimizer`
subclass runs around its `step()`:

- before step t: groups that joined since the last step (`add_param_group`) are noted;
  each recorded parameter's gradient is copied (dense, or sparse with its mask), and each
  group's `lr` (and `betas`/`momentum`) while the step runs. In closure mode the closure is
  wrapped, so that every call's parameters, loss and gradients are recorded too.
- after step t: each parameter's value and `optimizer.state[p]`.

Rows stream into a spool on disk (`fixture.py`), so memory does not grow with the number
of steps; the fixture is written when the block ends, to a temporary name and renamed, and
an exception inside the block leaves no file under the final name.
"""

from __future__ import annotations

import fnmatch
import math
import os
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import torch
from torch.optim import Optimizer

from .fingerprints import sqrt_fingerprints
from .fixture import SCHEDULED_KEYS, FixtureError, FixtureWriter, Header, Objective
from .provenance import reference_info
from .values import TENSOR_HYPERPARAMETERS, gradient, group_value, hyperparameters, json_value, state_value, to_numpy

DTYPES = {torch.float32: "float32", torch.float64: "float64"}
NamedParameters = Iterable[tuple[str, torch.Tensor]] | Mapping[str, torch.Tensor]


class record:  # noqa: N801 - used as `with lockstep.record(...)`, like a function
    """Records `optimizer` into the fixture `path` while the `with` block runs.

    Args:
        optimizer: any `torch.optim.Optimizer` (a subclass of one's own included), or a
            `ZeroRedundancyOptimizer`, whose every rank then records its own shard into its
            own file (`path` with `{rank}` replaced, or `.rank<r>` before the suffix); a
            rank whose shard holds no parameter writes nothing.
        path: the fixture to write.
        names: `model.named_parameters()` (or a name → parameter mapping): the names under
            `/params`. Default: the groups' `param_names`, else `param0`, `param1`, ...
        scheduler: the LR scheduler the loop steps, if any: its learning rates (and betas,
            momentum) are recorded per step; `ReduceLROnPlateau`'s metric too.
        scheduler_spec: the scheduler as the format describes it (extension 9,
            `{"name": "StepLR", "step_size": 7}`), written so that the replay also checks
            the Swift scheduler; without it the replay follows the recorded rates.
        optimizer_name: the `optimizer` attribute (default: the class name).
        params: name patterns (`fnmatch`, e.g. `"encoder.*"`): record only the matching
            parameters (a slice of a large model); groups left empty are dropped.
        steps: the steps to record, 1-based, counted from the first `step()` in the block
            (`range(101, 111)`); the state before the first is recorded too (extension 13).
        evaluations: in closure mode, record every closure call (extension 12), so the
            replay answers the optimizer's calls with torch's values.
        objective: in closure mode, a built-in objective (extension 5) instead.
        rank: under `torch.distributed` (DDP), the rank that writes (default 0); the others
            record nothing. Ignored for `ZeroRedundancyOptimizer` (every rank writes).
        description, case, seed, tolerance, reference, implementation, compress: root
            attributes and provenance (`docs/fixture-format.md`).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        path: str | os.PathLike[str],
        *,
        names: NamedParameters | None = None,
        scheduler: Any = None,
        scheduler_spec: Mapping[str, Any] | None = None,
        optimizer_name: str | None = None,
        params: str | Sequence[str] | None = None,
        steps: range | tuple[int, int] | None = None,
        evaluations: bool = True,
        objective: Objective | None = None,
        rank: int = 0,
        description: str | None = None,
        case: str | None = None,
        seed: int | None = None,
        tolerance: Mapping[str, float] | None = None,
        reference: Mapping[str, Any] | None = None,
        implementation: str | None = None,
        compress: bool = False,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"lockstep.record: {type(optimizer).__name__} is not a torch.optim.Optimizer")
        self.path = Path(path)
        self._optimizer, self.path, self._active = _target(optimizer, self.path, rank)
        self._names = _name_map(names)
        self._scheduler = scheduler
        self._scheduler_spec = dict(scheduler_spec) if scheduler_spec is not None else None
        self._optimizer_name = optimizer_name or type(self._optimizer).__name__
        self._patterns = [params] if isinstance(params, str) else list(params or ())
        self._window = _window(steps)
        self._evaluations = evaluations and objective is None
        self._objective = objective
        self._header = dict(description=description, case=case, seed=seed, tolerance=tolerance)
        self._reference = dict(reference or {})
        self._implementation = implementation
        self._compress = compress
        self._writer: FixtureWriter | None = None
        self._handles: list[Any] = []
        self._restore: list[Callable[[], None]] = []
        self._calls = 0  # step() calls seen in the block
        self._recording = False  # whether the current step is recorded
        self._mode: str | None = None
        self._closure_calls = 0
        self._groups: list[dict[str, Any]] = []  # param_groups entries, in joining order
        self._group_ids: list[int] = []  # id() of each optimizer group seen
        self._recorded_groups: list[dict[str, Any]] = []  # the optimizer's groups that hold recorded params
        self._previous: list[dict[str, Any]] = []
        self._tracked: dict[int, str] = {}  # id(param) -> name, recorded params
        self._lr_moves = False
        self._groups_joined = False
        self._first: dict[tuple[str, int], Any] = {}  # (betas|momentum, group) -> its first value
        self._scheduled_changes: set[str] = set()
        self._lacking: set[str] = set()
        self._entered: dict[int, dict[str, Any]] = {}
        if self._scheduler_spec is not None and self._window is not None and self._window[0] > 1:
            raise ValueError("lockstep.record: scheduler_spec describes a schedule from its first step; "
                             "it cannot go with a window that starts later (the recorded rates are replayed instead)")

    # -- the context manager ---------------------------------------------------------------

    def __enter__(self) -> record:
        if not self._active:
            return self
        opt = self._optimizer
        # The groups' values as the block begins, before a scheduler built inside it changes
        # them: what param_groups records when the recording starts at the first step.
        self._entered = {id(g): dict(hyperparameters(g)) for g in opt.param_groups}
        if self._scheduler_spec is not None:
            # A scheduler built before the block has already set lr; torch keeps the value it
            # started from as `initial_lr`, and that is what the described schedule starts from.
            for values in self._entered.values():
                if "initial_lr" in values:
                    values["lr"] = values["initial_lr"]
        self._handles = [opt.register_step_pre_hook(self._before), opt.register_step_post_hook(self._after)]
        # What step(closure) returned is not passed to a post hook: a wrapper on the instance sees it.
        bound = opt.step

        def step(_: Optimizer, *args: Any, **kwargs: Any) -> Any:
            out = bound(*args, **kwargs)
            if self._recording and self._mode == "closure":
                self._closure_returned(out)
            return out

        # torch's schedulers mark the `step` they wrapped (`_wrapped_by_lr_sched`) and warn when
        # it is gone: the marks carry over. A bound method, as they expect when they wrap it in turn.
        step.__dict__.update(getattr(getattr(bound, "__func__", bound), "__dict__", {}))
        self._restore.append(_replace_attribute(opt, "step", types.MethodType(step, opt)))
        self.watch_scheduler(self._scheduler)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        for handle in self._handles:
            handle.remove()
        for restore in self._restore:
            restore()
        writer = self._writer
        if writer is None:
            if kind is None and self._active:
                raise FixtureError(f"{self.path}: no step was recorded (the optimizer's step() never ran in the block"
                                   + (f" within steps {self._window[0]}...{self._window[1] - 1}" if self._window else "") + ")")
            return
        if kind is not None:
            writer.discard()
            return
        try:
            self._finish(writer)
        except BaseException:
            writer.discard()
            raise

    def watch_scheduler(self, scheduler: Any) -> None:
        """Records `scheduler` as if it had been passed as `scheduler=`; for a scheduler
        built inside the block (so that `param_groups` holds the values before it changed
        them, as `scheduler_spec` needs)."""
        if scheduler is None or not self._active:
            return
        self._scheduler = scheduler
        self._lr_moves = True  # /steps/lr is written whenever a scheduler is given
        scheduler_step = scheduler.step

        # Only ReduceLROnPlateau's step takes a metric (other schedulers' positional argument
        # is a deprecated epoch).
        takes_metric = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)

        def stepped(*args: Any, **kwargs: Any) -> Any:
            metric = args[0] if args else kwargs.get("metrics")
            if takes_metric and metric is not None and self._recording_started():
                self._writer_or_fail().set_steps("metric", _number(metric, f"{self.path}: /steps/metric"))
            return scheduler_step(*args, **kwargs)

        self._restore.append(_replace_attribute(scheduler, "step", stepped))

    @property
    def steps_recorded(self) -> int:
        return self._writer.steps if self._writer is not None else 0

    # -- hooks -----------------------------------------------------------------------------

    def _before(self, opt: Optimizer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        self._calls += 1
        t = self._calls
        self._recording = self._window is None or self._window[0] <= t < self._window[1]
        if not self._recording:
            return None
        closure = kwargs.get("closure", args[1] if len(args) > 1 else None)
        mode = "replay" if closure is None else "closure"
        if self._mode is None:
            self._mode = mode
        elif mode != self._mode:
            raise FixtureError(f"{self.path}: step {t} was called {'with' if closure else 'without'} a closure, "
                               f"earlier steps {'without' if closure else 'with'}; a fixture holds one mode")
        writer = self._writer or self._start(opt)
        self._join_groups(opt, writer)
        writer.begin_step()
        self._note_hyperparameters(writer)
        if mode == "replay":
            for p in self._recorded_params():
                name = self._tracked[id(p)]
                grad, mask = gradient(p, f"{self.path}: /params/{name}/grad")
                writer.set_grad(name, grad, mask)
            return None
        self._closure_calls = 0
        wrapped = self._wrap_closure(closure)
        if "closure" in kwargs:
            return args, {**kwargs, "closure": wrapped}
        return (args[0], wrapped, *args[2:]), kwargs

    def _after(self, opt: Optimizer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if not self._recording:
            return
        writer = self._writer_or_fail()
        for group in self._recorded_groups:
            for p in group["params"]:
                name = self._tracked.get(id(p))
                if name is None:
                    continue
                writer.set_param(name, to_numpy(p))
                for key, value in opt.state.get(p, {}).items():
                    where = f"{self.path}: /params/{name}/state/{key}"
                    array, padded = state_value(str(key), value, group, where)
                    if array is not None:
                        writer.set_state(name, str(key), array, padded_list=padded)

    def _wrap_closure(self, closure: Callable[[], Any]) -> Callable[[], Any]:
        writer = self._writer_or_fail()
        params = self._recorded_params()

        def recorded() -> Any:
            at = {self._tracked[id(p)]: to_numpy(p) for p in params} if self._evaluations else {}
            loss = closure()
            self._closure_calls += 1
            if self._evaluations:
                grads = {self._tracked[id(p)]: gradient(p, f"{self.path}: /params/{self._tracked[id(p)]}/evaluations/grad")[0]
                         for p in params}
                writer.add_evaluation(_number(loss, f"{self.path}: /evaluations/loss"), at, grads)
            return loss

        return recorded

    def _closure_returned(self, out: Any) -> None:
        if out is None:
            raise FixtureError(f"{self.path}: /steps/loss: step(closure) returned None; closure mode records the loss it returns")
        self._writer_or_fail().set_closure(_number(out, f"{self.path}: /steps/loss"), self._closure_calls)

    # -- the first recorded step, groups and hyperparameters -------------------------------

    def _start(self, opt: Optimizer) -> FixtureWriter:
        if self._mode == "closure" and self._patterns:
            raise FixtureError(f"{self.path}: closure mode records every parameter (the closure computes all of them); "
                               "drop params=")
        dtype = self._dtype(opt)
        reference = reference_info(opt, self._implementation)
        reference.update(self._reference)
        header = Header(optimizer=self._optimizer_name, dtype=dtype, mode=self._mode or "replay", reference=reference,
                        scheduler=self._scheduler_spec, **self._header)
        writer = self._writer = FixtureWriter(self.path, header, compress=self._compress)
        writer.objective = self._objective
        writer.fingerprints = sqrt_fingerprints()
        return writer

    def _join_groups(self, opt: Optimizer, writer: FixtureWriter) -> None:
        """Notes the groups not seen yet: all of them at the first recorded step, later the
        ones `add_param_group` added; their parameters join the fixture."""
        first = not self._group_ids
        if not first and len(opt.param_groups) > len(self._group_ids):
            self._dtype(opt)  # a group added later: its parameters must have the file's dtype too
        for group in opt.param_groups:
            if id(group) in self._group_ids:
                continue
            self._group_ids.append(id(group))
            names = self._select(group, len(self._group_ids) - 1)
            if not names:
                continue
            for p, name in names:
                self._tracked[id(p)] = name
                writer.add_param(name, to_numpy(p))
                if first and _has_stepped(opt):
                    self._initial_state(opt, p, name, group, writer)
            starts_at_one = self._window is None or self._window[0] == 1
            values = (self._entered.get(id(group)) if first and starts_at_one else None) or hyperparameters(group)
            entry, tensors = {}, {}
            for key, value in values.items():
                if key in opt.defaults:
                    entry[key], dtype = group_value(value, f"{self.path}: param_groups[{len(self._groups)}][{key!r}]")
                    if dtype is not None:
                        tensors[key] = dtype
            if tensors:
                entry[TENSOR_HYPERPARAMETERS] = tensors  # extension 16
            selected = {id(p) for p, _ in names}
            if "param_names" in group:
                entry["param_names"] = [n for p, n in zip(group["params"], group["param_names"], strict=False) if id(p) in selected]
            entry["params"] = [name for _, name in names]
            if not first:
                entry["added_at_step"] = writer.steps + 1
                self._groups_joined = True
            self._groups.append(entry)
            self._recorded_groups.append(group)
            self._previous.append(dict(values))

    def _initial_state(self, opt: Optimizer, p: torch.Tensor, name: str, group: Mapping[str, Any], writer: FixtureWriter) -> None:
        for key, value in opt.state.get(p, {}).items():
            array, _ = state_value(str(key), value, group, f"{self.path}: /params/{name}/initial_state/{key}")
            if array is not None:
                writer.set_initial_state(name, str(key), array)

    def _select(self, group: Mapping[str, Any], index: int) -> list[tuple[torch.Tensor, str]]:
        chosen = []
        given = group.get("param_names")
        for position, p in enumerate(group["params"]):
            name = self._names.get(id(p)) if self._names else None
            if name is None and not self._names:
                name = given[position] if given else f"param{len(self._tracked) + len(chosen)}"
            if name is None:
                raise FixtureError(f"{self.path}: parameter {position} of param group {index} (shape {list(p.shape)}) "
                                   "is not in names=; pass names covering every parameter of the optimizer")
            if not self._patterns or any(fnmatch.fnmatchcase(name, pattern) for pattern in self._patterns):
                chosen.append((p, name))
        return chosen

    def _note_hyperparameters(self, writer: FixtureWriter) -> None:
        """Each group's lr (and betas, momentum) while this step runs; refuses a change of
        any other hyperparameter, which the format cannot carry."""
        lrs, scheduled = [], {key: [] for key in SCHEDULED_KEYS}
        defaults = self._optimizer.defaults
        for index, group in enumerate(self._recorded_groups):
            now = hyperparameters(group)
            for key, value in now.items():
                before = self._previous[index].get(key)
                if key == "lr":
                    self._lr_moves |= not _same(value, before)
                elif key in defaults and key not in SCHEDULED_KEYS and not _same(value, before):
                    raise FixtureError(f"{self.path}: param_groups[{index}][{key!r}] changed from {before!r} to {value!r} "
                                       f"before step {writer.steps}; the format records per-step lr, betas and momentum only")
            self._previous[index] = dict(now)
            lrs.append(_number(group["lr"], f"{self.path}: param_groups[{index}]['lr']"))
            for key, values in scheduled.items():
                value = json_value(group.get(key), f"{self.path}: param_groups[{index}][{key!r}]")
                values.append(value)
                # Written only when every group has the key and one group's value changed.
                if value is None:
                    self._lacking.add(key)
                elif self._first.setdefault((key, index), value) != value:
                    self._scheduled_changes.add(key)
        writer.set_steps("lr", lrs)
        for key, values in scheduled.items():
            writer.set_steps(key, values)

    def _finish(self, writer: FixtureWriter) -> None:
        if not (self._lr_moves or self._groups_joined):
            writer.drop_steps("lr")
        for key in SCHEDULED_KEYS:
            if key in self._lacking or key not in self._scheduled_changes:
                writer.drop_steps(key)
        if self._mode == "closure" and writer.closure_steps != writer.steps:
            raise FixtureError(f"{self.path}: /steps/loss: {writer.steps} steps ran but {writer.closure_steps} returned "
                               "through the optimizer's step(); call optimizer.step(closure) inside the block")
        writer.finish(self._groups)

    # -- helpers ---------------------------------------------------------------------------

    def _recorded_params(self) -> list[torch.Tensor]:
        return [p for group in self._recorded_groups for p in group["params"] if id(p) in self._tracked]

    def _dtype(self, opt: Optimizer) -> str:
        dtypes = {}
        for group in opt.param_groups:
            for p in group["params"]:
                dtypes.setdefault(p.dtype, p)
        if len(dtypes) != 1 or next(iter(dtypes)) not in DTYPES:
            found = ", ".join(str(d).removeprefix("torch.") for d in dtypes)
            raise FixtureError(f"{self.path}: the parameters are {found}; a fixture holds float32 or float64 parameters, "
                               "all of one dtype")
        return DTYPES[next(iter(dtypes))]

    def _recording_started(self) -> bool:
        return self._writer is not None and self._recording

    def _writer_or_fail(self) -> FixtureWriter:
        if self._writer is None:
            raise FixtureError(f"{self.path}: the recording has not started")
        return self._writer


def _has_stepped(opt: Optimizer) -> bool:
    """Whether the state holds more than a fresh optimizer's: any entry at all, except where
    every parameter's `step` is still 0 (Adagrad creates its state in the constructor)."""
    states = [state for state in opt.state.values() if state]
    if not states:
        return False
    return not all("step" in state and float(state["step"]) == 0 for state in states)


def _target(optimizer: Optimizer, path: Path, rank: int) -> tuple[Optimizer, Path, bool]:
    """The optimizer the hooks go on, the file this process writes, and whether it writes."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return optimizer, path, True
    this_rank = dist.get_rank()
    from torch.distributed.optim import ZeroRedundancyOptimizer

    text = str(path)
    if isinstance(optimizer, ZeroRedundancyOptimizer):
        if getattr(optimizer, "_overlap_with_ddp", False):
            raise TypeError("lockstep.record: ZeroRedundancyOptimizer(overlap_with_ddp=True) steps a functional optimizer "
                            "inside DDP's communication hook, without step hooks; it cannot be recorded")
        # Each rank's local optimizer holds its shard of the parameters and of the state.
        shard = Path(text.replace("{rank}", str(this_rank))) if "{rank}" in text else path.with_suffix(f".rank{this_rank}{path.suffix}")
        # A rank whose shard is empty (more ranks than parameters) has nothing to record.
        holds = any(len(group["params"]) > 0 for group in optimizer.optim.param_groups)
        return optimizer.optim, shard, holds
    return optimizer, Path(text.replace("{rank}", str(this_rank))), this_rank == rank


def _replace_attribute(owner: Any, name: str, value: Any) -> Callable[[], None]:
    """Sets an instance attribute (a scheduler may already have wrapped `optimizer.step`
    on the instance) and returns what puts the previous one back."""
    missing = object()
    previous = owner.__dict__.get(name, missing)
    setattr(owner, name, value)

    def restore() -> None:
        if previous is missing:
            owner.__dict__.pop(name, None)
        else:
            setattr(owner, name, previous)

    return restore


def _name_map(names: NamedParameters | None) -> dict[int, str]:
    if names is None:
        return {}
    pairs = names.items() if isinstance(names, Mapping) else names
    return {id(p): str(name) for name, p in pairs}


def _window(steps: range | tuple[int, int] | None) -> tuple[int, int] | None:
    if steps is None:
        return None
    if isinstance(steps, range):
        if steps.step != 1:
            raise ValueError(f"lockstep.record: steps={steps} must be contiguous (step 1)")
        start, stop = steps.start, steps.stop
    else:
        start, stop = steps
    if not 1 <= start < stop:
        raise ValueError(f"lockstep.record: steps must be a non-empty 1-based range, not {start}...{stop - 1}")
    return start, stop


def _number(value: Any, where: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise FixtureError(f"{where}: a tensor of {value.numel()} elements is not a number")
        return float(value.detach().cpu().item())
    if isinstance(value, (int, float)):
        return float(value)
    raise FixtureError(f"{where}: {type(value).__name__} is not a number")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return a is b
    try:
        return bool(a == b) or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    except Exception:  # noqa: BLE001 - values that cannot compare are different
        return False


