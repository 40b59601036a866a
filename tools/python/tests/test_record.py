"""`lockstep.record` on a user's own training loop, read back with h5py."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import stat
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

import lockstep
from lockstep import FixtureError

STEPS = 5
NAMES = ["0.weight", "0.bias", "2.weight", "2.bias"]


class SignMomentum(torch.optim.Optimizer):
    """A user's own optimizer: a sign-of-momentum update (Lion-like) with an integer step
    count, and a state entry (`peak`) that appears only after `late_after` steps."""

    def __init__(self, params: Any, lr: float = 1e-2, beta: float = 0.9, late_after: int = 2) -> None:
        super().__init__(params, dict(lr=lr, beta=beta, late_after=late_after))

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                state["step"] += 1
                m = state["m"]
                p.add_(torch.sign(m * group["beta"] + p.grad * (1 - group["beta"])), alpha=-group["lr"])
                m.mul_(group["beta"]).add_(p.grad, alpha=1 - group["beta"])
                if state["step"] > group["late_after"]:
                    state["peak"] = torch.maximum(state.get("peak", torch.zeros_like(p)), p.grad.abs())


def mlp(dtype: torch.dtype = torch.float32, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)).to(dtype)


def two_groups(model: nn.Sequential) -> list[dict[str, Any]]:
    return [{"params": list(model[0].parameters())}, {"params": list(model[2].parameters()), "lr": 0.003}]


OPTIMIZERS = {
    "Adam": lambda groups: torch.optim.Adam(groups, lr=0.01),
    "AdamW": lambda groups: torch.optim.AdamW(groups, lr=0.01, weight_decay=0.1),
    "SGD": lambda groups: torch.optim.SGD(groups, lr=0.05, momentum=0.9, nesterov=True),
    "SignMomentum": lambda groups: SignMomentum(groups, lr=0.01),
}


def data(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.randn(16, 4, generator=g, dtype=dtype), torch.randn(16, 3, generator=g, dtype=dtype)


def snapshot(value: Any) -> Any:
    return value.detach().clone().numpy() if isinstance(value, torch.Tensor) else value


def train(kind: str, dtype: torch.dtype, path: Path | None, steps: int = STEPS, **options: Any) -> dict[str, Any]:
    """The user's loop; records into `path` when given. Returns what it saw, by hand."""
    model = mlp(dtype)
    opt = OPTIMIZERS[kind](two_groups(model))
    x, y = data(dtype)
    named = dict(model.named_parameters())
    seen: dict[str, Any] = {"initial": {n: snapshot(p) for n, p in named.items()}, "grad": [], "param": [], "state": []}
    recording = lockstep.record(opt, path, names=model.named_parameters(), **options) if path else contextlib.nullcontext()
    with recording:
        for t in range(1, steps + 1):
            opt.zero_grad(set_to_none=True)
            nn.functional.mse_loss(model(x), y).backward()
            if t == 1:
                model[2].bias.grad = None  # a gradient the loop dropped: no state until step 2
            seen["grad"].append({n: None if p.grad is None else snapshot(p.grad) for n, p in named.items()})
            opt.step()
            seen["param"].append({n: snapshot(p) for n, p in named.items()})
            seen["state"].append({n: {k: snapshot(v) for k, v in opt.state.get(p, {}).items()} for n, p in named.items()})
    seen["param_groups"] = opt.state_dict()["param_groups"]
    return seen


@pytest.mark.parametrize(("kind", "dtype"), [("Adam", torch.float32), ("AdamW", torch.float64), ("SGD", torch.float32),
                                             ("SignMomentum", torch.float32)])
def test_user_loop_matches_torch(tmp_path: Path, load: Any, clean: Any, kind: str, dtype: torch.dtype) -> None:
    path = tmp_path / "run.h5"
    recorded = train(kind, dtype, path)
    by_hand = train(kind, dtype, None)
    f = load(path)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    dtype_name = "float32" if dtype == torch.float32 else "float64"

    assert clean(tmp_path, {"run.h5"}) == set()
    assert f.attrs["format"] == "lockstep-golden"
    assert f.attrs["format_version"] == 1
    assert f.attrs["optimizer"] == kind
    assert f.attrs["dtype"] == dtype_name
    assert f.attrs["steps"] == STEPS
    assert f.attrs["mode"] == "replay"

    # param_groups: torch's state_dict groups, with names in place of indices.
    expected_groups = json.loads(json.dumps(by_hand["param_groups"]))
    for group, names in zip(expected_groups, [NAMES[:2], NAMES[2:]], strict=True):
        group["params"] = names
    assert f.groups == expected_groups
    for name in NAMES:  # recording did not change the trajectory
        np.testing.assert_array_equal(recorded["param"][-1][name], by_hand["param"][-1][name])

    reference = f.reference
    assert reference["library"] == "torch"
    assert reference["version"] == torch.__version__
    assert reference["implementation"] == "forloop"
    assert reference["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    if kind == "SignMomentum":
        assert reference["reference_class"] == f"{SignMomentum.__module__}:SignMomentum"
    else:
        assert "reference_class" not in reference

    assert f.params() == NAMES
    late_rows = 0
    for name in NAMES:
        group = f"params/{name}"
        np.testing.assert_array_equal(f[f"{group}/initial"], by_hand["initial"][name])
        assert f[f"{group}/initial"].dtype == np_dtype
        assert f[f"{group}/param"].shape == (STEPS, *by_hand["initial"][name].shape)
        for t in range(STEPS):
            np.testing.assert_array_equal(f[f"{group}/param"][t], by_hand["param"][t][name], err_msg=f"{name} step {t + 1}")
            grad = by_hand["grad"][t][name]
            if grad is not None:
                np.testing.assert_array_equal(f[f"{group}/grad"][t], grad, err_msg=f"{name} grad step {t + 1}")
        # has_grad only where a gradient was None.
        if name == "2.bias":
            np.testing.assert_array_equal(f[f"{group}/has_grad"], [0] + [1] * (STEPS - 1))
        else:
            assert f"{group}/has_grad" not in f
        # State: equal to torch's after every step, NaN rows before a key exists.
        keys = set().union(*(by_hand["state"][t][name].keys() for t in range(STEPS)))
        assert set(f.file[f"{group}/state"].keys()) == keys
        for key in keys:
            rows = f[f"{group}/state/{key}"]
            for t in range(STEPS):
                value = by_hand["state"][t][name].get(key)
                if value is None:
                    assert np.isnan(rows[t]).all(), f"{name}/{key} row {t} should be NaN"
                    late_rows += 1
                else:
                    np.testing.assert_array_equal(rows[t], np.asarray(value, dtype=np_dtype), err_msg=f"{name}/{key} step {t + 1}")
    assert late_rows > 0  # the dropped gradient delayed 2.bias's state
    if kind == "SignMomentum":
        peak = f["params/0.weight/state/peak"]
        assert np.isnan(peak[:2]).all() and np.isfinite(peak[2:]).all()
        np.testing.assert_array_equal(f["params/0.weight/state/step"], np.arange(1, STEPS + 1))
    assert "steps" not in f  # no scheduler, lr never changed


def test_recording_does_not_change_the_trajectory_or_warn(tmp_path: Path) -> None:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    x, y = data(torch.float32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters(), scheduler=scheduler) as recording:
            for _ in range(3):
                opt.zero_grad()
                nn.functional.mse_loss(model(x), y).backward()
                opt.step()
                scheduler.step()
    assert [str(w.message) for w in caught if "optimizer.step()" in str(w.message)] == []
    assert recording.steps_recorded == 3
    # The optimizer is left as it was: no wrapper left on the instance once the block ends.
    assert getattr(opt.step, "_wrapped_by_lr_sched", False)
    assert opt._optimizer_step_pre_hooks == {} and opt._optimizer_step_post_hooks == {}


def test_optimizer_name_overrides_the_class_name(tmp_path: Path, load: Any) -> None:
    model = mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=0.01)
    x, y = data(torch.float32)
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters(), optimizer_name="HFAdamW",
                         description="d", case="c", seed=7, tolerance={"rtol": 1e-5}):
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    f = load(tmp_path / "run.h5")
    assert f.attrs["optimizer"] == "HFAdamW"
    assert (f.attrs["description"], f.attrs["case"], f.attrs["seed"]) == ("d", "c", 7)
    assert json.loads(f.attrs["tolerance"]) == {"rtol": 1e-5}


def test_default_names_come_from_param_names_or_positions(tmp_path: Path, load: Any) -> None:
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([a, b], lr=0.1)
    with lockstep.record(opt, tmp_path / "run.h5"):
        a.grad, b.grad = torch.ones(2), torch.ones(3)
        opt.step()
    f = load(tmp_path / "run.h5")
    assert f.params() == ["param0", "param1"]
    assert f.groups[0]["params"] == ["param0", "param1"]


# -- groups joining, schedulers -------------------------------------------------------------


def test_add_param_group_mid_run(tmp_path: Path, load: Any) -> None:
    model = mlp()
    opt = torch.optim.SGD(model[0].parameters(), lr=0.1, momentum=0.9)
    x, y = data(torch.float32)
    initial_late = {n: snapshot(p) for n, p in model[2].named_parameters()}
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters()):
        for t in range(1, 6):
            if t == 3:
                opt.add_param_group({"params": list(model[2].parameters()), "lr": 0.05})
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    f = load(tmp_path / "run.h5")
    assert [g["params"] for g in f.groups] == [NAMES[:2], NAMES[2:]]
    assert "added_at_step" not in f.groups[0]
    assert f.groups[1]["added_at_step"] == 3
    assert f.groups[1]["lr"] == 0.05
    lr = f["steps/lr"]
    assert lr.shape == (5, 2) and lr.dtype == np.float64
    np.testing.assert_array_equal(lr[:, 0], [0.1] * 5)
    assert np.isnan(lr[:2, 1]).all()
    np.testing.assert_array_equal(lr[2:, 1], [0.05] * 3)
    for short, name in (("weight", "2.weight"), ("bias", "2.bias")):
        np.testing.assert_array_equal(f[f"params/{name}/has_grad"], [0, 0, 1, 1, 1])
        np.testing.assert_array_equal(f[f"params/{name}/initial"], initial_late[short])
        for t in range(2):  # the value it kept before it joined
            np.testing.assert_array_equal(f[f"params/{name}/param"][t], initial_late[short])
        buffer = f[f"params/{name}/state/momentum_buffer"]
        assert np.isnan(buffer[:2]).all() and np.isfinite(buffer[2:]).all()
    assert f.params() == NAMES


def test_add_param_group_of_another_dtype_is_refused(tmp_path: Path, clean: Any) -> None:
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = torch.optim.SGD([a], lr=0.1)
    path = tmp_path / "run.h5"
    with pytest.raises(FixtureError, match="float32, float64") as error:
        with lockstep.record(opt, path, names={"a": a, "b": b}):
            for t in range(3):
                if t == 1:
                    opt.add_param_group({"params": [b]})
                a.grad, b.grad = torch.ones_like(a), torch.ones_like(b)
                opt.step()
    assert str(path) in str(error.value)
    assert clean(tmp_path) == set()


@pytest.mark.parametrize(("kind", "dataset", "absent"), [("Adam", "betas", "momentum"), ("SGD", "momentum", "betas")])
def test_one_cycle_records_lr_and_momentum(tmp_path: Path, load: Any, kind: str, dataset: str, absent: str) -> None:
    model = mlp()
    opt = (torch.optim.Adam(two_groups(model), lr=0.01) if kind == "Adam"
           else torch.optim.SGD(two_groups(model), lr=0.01, momentum=0.9))
    scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.02], total_steps=10, cycle_momentum=True)
    x, y = data(torch.float32)
    lrs, momenta = [], []
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters(), scheduler=scheduler):
        for _ in range(6):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            lrs.append([g["lr"] for g in opt.param_groups])
            momenta.append([list(g["betas"]) if kind == "Adam" else g["momentum"] for g in opt.param_groups])
            opt.step()
            scheduler.step()
    f = load(tmp_path / "run.h5")
    np.testing.assert_array_equal(f["steps/lr"], lrs)
    assert f["steps/lr"].shape == (6, 2)
    np.testing.assert_array_equal(f[f"steps/{dataset}"], momenta)
    assert f[f"steps/{dataset}"].shape == ((6, 2, 2) if kind == "Adam" else (6, 2))
    assert f[f"steps/{dataset}"].dtype == np.float64
    assert f"steps/{absent}" not in f
    assert len({row[0] for row in lrs}) > 1  # the schedule moved


def test_betas_with_a_group_joining_later(tmp_path: Path, load: Any) -> None:
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))
    opt = torch.optim.Adam([a], lr=0.1)
    with lockstep.record(opt, tmp_path / "run.h5", names={"a": a, "b": b}):
        for t in range(1, 5):
            if t == 2:
                opt.param_groups[0]["betas"] = (0.8, 0.999)
            if t == 3:
                opt.add_param_group({"params": [b], "betas": (0.5, 0.9)})
            a.grad, b.grad = torch.ones(2), torch.ones(3)
            opt.step()
    f = load(tmp_path / "run.h5")
    nan = [np.nan, np.nan]
    np.testing.assert_array_equal(f["steps/betas"], [[[0.9, 0.999], nan], [[0.8, 0.999], nan],
                                                     [[0.8, 0.999], [0.5, 0.9]], [[0.8, 0.999], [0.5, 0.9]]])
    assert "steps/momentum" not in f
    assert f.groups[0]["betas"] == [0.9, 0.999]
    assert f.groups[1]["betas"] == [0.5, 0.9] and f.groups[1]["added_at_step"] == 3


def test_scheduler_spec_with_a_later_window_is_refused(tmp_path: Path) -> None:
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="scheduler_spec"):
        lockstep.record(opt, tmp_path / "run.h5", scheduler_spec={"name": "StepLR", "step_size": 2}, steps=range(3, 5))


def test_scheduler_built_inside_the_block_keeps_the_constructor_values(tmp_path: Path, load: Any) -> None:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=0.5, betas=(0.8, 0.99))
    x, y = data(torch.float32)
    lrs = []
    spec = {"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 8}
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters(), scheduler_spec=spec) as recording:
        scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=8)
        recording.watch_scheduler(scheduler)
        for _ in range(4):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
    f = load(tmp_path / "run.h5")
    assert f.groups[0]["lr"] == 0.5  # not OneCycleLR's starting rate
    assert f.groups[0]["betas"] == [0.8, 0.99]
    np.testing.assert_array_equal(f["steps/lr"][:, 0], lrs)
    assert lrs[0] == pytest.approx(0.1 / 25)
    assert json.loads(f.attrs["scheduler"]) == spec
    assert "steps/betas" in f


def test_reduce_lr_on_plateau_records_the_metric(tmp_path: Path, load: Any) -> None:
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    x, y = data(torch.float32)
    metrics = [1.0, 0.8, 0.8, 0.8, 0.8, 0.8]
    lrs = []
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters(), scheduler=scheduler):
        for metric in metrics:
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            lrs.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step(metric)
    f = load(tmp_path / "run.h5")
    np.testing.assert_array_equal(f["steps/metric"], metrics)
    assert f["steps/metric"].dtype == np.float64
    np.testing.assert_array_equal(f["steps/lr"][:, 0], lrs)
    assert lrs[-1] < lrs[0]


# -- a slice of the model, a window of steps --------------------------------------------------


@pytest.mark.parametrize(("patterns", "expected"), [
    ("2.*", [["2.weight", "2.bias"]]),
    (["*.bias", "2.weight"], [["0.bias"], ["2.weight", "2.bias"]]),
])
def test_params_patterns_record_a_subset(tmp_path: Path, load: Any, patterns: Any, expected: list[list[str]]) -> None:
    model = mlp()
    opt = torch.optim.Adam(two_groups(model), lr=0.01)
    x, y = data(torch.float32)
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters(), params=patterns):
        for _ in range(2):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    f = load(tmp_path / "run.h5")
    assert [g["params"] for g in f.groups] == expected
    flat = [n for names in expected for n in names]
    assert f.params() == flat
    assert [int(f.file[f"params/{n}"].attrs["index"]) for n in flat] == list(range(len(flat)))
    assert set(f.file["params"]) == set(flat)
    assert f.groups[-1]["lr"] == 0.003  # the second group's own values
    np.testing.assert_array_equal(f["params/2.weight/param"][-1], snapshot(model[2].weight))


def _adam_window(tmp_path: Path, window: Any) -> tuple[dict[str, Any], Path]:
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    x, y = data(torch.float32)
    named = dict(model.named_parameters())
    seen: dict[str, Any] = {"param": {}, "state": {}, "grad": {}}
    path = tmp_path / "window.h5"
    with lockstep.record(opt, path, names=model.named_parameters(), steps=window) as recording:
        for t in range(1, 9):
            opt.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            seen["param"][t - 1] = {n: snapshot(p) for n, p in named.items()}
            seen["state"][t - 1] = {n: {k: snapshot(v) for k, v in opt.state[p].items()} for n, p in named.items()}
            seen["grad"][t] = {n: snapshot(p.grad) for n, p in named.items()}
            opt.step()
            seen["param"][t] = {n: snapshot(p) for n, p in named.items()}
            seen["state"][t] = {n: {k: snapshot(v) for k, v in opt.state[p].items()} for n, p in named.items()}
    seen["recorded"] = recording.steps_recorded
    return seen, path


