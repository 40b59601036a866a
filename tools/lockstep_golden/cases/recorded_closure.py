"""Closure mode on a real model, answered from recorded evaluations (extension 12).

LBFGS and conjugate gradient call the closure as often as their line search needs; the
closure here is an ordinary autograd closure on a small MLP (full batch of scikit-learn's
diabetes data: 442 samples, 10 features, standardised), which Swift cannot re-implement.
`lockstep.record` stores every call's parameters, loss and gradients, and the Swift replay
answers the optimizer's calls with them, after checking it asked at the same point.

`recorded_closure_<optimizer>_<line search>_mlp_<dtype>`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import lockstep

from ..spec import RECORDED_CAPABILITY

STEPS = 6


def _record(optimizer: str, options: dict[str, Any], dtype: str, seed: int, path: Path) -> None:
    import torch
    from sklearn.datasets import load_diabetes
    from torch import nn

    from ..conjugate_gradient import ConjugateGradient

    torch.set_num_threads(1)
    torch_dtype = getattr(torch, dtype)
    x, y = load_diabetes(return_X_y=True)
    x = torch.tensor((x - x.mean(0)) / x.std(0), dtype=torch_dtype)
    y = torch.tensor((y - y.mean()) / y.std(), dtype=torch_dtype).unsqueeze(1)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(10, 8), nn.Tanh(), nn.Linear(8, 1)).to(torch_dtype)
    cls = torch.optim.LBFGS if optimizer == "LBFGS" else ConjugateGradient
    opt = cls(model.parameters(), **options)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    origin = None if optimizer == "LBFGS" else "tools/lockstep_golden/conjugate_gradient.py:ConjugateGradient"
    with lockstep.record(opt, path, names=model.named_parameters(), optimizer_name=optimizer, case=path.stem, seed=seed,
                         description=f"{optimizer} {options} on a 10-8-1 tanh MLP, full-batch MSE on scikit-learn's "
                                     f"diabetes data, closure evaluations recorded; {dtype}",
                         reference={"reference_class": origin} if origin else None):
        for _ in range(STEPS):
            opt.step(closure)


def _case(optimizer: str, search: str, options: dict[str, Any], dtype: str, seed: int) -> lockstep.Case:
    name = f"recorded_closure_{optimizer.lower()}_{search}_mlp_f{dtype[-2:]}"
    return lockstep.Case(name, partial(_record, optimizer, options, dtype, seed), RECORDED_CAPABILITY,
                         f"{optimizer}, {search.replace('_', ' ')}, on a real MLP; every closure call recorded; {dtype}")


WOLFE = {"max_iter": 5, "history_size": 4, "line_search_fn": "strong_wolfe"}
CG_WOLFE = {"max_iter": 5, "beta": "polak_ribiere_plus", "line_search_fn": "strong_wolfe"}

CASES: tuple[lockstep.Case, ...] = (
    _case("LBFGS", "strong_wolfe", WOLFE, "float32", 301),
    _case("LBFGS", "strong_wolfe", WOLFE, "float64", 302),
    _case("LBFGS", "fixed_step", {"max_iter": 5, "lr": 0.5}, "float64", 303),
    _case("ConjugateGradient", "strong_wolfe", CG_WOLFE, "float32", 304),
    _case("ConjugateGradient", "strong_wolfe", CG_WOLFE, "float64", 305),
)
