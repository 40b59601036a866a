"""This example's own training loop: a small MLP regressing scikit-learn's diabetes data.

It stands for a user's loop: nothing in it is Lockstep's except the three lines marked
`# lockstep`, which record the optimizer into a golden fixture while it trains.

    python train.py lion --out lion_mlp.h5               # Lion, two param groups
    python train.py adamw --out adamw_onecycle_mlp.h5    # AdamW, OneCycleLR, a group added at step 6

Two param groups, as usual: weights with decoupled weight decay, biases without. The AdamW
run trains the body first and adds the head's parameters through `add_param_group` before
step 6 (with the keys OneCycleLR reads), while OneCycleLR cycles lr and beta1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from sklearn.datasets import load_diabetes
from torch import nn

import lockstep  # lockstep

sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from lion import Lion  # noqa: E402

STEPS = 16
HEAD_JOINS_AT = 6


def data(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """The diabetes data (442 samples, 10 features), standardised; the target scaled to unit variance."""
    x, y = load_diabetes(return_X_y=True)
    x = torch.tensor((x - x.mean(0)) / x.std(0), dtype=dtype)
    y = torch.tensor((y - y.mean()) / y.std(), dtype=dtype).unsqueeze(1)
    return x, y


def model(dtype: torch.dtype, seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 1)).to(dtype)


def groups(modules: list[nn.Module], weight_decay: float) -> list[dict[str, object]]:
    """Weights decay, biases do not."""
    params = [(name, p) for m in modules for name, p in m.named_parameters()]
    return [
        {"params": [p for name, p in params if name.endswith("weight")], "weight_decay": weight_decay},
        {"params": [p for name, p in params if name.endswith("bias")], "weight_decay": 0.0},
    ]


def train_lion(out: Path, dtype: torch.dtype = torch.float32, seed: int = 0, steps: int = STEPS) -> None:
    """Full-batch Lion on the whole MLP."""
    torch.set_num_threads(1)
    net = model(dtype, seed)
    x, y = data(dtype)
    optimizer = Lion(groups([net], weight_decay=0.1), lr=1e-4, betas=(0.9, 0.99))
    with lockstep.record(optimizer, out, names=net.named_parameters()):  # lockstep
        for _ in range(steps):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(net(x), y)
            loss.backward()
            optimizer.step()


def train_adamw(out: Path, dtype: torch.dtype = torch.float32, seed: int = 0, steps: int = STEPS) -> None:
    """AdamW with OneCycleLR on the body; the head joins before step `HEAD_JOINS_AT`."""
    torch.set_num_threads(1)
    net = model(dtype, seed)
    body, head = net[:4], net[4]
    x, y = data(dtype)
    optimizer = torch.optim.AdamW(groups([body], weight_decay=0.01), lr=1e-3, foreach=False)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    with lockstep.record(optimizer, out, names=net.named_parameters(), scheduler=scheduler):  # lockstep
        for step in range(1, steps + 1):
            if step == HEAD_JOINS_AT:
                # OneCycleLR reads these keys from every group; the head starts at the body's current rates.
                current = optimizer.param_groups[0]
                keys = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")
                optimizer.add_param_group({"params": list(head.parameters()), "lr": current["lr"],
                                           "betas": current["betas"], **{k: current[k] for k in keys}})
            batch = torch.randperm(len(y), generator=generator)[:64]
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(net(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("optimizer", choices=("lion", "adamw"))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    train = train_lion if args.optimizer == "lion" else train_adamw
    train(args.out, getattr(torch, args.dtype), steps=args.steps)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
