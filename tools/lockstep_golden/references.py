"""References that torch does not ship: optimizers re-written as torch Optimizers, and
learning-rate schedules built from torch's schedulers.

Each reproduces its origin's arithmetic operation for operation, so that its
trajectories are goldens for the Swift port just as torch.optim's are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR
from torch.optim.optimizer import ParamsT


class HFAdamW(Optimizer):
    r"""The AdamW of pytorch-transformers 1.x ("Adam with weight decay fix").

    Origin: class ``AdamW`` in ``pytorch_transformers/optimization.py`` of
    huggingface/transformers (pytorch-transformers 1.x, later
    ``transformers.optimization.AdamW``, deprecated in transformers 4.x).
    The arithmetic is unchanged; only the deprecated positional-scalar overloads
    (``add_(1 - beta1, grad)``, ``addcdiv_(-step_size, a, b)``) are spelled with keywords.

    .. math::
        t &\leftarrow t + 1 \\
        m &\leftarrow \beta_1 m + (1 - \beta_1) g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2) g^2 \\
        \alpha &\leftarrow \gamma \sqrt{1 - \beta_2^t} / (1 - \beta_1^t)
            \quad\text{(} \alpha = \gamma \text{ without correct_bias)} \\
        \theta &\leftarrow \theta - \alpha \, m / (\sqrt{v} + \epsilon) \\
        \theta &\leftarrow \theta - \gamma \lambda \theta \quad\text{(if } \lambda > 0\text{)}

    Differs from ``torch.optim.AdamW``: ``eps`` is added to ``sqrt(v)`` before the bias
    correction is folded into the step size (torch divides ``sqrt(v)`` by
    ``sqrt(1 - beta2^t)`` first); the decay is applied *after* the Adam update, to the
    already updated parameter; ``correct_bias=False`` drops both corrections (BERT's TF
    code); ``step`` is a Python int. The beta messages end in ``[0.0, 1.0)`` where the
    original wrote ``[0.0, 1.0[``.

    Args:
        params: parameters or param-group dicts.
        lr: learning rate ``gamma`` (default 1e-3), >= 0.
        betas: ``(beta1, beta2)`` (default (0.9, 0.999)), each in [0, 1).
        eps: added to ``sqrt(v)`` (default 1e-6), >= 0.
        weight_decay: ``lambda`` (default 0.0); applied only when > 0.
        correct_bias: fold Adam's bias corrections into the step size (default True).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        correct_bias: bool = True,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr} - should be >= 0.0")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter: {betas[0]} - should be in [0.0, 1.0)")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter: {betas[1]} - should be in [0.0, 1.0)")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps} - should be >= 0.0")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "correct_bias": correct_bias,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        """Performs a single optimization step; `closure` re-evaluates the loss."""
        loss = None
        if closure is not None:
            loss = closure()

        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad.data
                if grad.is_sparse:
                    raise RuntimeError(
                        "Adam does not support sparse gradients, please consider SparseAdam instead"
                    )

                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p.data)
                    state["exp_avg_sq"] = torch.zeros_like(p.data)

                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                beta1, beta2 = group["betas"]

                state["step"] += 1

                exp_avg.mul_(beta1).add_(grad, alpha=1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                denom = exp_avg_sq.sqrt().add_(group["eps"])

                step_size = group["lr"]
                if group["correct_bias"]:
                    bias_correction1 = 1.0 - beta1 ** state["step"]
                    bias_correction2 = 1.0 - beta2 ** state["step"]
                    step_size = step_size * math.sqrt(bias_correction2) / bias_correction1

                p.data.addcdiv_(exp_avg, denom, value=-step_size)

                if group["weight_decay"] > 0.0:
                    p.data.add_(p.data, alpha=-group["lr"] * group["weight_decay"])

        return loss


def _linear_schedule_with_warmup_lr_lambda(current_step: int, *, num_warmup_steps: int, num_training_steps: int) -> float:
    if current_step < num_warmup_steps:
        return float(current_step) / float(max(1, num_warmup_steps))
    return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))


def get_linear_schedule_with_warmup(
    optimizer: Optimizer, num_warmup_steps: int, num_training_steps: int, last_epoch: int = -1
) -> LambdaLR:
    """BERT fine-tuning's learning-rate schedule: linear warm-up from 0 to the optimizer's
    lr over `num_warmup_steps`, then linear decay to 0 at `num_training_steps`.

    Origin: ``get_linear_schedule_with_warmup`` and
    ``_get_linear_schedule_with_warmup_lr_lambda`` in ``src/transformers/optimization.py``
    of huggingface/transformers (4.x; Apache-2.0), unchanged but for type hints. It is a
    ``torch.optim.lr_scheduler.LambdaLR`` whose lambda is::

        step / max(1, W)                          if step < W
        max(0, (T - step) / max(1, T - W))        otherwise
    """
    lr_lambda = partial(
        _linear_schedule_with_warmup_lr_lambda,
        num_warmup_steps=num_warmup_steps,
        num_training_steps=num_training_steps,
    )
    return LambdaLR(optimizer, lr_lambda, last_epoch)
