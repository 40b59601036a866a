"""Checks of the convention references against torch's own optimizers, where they must agree.

    PYTHONPATH=tools:tools/python/src python -m pytest tools/conventions
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from references import KerasAdam, PaperAdamW, SutskeverSGD  # noqa: E402

SHAPES = [(3, 4), (5,), (2, 3)]
STEPS = 12


def _params(dtype: torch.dtype, seed: int = 0) -> list[torch.nn.Parameter]:
    g = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(s, generator=g, dtype=dtype)) for s in SHAPES]


def _grads(dtype: torch.dtype, seed: int = 1) -> list[list[torch.Tensor]]:
    """Per step, per parameter: noise around a direction, signs flipping, scales over decades."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for t in range(STEPS):
        scale = 10.0 ** ((t * 7) % 5 - 2)
        sign = -1.0 if t % 3 == 2 else 1.0
        out.append([torch.randn(s, generator=g, dtype=dtype) * scale * sign for s in SHAPES])
    return out


def _run(build: Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer], dtype: torch.dtype,
         schedule: Callable[[torch.optim.Optimizer], object] | None = None) -> tuple[list[torch.Tensor], torch.optim.Optimizer]:
    params = _params(dtype)
    opt = build(params)
    sched = schedule(opt) if schedule else None
    for grads in _grads(dtype):
        for p, g in zip(params, grads):
            p.grad = g.clone()
        opt.step()
        if sched is not None:
            sched.step()  # type: ignore[attr-defined]
    return [p.detach().clone() for p in params], opt


def _same_bits(a: list[torch.Tensor], b: list[torch.Tensor]) -> None:
    for x, y in zip(a, b):
        assert torch.equal(x, y), (x - y).abs().max()


DTYPES = [torch.float32, torch.float64]


# -- SutskeverSGD ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("maximize", [False, True])
def test_sutskever_without_momentum_is_torch_sgd(dtype: torch.dtype, maximize: bool) -> None:
    ours, opt = _run(lambda p: SutskeverSGD(p, lr=0.1, maximize=maximize), dtype)
    theirs, _ = _run(lambda p: torch.optim.SGD(p, lr=0.1, maximize=maximize, foreach=False), dtype)
    _same_bits(ours, theirs)
    assert all(len(s) == 0 for s in opt.state.values())


@pytest.mark.parametrize("dtype", DTYPES)
def test_sutskever_without_momentum_is_torch_sgd_under_steplr(dtype: torch.dtype) -> None:
    step_lr = lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)  # noqa: E731
    ours, _ = _run(lambda p: SutskeverSGD(p, lr=0.1), dtype, step_lr)
    theirs, _ = _run(lambda p: torch.optim.SGD(p, lr=0.1, foreach=False), dtype, step_lr)
    _same_bits(ours, theirs)


def test_sutskever_buffer_is_lr_times_torch_buffer_at_constant_lr() -> None:
    ours, mine = _run(lambda p: SutskeverSGD(p, lr=0.1, momentum=0.9), torch.float64)
    theirs, torchs = _run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), torch.float64)
    for x, y in zip(ours, theirs):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)
    for p_ours, p_theirs in zip(mine.param_groups[0]["params"], torchs.param_groups[0]["params"]):
        torch.testing.assert_close(mine.state[p_ours]["momentum_buffer"],
                                   0.1 * torchs.state[p_theirs]["momentum_buffer"], rtol=1e-12, atol=1e-12)


def test_sutskever_differs_from_torch_sgd_under_steplr() -> None:
    step_lr = lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5)  # noqa: E731
    ours, _ = _run(lambda p: SutskeverSGD(p, lr=0.1, momentum=0.9), torch.float64, step_lr)
    theirs, _ = _run(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, foreach=False), torch.float64, step_lr)
    assert max((x - y).abs().max().item() for x, y in zip(ours, theirs)) > 1e-3


