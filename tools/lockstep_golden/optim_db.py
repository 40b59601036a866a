"""Goldens generated from torch's own optimizer test database, `optim_db`.

`torch.testing._internal.common_optimizers.optim_db` holds one `OptimizerInfo` per
`torch.optim` optimizer: `optim_inputs_func` (the configurations torch's tests run),
`supported_impls` and `supports_fused_on` (the implementation flags), and
`optim_error_inputs_func` (invalid inputs with the error torch raises). This module reads
that database at run time (nothing of it is copied here) and turns it into:

- one golden per (optimizer, configuration, CPU path, dtype), written to
  `fixtures/optim_db/optimdb_<optimizer>_<desc-slug>_<path>_<f32|f64>.h5`;
- `fixtures/optim_db/cases.json`: every combination, recorded or skipped, with the reason;
- `fixtures/optim_db/errors.json`: torch's verdict on every error input.

Paths. torch's CPU tests add the "global cliquey" flags on top of each configuration
(`_get_optim_inputs_including_global_cliquey_kwargs`): the base configuration with every
flag of `supported_impls` False, then one configuration per flag set True, `fused` only
where `supports_fused_on` names the device. That helper also drops `foreach` on CPU (CPU
has no foreach kernels), but `foreach=True` runs on CPU tensors through torch's per-tensor
fallback of the `_foreach_*` ops, a path of its own that Lockstep reproduces, so it is kept
here. A configuration names no flag: `forloop` is the base configuration. Flags a
configuration cannot take on CPU (`capturable=True`, a flag outside `supported_impls`,
`fused` off `supports_fused_on`) are skipped and listed with the reason.

What every case holds: a (3, 4) weight `w`, a (5,) bias `b` and a 0-dim `s` (Muon: 2-D
parameters only, `w` (3, 4) and `m` (4, 2); SparseAdam: `w` and `b`, both with row-sparse
gradients), in two param groups (both taking the configuration's keyword arguments, which
are the constructor's defaults) where `supports_param_groups`, `b` (Muon: `m`) without a
gradient at step 3, 8 steps of the seeded gradient stream (`gradients.py`), the same seed
for every path and dtype of a configuration, recorded at AVX2 with gzip. LBFGS
(`step_requires_closure`) minimises the quadratic of `objectives.py` over the 9 elements
of `w` (2, 3), `b` (2,) and `s` in one group (its history holds 100 rows of every element
per step: the smaller variable halves its files). The differentiable path runs on plain tensors (torch refuses
an in-place update of a leaf that requires grad under `differentiable=True`); the values
are the same.

A tensor learning rate (`lr=torch.tensor(0.001)`, a 0-dim float32 tensor, several
configurations) is recorded as torch holds it: `lockstep.record` writes its value as a
number in `param_groups` and the group's `"tensor_hyperparameters": {"lr": "float32"}`
(format extension 16), and the replay computes with it where torch does (Adagrad, Muon,
SparseAdam, LBFGS; SGD's arithmetic is a float's). In `cases.json` and `errors.json` a
tensor argument is described in place, `{"tensor": shape, "dtype": ..., "values": [...]}`,
so the multi-element learning rates torch refuses (`Tensor lr must be 1-element`) are
carried too.
"""

from __future__ import annotations

import copy
import json
import math
import re
import warnings
import zlib
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path
from typing import Any

import lockstep

SUBDIR = "optim_db"
ERRORS_FILE = "errors.json"
MANIFEST_FILE = "cases.json"
STEPS = 8
CAPABILITY = "avx2"
DTYPES = ("float32", "float64")
PATHS = ("forloop", "foreach", "fused", "differentiable")
FLAGS = ("foreach", "fused", "differentiable")
GAP_STEP = 3
# The dtype torch's own test_errors runs the error inputs at (`@optims` default).
ERRORS_DTYPE = "float32"