def test_window_records_initial_values_and_state(tmp_path: Path, load: Any) -> None:
    seen, path = _adam_window(tmp_path, range(4, 7))
    f = load(path)
    assert seen["recorded"] == 3
    assert f.attrs["steps"] == 3
    for name in NAMES:
        np.testing.assert_array_equal(f[f"params/{name}/initial"], seen["param"][3][name])
        initial_state = f.file[f"params/{name}/initial_state"]
        assert set(initial_state) == {"step", "exp_avg", "exp_avg_sq"}
        for key in initial_state:
            np.testing.assert_array_equal(initial_state[key][()], seen["state"][3][name][key])
        np.testing.assert_array_equal(f[f"params/{name}/state/step"], [4, 5, 6])
        for row, t in enumerate(range(4, 7)):
            np.testing.assert_array_equal(f[f"params/{name}/grad"][row], seen["grad"][t][name])
            np.testing.assert_array_equal(f[f"params/{name}/param"][row], seen["param"][t][name])
            np.testing.assert_array_equal(f[f"params/{name}/state/exp_avg"][row], seen["state"][t][name]["exp_avg"])


def test_window_as_tuple_and_from_step_one(tmp_path: Path, load: Any) -> None:
    seen, path = _adam_window(tmp_path, (1, 3))
    f = load(path)
    assert f.attrs["steps"] == 2
    assert "params/0.weight/initial_state" not in f  # nothing before step 1
    np.testing.assert_array_equal(f["params/0.weight/initial"], seen["param"][0]["0.weight"])


@pytest.mark.parametrize("window", [range(0, 3), range(3, 3), range(1, 6, 2), (5, 2)])
def test_bad_windows_are_refused(tmp_path: Path, window: Any) -> None:
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="steps"):
        lockstep.record(opt, tmp_path / "run.h5", steps=window)


def test_window_past_the_last_step_is_refused(tmp_path: Path, clean: Any) -> None:
    p = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=0.1)
    with pytest.raises(FixtureError, match="no step was recorded"):
        with lockstep.record(opt, tmp_path / "run.h5", names={"p": p}, steps=range(5, 7)):
            for _ in range(3):
                p.grad = torch.ones(2)
                opt.step()
    assert clean(tmp_path) == set()


@pytest.mark.parametrize(("window", "has_initial_state"), [(None, False), (range(2, 4), True)])
def test_adagrad_constructor_state_is_not_initial_state(tmp_path: Path, load: Any, window: Any, has_initial_state: bool) -> None:
    p = nn.Parameter(torch.randn(3))
    opt = torch.optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.5)
    assert opt.state[p]  # Adagrad fills its state in the constructor
    with lockstep.record(opt, tmp_path / "run.h5", names={"p": p}, steps=window):
        for _ in range(3):
            p.grad = torch.ones(3)
            opt.step()
    f = load(tmp_path / "run.h5")
    assert ("params/p/initial_state" in f) == has_initial_state
    if has_initial_state:
        assert f["params/p/initial_state/step"] == 1
        np.testing.assert_array_equal(f["params/p/initial_state/sum"], [1.5] * 3)


# -- closure mode -----------------------------------------------------------------------------


def test_lbfgs_strong_wolfe_closure(tmp_path: Path, load: Any) -> None:
    torch.manual_seed(0)
    a = torch.randn(12, 3, dtype=torch.float64)
    b = torch.randn(12, 1, dtype=torch.float64)
    model = nn.Linear(3, 1).double()
    opt = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=4, history_size=3, line_search_fn="strong_wolfe")
    named = dict(model.named_parameters())
    calls: list[dict[str, Any]] = []

    def closure() -> torch.Tensor:
        at = {n: snapshot(p) for n, p in named.items()}
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(a), b)
        loss.backward()
        calls.append({"param": at, "grad": {n: snapshot(p.grad) for n, p in named.items()}, "loss": loss.item()})
        return loss

    returned, per_step = [], []
    with lockstep.record(opt, tmp_path / "run.h5", names=model.named_parameters()):
        for _ in range(3):
            before = len(calls)
            returned.append(opt.step(closure).item())
            per_step.append(len(calls) - before)
    f = load(tmp_path / "run.h5")
    assert f.attrs["mode"] == "closure"
    assert f.attrs["optimizer"] == "LBFGS"
    assert f.attrs["dtype"] == "float64"
    np.testing.assert_array_equal(f["steps/loss"], returned)
    np.testing.assert_array_equal(f["steps/closure_calls"], per_step)
    assert f["steps/closure_calls"].dtype == np.int64
    assert sum(per_step) > 3  # the line search called the closure more than once per step
    assert f["evaluations/loss"].shape == (sum(per_step),)
    np.testing.assert_array_equal(f["evaluations/loss"], [c["loss"] for c in calls])
    for name in named:
        assert "grad" not in f.file[f"params/{name}"]
        assert "has_grad" not in f.file[f"params/{name}"]
        for kind in ("param", "grad"):
            rows = f[f"params/{name}/evaluations/{kind}"]
            assert rows.shape == (len(calls), *named[name].shape)
            for e, call in enumerate(calls):
                np.testing.assert_array_equal(rows[e], call[kind][name], err_msg=f"{name} {kind} call {e}")
        np.testing.assert_array_equal(f[f"params/{name}/param"][-1], snapshot(named[name]))
    assert "params/weight/state/old_dirs" in f  # LBFGS keeps its state on the first parameter
    assert "params/bias/state" not in f
    # One closure call per chunk where a row holds more than one number, else one chunk.
    assert f.file["params/weight/evaluations/param"].chunks == (1, 1, 3)
    assert f.file["params/bias/evaluations/grad"].chunks == (len(calls), 1)
    assert f.file["evaluations/loss"].dtype == np.float64 and f.file["evaluations/loss"].fletcher32


def test_closure_calls_that_leave_a_gradient_none(tmp_path: Path, load: Any) -> None:
    x = nn.Parameter(torch.tensor([3.0, -1.0]))
    unused = nn.Parameter(torch.ones(2))
    opt = torch.optim.LBFGS([x, unused], lr=0.5, max_iter=3)

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        loss = (x**2).sum()
        loss.backward()
        return loss

    with lockstep.record(opt, tmp_path / "run.h5", names={"x": x, "unused": unused}):
        opt.step(closure)
        opt.step(closure)
    f = load(tmp_path / "run.h5")
    calls = int(f["steps/closure_calls"].sum())
    assert f["evaluations/loss"].shape == (calls,)
    np.testing.assert_array_equal(f["params/unused/evaluations/has_grad"], [0] * calls)
    assert np.isnan(f["params/unused/evaluations/grad"]).all()
    assert "params/x/evaluations/has_grad" not in f
    np.testing.assert_array_equal(f["params/x/evaluations/grad"][0], [6.0, -2.0])


def test_closure_mode_without_evaluations(tmp_path: Path, load: Any) -> None:
    p = nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = (p**2).sum()
        loss.backward()
        return loss

    with lockstep.record(opt, tmp_path / "run.h5", names={"p": p}, evaluations=False):
        for _ in range(2):
            opt.step(closure)
    f = load(tmp_path / "run.h5")
    assert "evaluations" not in f and "params/p/evaluations" not in f
    np.testing.assert_array_equal(f["steps/closure_calls"], [1, 1])
    np.testing.assert_array_equal(f["steps/loss"], [5.0, 5.0 * 0.8**2])


# -- atomicity --------------------------------------------------------------------------------


class Boom(Exception):
    pass


def _steps(opt: torch.optim.Optimizer, p: torch.Tensor, count: int) -> None:
    for _ in range(count):
        p.grad = torch.ones_like(p)
        opt.step()


@pytest.mark.parametrize("steps_before_error", [0, 2])
def test_an_exception_leaves_no_file(tmp_path: Path, clean: Any, steps_before_error: int) -> None:
    p = nn.Parameter(torch.zeros(4, 4))
    opt = torch.optim.Adam([p], lr=0.1)
    with pytest.raises(Boom):
        with lockstep.record(opt, tmp_path / "run.h5", names={"p": p}):
            _steps(opt, p, steps_before_error)
            raise Boom
    assert clean(tmp_path) == set()
    assert opt._optimizer_step_pre_hooks == {}  # detached on the way out
    assert "step" not in vars(opt)


def test_an_exception_leaves_an_existing_file_untouched(tmp_path: Path, clean: Any) -> None:
    path = tmp_path / "run.h5"
    path.write_bytes(b"the previous fixture")
    os.chmod(path, 0o600)
    before = path.stat()
    p = nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([p], lr=0.1)
    with pytest.raises(Boom):
        with lockstep.record(opt, path, names={"p": p}):
            _steps(opt, p, 3)
            raise Boom
    assert path.read_bytes() == b"the previous fixture"
    assert (path.stat().st_mtime_ns, path.stat().st_ino, stat.S_IMODE(path.stat().st_mode)) == (before.st_mtime_ns, before.st_ino, 0o600)
    assert clean(tmp_path, {"run.h5"}) == set()


def test_finishing_replaces_the_file_with_mode_644(tmp_path: Path, load: Any, clean: Any) -> None:
    path = tmp_path / "sub" / "run.h5"
    path.parent.mkdir()
    path.write_bytes(b"old")
    old_umask = os.umask(0o077)
    try:
        p = nn.Parameter(torch.zeros(3))
        opt = torch.optim.SGD([p], lr=0.1)
        with lockstep.record(opt, path, names={"p": p}) as recording:
            _steps(opt, p, 2)
    finally:
        os.umask(old_umask)
    assert recording.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert clean(path.parent, {"run.h5"}) == set()
    assert load(path).attrs["steps"] == 2


# -- refusals ---------------------------------------------------------------------------------


class Keeps(torch.optim.Optimizer):
    """Keeps `value` in each parameter's state: what a fixture cannot store."""

    def __init__(self, params: Any, value: Any) -> None:
        super().__init__(params, dict(lr=0.1))
        self.value = value

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad, alpha=-group["lr"])
                self.state[p]["info"] = self.value


def _loop(opt: torch.optim.Optimizer, params: dict[str, torch.Tensor], path: Path, steps: int = 2,
          between: Any = None, **options: Any) -> None:
    with lockstep.record(opt, path, names=params, **options):
        for t in range(1, steps + 1):
            if between:
                between(t)
            for p in params.values():
                p.grad = torch.ones_like(p)
            opt.step()


def _mixed(path: Path) -> None:
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(2, dtype=torch.float64))
    _loop(torch.optim.SGD([a, b], lr=0.1), {"a": a, "b": b}, path)


def _half(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2, dtype=torch.float16))
    _loop(torch.optim.SGD([a], lr=0.1), {"a": a}, path)


def _state(value: Any) -> Any:
    def run(path: Path) -> None:
        a = nn.Parameter(torch.zeros(2))
        _loop(Keeps([a], value), {"a": a}, path)
    return run


def _weight_decay(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([a], lr=0.1)

    def change(t: int) -> None:
        if t == 2:
            opt.param_groups[0]["weight_decay"] = 0.01
    _loop(opt, {"a": a}, path, between=change)


def _multi_element_lr(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([a], lr=0.1)
    opt.param_groups[0]["lr"] = torch.tensor([0.01, 0.02])  # torch's constructor refuses it; set by hand
    _loop(opt, {"a": a}, path)


def _tensor_betas(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    _loop(torch.optim.Adam([a], betas=(torch.tensor(0.9), torch.tensor(0.99))), {"a": a}, path)


def _missing_name(path: Path) -> None:
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([a, b], lr=0.1)
    with lockstep.record(opt, path, names={"a": a}):
        a.grad, b.grad = torch.ones(2), torch.ones(3)
        opt.step()


def _slash(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    _loop(torch.optim.SGD([a], lr=0.1), {"enc/a": a}, path)


def _no_step(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    with lockstep.record(torch.optim.SGD([a], lr=0.1), path, names={"a": a}):
        a.grad = torch.ones(2)


def _closure_then_none(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([a], lr=0.1)

    def closure() -> torch.Tensor:
        a.grad = torch.ones(2)
        return torch.tensor(1.0)

    with lockstep.record(opt, path, names={"a": a}):
        opt.step(closure)
        a.grad = torch.ones(2)
        opt.step()


def _none_then_closure(path: Path) -> None:
    a = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([a], lr=0.1)
    with lockstep.record(opt, path, names={"a": a}):
        a.grad = torch.ones(2)
        opt.step()
        opt.step(lambda: torch.tensor(1.0))


REFUSALS = {
    "mixed dtypes": (_mixed, "float32, float64"),
    "float16": (_half, "float16"),
    "state dict": (_state({"a": 1}), "/params/a/state/info"),
    "state string": (_state("adam"), "/params/a/state/info"),
    "weight_decay changed": (_weight_decay, "param_groups[0]['weight_decay']"),
    "tensor lr of two elements": (_multi_element_lr, "param_groups[0]['lr']: is a tensor of 2 elements"),
    "tensor inside betas": (_tensor_betas, "param_groups[0]['betas']"),
    "names missing a parameter": (_missing_name, "parameter 1 of param group 0"),
    "name with a slash": (_slash, "/params/enc/a"),
    "no step": (_no_step, "no step was recorded"),
    "closure then none": (_closure_then_none, "step 2"),
    "none then closure": (_none_then_closure, "step 2"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_name_the_file_and_the_object(tmp_path: Path, clean: Any, case: str) -> None:
    run, obj = REFUSALS[case]
    path = tmp_path / "refused.h5"
    with pytest.raises((FixtureError, ValueError, TypeError)) as error:
        run(path)
    message = str(error.value)
    assert str(path) in message
    assert obj in message
    assert clean(tmp_path) == set()


def test_not_an_optimizer_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not a torch.optim.Optimizer"):
        lockstep.record(object(), tmp_path / "run.h5")  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_tensor_lr_is_recorded_with_its_dtype(tmp_path: Path, load: Any, dtype: torch.dtype) -> None:
    """Extension 16: the tensor's value as a number, its dtype under tensor_hyperparameters;
    a group given a float keeps none."""
    a, b = nn.Parameter(torch.zeros(2, dtype=torch.float64)), nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = torch.optim.SGD([{"params": [a], "lr": torch.tensor(0.01, dtype=dtype)}, {"params": [b], "lr": 0.5}])
    _loop(opt, {"a": a, "b": b}, tmp_path / "run.h5")
    groups = load(tmp_path / "run.h5").groups
    name = str(dtype).removeprefix("torch.")
    assert groups[0]["lr"] == torch.tensor(0.01, dtype=dtype).item()
    assert groups[0]["tensor_hyperparameters"] == {"lr": name}
    assert "tensor_hyperparameters" not in groups[1]


def test_a_lr_set_by_hand_is_recorded_per_step(tmp_path: Path, load: Any) -> None:
    a = nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([a], lr=0.1)

    def change(t: int) -> None:
        if t == 3:
            opt.param_groups[0]["lr"] = 0.01
    _loop(opt, {"a": a}, tmp_path / "run.h5", steps=4, between=change)
    f = load(tmp_path / "run.h5")
    np.testing.assert_array_equal(f["steps/lr"][:, 0], [0.1, 0.1, 0.01, 0.01])
    assert f.groups[0]["lr"] == 0.1


# -- streaming --------------------------------------------------------------------------------


def _peak_increment(path: Path, steps: int) -> int:
    """tracemalloc's peak over the block, above what was allocated when it began."""
    torch.manual_seed(0)
    w = nn.Parameter(torch.randn(64, 64))
    grad = torch.randn(64, 64)
    opt = torch.optim.Adam([w], lr=1e-3)
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        with lockstep.record(opt, path, names={"weight": w}):
            for _ in range(steps):
                w.grad = grad
                opt.step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_steps(tmp_path: Path, load: Any, figure: Any) -> None:
    short = _peak_increment(tmp_path / "short.h5", 10)
    long = _peak_increment(tmp_path / "long.h5", 1000)
    # One step's rows (grad, param, exp_avg, exp_avg_sq of a 64x64 weight) are 64 KiB: held
    # in memory, 1000 steps would be about 64 MiB; streamed, what grows is a few hundred
    # bytes of per-step bookkeeping (the /steps rows, has_grad).
    figure(f"recording peak memory increment (tracemalloc): 10 steps {short / 1024:.0f} KiB, "
           f"1000 steps {long / 1024:.0f} KiB")
    assert long < 2 * short + 1024 * 1024
    f = load(tmp_path / "long.h5")
    assert f.attrs["steps"] == 1000
    assert f.file["params/weight/param"].chunks == (1, 64, 64)
