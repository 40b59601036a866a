"""Sparse-gradient parity: what each optimizer's `step()` does with a sparse gradient, recorded from torch.

For every optimizer in `torch.optim`, and the project's references (`HFAdamW`,
`ConjugateGradient`), one float32 parameter of shape [4, 3] (an embedding's rows) is given
a sparse COO gradient holding rows 0 and 2, coalesced (as `nn.Embedding(sparse=True)`
gives after coalescing), and `step()` is called twice. Each optimizer is tried in torch's
default configuration and with `foreach=True` and `fused=True` where its constructor takes
them, and with the options that change the verdict (SGD's momentum, dampening, Nesterov,
weight decay and maximize; Adagrad's weight decay, lr decay and maximize). Where sparse
gradients are accepted (SGD with momentum, Adagrad, SparseAdam), a dense gradient at one of
the two steps is tried too: a sparse momentum buffer then meets a dense gradient.
Optimizers whose `step` requires a closure (LBFGS, ConjugateGradient) call `step(closure)`,
the closure setting the sparse gradient of f(x) = ½ Σ x[r]² over the rows r = 0, 2.

torch's verdict is written down: accepted (with the state keys left holding a sparse
tensor), or the exception's type, message and the step (1 or 2) that raised it. A Lockstep
optimizer given the same gradients must give the same verdict, word for word.

The result is `fixtures/sparse-gradient-errors.json` (keys sorted), written by
`tools/golden --sparse-errors`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer

from .errors import optimizer_names
from .optimizers import REFERENCE_CLASSES

PARAMETER_SHAPE = [4, 3]
# The parameter before step 1, row-major.
INITIAL = [value / 10 for value in range(12)]
# The sparse gradient of every step: rows 0 and 2 (one stored value is an explicit zero).
ROWS = [0, 2]
VALUES = [[1.0, -2.0, 0.5], [0.25, 0.0, -1.0]]
SPARSE_STEPS = ("sparse", "sparse")
# A sparse momentum buffer or accumulator meeting a dense gradient, and the reverse.
MIXED_STEPS = (("sparse", "dense"), ("dense", "sparse"))

# Options besides the defaults that may change the verdict, by optimizer (each is tried
# with every implementation flag the optimizer takes).
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "SGD": [
        {"momentum": 0.9},
        {"momentum": 0.9, "dampening": 0.5},
        {"momentum": 0.9, "nesterov": True},
        {"weight_decay": 0.1},
        {"maximize": True},
    ],
    "Adagrad": [{"weight_decay": 0.1}, {"lr_decay": 0.1}, {"maximize": True}],
    "SparseAdam": [{"maximize": True}],
    "LBFGS": [{"line_search_fn": "strong_wolfe"}],
    "ConjugateGradient": [{"line_search_fn": "strong_wolfe"}],
}
# Configurations (by their options, without implementation flags) also stepped with MIXED_STEPS.
MIXED: dict[str, list[dict[str, Any]]] = {
    "SGD": [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}],
    "Adagrad": [{}],
    "SparseAdam": [{}],
}
IMPLEMENTATION_FLAGS = ("foreach", "fused")


def optimizer_classes() -> dict[str, type[Optimizer]]:
    """torch.optim's optimizers, sorted, then the project's references."""
    classes: dict[str, type[Optimizer]] = {name: getattr(torch.optim, name) for name in optimizer_names()}
    classes.update((name, cls) for name, (cls, _) in REFERENCE_CLASSES.items())
    return classes


def takes_closure(cls: type[Optimizer]) -> bool:
    """Whether `step` must be given a closure (LBFGS's contract)."""
    closure = inspect.signature(cls.step).parameters.get("closure")
    return closure is not None and closure.default is inspect.Parameter.empty


def configurations(name: str, cls: type[Optimizer]) -> list[tuple[dict[str, Any], tuple[str, ...]]]:
    """(constructor options, gradient layout at each step) tried for optimizer `name`."""
    accepted = inspect.signature(cls.__init__).parameters
    flags = [{}] + [{flag: True} for flag in IMPLEMENTATION_FLAGS if flag in accepted]
    tried = []
    for options in [{}, *VARIANTS.get(name, [])]:
        sequences = [SPARSE_STEPS, *(MIXED_STEPS if options in MIXED.get(name, []) else ())]
        tried += [({**options, **flag}, steps) for flag in flags for steps in sequences]
    return tried


def sparse_gradient(values: torch.Tensor) -> torch.Tensor:
    """`values` as the rows ROWS of a [4, 3] sparse COO tensor, coalesced."""
    indices = torch.tensor([ROWS])
    return torch.sparse_coo_tensor(indices, values, PARAMETER_SHAPE, is_coalesced=True)


def verdict(cls: type[Optimizer], kwargs: dict[str, Any], steps: tuple[str, ...]) -> dict[str, Any]:
    """Steps a fresh optimizer over one parameter with the gradients `steps` names; the
    exception torch raised (and at which step; 0: the constructor) or None, and the state
    keys holding a sparse tensor when every step was accepted."""
    param = torch.nn.Parameter(torch.tensor(INITIAL, dtype=torch.float32).reshape(PARAMETER_SHAPE))
    try:
        optimizer = cls([param], **kwargs)
    except Exception as error:  # noqa: BLE001 - torch's verdict, whatever it is, is the data
        return {"error": {"type": type(error).__name__, "message": str(error), "step": 0}, "sparse_state": None}
    closure = takes_closure(cls)
    for step, layout in enumerate(steps, start=1):
        try:
            if closure:
                optimizer.step(_closure(param, layout))
            else:
                grad = sparse_gradient(torch.tensor(VALUES, dtype=torch.float32))
                param.grad = grad if layout == "sparse" else grad.to_dense()
                optimizer.step()
        except Exception as error:  # noqa: BLE001
            return {"error": {"type": type(error).__name__, "message": str(error), "step": step}, "sparse_state": None}
    state = optimizer.state.get(param, {})
    sparse = sorted(key for key, value in state.items() if isinstance(value, torch.Tensor) and value.is_sparse)
    return {"error": None, "sparse_state": sparse}


def _closure(param: torch.nn.Parameter, layout: str) -> Callable[[], torch.Tensor]:
    """f(x) = ½ Σ x[r]² over ROWS; sets `param.grad` to its gradient x[ROWS] (sparse or dense)."""
    rows = torch.tensor(ROWS)

    def closure() -> torch.Tensor:
        held = param.detach()[rows]
        grad = sparse_gradient(held.clone())
        param.grad = grad if layout == "sparse" else grad.to_dense()
        return 0.5 * (held * held).sum()

    return closure


def record_sparse_errors() -> dict[str, Any]:
    classes = optimizer_classes()
    cases = []
    # Sparse tensors are checked as they are built (torch's own included), which also
    # silences torch's warning that the checks are off.
    with torch.sparse.check_sparse_tensor_invariants():
        for name, cls in classes.items():
            for kwargs, steps in configurations(name, cls):
                cases.append({
                    "optimizer": name, "kwargs": kwargs, "gradients": list(steps), "closure": takes_closure(cls),
                    **verdict(cls, kwargs, steps),
                })
    return {
        "format": "lockstep-sparse-gradients",
        "reference": {"library": "torch", "version": str(torch.__version__)},
        "optimizers": list(classes),
        "parameter": {"shape": PARAMETER_SHAPE, "dtype": "float32", "initial": INITIAL},
        "gradient": {"layout": "sparse_coo", "coalesced": True, "rows": ROWS, "values": VALUES},
        "cases": cases,
    }


def summary(document: dict[str, Any]) -> str:
    """A Markdown table of the verdicts: optimizer, options, gradient per step, verdict."""
    lines = ["| optimizer | options | gradients | verdict |", "|---|---|---|---|"]
    for case in document["cases"]:
        options = ", ".join(f"{key}={value}" for key, value in case["kwargs"].items()) or "default"
        error = case["error"]
        if error is None:
            sparse = case["sparse_state"]
            outcome = "accepted" + (f" (sparse state: {', '.join(sparse)})" if sparse else "")
        else:
            outcome = f"step {error['step']}: {error['type']}: {error['message']}"
        lines.append(f"| {case['optimizer']} | {options} | {', '.join(case['gradients'])} | {outcome} |")
    return "\n".join(lines)
