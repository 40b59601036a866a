"""Nonlinear conjugate gradient as a `torch.optim.Optimizer`, the reference of the Swift
`ConjugateGradient`. PyTorch ships no conjugate gradient; this one is built like
`torch.optim.LBFGS` (torch 2.15, `torch/optim/lbfgs.py`): the same `step(closure)` contract,
the same flat-vector helpers, stopping tests and state keys, and torch's own strong-Wolfe
line search `torch.optim.lbfgs._strong_wolfe` (ported there from Torch7's `lswolfe.lua`).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.optim import LBFGS, Optimizer
from torch.optim.lbfgs import _strong_wolfe
from torch.optim.optimizer import ParamsT

BETA_RULES: tuple[str, ...] = ("fletcher_reeves", "polak_ribiere", "polak_ribiere_plus", "hestenes_stiefel", "dai_yuan")


class ConjugateGradient(Optimizer):
    r"""Nonlinear conjugate gradient with a choice of beta rule, restarts and an optional
    strong-Wolfe line search.

    All parameters form one flat vector ``x``; ``g = ∇f(x)`` likewise. One ``step(closure)``
    runs up to ``max_iter`` iterations of::

        k ← k + 1                                     (state n_iter, over all steps)
        if k = 1 or (k − 1) mod restart = 0:  d ← −g   (periodic restart)
        else:
            y ← g − g_prev
            β ← FR: gᵀg / g_prevᵀg_prev       PR:  gᵀy / g_prevᵀg_prev     PR+: max(PR, 0)
                HS: gᵀy / d_prevᵀy             DY:  gᵀg / d_prevᵀy
            d ← −g + β·d_prev
            if β is not finite or not gᵀd ≤ −tolerance_change:  d ← −g    (restart: not a descent direction;
                                                                 a gᵀd that overflowed to NaN restarts too)
        t ← min(1, 1/‖g‖₁)·lr            if k = 1
            t_prev·(g_prevᵀd_prev)/(gᵀd)  with strong Wolfe and t_prev > 0 (Nocedal & Wright 3.60)
            lr                            otherwise
        stop if gᵀd > −tolerance_change
        strong Wolfe line search for t starting from that guess, or a fixed step t
        x ← x + t·d, then f and g at x (not after the last iteration without line search)
        stop after max_iter iterations, max_eval evaluations, when ‖g‖∞ ≤ tolerance_grad,
            ‖t·d‖∞ ≤ tolerance_change or |f − f_prev| < tolerance_change

    The step returns the loss of the closure's first call, and stops before any iteration
    when that call's gradient has ‖g‖∞ ≤ tolerance_grad (as LBFGS does). With a line search
    the closure is called at most ``max_eval + 1`` times per step: the line search is given
    ``max_ls = max_eval − evaluations so far`` and always evaluates at least once.

    Operation order (the Swift port repeats it): every dot product is ``torch.dot``; ``β``
    is a 0-dim tensor (one division of two dots); ``d = g.neg().add_(d_prev, alpha=β)``;
    PR+ is ``β.clamp(min=0)``; ``x`` moves by ``p.add_(d, alpha=t)`` (LBFGS's ``_add_grad``).

    Args:
        params: parameters (one group only, as LBFGS).
        lr: the fixed step without line search, and the scale of the first step (default 1).
        max_iter: iterations per step (default 20).
        max_eval: closure evaluations per step (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when ‖g‖∞ ≤ this (default 1e-7).
        tolerance_change: stop when the step, the loss change or −gᵀd fall below this
            (default 1e-9); also the line search's tolerance on the bracket.
        beta: ``"fletcher_reeves"``, ``"polak_ribiere"``, ``"polak_ribiere_plus"`` (default),
            ``"hestenes_stiefel"`` or ``"dai_yuan"``.
        restart: restart with ``−g`` every this many iterations (counted over all steps);
            None (default): the number of variables.
        line_search_fn: None (fixed step ``lr``) or ``"strong_wolfe"``.
        c1, c2: the Wolfe constants (default 1e-4 and 0.1; Nocedal & Wright recommend
            c2 = 0.1 for conjugate gradient, and Fletcher–Reeves needs c2 < 1/2).
        maximize: maximise the closure's value instead (default False).

    State (on the first parameter, as LBFGS keeps it): ``func_evals`` and ``n_iter`` (closure
    calls and iterations over all steps), ``d`` (the last direction), ``t`` (the last step
    length; a float or a 0-dim tensor), ``prev_flat_grad`` and ``prev_loss`` (the gradient
    and loss at the start of the last iteration).

    References: Fletcher & Reeves, *Function minimization by conjugate gradients*, Comput. J.
    7, 1964; Polak & Ribière, RIRO 3, 1969; Polyak, USSR Comp. Math. 9, 1969; Hestenes &
    Stiefel, J. Res. NBS 49, 1952; Dai & Yuan, SIAM J. Optim. 10, 1999; Powell, *Restart
    procedures for the conjugate gradient method*, Math. Prog. 12, 1977; Nocedal & Wright,
    *Numerical Optimization*, 2nd ed., 2006, ch. 5 and §3.5.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        beta: str = "polak_ribiere_plus",
        restart: int | None = None,
        line_search_fn: str | None = None,
        c1: float = 1e-4,
        c2: float = 0.1,
        maximize: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if beta not in BETA_RULES:
            raise ValueError(f"Invalid beta rule: {beta!r} - should be one of {', '.join(BETA_RULES)}")
        if restart is not None and restart < 1:
            raise ValueError(f"Invalid restart interval: {restart} - should be >= 1")
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"Invalid line_search_fn: {line_search_fn!r} - should be None or 'strong_wolfe'")
        if not 0.0 < c1 < c2 < 1.0:
            raise ValueError(f"Invalid Wolfe constants: c1={c1}, c2={c2} - should satisfy 0 < c1 < c2 < 1")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "beta": beta,
            "restart": restart,
            "line_search_fn": line_search_fn,
            "c1": c1,
            "c2": c2,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("ConjugateGradient doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    # LBFGS's flat-vector helpers, unchanged.
    _numel = LBFGS._numel
    _gather_flat_grad = LBFGS._gather_flat_grad
    _add_grad = LBFGS._add_grad
    _clone_param = LBFGS._clone_param
    _set_param = LBFGS._set_param
    _directional_evaluate = LBFGS._directional_evaluate

    @staticmethod
    def _beta(rule: str, g: torch.Tensor, g_prev: torch.Tensor, d_prev: torch.Tensor) -> torch.Tensor:
        """β as a 0-dim tensor: one division of two `torch.dot`s (PR+: clamped at 0)."""
        if rule == "fletcher_reeves":
            return g.dot(g) / g_prev.dot(g_prev)
        y = g.sub(g_prev)
        if rule == "polak_ribiere":
            return g.dot(y) / g_prev.dot(g_prev)
        if rule == "polak_ribiere_plus":
            return (g.dot(y) / g_prev.dot(g_prev)).clamp(min=0)
        if rule == "hestenes_stiefel":
            return g.dot(y) / d_prev.dot(y)
        return g.dot(g) / d_prev.dot(y)  # dai_yuan

    @torch.no_grad()
    def step(self, closure: Callable[[], torch.Tensor]) -> torch.Tensor:  # type: ignore[override]
        """Performs one optimization step (up to `max_iter` iterations).

        Args:
            closure: clears the gradients, computes the loss, sets every `.grad` and returns
                the loss. Called as often as the iterations and line searches need.
        """
        if len(self.param_groups) != 1:
            raise AssertionError(f"Expected exactly one param_group, but got {len(self.param_groups)}")
        closure = torch.enable_grad()(closure)
        if len(self._params) == 0:
            return closure()

        group = self.param_groups[0]
        lr = group["lr"]
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        rule = group["beta"]
        restart = group["restart"] or self._numel()
        line_search_fn = group["line_search_fn"]
        maximize = group["maximize"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        # Evaluate the initial f(x) and df/dx.
        orig_loss = closure()
        loss = -float(orig_loss) if maximize else float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = flat_grad.abs().max() <= tolerance_grad
        if opt_cond:
            return orig_loss

        d = state.get("d")
        t = state.get("t")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # The search direction: conjugate unless restarting.
            direction = None
            if (state["n_iter"] - 1) % restart != 0:
                beta = self._beta(rule, flat_grad, prev_flat_grad, d)
                if torch.isfinite(beta):
                    direction = flat_grad.neg().add_(d, alpha=beta)
                    gtd = flat_grad.dot(direction)
                    if not gtd <= -tolerance_change:
                        direction = None  # not a descent direction (or NaN from overflow): restart
            if direction is None:
                direction = flat_grad.neg()
                gtd = flat_grad.dot(direction)

            # The initial step length.
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr
            elif line_search_fn == "strong_wolfe" and t > 0:
                # The first-order change of the last step again (Nocedal & Wright, eq. 3.60).
                t = t * (prev_flat_grad.dot(d) / gtd)
            else:
                t = lr

            d = direction
            prev_flat_grad = flat_grad.clone(memory_format=torch.contiguous_format)
            prev_loss = loss

            # The directional derivative is below tolerance.
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn == "strong_wolfe":
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, c1=group["c1"], c2=group["c2"],
                    tolerance_change=tolerance_change, max_ls=max_eval - current_evals,
                )
                self._add_grad(t, d)
                opt_cond = flat_grad.abs().max() <= tolerance_grad
            else:
                # A fixed step; re-evaluate unless this is the last iteration (as LBFGS).
                self._add_grad(t, d)
                if n_iter != max_iter:
                    with torch.enable_grad():
                        loss = closure()
                    loss = -float(loss) if maximize else float(loss)
                    flat_grad = self._gather_flat_grad()
                    opt_cond = flat_grad.abs().max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # The stopping tests, LBFGS's.
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if d.mul(t).abs().max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = d
        state["t"] = t
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss
