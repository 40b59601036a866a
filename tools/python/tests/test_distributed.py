"""`lockstep.record` inside a `torch.distributed` job: DDP and ZeroRedundancyOptimizer.

Runs `examples/distributed.py` (two processes, gloo, on this machine) as a user would and
reads the fixtures back: DDP leaves one file, written by rank 0, whose gradients are the
all-reduced ones; ZeRO leaves one file per rank, whose parameters are that rank's shard.
With `LOCKSTEP_VERIFY` set to Lockstep's `verify` binary, every file must also verify in
Swift; without it that part is skipped.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
EXAMPLE = HERE.parent / "examples" / "distributed.py"
STEPS = 8
NAMES = {"module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"}
TIMEOUT = 600  # seconds for one two-process run (importing torch twice dominates)

pytestmark = pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")


def _environment() -> dict[str, str]:
    """The checkout's package first, so that the subprocesses record with the code under test."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, *argv], env=_environment(), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def _example(mode: str, out: Path, *extra: str) -> list[Path]:
    _run(str(EXAMPLE), "--mode", mode, "--out", str(out), "--steps", str(STEPS), *extra)
    return sorted(out.iterdir())


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """The example's module, for its data and constants (its `main` is not run here)."""
    spec = importlib.util.spec_from_file_location("lockstep_distributed_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _example("ddp", tmp_path_factory.mktemp("ddp"), "--dtype", "float64")


@pytest.fixture(scope="module")
def zero_run(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _example("zero", tmp_path_factory.mktemp("zero"), "--dtype", "float64")


@pytest.fixture(scope="module")
def zero_sgd_run(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """SGD with momentum, float32, and a StepLR built on the ZeroRedundancyOptimizer."""
    return _example("zero", tmp_path_factory.mktemp("zero_sgd"), "--dtype", "float32", "--optimizer", "sgd",
                    "--scheduler", "step")


def _decode(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _groups(fixture: Any) -> list[dict[str, Any]]:
    return json.loads(_decode(fixture.attrs["param_groups"]))


def _check_fixture(fixture: Any, optimizer: str, dtype: str) -> list[str]:
    """The root attributes and the shapes of every parameter's series; its names, in index order."""
    assert _decode(fixture.attrs["format"]) == "lockstep-golden"
    assert _decode(fixture.attrs["optimizer"]) == optimizer
    assert _decode(fixture.attrs["dtype"]) == dtype
    assert _decode(fixture.attrs["mode"]) == "replay"
    assert int(fixture.attrs["steps"]) == STEPS
    names = sorted(fixture["params"], key=lambda n: int(fixture[f"params/{n}"].attrs["index"]))
    assert [int(fixture[f"params/{n}"].attrs["index"]) for n in names] == list(range(len(names)))
    assert [n for group in _groups(fixture) for n in group["params"]] == names
    for name in names:
        group = fixture[f"params/{name}"]
        shape = group["initial"].shape
        assert group["initial"].dtype == np.dtype(dtype)
        assert group["grad"].shape == group["param"].shape == (STEPS, *shape)
        assert np.isfinite(group["grad"][()]).all()
        assert not np.array_equal(group["param"][-1], group["initial"][()]), f"{name} never moved"
        assert "state" in group and len(group["state"]) > 0
    return names


def _verify(paths: list[Path]) -> None:
    binary = os.environ.get("LOCKSTEP_VERIFY")
    if not binary:
        pytest.skip("LOCKSTEP_VERIFY is not set: set it to Lockstep's Swift `verify` binary "
                    "(swift build -c release --product verify) to check the fixtures verify")
    for path in paths:
        done = subprocess.run([binary, "--fixture", str(path)], capture_output=True, text=True, timeout=TIMEOUT, check=False)
        assert done.returncode == 0, f"verify --fixture {path} exited {done.returncode}\n{done.stdout}\n{done.stderr}"


# -- DDP -------------------------------------------------------------------------------------


def test_ddp_rank_zero_writes_one_file(ddp_run: list[Path]) -> None:
    # No file from rank 1, and no spool or temporary left by either rank.
    assert [p.name for p in ddp_run] == ["ddp_adamw_float64.h5"]


def test_ddp_records_the_all_reduced_gradients(ddp_run: list[Path], example: ModuleType) -> None:
    import h5py

    with h5py.File(ddp_run[0], "r") as fixture:
        names = _check_fixture(fixture, "AdamW", "float64")
        assert set(names) == NAMES
        groups = _groups(fixture)
        assert [g["weight_decay"] for g in groups] == [0.01, 0.0]
        assert "/steps/lr" not in fixture  # no scheduler, no change of lr
        initial = {n: torch.from_numpy(fixture[f"params/{n}/initial"][()]) for n in names}
        recorded = {n: fixture[f"params/{n}/grad"][0] for n in names}

    # Step 1's gradient, recomputed in one process from the recorded initial values: the
    # mean over the whole mini-batch (both ranks' halves), as DDP's all-reduce averages it.
    x, y = example.regression(torch.float64)
    order = torch.randperm(example.SAMPLES, generator=torch.Generator().manual_seed(example.SEED + 1))
    batch = order[: example.BATCH]

    def grads(rows: torch.Tensor) -> dict[str, np.ndarray]:
        p = {n: t.clone().requires_grad_() for n, t in initial.items()}
        hidden = torch.tanh(F.linear(x[rows], p["module.0.weight"], p["module.0.bias"]))
        F.mse_loss(F.linear(hidden, p["module.2.weight"], p["module.2.bias"]), y[rows]).backward()
        return {n: t.grad.numpy() for n, t in p.items()}

    full, local = grads(batch), grads(batch[0 :: example.WORLD_SIZE])
    for name in names:
        np.testing.assert_allclose(recorded[name], full[name], rtol=1e-12, atol=1e-14, err_msg=name)
        assert not np.allclose(recorded[name], local[name], rtol=1e-6), f"{name}: rank 0's own gradient, not the all-reduced one"


def test_ddp_fixture_verifies_in_swift(ddp_run: list[Path]) -> None:
    _verify(ddp_run)


# -- ZeroRedundancyOptimizer -----------------------------------------------------------------


def _shards(run: list[Path], stem: str) -> list[Path]:
    assert [p.name for p in run] == [f"{stem}.rank0.h5", f"{stem}.rank1.h5"]
    return run


def test_zero_every_rank_writes_its_shard(zero_run: list[Path], ddp_run: list[Path]) -> None:
    import h5py

    shards = _shards(zero_run, "zero_adamw_float64")
    seen: list[set[str]] = []
    with h5py.File(ddp_run[0], "r") as whole:
        for path in shards:
            with h5py.File(path, "r") as fixture:
                names = _check_fixture(fixture, "AdamW", "float64")
                seen.append(set(names))
                # Each group lists only this rank's parameters, with the group's own values.
                for group in _groups(fixture):
                    assert group["weight_decay"] == (0.0 if all(n.endswith("bias") for n in group["params"]) else 0.01)
                # The same job as the DDP run, sharded: the same all-reduced gradients, and
                # the same arithmetic on each parameter, bit for bit.
                for name in names:
                    for series in ("initial", "grad", "param", "state/exp_avg", "state/exp_avg_sq", "state/step"):
                        assert np.array_equal(fixture[f"params/{name}/{series}"][()], whole[f"params/{name}/{series}"][()]), \
                            f"{path.name}: /params/{name}/{series} differs from the DDP run's"
    assert all(seen), "a rank recorded no parameter"
    assert not seen[0] & seen[1], f"shards overlap: {seen[0] & seen[1]}"
    assert seen[0] | seen[1] == NAMES


def test_zero_scheduler_and_sgd_shards(zero_sgd_run: list[Path]) -> None:
    import h5py

    shards = _shards(zero_sgd_run, "zero_sgd_float32")
    seen: list[set[str]] = []
    for path in shards:
        with h5py.File(path, "r") as fixture:
            names = _check_fixture(fixture, "SGD", "float32")
            seen.append(set(names))
            for name in names:
                assert set(fixture[f"params/{name}/state"]) == {"momentum_buffer"}
            # The schedule is the one StepLR set on the wrapper and ZeRO copied to this rank's
            # local optimizer before each step; param_groups holds the rate before it.
            assert json.loads(_decode(fixture.attrs["scheduler"])) == {"name": "StepLR", "step_size": 5, "gamma": 0.5}
            assert [g["lr"] for g in _groups(fixture)] == [0.05] * len(_groups(fixture))
            lr = fixture["steps/lr"][()]
            assert lr.shape == (STEPS, len(_groups(fixture)))
            assert (lr[:5] == 0.05).all() and (lr[5:] == 0.025).all()
    assert not seen[0] & seen[1] and seen[0] | seen[1] == NAMES


def test_zero_fixtures_verify_in_swift(zero_run: list[Path], zero_sgd_run: list[Path]) -> None:
    _verify([*zero_run, *zero_sgd_run])


# -- who writes ------------------------------------------------------------------------------

RANKS_SCRIPT = textwrap.dedent(
    """
    import os, socket, sys
    from pathlib import Path
    import torch, torch.distributed as dist, torch.multiprocessing as mp
    import torch.nn.functional as F
    from torch.distributed.optim import ZeroRedundancyOptimizer
    from torch.nn.parallel import DistributedDataParallel
    import lockstep

    def loop(model, optimizer, rank, features):
        x = torch.randn(8, features, generator=torch.Generator().manual_seed(rank))
        for _ in range(3):
            optimizer.zero_grad()
            F.mse_loss(model(x), x[:, :1]).backward()
            optimizer.step()

    def worker(rank, port, out):
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        torch.set_num_threads(1)
        dist.init_process_group("gloo", rank=rank, world_size=2)
        torch.manual_seed(0)
        # DDP, rank 1 the writer; {rank} in the path is the writer's rank.
        model = DistributedDataParallel(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1)))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        with lockstep.record(optimizer, Path(out) / "ddp-{rank}.h5", names=model.named_parameters(), rank=1) as rec:
            loop(model, optimizer, rank, 4)
        assert rec.steps_recorded == (3 if rank == 1 else 0), rec.steps_recorded
        # ZeRO with a single parameter: rank 1's shard is empty, so it writes nothing.
        model = DistributedDataParallel(torch.nn.Linear(4, 1, bias=False))
        optimizer = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.AdamW, lr=0.01)
        with lockstep.record(optimizer, Path(out) / "zero.h5", names=model.named_parameters()):
            loop(model, optimizer, rank, 4)
        dist.destroy_process_group()

    if __name__ == "__main__":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        mp.spawn(worker, args=(port, sys.argv[1]), nprocs=2)
    """
)


@pytest.fixture(scope="module")
def ranks_run(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    work = tmp_path_factory.mktemp("ranks")
    script = work / "ranks.py"
    script.write_text(RANKS_SCRIPT)
    out = work / "out"
    out.mkdir()
    _run(str(script), str(out))
    return sorted(out.iterdir())


def test_ranks_other_than_the_writer_leave_no_file(ranks_run: list[Path], ddp_run: list[Path]) -> None:
    import h5py

    assert [p.name for p in ddp_run] == ["ddp_adamw_float64.h5"]  # rank 1 of the example: nothing
    assert [p.name for p in ranks_run] == ["ddp-1.h5", "zero.rank0.h5"]
    with h5py.File(ranks_run[0], "r") as fixture:
        assert set(fixture["params"]) == {"module.0.weight", "module.0.bias", "module.2.weight", "module.2.bias"}
    with h5py.File(ranks_run[1], "r") as fixture:
        assert set(fixture["params"]) == {"module.weight"}


def test_ranks_fixtures_verify_in_swift(ranks_run: list[Path]) -> None:
    _verify(ranks_run)

