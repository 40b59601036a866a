"""Each optimizer without a fused kernel once at the DEFAULT capability, whose kernels are
compiled for baseline x86-64 (no FMA): the for-loop path then rounds every multiply and
add separately, and Lockstep must follow (`TorchCPUCapability.hasFMA`)."""

from __future__ import annotations

from ..spec import Case
from .shapes import MOVING_LR, WIDE

_FLAGS: dict[str, dict[str, object]] = {
    "Adadelta": {"lr": 1.0, "weight_decay": 0.1},
    "Adamax": {**MOVING_LR, "weight_decay": 0.1},
    "ASGD": {**MOVING_LR, "weight_decay": 0.1, "t0": 5.0},
    "NAdam": {**MOVING_LR, "weight_decay": 0.1, "decoupled_weight_decay": True},
    "RAdam": {**MOVING_LR, "weight_decay": 0.1},
    "RMSprop": {**MOVING_LR, "momentum": 0.9, "centered": True, "weight_decay": 0.1},
    "Rprop": MOVING_LR,
    "Adafactor": {"weight_decay": 0.1},
    "Muon": {"lr": 0.02},
}

CASES: tuple[Case, ...] = tuple(
    Case(
        name=f"{optimizer.lower()}_forloop_default_f32",
        description=f"{optimizer} ({', '.join(f'{k}={v}' for k, v in options.items())}), for-loop at the DEFAULT "
        "capability (no FMA), float32",
        optimizer=optimizer, dtype="float32", implementation="forloop", steps=24, seed=300 + index,
        params=WIDE if optimizer != "Muon" else tuple(p for p in WIDE if len(p.shape) == 2),
        options=options, cpu_capability="default",
    )
    for index, (optimizer, options) in enumerate(_FLAGS.items())
)
