"""Other frameworks' optimizer conventions, written as torch Optimizers.

Each class here reproduces a convention that differs from torch.optim's own, so that its
trajectories are goldens for `verify explain`: replayed against a Swift port of the torch
optimizer (`--as Adam`, `--as AdamW`, `--as SGD`), a fixture recorded from one of these
names the convention the port followed.

The operation order in each docstring is a contract: the Swift side mirrors it op for op.
Every tensor op runs in the parameter's dtype; scalars are Python floats (float64),
rounded to the parameter's dtype only where torch rounds them (a float32 kernel's scalar
argument). On AVX2 and AVX-512, torch's vectorised `add_(x, alpha=a)` is one fused
multiply-add (`self + a*x` rounded once); `sub`, `mul`, `div`, `sqrt`, `square` round once each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.optimizer import ParamsT


def _closure_loss(closure: Callable[[], Any] | None) -> Any:
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()


class KerasAdam(Optimizer):
    r"""Keras's Adam: the bias corrections folded into the step size, and ``eps`` added to
    the uncorrected ``sqrt(v)`` (Keras's "epsilon hat").

    Origin: ``Adam.update_step`` in ``keras/src/optimizers/adam.py`` (Keras 3), and
    ``BaseOptimizer._apply_weight_decay`` in ``keras/src/optimizers/base_optimizer.py``
    for ``weight_decay`` (applied to every variable before the update step).

    .. math::
        t &\leftarrow t + 1 \\
        \theta &\leftarrow \theta - \theta \cdot \gamma\lambda \quad\text{(if } \lambda \ne 0\text{)} \\
        \alpha &\leftarrow \gamma \sqrt{1 - \beta_2^t} / (1 - \beta_1^t) \\
        m &\leftarrow m + (g - m)(1 - \beta_1) \\
        v &\leftarrow v + (g^2 - v)(1 - \beta_2) \\
        \theta &\leftarrow \theta - (m \alpha) / (\sqrt{v} + \hat\epsilon)

    Relative to ``torch.optim.Adam`` (``θ -= γ/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + ε)``) this is
    Adam with ``ε̂ = ε·√(1-β2ᵗ)``: the same update when ``ε`` is negligible, a different one
    where ``√v`` is small. The moments are updated in the interpolation form
    ``m += (g - m)(1 - β)`` rather than torch's ``m = βm + (1 - β)g`` (for-loop: ``lerp_``).
    Keras's default ``epsilon`` is 1e-7 (torch's 1e-8).

    Operation order, per parameter with a gradient (the contract)::

        t = state["step"] = state["step"] + 1                        # a Python int, from 0
        if weight_decay != 0:
            p.sub_(p.mul(lr * weight_decay))                         # θ -= θ·(γλ)
        grad = -p.grad if maximize else p.grad
        alpha = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)    # Python floats
        exp_avg.add_(grad.sub(exp_avg), alpha=1 - beta1)             # m += (g - m)(1 - β1)
        exp_avg_sq.add_(grad.square().sub(exp_avg_sq), alpha=1 - beta2)  # v += (g² - v)(1 - β2)
        p.sub_(exp_avg.mul(alpha).div(exp_avg_sq.sqrt().add(eps)))   # θ -= (m·α) / (√v + ε)

    Where this differs from Keras's own arithmetic, in rounding only: Keras computes
    ``alpha`` in the variable's dtype (here in float64, then rounded once by ``mul``);
    Keras's decay is ``variable - variable * wd * lr`` with ``wd`` and ``lr`` cast to the
    variable's dtype (two products; here ``γλ`` is one Python float); Keras multiplies by
    ``1 - β`` and then adds (two roundings; here ``add_(..., alpha=)``, one fused
    multiply-add on AVX2). Keras counts steps globally (``optimizer.iterations``) where
    this counts them per parameter, as torch does: the same when every parameter has a
    gradient at every step. ``amsgrad``, ``clipnorm``, EMA and loss scaling are not
    reproduced.

    Args:
        params: parameters or param-group dicts.
        lr: learning rate ``γ`` (default 1e-3), >= 0.
        betas: ``(β1, β2)`` (default (0.9, 0.999)), each in [0, 1).
        eps: ``ε̂``, added to ``sqrt(v)`` (default 1e-7, Keras's), >= 0.
        weight_decay: ``λ`` (default 0.0), >= 0: Keras's decoupled decay, ``θ -= θ·γλ``
            before the update.
        maximize: ascend instead (default False).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-7,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        # torch.optim.Adam's checks and messages.
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Performs a single optimization step; `closure` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("KerasAdam does not support sparse gradients")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                t = state["step"] = state["step"] + 1

                if weight_decay != 0:
                    p.sub_(p.mul(lr * weight_decay))
                grad = -p.grad if group["maximize"] else p.grad
                alpha = lr * math.sqrt(1 - beta2**t) / (1 - beta1**t)
                exp_avg.add_(grad.sub(exp_avg), alpha=1 - beta1)
                exp_avg_sq.add_(grad.square().sub(exp_avg_sq), alpha=1 - beta2)
                p.sub_(exp_avg.mul(alpha).div(exp_avg_sq.sqrt().add(eps)))
        return loss


def _unhooked_step(cls: type[Optimizer]) -> Callable[..., Any]:
    """`cls.step` without torch's step-hook wrapper. `Optimizer.__init__` wraps the step of
    the class of each optimizer it builds (`_patch_step_function`) so that it runs the
    registered step hooks; a subclass that calls its parent's step through that wrapper
    would run them twice per step once an instance of the parent has been built."""
    step = cls.step
    while getattr(step, "hooked", False) and hasattr(step, "__wrapped__"):
        step = step.__wrapped__
    return step


class PaperAdamW(torch.optim.AdamW):
    r"""AdamW as Loshchilov & Hutter wrote it, with a constant schedule multiplier: the
    decay ``θ ← θ(1 − λ)`` is not scaled by the learning rate.

    Origin: Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
    Algorithm 2 (AdamW), line 12: ``θ_t ← θ_{t−1} − η_t (α m̂_t/(√v̂_t + ε) + λ θ_{t−1})``
    with ``η_t = 1``: the decay is ``λθ`` where torch's ``AdamW`` takes ``γλθ`` (``γ`` its
    ``lr``, the paper's ``α``). The paper's λ is therefore about ``γ`` times torch's for
    the same effect; ``weight_decay`` here is the paper's λ.

    Operation order (the contract), under ``torch.no_grad()``::

        for group in param_groups:                       # weight_decay != 0
            for p in group["params"]:                    # p.grad is not None
                p.mul_(1 - weight_decay)                 # θ ← θ(1 − λ), Python float
        # then torch.optim.AdamW's own step, with every group's weight_decay set to 0
        # (restored afterwards, in a `finally`): its for-loop (foreach=False) or fused
        # (fused=True) path, the decay term skipped.

    The closure, if any, is evaluated first (as torch's step does), then the decay, then
    AdamW's step without the closure. Torch's step hooks run once, around the whole step.
    Any path of AdamW works (for-loop, foreach, fused); the constructor is AdamW's.
    """

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Performs a single optimization step; `closure` re-evaluates the loss."""
        loss = _closure_loss(closure)
        decayed = []
        with torch.no_grad():
            for group in self.param_groups:
                weight_decay = group["weight_decay"]
                if weight_decay == 0:
                    continue
                for p in group["params"]:
                    if p.grad is not None:
                        p.mul_(1 - float(weight_decay))
                decayed.append((group, weight_decay))
        try:
            for group, _ in decayed:
                group["weight_decay"] = 0.0
            _unhooked_step(torch.optim.AdamW)(self)
        finally:
            for group, weight_decay in decayed:
                group["weight_decay"] = weight_decay
        return loss


class SutskeverSGD(Optimizer):
    r"""SGD with momentum in Sutskever's form: the momentum buffer holds ``lr·g``, so a
    learning-rate schedule acts on new gradients only.

    Origin: Sutskever, Martens, Dahl & Hinton, "On the importance of initialization and
    momentum in deep learning", ICML 2013, eq. (1)-(2): ``v_{t+1} = μ v_t − ε ∇f(θ_t)``,
    ``θ_{t+1} = θ_t + v_{t+1}``. TF/Keras's ``SGD(momentum=...)``
    (``keras/src/optimizers/sgd.py``, Keras 3: ``m = m·μ − g·lr``; ``variable += m``)
    computes the same, with the buffer's sign reversed (negation is exact).

    ``torch.optim.SGD`` keeps ``b = μb + g`` and steps ``θ -= lr·b``: with a constant ``lr``
    the two agree up to rounding (``b_torch = b_here / lr``); when ``lr`` changes, torch
    rescales the whole accumulated momentum at once, while here the old velocity keeps the
    rates it was built with.

    Operation order (the contract), per parameter with a gradient::

        grad = -p.grad if maximize else p.grad
        if momentum == 0:
            p.add_(grad, alpha=-lr)                     # as torch SGD; no state
        else:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = torch.mul(grad, lr)               # v₁ = lr·g
                state["momentum_buffer"] = buf
            else:
                buf.mul_(momentum).add_(grad, alpha=lr) # v = μv + lr·g
            p.sub_(buf)                                 # θ -= v

    torch SGD's constructor, keys and validation messages; only ``dampening=0``,
    ``weight_decay=0`` and ``nesterov=False`` are supported (a ValueError otherwise, also
    for a group that sets them), and one implementation (``foreach``/``fused`` must be
    None or False).
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        # torch.optim.SGD's checks and messages.
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)  # checks each group through add_param_group

    @staticmethod
    def _check_supported(group: dict[str, Any]) -> None:
        if group["dampening"] != 0:
            raise ValueError(f"SutskeverSGD supports only dampening=0, not {group['dampening']}")
        if group["weight_decay"] != 0:
            raise ValueError(f"SutskeverSGD supports only weight_decay=0, not {group['weight_decay']}")
        if group["nesterov"]:
            raise ValueError("SutskeverSGD does not support nesterov=True")
        if group["foreach"] or group["fused"] or group["differentiable"]:
            raise ValueError("SutskeverSGD has one implementation: foreach, fused and differentiable must be off")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        self._check_supported(self.param_groups[-1])

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Performs a single optimization step; `closure` re-evaluates the loss."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            self._check_supported(group)
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("SutskeverSGD does not support sparse gradients")
                grad = -p.grad if group["maximize"] else p.grad
                if momentum == 0:
                    p.add_(grad, alpha=-lr)
                    continue
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = torch.mul(grad, lr)
                    state["momentum_buffer"] = buf
                else:
                    buf.mul_(momentum).add_(grad, alpha=lr)
                p.sub_(buf)
        return loss