def test_sutskever_first_steps_by_hand() -> None:
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = SutskeverSGD([p], lr=0.5, momentum=0.9)
    p.grad = torch.tensor([1.0, 2.0], dtype=torch.float64)
    opt.step()  # v = 0.5 g = [0.5, 1]; θ = [0.5, -3]
    assert p.tolist() == [0.5, -3.0]
    opt.param_groups[0]["lr"] = 0.25
    p.grad = torch.tensor([4.0, 0.0], dtype=torch.float64)
    opt.step()  # v = 0.9 v + 0.25 g = [1.45, 0.9]; θ = [-0.95, -3.9]
    assert opt.state[p]["momentum_buffer"].tolist() == pytest.approx([1.45, 0.9])
    assert p.tolist() == pytest.approx([-0.95, -3.9])


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"momentum": -0.5}, {"weight_decay": -0.1},
                                    {"nesterov": True}, {"nesterov": True, "momentum": 0.9, "dampening": 0.1}])
def test_sutskever_validates_as_torch_sgd(kwargs: dict[str, object]) -> None:
    args = {"lr": 0.1, **kwargs}
    with pytest.raises(ValueError) as theirs:
        torch.optim.SGD(_params(torch.float32), **args)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as ours:
        SutskeverSGD(_params(torch.float32), **args)  # type: ignore[arg-type]
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("kwargs", [{"dampening": 0.1}, {"weight_decay": 0.01}, {"nesterov": True},
                                    {"foreach": True}, {"fused": True}])
def test_sutskever_refuses_what_it_does_not_implement(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="SutskeverSGD"):
        SutskeverSGD(_params(torch.float32), lr=0.1, momentum=0.9, **kwargs)  # type: ignore[arg-type]
    opt = SutskeverSGD(_params(torch.float32)[:1], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="SutskeverSGD"):
        opt.add_param_group({"params": _params(torch.float32)[1:], **kwargs})


# -- PaperAdamW -----------------------------------------------------------------------------

PATHS = [{"foreach": False}, {"fused": True}]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("path", PATHS, ids=["forloop", "fused"])
def test_paper_adamw_without_decay_is_torch_adamw(dtype: torch.dtype, path: dict[str, bool]) -> None:
    ours, _ = _run(lambda p: PaperAdamW(p, lr=1e-2, weight_decay=0.0, **path), dtype)
    theirs, _ = _run(lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.0, **path), dtype)
    _same_bits(ours, theirs)


@pytest.mark.parametrize("dtype", DTYPES)
def test_paper_adamw_with_decay_lr_times_lambda_is_torch_adamw_forloop(dtype: torch.dtype) -> None:
    """torch's for-loop AdamW decays by `p.mul_(1 - lr * weight_decay)`: the paper's form
    with λ = lr·weight_decay, the same Python float, so the same bits at a constant lr."""
    lr, wd = 1e-2, 0.1
    ours, _ = _run(lambda p: PaperAdamW(p, lr=lr, weight_decay=lr * wd, foreach=False), dtype)
    theirs, _ = _run(lambda p: torch.optim.AdamW(p, lr=lr, weight_decay=wd, foreach=False), dtype)
    _same_bits(ours, theirs)


@pytest.mark.parametrize("path", PATHS, ids=["forloop", "fused"])
def test_paper_adamw_decay_is_not_scaled_by_lr(path: dict[str, bool]) -> None:
    """With zero gradients (m = v = 0, so Adam's update is 0/(0 + eps) = 0) only the decay moves θ."""
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = PaperAdamW([p], lr=1e-3, weight_decay=0.1, **path)
    p.grad = torch.zeros_like(p)
    opt.step()
    assert p.tolist() == [0.9, -1.8]
    assert opt.param_groups[0]["weight_decay"] == 0.1


def test_paper_adamw_runs_step_hooks_once() -> None:
    """Optimizer.__init__ wraps a class's step with the hook runner; AdamW's step is wrapped
    once an AdamW exists, and PaperAdamW must not run the hooks through it a second time."""
    torch.optim.AdamW(_params(torch.float32), lr=1e-3)
    torch.optim.Adam(_params(torch.float32), lr=1e-3)
    params = _params(torch.float32)
    opt = PaperAdamW(params, lr=1e-3, weight_decay=0.1)
    calls = []
    opt.register_step_pre_hook(lambda *_: calls.append("pre"))
    opt.register_step_post_hook(lambda *_: calls.append("post"))
    for p in params:
        p.grad = torch.ones_like(p)
    opt.step()
    assert calls == ["pre", "post"]