@dataclass(frozen=True)
class Entry:
    """One combination of the database: recorded when `skipped` is None."""

    name: str
    optimizer: str
    config: int  # position in optim_inputs_func(device="cpu", dtype=...)
    desc: str
    path: str
    dtype: str
    skipped: str | None = None

    @property
    def seed(self) -> int:
        """The same for every path and dtype of a configuration."""
        return zlib.crc32(f"{self.optimizer}/{self.desc}".encode()) % 1_000_000


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _infos() -> list[Any]:
    from torch.testing._internal.common_optimizers import optim_db

    return list(optim_db)


def _info(name: str) -> Any:
    return next(info for info in _infos() if info.name == name)


def _configs(info: Any, dtype: str) -> list[Any]:
    import torch

    return info.optim_inputs_func(device="cpu", dtype=getattr(torch, dtype))


def path_kwargs(info: Any, config: Any, path: str) -> dict[str, Any]:
    """The configuration's keyword arguments with the implementation flags of `path`, as
    torch's `_get_optim_inputs_including_global_cliquey_kwargs` sets them."""
    kwargs = copy.deepcopy(config.kwargs)
    for flag in info.supported_impls:
        kwargs[flag] = False
    if path != "forloop":
        kwargs[path] = True
    return kwargs


def _skip_reason(info: Any, config: Any, path: str) -> str | None:
    if config.kwargs.get("capturable"):
        return "capturable=True needs a CUDA/XLA device; Lockstep records torch's CPU paths"
    if path == "forloop":
        return None
    if path not in info.supported_impls:
        impls = ", ".join(info.supported_impls) or "none"
        return f"torch.optim.{info.name} has no {path} implementation (optim_db supported_impls: {impls})"
    if path == "fused" and "cpu" not in info.supports_fused_on:
        return f"torch.optim.{info.name}'s fused kernel does not run on CPU (supports_fused_on: {', '.join(info.supports_fused_on)})"
    return None


@cache
def entries() -> tuple[Entry, ...]:
    """Every (optimizer, configuration, path, dtype) of the database, in database order."""
    out: list[Entry] = []
    for info in _infos():
        for dtype in DTYPES:
            for index, config in enumerate(_configs(info, dtype)):
                for path in PATHS:
                    name = f"optimdb_{info.name.lower()}_{slug(config.desc)}_{path}_{'f32' if dtype == 'float32' else 'f64'}"
                    out.append(Entry(name, info.name, index, config.desc, path, dtype, _skip_reason(info, config, path)))
    names = [e.name for e in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"optim_db case names repeat: {repeated}")
    return tuple(out)


def cases() -> list[lockstep.Case]:
    """The recorded entries as `lockstep.Case`s pinned to AVX2."""
    return [lockstep.Case(e.name, partial(record, e), CAPABILITY, describe(e)) for e in entries() if e.skipped is None]


# -- one case -------------------------------------------------------------------------------

def _params(info: Any) -> tuple[tuple[tuple[str, tuple[int, ...]], ...], tuple[tuple[str, ...], ...], str | None]:
    """(name, shape) of the parameters, the param groups, the parameter with a gap."""
    if info.name == "Muon":
        return (("w", (3, 4)), ("m", (4, 2))), (("w",), ("m",)), "m"
    if info.only_supports_sparse_grads:
        return (("w", (3, 4)), ("b", (5,))), (("w",), ("b",)), "b"
    if info.step_requires_closure:
        # LBFGS keeps history_size (100) rows of every element per step: a smaller variable.
        return (("w", (2, 3)), ("b", (2,)), ("s", ())), (("w", "b", "s"),), None
    params = (("w", (3, 4)), ("b", (5,)), ("s", ()))
    if not info.supports_param_groups:
        return params, (("w", "b", "s"),), "b"
    return params, (("w", "b"), ("s",)), "b"


def describe(entry: Entry) -> str:
    info = _info(entry.optimizer)
    config = _configs(info, entry.dtype)[entry.config]
    kwargs = path_kwargs(info, config, entry.path)
    params, groups, gap = _params(info)
    shapes = ", ".join(f"{n}{list(s)}" for n, s in params)
    what = (f"torch optim_db {entry.optimizer} {entry.desc!r} ({_kwargs_text(kwargs)}), {entry.path} path, {entry.dtype}; "
            f"{shapes} in {len(groups)} group(s)")
    if info.step_requires_closure:
        return f"{what}, step(closure) on a {sum(math.prod(s) for _, s in params)}-d quadratic, {STEPS} steps"
    return f"{what}, {gap} without grad at step {GAP_STEP}, {STEPS} steps"


