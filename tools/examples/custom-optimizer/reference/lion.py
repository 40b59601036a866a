"""Lion, the reference the Swift port of this example is verified against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT


class Lion(Optimizer):
    r"""Lion ("EvoLved Sign Momentum"): the sign of an interpolated momentum as the step.

    Chen, Liang, Huang, Real, Wang, Liu, Pham, Dong, Luong, Hsieh, Lu and Le, *Symbolic
    Discovery of Optimization Algorithms*, 2023, arXiv:2302.06675, Algorithm 2.

    .. math::
        g &\leftarrow -g \quad\text{(if maximize)} \\
        \theta &\leftarrow \theta \, (1 - \gamma \lambda) \\
        c &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        \theta &\leftarrow \theta - \gamma \, \operatorname{sign}(c) \\
        m &\leftarrow \beta_2 m + (1 - \beta_2) g

    Operation order: the for-loop ``update_fn`` of lucidrains/lion-pytorch
    (``lion_pytorch/lion_pytorch.py``), operation for operation, on each parameter with a
    gradient in group order::

        p.mul_(1 - lr * wd)                     # a Python float; 1.0 when wd = 0
        update = exp_avg.clone().mul_(beta1).add(grad, alpha=1 - beta1).sign_()
        p.add_(update, alpha=-lr)
        exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)

    ``sign(0) = 0``: an entry whose interpolation is exactly zero (a zero gradient before
    the momentum has moved) does not move. ``add`` with an ``alpha`` is one multiply-add,
    which torch's vectorised CPU kernels fuse into an FMA where the CPU capability has one
    (AVX2, AVX-512) and round twice where it has not (DEFAULT).

    Differs from lion-pytorch: validation raises ``ValueError`` with torch.optim's messages
    (``Invalid learning rate: -1.0``) instead of asserting, and takes ``lr >= 0`` and each
    beta in ``[0, 1)`` as ``torch.optim.Adam`` does (lion-pytorch asserts ``lr > 0`` and
    ``0 <= beta <= 1``); ``maximize`` is added, as torch.optim's optimizers have it; sparse
    gradients are rejected explicitly; no Triton kernel and no ``decoupled_weight_decay``.

    Args:
        params: parameters or param-group dicts.
        lr: learning rate ``gamma`` (default 1e-4), >= 0. Lion's is typically 3-10x
            smaller than AdamW's.
        betas: ``(beta1, beta2)`` (default (0.9, 0.99)), each in [0, 1): ``beta1``
            interpolates the step's direction, ``beta2`` the momentum kept.
        weight_decay: ``lambda`` (default 0.0), >= 0, decoupled: the parameter is scaled by
            ``1 - lr * lambda`` before the update.
        maximize: maximize the objective: the gradient is negated first (default False).

    State: ``exp_avg`` (the momentum ``m``, zeros like the parameter), created at a
    parameter's first step with a gradient. A parameter whose ``.grad`` is None is skipped
    entirely: neither decayed nor moved, its momentum unchanged.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults: dict[str, Any] = {
            "lr": lr,
            "betas": betas,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Performs a single optimization step; `closure` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()

        for group in self.param_groups:
            lr: float = group["lr"]
            weight_decay: float = group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if grad.is_sparse:
                    raise RuntimeError("Lion does not support sparse gradients")
                if group["maximize"]:
                    grad = -grad

                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg: torch.Tensor = state["exp_avg"]

                p.mul_(1 - lr * weight_decay)
                update = exp_avg.clone().mul_(beta1).add(grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-lr)
                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)

        return loss
