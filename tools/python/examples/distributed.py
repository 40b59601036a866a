"""Recording a distributed training run with `lockstep.record`: DDP, or ZeRO.

    python tools/python/examples/distributed.py --mode ddp  --out DIR [--steps N] [--dtype float32|float64]
    python tools/python/examples/distributed.py --mode zero --out DIR [--optimizer adamw|sgd] [--scheduler step]

The script spawns two processes on this machine (gloo, 127.0.0.1, a free port). Each
trains the same two-layer MLP, wrapped in `DistributedDataParallel`, on its half of every
mini-batch of a seeded synthetic regression, with two parameter groups (no weight decay on
the biases). The training loop is an ordinary one; recording it takes the three lines of
`with lockstep.record(...)` around it.

- `--mode ddp`: one optimizer per rank, all stepping the same all-reduced gradients; rank 0
  writes `DIR/ddp_<optimizer>_<dtype>.h5` (`rank=0` is the default), the other rank nothing.
- `--mode zero`: `torch.distributed.optim.ZeroRedundancyOptimizer`: each rank steps only its
  shard of the parameters and keeps only its shard of the state, and writes its own file,
  `DIR/zero_<optimizer>_<dtype>.rank<r>.h5`.

Each file verifies alone: `.build/release/verify --fixture FILE`.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
from torch import nn
from torch.distributed.optim import ZeroRedundancyOptimizer
from torch.nn.parallel import DistributedDataParallel

import lockstep

WORLD_SIZE = 2
DTYPES = {"float32": torch.float32, "float64": torch.float64}
OPTIMIZERS = {
    "adamw": (torch.optim.AdamW, {"lr": 1e-2, "weight_decay": 0.01}),
    "sgd": (torch.optim.SGD, {"lr": 5e-2, "momentum": 0.9, "weight_decay": 1e-3}),
}
SAMPLES, FEATURES, HIDDEN, BATCH = 256, 8, 16, 32
SEED = 0


def regression(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded linear target with a nonlinearity and noise; the same on every rank."""
    g = torch.Generator().manual_seed(SEED)
    x = torch.randn(SAMPLES, FEATURES, generator=g, dtype=torch.float64)
    w = torch.randn(FEATURES, 1, generator=g, dtype=torch.float64)
    y = torch.sin(x @ w) + 0.1 * torch.randn(SAMPLES, 1, generator=g, dtype=torch.float64)
    return x.to(dtype), y.to(dtype)


def train(rank: int, args: argparse.Namespace) -> None:
    dtype = DTYPES[args.dtype]
    x, y = regression(dtype)
    torch.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(FEATURES, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 1)).to(dtype)
    ddp = DistributedDataParallel(model)
    decay = [p for name, p in ddp.named_parameters() if name.endswith("weight")]
    no_decay = [p for name, p in ddp.named_parameters() if name.endswith("bias")]
    groups = [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}]
    optimizer_class, options = OPTIMIZERS[args.optimizer]
    if args.mode == "zero":
        optimizer = ZeroRedundancyOptimizer(groups, optimizer_class=optimizer_class, **options)
    else:
        optimizer = optimizer_class(groups, **options)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5) if args.scheduler == "step" else None
    spec = {"name": "StepLR", "step_size": 5, "gamma": 0.5} if scheduler is not None else None
    order = torch.randperm(SAMPLES, generator=torch.Generator().manual_seed(SEED + 1))

    path = Path(args.out) / f"{args.mode}_{args.optimizer}_{args.dtype}.h5"
    with lockstep.record(optimizer, path, names=ddp.named_parameters(), scheduler=scheduler, scheduler_spec=spec,
                         description=f"{args.mode}: 2-layer MLP, {WORLD_SIZE} ranks (gloo)", seed=SEED) as recording:
        for step in range(args.steps):
            batch = order[(step * BATCH) % SAMPLES:][:BATCH]
            mine = batch[rank::WORLD_SIZE]  # this rank's half of the mini-batch
            optimizer.zero_grad()
            loss = F.mse_loss(ddp(x[mine]), y[mine])
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()

    if recording.path.exists():
        print(f"rank {rank}: {recording.path} ({recording.steps_recorded} steps, loss {loss.item():.6g})", flush=True)


def worker(rank: int, port: int, args: argparse.Namespace) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=WORLD_SIZE)
    try:
        train(rank, args)
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("ddp", "zero"), required=True)
    parser.add_argument("--out", required=True, help="directory for the fixtures")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--dtype", choices=tuple(DTYPES), default="float32")
    parser.add_argument("--optimizer", choices=tuple(OPTIMIZERS), default="adamw")
    parser.add_argument("--scheduler", choices=("none", "step"), default="none")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    mp.spawn(worker, args=(free_port(), args), nprocs=WORLD_SIZE, join=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