def _kwargs_text(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_value_text(v)}" for k, v in kwargs.items()) or "defaults"


def _value_text(value: Any) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return f"tensor({value.tolist()}, {str(value.dtype).removeprefix('torch.')})"
    if isinstance(value, tuple):
        return "(" + ", ".join(_value_text(v) for v in value) + ")"
    return repr(value)


def record(entry: Entry, path: Path) -> None:
    """Records `entry` into `path` (in a process whose capability the caller checked)."""
    import torch

    from . import objectives
    from .gradients import GradientStream, SparseRows
    from .record import _set_gradients
    from .spec import Case, Group, ObjectiveSpec, Param

    torch.set_num_threads(1)
    info = _info(entry.optimizer)
    config = _configs(info, entry.dtype)[entry.config]
    kwargs = path_kwargs(info, config, entry.path)
    dtype = getattr(torch, entry.dtype)
    params, groups, gap = _params(info)
    closure_mode = bool(info.step_requires_closure)
    size = sum(math.prod(shape) for _, shape in params)
    objective_spec = ObjectiveSpec("quadratic", size=size) if closure_mode else None
    # The spec validates the layout and drives the gradient stream (`record._set_gradients`).
    spec = Case(
        name=entry.name, description=describe(entry), optimizer=entry.optimizer, dtype=entry.dtype,  # type: ignore[arg-type]
        implementation="forloop" if entry.path == "differentiable" else entry.path,  # type: ignore[arg-type]
        steps=STEPS, seed=entry.seed, params=tuple(Param(n, s) for n, s in params),
        groups=tuple(Group(params=g) for g in groups),
        missing_grads={gap: (GAP_STEP,)} if gap and not closure_mode else {},
        sparse_grads=tuple(n for n, _ in params) if info.only_supports_sparse_grads else (),
        cpu_capability=CAPABILITY, compress=True,
        mode="closure" if closure_mode else "replay", objective=objective_spec,
    )
    # differentiable=True refuses an in-place update of a leaf that requires grad: plain tensors.
    make = (lambda v: v) if entry.path == "differentiable" else torch.nn.Parameter
    torch.manual_seed(spec.seed)
    if closure_mode:
        assert objective_spec is not None
        objective = objectives.build(objective_spec, spec.seed, dtype)
        values = objectives.split(objective.initial, [s for _, s in params])
    else:
        values = [torch.randn(shape, dtype=dtype) for _, shape in params]
    tensors = {name: make(v) for (name, _), v in zip(params, values, strict=True)}
    optimizer = info.optim_cls([{"params": [tensors[n] for n in g]} for g in groups], **kwargs)

    # case, seed and the configuration live in `reference`, not in the optional root attributes
    # `case`, `seed`, `description`: with the 8 required ones, HDF5 keeps the root's attributes
    # compact in its object header; a 9th moves them into a fractal heap and B-tree, 2.8 KB more
    # per file, a fifth of these small files (the description is in cases.json).
    reference: dict[str, Any] = {"optim_db": {"case": entry.name, "optimizer": entry.optimizer, "desc": entry.desc,
                                              "path": entry.path, "seed": entry.seed}}
    extra: dict[str, Any] = {}
    if closure_mode:
        data = {name: array.copy() for name, array in objectives.datasets(objective).items()}
        extra["objective"] = lockstep.Objective(kind=objective.kind, data=data, attrs=objective.attrs)
    recording = lockstep.record(
        optimizer, path, names=tensors, optimizer_name=entry.optimizer, implementation=spec.implementation,
        reference=reference, compress=True, **extra)
    with recording:
        if closure_mode:
            closure = objectives.closure(objective, list(tensors.values()), [s for _, s in params])
            for _ in range(STEPS):
                optimizer.step(closure)
        else:
            gradients, rows = GradientStream(spec.seed, dtype), SparseRows(spec.seed)
            for t in range(1, STEPS + 1):
                _set_gradients(spec, t, tensors, gradients, rows)  # type: ignore[arg-type]
                optimizer.step()


