"""Error parity: what torch's optimizer constructors accept and reject, recorded from torch.

For every optimizer in `torch.optim`, every numeric hyperparameter of its constructor (and
each element of a tuple-valued one) is tried with a ladder of values: negative, zero,
fractional, one, above one, NaN and ±infinity. A few cross-option cases are added by hand
(SGD's Nesterov rule, `fused` with `foreach`, Muon's coefficients). Each is passed to the
constructor over one [2, 3] parameter (or the shape a case names), and torch's verdict is written down: accepted, or the
exception's type and message. The Swift optimizers must give the same verdict, word for
word (`Tests/LockstepHarnessTests/ValidationParityTests.swift`).

The result is `fixtures/validation-errors.json`, written by `tools/golden --errors`.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

# Floats only, so torch formats them as Python floats ("-1.0"), as the Swift side does.
LADDER: tuple[float, ...] = (-1.0, -1e-3, 0.0, 0.5, 1.0, 2.0, math.nan, math.inf, -math.inf)
INTEGER_LADDER: tuple[int, ...] = (-1, 0, 1, 2)
# Hyperparameters that are counts in torch (printed as integers).
INTEGERS = {"max_iter", "max_eval", "history_size", "ns_steps"}
# Flags that select a path rather than a hyperparameter's value: not varied here (the
# optim_db goldens cover foreach, fused and differentiable; Lockstep refuses capturable).
SKIPPED = {"foreach", "fused", "capturable", "differentiable", "maximize"}

# Combinations that only fail together, or non-numeric values torch checks.
EXTRA: dict[str, list[dict[str, Any]]] = {
    "SGD": [
        {"nesterov": True},
        {"nesterov": True, "momentum": 0.9},
        {"nesterov": True, "momentum": 0.9, "dampening": 0.1},
        {"fused": True, "foreach": True},
    ],
    "Adam": [{"fused": True, "foreach": True}],
    "AdamW": [{"fused": True, "foreach": True}],
    "Adagrad": [{"fused": True, "foreach": True}],
    "Muon": [
        {"ns_coefficients": [3.4445, -4.775]},
        {"adjust_lr_fn": "original"},
        {"adjust_lr_fn": "match_rms_adamw"},
        {"adjust_lr_fn": "unknown"},
    ],
    "LBFGS": [{"line_search_fn": "strong_wolfe"}, {"line_search_fn": "armijo"}],
}
# Cases that need another parameter than the default [2, 3] one: (optimizer, shape, kwargs).
SHAPED: list[tuple[str, list[int], dict[str, Any]]] = [
    ("Muon", [6], {}),
    ("Muon", [2, 3, 4], {}),
]
PARAMETER_SHAPE = [2, 3]


def optimizer_names() -> list[str]:
    """Every optimizer class `torch.optim` exports, sorted."""
    return sorted(
        name for name in dir(torch.optim)
        if isinstance(getattr(torch.optim, name), type)
        and issubclass(getattr(torch.optim, name), torch.optim.Optimizer)
        and name != "Optimizer"
    )


def candidates(name: str) -> list[dict[str, Any]]:
    """The keyword arguments tried for optimizer `name`."""
    signature = inspect.signature(getattr(torch.optim, name).__init__)
    tried: list[dict[str, Any]] = []
    for key, parameter in signature.parameters.items():
        default = parameter.default
        if key in ("self", "params") or key in SKIPPED:
            continue
        if key in INTEGERS:
            tried += [{key: value} for value in INTEGER_LADDER]
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            tried += [{key: value} for value in LADDER]
        elif isinstance(default, tuple):
            for index, element in enumerate(default):
                if isinstance(element, (int, float)) and not isinstance(element, bool):
                    for value in LADDER:
                        replaced = list(default)
                        replaced[index] = value
                        tried.append({key: replaced})
    return tried + EXTRA.get(name, [])


def verdict(name: str, kwargs: dict[str, Any], shape: list[int]) -> dict[str, str] | None:
    """None when torch accepts `kwargs`, else the exception's type and message."""
    param = torch.nn.Parameter(torch.zeros(shape))
    arguments = {key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()}
    try:
        getattr(torch.optim, name)([param], **arguments)
    except Exception as error:  # noqa: BLE001 - torch's verdict, whatever it is, is the data
        return {"type": type(error).__name__, "message": str(error)}
    return None


def record_errors() -> dict[str, Any]:
    cases = [
        {"optimizer": name, "kwargs": kwargs, "error": verdict(name, kwargs, PARAMETER_SHAPE)}
        for name in optimizer_names()
        for kwargs in candidates(name)
    ]
    cases += [
        {"optimizer": name, "kwargs": kwargs, "parameter_shape": shape, "error": verdict(name, kwargs, shape)}
        for name, shape, kwargs in SHAPED
    ]
    return {
        "format": "lockstep-validation",
        "reference": {"library": "torch", "version": str(torch.__version__)},
        "optimizers": optimizer_names(),
        "parameter_shape": PARAMETER_SHAPE,
        "cases": cases,
    }


def write_errors(path: Path) -> None:
    """Writes the table to `path` atomically (temporary file, then rename)."""
    write_json(path, record_errors())


def write_json(path: Path, document: object, *, sort_keys: bool = False) -> None:
    """Writes `document` as indented JSON to `path` atomically (temporary file, then rename)."""
    write_text(path, json.dumps(document, indent=1, allow_nan=True, sort_keys=sort_keys) + "\n")


def write_text(path: Path, text: str) -> None:
    """Writes `text` to `path` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
