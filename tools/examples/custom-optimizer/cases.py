"""The goldens of this example, as a module of cases for `python -m lockstep cases`:

    python -m lockstep cases tools/examples/custom-optimizer/cases.py --out tools/examples/custom-optimizer/fixtures
    python -m lockstep cases tools/examples/custom-optimizer/cases.py --out ... --check   # byte for byte

Three kinds of evidence:
- `*_mlp_*`: the example's own training loop (`train.py`), recorded by `lockstep.record`:
  Lion on a two-group MLP, and torch's AdamW with OneCycleLR and a group added at step 6.
- `lion_synthetic_*`: `lockstep.synthetic`, Lion on seeded adversarial gradients (sign
  flips, exact zeros, gaps, scales over six decades): three parameters in two groups, one
  of them maximizing. A real loop's gradients rarely change sign, so a port that updates
  the momentum before computing the update matches the `mlp` files bit for bit; these
  catch it.
- `lion_added_group_synthetic_f32`: Lion on `lockstep.AdversarialGradients` from a loop of
  its own: (w, b) without decay, m added through `add_param_group` before step 6 with
  weight decay 0.1 and its own lr. The other Lion files have no group joining later with
  decay, so a port that skips decay for such groups passed them all.

Every case pins the CPU capability: AVX2 (the vectorised `add(..., alpha=)` is one FMA
there, as on AVX-512), and once DEFAULT (no FMA: rounded twice, different bits).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import torch

import lockstep

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "reference"))
from lion import Lion  # noqa: E402
from train import train_adamw, train_lion  # noqa: E402

# 12, 5 and 6 elements: AVX2's full vectors (8 float32 or 4 float64 lanes) and the scalar tails after them.
SHAPES = {"w": (3, 4), "b": (5,), "m": (2, 3)}


def lion_two_groups(params: list[torch.Tensor]) -> Lion:
    """(w, b) with decoupled decay; m maximizing, with its own lr and betas, without decay."""
    w, b, m = params
    return Lion([{"params": [w, b]}, {"params": [m], "lr": 3e-3, "betas": (0.95, 0.98), "weight_decay": 0.0,
                                     "maximize": True}], lr=1e-2, weight_decay=0.1)


def _synthetic(dtype: str, seed: int, path: Path) -> None:
    lockstep.synthetic(lion_two_groups, SHAPES, out=path, steps=24, dtype=dtype, seed=seed, name="Lion")


ADDED_GROUP_STEPS = 16
ADDED_GROUP_JOINS_AT = 6


def _added_group(dtype: torch.dtype, seed: int, path: Path) -> None:
    """Lion on the adversarial stream (no gaps): w and b in the first group without decay; m
    added through `add_param_group` before step `ADDED_GROUP_JOINS_AT`, with decay 0.1 and its
    own lr. The stream draws every parameter at every step, so m's gradients are the same
    whenever it joins."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        initial = torch.Generator().manual_seed(seed)
        params = {key: torch.nn.Parameter(torch.randn(shape, generator=initial, dtype=dtype))
                  for key, shape in SHAPES.items()}
        opt = Lion([params["w"], params["b"]], lr=1e-2, weight_decay=0.0)
        stream = lockstep.AdversarialGradients(seed, dtype, gaps=False)
        with lockstep.record(opt, path, names=params, case=path.stem, seed=seed,
                             description="Lion on adversarial gradients without gaps: (w, b) lr 1e-2 without "
                                         f"decay; m added before step {ADDED_GROUP_JOINS_AT} with lr 3e-3, "
                                         f"weight decay 0.1; {ADDED_GROUP_STEPS} steps, seed {seed}"):
            for t in range(1, ADDED_GROUP_STEPS + 1):
                if t == ADDED_GROUP_JOINS_AT:
                    opt.add_param_group({"params": [params["m"]], "weight_decay": 0.1, "lr": 3e-3})
                for key, p in params.items():
                    p.grad = stream.draw(key, tuple(p.shape), t)
                opt.step()
    finally:
        torch.set_num_threads(threads)


def _dtype(name: str) -> torch.dtype:
    return torch.float32 if name == "float32" else torch.float64


CASES = [
    lockstep.Case("lion_mlp_f32", partial(train_lion, dtype=torch.float32), "avx2",
                  "Lion on train.py's MLP, full batch, two groups (weights decay 0.1, biases none)"),
    lockstep.Case("lion_mlp_f64", partial(train_lion, dtype=torch.float64), "avx2", "the same in float64"),
    lockstep.Case("lion_synthetic_f32", partial(_synthetic, "float32", 2302_0651), "avx2",
                  "Lion, two groups (one maximizing), on lockstep.synthetic's adversarial gradients"),
    lockstep.Case("lion_synthetic_f64", partial(_synthetic, "float64", 2302_0652), "avx2", "the same in float64"),
    lockstep.Case("lion_synthetic_default_f32", partial(_synthetic, "float32", 2302_0653), "default",
                  "the same at the DEFAULT capability (no FMA)"),
    lockstep.Case("lion_added_group_synthetic_f32", partial(_added_group, torch.float32, 2302_0654), "avx2",
                  "Lion on adversarial gradients, a group with weight decay added through add_param_group "
                  "before step 6"),
    lockstep.Case("adamw_onecycle_mlp_f32", partial(train_adamw, dtype=torch.float32), "avx2",
                  "torch's AdamW on train.py's MLP, OneCycleLR, the head added before step 6, minibatches of 64"),
    lockstep.Case("adamw_onecycle_mlp_f64", partial(train_adamw, dtype=torch.float64), "avx2", "the same in float64"),
]