# -- the manifest ---------------------------------------------------------------------------

def manifest() -> dict[str, Any]:
    """Every combination: its configuration, and the file or the reason it has none."""
    import torch

    rows = []
    for e in entries():
        info = _info(e.optimizer)
        kwargs = path_kwargs(info, _configs(info, e.dtype)[e.config], e.path)
        row: dict[str, Any] = {"name": e.name, "optimizer": e.optimizer, "config": e.config, "desc": e.desc,
                               "path": e.path, "dtype": e.dtype}
        row.update(_json_kwargs(kwargs))
        if e.skipped is None:
            row["file"] = f"{e.name}.h5"
            row["seed"] = e.seed
        else:
            row["skipped"] = e.skipped
        rows.append(row)
    return {
        "format": "lockstep-optim-db",
        "reference": {"library": "torch", "version": str(torch.__version__), "source": "torch.testing._internal.common_optimizers.optim_db",
                      "cpu_capability": CAPABILITY},
        "steps": STEPS,
        "recorded": sum(1 for e in entries() if e.skipped is None),
        "skipped": sum(1 for e in entries() if e.skipped is not None),
        "cases": rows,
    }


def _json_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`{"kwargs": ...}` when JSON holds them as torch has them (a float32/float64 tensor as
    `{"tensor": shape, "dtype": ..., "values": [...]}`), else `kwargs_repr` with
    `json_representable: false` (a set, another tensor type, ...)."""
    import torch

    def plain(value: Any) -> bool:
        if isinstance(value, (bool, int, str, float)) or value is None:
            return True
        if isinstance(value, torch.Tensor):
            return value.dtype in (torch.float32, torch.float64) and value.layout == torch.strided
        if isinstance(value, (tuple, list)):
            return all(plain(v) for v in value)
        return False

    def as_json(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return {"tensor": list(value.shape), "dtype": str(value.dtype).removeprefix("torch."),
                    "values": value.detach().reshape(-1).tolist()}
        if isinstance(value, (tuple, list)):
            return [as_json(v) for v in value]
        return value

    if all(plain(v) for v in kwargs.values()):
        return {"kwargs": {k: as_json(v) for k, v in kwargs.items()}}
    return {"kwargs_repr": "{" + ", ".join(f"{k!r}: {_value_text(v)}" for k, v in kwargs.items()) + "}",
            "json_representable": False}


# -- the error inputs -----------------------------------------------------------------------

def record_errors() -> dict[str, Any]:
    """torch's verdict on every `optim_error_inputs_func` entry, run as torch's `test_errors`
    runs it: the params and kwargs as given (`params` None included: the hyperparameter
    checks come first), then `step()` for an error expected there."""
    import torch
    from torch.testing._internal.common_optimizers import OptimizerErrorEnum

    torch.manual_seed(0)
    cases = []
    for info in _infos():
        if info.optim_error_inputs_func is None:
            continue
        for error_input in info.optim_error_inputs_func(device="cpu", dtype=getattr(torch, ERRORS_DTYPE)):
            given = error_input.optimizer_error_input
            expected_on = "step" if error_input.error_on == OptimizerErrorEnum.STEP_ERROR else "construction"
            row: dict[str, Any] = {"optimizer": info.name, "desc": given.desc}
            row.update(_json_kwargs(given.kwargs))
            row["params"] = _params_json(given.params)
            row["expected"] = {"on": expected_on, "type": error_input.error_type.__name__, "regex": error_input.error_regex}
            row.update(_verdict(info, given.params, given.kwargs, expected_on))
            got = row.get("error") or row.get("warning")
            row["as_expected"] = (got is not None and got["type"] == row["expected"]["type"]
                                  and (row.get("raised_at") or row.get("warned_at")) == expected_on
                                  and re.search(error_input.error_regex, got["message"]) is not None)
            cases.append(row)
    return {
        "format": "lockstep-validation",
        "reference": {"library": "torch", "version": str(torch.__version__),
                      "source": "torch.testing._internal.common_optimizers.optim_db: optim_error_inputs_func(device='cpu')",
                      "dtype": ERRORS_DTYPE},
        "optimizers": [info.name for info in _infos()],
        "cases": cases,
    }


def _verdict(info: Any, params: Any, kwargs: dict[str, Any], expected_on: str) -> dict[str, Any]:
    """What torch did: `error` (type, message) or a `warning`, and `raised_at`."""
    def caught(error: BaseException, at: str, seen: list[warnings.WarningMessage]) -> dict[str, Any]:
        out: dict[str, Any] = {"error": {"type": type(error).__name__, "message": str(error)}, "raised_at": at}
        out.update(_warned(seen))
        return out

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            optimizer = info.optim_cls(params, **kwargs)
        except Exception as error:  # noqa: BLE001 - torch's verdict, whatever it is, is the data
            return caught(error, "construction", seen)
        constructed = list(seen)
        if expected_on != "step":
            return {"error": None, "raised_at": None, **_warned(constructed, "construction")}
        try:
            if info.step_requires_closure:
                optimizer.step(lambda: 0.0)
            else:
                optimizer.step()
        except Exception as error:  # noqa: BLE001
            return caught(error, "step", seen)
        return {"error": None, "raised_at": None, **_warned(seen, "step" if len(seen) > len(constructed) else "construction")}


def _warned(seen: list[warnings.WarningMessage], at: str | None = None) -> dict[str, Any]:
    if not seen:
        return {}
    warning = seen[0]
    out: dict[str, Any] = {"warning": {"type": warning.category.__name__, "message": str(warning.message)}}
    if at is not None:
        out["warned_at"] = at
    return out


def _params_json(params: Any) -> Any:
    """The params argument: null (torch's test passes None), or its structure with each
    tensor described (`{"tensor": [shape], "dtype": ..., "layout": ...}`);
    `json_representable: false` where a replay could not build it from that description
    (a bare tensor, a set, a sparse or complex tensor)."""
    import torch

    if params is None:
        return None
    representable = True

    def walk(value: Any) -> Any:
        nonlocal representable
        if isinstance(value, torch.Tensor):
            described: dict[str, Any] = {"tensor": list(value.shape), "dtype": str(value.dtype).removeprefix("torch.")}
            if value.layout != torch.strided:
                described["layout"] = str(value.layout).removeprefix("torch.")
                representable = False
            if value.is_complex():
                representable = False
            return described
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, (set, frozenset)):
            representable = False
            return {"set": [walk(v) for v in value]}
        return value

    structure = walk(params)
    if isinstance(params, torch.Tensor):
        representable = False  # a bare tensor where an iterable is required
    shared = _repeated_tensors(params)
    out: dict[str, Any] = {"structure": structure, "json_representable": representable}
    if shared:
        out["same_tensor_at"] = shared
    return out


def _repeated_tensors(params: Any) -> list[list[str]]:
    """Positions (JSON-pointer-like) that hold the same tensor object, for the duplicate cases."""
    import torch

    where: dict[int, list[str]] = {}

    def walk(value: Any, at: str) -> None:
        if isinstance(value, torch.Tensor):
            where.setdefault(id(value), []).append(at or "/")
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{at}/{k}")
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(v, f"{at}/{i}")

    walk(params, "")
    return [paths for paths in where.values() if len(paths) > 1]


def manifest_text() -> str:
    """cases.json: indented as the other JSON files, but one line per combination."""
    document = manifest()
    rows = document.pop("cases")
    head = json.dumps(document, indent=1)[:-2]  # without the closing "\n}"
    lines = ",\n  ".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return f'{head},\n "cases": [\n  {lines}\n ]\n}}\n'


def write_documents(folder: Path) -> list[Path]:
    """Writes errors.json and cases.json into `folder` (each atomically)."""
    from .errors import write_json, write_text

    errors_path, manifest_path = folder / ERRORS_FILE, folder / MANIFEST_FILE
    write_json(errors_path, record_errors())
    write_text(manifest_path, manifest_text())
    return [errors_path, manifest_path]