def test_paper_adamw_restores_weight_decay_on_error() -> None:
    params = _params(torch.float32)
    opt = PaperAdamW(params, lr=1e-3, weight_decay=0.1)
    params[0].grad = torch.zeros(3, 4).to_sparse()  # AdamW's step raises on a sparse gradient
    with pytest.raises(RuntimeError):
        opt.step()
    assert opt.param_groups[0]["weight_decay"] == 0.1


def test_paper_adamw_evaluates_the_closure_first() -> None:
    p = torch.nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    opt = PaperAdamW([p], lr=1e-3, weight_decay=0.5, foreach=False)
    seen = []

    def closure() -> torch.Tensor:
        opt.zero_grad()
        seen.append(p.item())
        loss = (p * p).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 4.0
    assert seen == [2.0]


# -- KerasAdam ------------------------------------------------------------------------------

def test_keras_adam_is_torch_adam_with_eps_hat() -> None:
    """With eps = 0 both are γ/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ)): the same up to rounding."""
    ours, _ = _run(lambda p: KerasAdam(p, lr=1e-2, eps=0.0), torch.float64)
    theirs, _ = _run(lambda p: torch.optim.Adam(p, lr=1e-2, eps=0.0, foreach=False), torch.float64)
    for x, y in zip(ours, theirs):
        torch.testing.assert_close(x, y, rtol=1e-12, atol=1e-12)


def test_keras_adam_eps_differs_from_torch() -> None:
    """Gradients of 1e-6: √v is about eps, where ε̂ = ε·√(1 − β2ᵗ) and ε part ways."""
    def tiny(build: Callable[[list[torch.nn.Parameter]], torch.optim.Optimizer]) -> torch.Tensor:
        p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
        opt = build([p])
        for _ in range(3):
            p.grad = torch.full((3,), 1e-7, dtype=torch.float64)
            opt.step()
        return p.detach()

    ours = tiny(lambda p: KerasAdam(p, lr=1e-2, eps=1e-7))
    theirs = tiny(lambda p: torch.optim.Adam(p, lr=1e-2, eps=1e-7, foreach=False))
    assert not torch.allclose(ours, theirs, rtol=1e-3)


def test_keras_adam_one_step_by_hand() -> None:
    lr, b1, b2, eps, wd = 0.1, 0.9, 0.999, 1e-7, 0.5
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = KerasAdam([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, maximize=True)
    p.grad = torch.tensor([0.5, -4.0], dtype=torch.float64)
    opt.step()
    theta = [1.0 - 1.0 * lr * wd, -2.0 - (-2.0) * lr * wd]
    g = [-0.5, 4.0]
    alpha = lr * math.sqrt(1 - b2) / (1 - b1)
    expected = [t - (gi * (1 - b1)) * alpha / (math.sqrt(gi * gi * (1 - b2)) + eps) for t, gi in zip(theta, g)]
    assert p.tolist() == pytest.approx(expected, rel=1e-14)
    assert opt.state[p]["step"] == 1
    assert opt.state[p]["exp_avg"].tolist() == pytest.approx([gi * (1 - b1) for gi in g])


@pytest.mark.parametrize("kwargs", [{"lr": -1.0}, {"eps": -1e-8}, {"betas": (1.0, 0.999)}, {"betas": (0.9, -0.1)},
                                    {"weight_decay": -0.1}])
def test_keras_adam_validates_as_torch_adam(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError) as theirs:
        torch.optim.Adam(_params(torch.float32), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as ours:
        KerasAdam(_params(torch.float32), **kwargs)  # type: ignore[arg-type]
    assert str(ours.value) == str(theirs.value)


# -- the case module ------------------------------------------------------------------------

def test_cases_are_the_agreed_names() -> None:
    import cases

    assert [c.name for c in cases.CASES] == [
        "adam_l2_fused_f32", "adam_l2_forloop_f64", "hf_adamw_f32", "hf_adamw_f64", "keras_adam_f32",
        "keras_adam_f64", "paper_adamw_fused_f32", "paper_adamw_forloop_f64", "sutskever_sgd_steplr_f32",
        "sutskever_sgd_steplr_f64", "adamw_fused_f32", "sgd_momentum_steplr_f64",
    ]
    assert {c.capability for c in cases.CASES} == {"avx2"}
