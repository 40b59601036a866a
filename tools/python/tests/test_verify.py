"""End to end: what the recorder writes, the Swift harness replays and passes.

Each test records a scenario from a loop written as a user would, then runs Lockstep's
`verify` on the file (free-running, then teacher-forced) when `LOCKSTEP_VERIFY` names the
binary (`.ci/run` sets it); without it the replay part is skipped, saying so. A file that
verified only because the format lost something would still pass here, so the scenarios
are chosen where losing it fails: a window whose initial state is dropped fails at step 1,
a closure replay that asks elsewhere fails at the evaluation, betas not replayed fail the
parameters.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import lockstep

TIMEOUT = 300


def verify(path: Path, *flags: str) -> None:
    binary = os.environ.get("LOCKSTEP_VERIFY")
    if not binary:
        pytest.skip("LOCKSTEP_VERIFY is not set: set it to Lockstep's Swift `verify` binary to replay the file")
    for mode in ((), ("--teacher-forcing",)):
        done = subprocess.run([binary, *flags, *mode, "--fixture", str(path)], capture_output=True, text=True,
                              timeout=TIMEOUT, check=False)
        assert done.returncode == 0, f"verify {' '.join(flags + mode)} --fixture {path}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def mlp(dtype: torch.dtype, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 1)).to(dtype)


def data(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(40, 6, generator=generator, dtype=dtype)
    return x, x.sum(1, keepdim=True).sin()


def train(model: nn.Module, opt: torch.optim.Optimizer, steps: int, dtype: torch.dtype,
          between: Callable[[int], None] = lambda step: None) -> None:
    x, y = data(dtype)
    for step in range(1, steps + 1):
        between(step)
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_lbfgs_strong_wolfe_closure_calls_replay_exactly(tmp_path: Path, dtype: torch.dtype) -> None:
    model = mlp(dtype)
    opt = torch.optim.LBFGS(model.parameters(), max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    x, y = data(dtype)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss

    path = tmp_path / "lbfgs.h5"
    with lockstep.record(opt, path, names=model.named_parameters()):
        for _ in range(5):
            opt.step(closure)
    verify(path, "--exact")


def test_a_window_replays_from_its_initial_state(tmp_path: Path) -> None:
    model = mlp(torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    path = tmp_path / "window.h5"
    with lockstep.record(opt, path, names=model.named_parameters(), steps=range(6, 10)):
        train(model, opt, 12, torch.float64)
    verify(path, "--exact")


def test_a_subset_of_parameters_replays(tmp_path: Path) -> None:
    model = mlp(torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    path = tmp_path / "subset.h5"
    with lockstep.record(opt, path, names=model.named_parameters(), params=["2.*"]):
        train(model, opt, 8, torch.float64)
    verify(path, "--exact")


def test_adamw_with_one_cycle_and_a_group_joining_replays(tmp_path: Path) -> None:
    model = mlp(torch.float64)
    first, head = model[0], model[2]
    opt = torch.optim.AdamW(first.parameters(), lr=1e-3)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=12)

    def join(step: int) -> None:
        if step == 5:
            g = opt.param_groups[0]
            keys = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
            opt.add_param_group({"params": list(head.parameters()), "lr": g["lr"], "betas": g["betas"], **{k: g[k] for k in keys}})

    path = tmp_path / "adamw.h5"
    x, y = data(torch.float64)
    with lockstep.record(opt, path, names=model.named_parameters(), scheduler=scheduler):
        for step in range(1, 13):
            join(step)
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            scheduler.step()
    verify(path)


def test_a_scheduler_spec_is_checked_by_the_swift_scheduler(tmp_path: Path) -> None:
    model = mlp(torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    scheduler = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=4)  # changes lr when built
    path = tmp_path / "linear.h5"
    spec = {"name": "LinearLR", "start_factor": 0.25, "total_iters": 4}
    x, y = data(torch.float64)
    with lockstep.record(opt, path, names=model.named_parameters(), scheduler=scheduler, scheduler_spec=spec):
        for _ in range(8):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
            scheduler.step()
    verify(path, "--exact")


@pytest.mark.parametrize("optimizer, options", [
    (torch.optim.SparseAdam, {"lr": 1e-2}),
    (torch.optim.Adagrad, {"lr": 0.1, "weight_decay": 0.0}),
    (torch.optim.RMSprop, {"lr": 1e-2, "momentum": 0.9, "centered": True}),
])
def test_synthetic_trajectories_replay(tmp_path: Path, optimizer: type[torch.optim.Optimizer], options: dict) -> None:
    path = lockstep.synthetic(optimizer, {"w": (4, 3), "b": (5,)}, out=tmp_path / "synthetic.h5", steps=16,
                              dtype="float64", seed=3, options=options)
    verify(path)


def test_a_state_that_exists_and_is_all_nan_replays_teacher_forced(tmp_path: Path) -> None:
    """Extension 15: SGD's momentum buffer after an all-NaN gradient is all NaN, which the
    NaN convention would read as "no buffer yet"; `state_exists` says it exists, so the
    teacher-forced replay loads it (μ·NaN + g stays NaN) instead of starting a new one."""
    import h5py
    import numpy as np

    w = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    v = torch.ones(4, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w, v], lr=0.1, momentum=0.9, foreach=False)
    path = tmp_path / "nan_buffer.h5"
    with lockstep.record(opt, path, names={"w": w, "v": v}):
        for step in range(1, 5):
            opt.zero_grad()
            w.grad = torch.full_like(w, float("nan")) if step == 1 else torch.full_like(w, 0.5 * step)
            v.grad = torch.full_like(v, 0.25 * step)
            opt.step()
    with h5py.File(path) as f:
        assert "state_exists" in f["params/w"], "the all-NaN buffer is ambiguous: state_exists is written"
        assert list(f["params/w/state_exists/momentum_buffer"][()]) == [1, 1, 1, 1]
        assert np.isnan(f["params/w/state/momentum_buffer"][0]).all()
        assert "state_exists" not in f["params/v"], "an unambiguous state keeps the NaN convention"
    verify(path)
