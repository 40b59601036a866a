"""The objectives of closure-mode cases, written in torch ops with a fixed operation order.

A closure-mode case optimises a function of its parameters rather than replaying recorded
gradients: `optimizer.step(closure)` calls the closure as often as the algorithm needs
(LBFGS: many times per step). The variable `x` is every parameter flattened and
concatenated in optimizer order. The closure sets each parameter's `.grad` from the
analytic gradient and returns `f(x)`, a 0-dim tensor of the case's dtype.

No autograd and no reductions whose order torch chooses: every sum is an explicit
left-to-right chain of 0-dim additions (`_sum_left`), every matrix-vector product a chain
of column (or row) multiply-then-add operations, each op rounding to the dtype on its own
(separate `mul` and `add` kernels, so no fused multiply-add). The Swift side
(`Sources/LockstepHarness/Objective.swift`) evaluates the same formulas in the same order.
The only operations that are not correctly rounded are `exp` and `log1p` (logistic
regression), which torch takes from its vectorised math library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .spec import ObjectiveSpec

# Keeps the objective's data apart from the generator that draws the initial values.
OBJECTIVE_SEED_OFFSET = 0x3C6EF372


@dataclass
class TorchObjective:
    """One objective with its data, in the case's dtype."""

    kind: str
    data: dict[str, torch.Tensor]
    attrs: dict[str, float]
    initial: torch.Tensor
    evaluate_fn: object = field(repr=False)

    def evaluate(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`(f(x), ∇f(x))` for the flat variable `x`."""
        return self.evaluate_fn(self, x)  # type: ignore[operator]


def build(spec: ObjectiveSpec, seed: int, dtype: torch.dtype) -> TorchObjective:
    """The objective `spec` names, its data drawn from `seed` (in float64, then rounded)."""
    gen = torch.Generator().manual_seed(seed + OBJECTIVE_SEED_OFFSET)
    n = spec.size
    if spec.kind == "quadratic":
        m = torch.randn(n, n, generator=gen, dtype=torch.float64)
        a = m @ m.T / n + torch.eye(n, dtype=torch.float64)  # symmetric positive definite
        a = (a + a.T) / 2
        b = torch.randn(n, generator=gen, dtype=torch.float64)
        initial = torch.randn(n, generator=gen, dtype=torch.float64)
        return TorchObjective("quadratic", {"A": a.to(dtype), "b": b.to(dtype)}, {}, initial.to(dtype), _quadratic)
    if spec.kind == "rosenbrock":
        attrs = {"a": float(spec.options.get("a", 1.0)), "b": float(spec.options.get("b", 100.0))}
        # The standard start (-1.2, 1, -1.2, 1, ...), unless the case chose one.
        if spec.initial is not None:
            if len(spec.initial) != n:
                raise ValueError(f"rosenbrock: initial has {len(spec.initial)} values for size {n}")
            initial = torch.tensor(spec.initial, dtype=dtype)
        else:
            initial = torch.tensor([-1.2 if i % 2 == 0 else 1.0 for i in range(n)], dtype=dtype)
        return TorchObjective("rosenbrock", {}, attrs, initial, _rosenbrock)
    if spec.kind == "logistic_regression":
        samples = spec.samples
        x = torch.randn(samples, n, generator=gen, dtype=torch.float64)
        w_true = torch.randn(n, generator=gen, dtype=torch.float64)
        noise = 0.5 * torch.randn(samples, generator=gen, dtype=torch.float64)
        y = torch.where(x @ w_true + noise >= 0, 1.0, -1.0).to(torch.float64)
        initial = 0.1 * torch.randn(n, generator=gen, dtype=torch.float64)
        attrs = {"l2": float(spec.options.get("l2", 1e-2))}
        return TorchObjective(
            "logistic_regression", {"X": x.to(dtype), "y": y.to(dtype)}, attrs, initial.to(dtype), _logistic)
    raise ValueError(f"unknown objective kind {spec.kind!r}")


def _sum_left(v: torch.Tensor) -> torch.Tensor:
    """`((v0 + v1) + v2) + ...`: 0-dim additions, left to right."""
    total = v[0].clone()
    for i in range(1, v.shape[0]):
        total = total + v[i]
    return total


def _quadratic(obj: TorchObjective, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f = ½ xᵀAx − bᵀx, ∇f = Ax − b, with Ax = ((A[:,0]·x0 + A[:,1]·x1) + ...)."""
    a, b = obj.data["A"], obj.data["b"]
    ax = a[:, 0] * x[0]
    for j in range(1, x.shape[0]):
        ax = ax + a[:, j] * x[j]
    grad = ax - b
    f = 0.5 * _sum_left(x * ax) - _sum_left(b * x)
    return f, grad


def _rosenbrock(obj: TorchObjective, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f = Σ_{i<n−1} b(x_{i+1} − x_i²)² + (a − x_i)²;
    ∂f/∂x_i = −4b·x_i·r_i − 2u_i (i < n−1) + 2b·r_{i−1} (i > 0), r_i = x_{i+1} − x_i², u_i = a − x_i."""
    a, b = obj.attrs["a"], obj.attrs["b"]
    lo, hi = x[:-1], x[1:]
    r = hi - lo * lo
    u = a - lo
    f = _sum_left((r * r) * b + u * u)
    grad_lo = (lo * r) * (-4.0 * b) - u * 2.0
    grad_hi = r * (2.0 * b)
    grad = torch.zeros_like(x)
    grad[:-1] = grad_lo
    grad[1:] = grad[1:] + grad_hi
    return f, grad


def _logistic(obj: TorchObjective, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f = (1/m) Σ log(1 + exp(−y_i X_i·w)) + ½ l2 ‖w‖²;
    ∇f = (1/m) Σ_i c_i X_i + l2·w with c_i = −y_i · e_i / (e_i + 1), e_i = exp(−y_i X_i·w)."""
    x, y, l2 = obj.data["X"], obj.data["y"], obj.attrs["l2"]
    m = x.shape[0]
    z = x[:, 0] * w[0]
    for j in range(1, w.shape[0]):
        z = z + x[:, j] * w[j]
    e = torch.exp(-(y * z))
    losses = torch.log1p(e)
    c = -y * (e / (e + 1.0))
    gsum = x[0] * c[0]
    for i in range(1, m):
        gsum = gsum + x[i] * c[i]
    grad = gsum / m + w * l2
    f = _sum_left(losses) / m + _sum_left(w * w) * (0.5 * l2)
    return f, grad


def split(flat: torch.Tensor, shapes: list[tuple[int, ...]]) -> list[torch.Tensor]:
    """`flat` cut into consecutive pieces of the given shapes (copies)."""
    pieces, offset = [], 0
    for shape in shapes:
        count = math.prod(shape)
        pieces.append(flat[offset:offset + count].reshape(shape).clone())
        offset += count
    return pieces


def closure(obj: TorchObjective, tensors: Sequence[torch.Tensor], shapes: list[tuple[int, ...]]) -> Callable[[], torch.Tensor]:
    """The closure `step(closure)` is given: the objective at the parameters `tensors`
    (concatenated, in order), their `.grad` set to its gradient, split to `shapes`."""

    def evaluate() -> torch.Tensor:
        x = torch.cat([p.detach().reshape(-1) for p in tensors])
        loss, grad = obj.evaluate(x)
        for p, g in zip(tensors, split(grad, shapes), strict=True):
            p.grad = g
        return loss

    return evaluate


def datasets(obj: TorchObjective) -> dict[str, np.ndarray]:
    """The objective's data as numpy arrays, for `/objective`."""
    return {name: tensor.numpy().copy() for name, tensor in obj.data.items()}
