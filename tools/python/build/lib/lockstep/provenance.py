"""The `reference` attribute: which library, version, implementation and machine recorded a fixture."""

from __future__ import annotations

import platform
from typing import Any

import h5py
import numpy as np
import torch
from torch.optim import Optimizer


def implementation(optimizer: Optimizer) -> str:
    """`fused`, `foreach` or `forloop`, as the first group's flags select it on the CPU
    (where torch's default, `foreach=None`, is the for-loop)."""
    group = optimizer.param_groups[0] if optimizer.param_groups else {}
    if group.get("fused"):
        return "fused"
    if group.get("foreach"):
        return "foreach"
    return "forloop"


def reference_info(optimizer: Optimizer, chosen: str | None = None) -> dict[str, Any]:
    """Provenance as written to the fixture's `reference` JSON (extension 1). A class
    outside `torch.optim` is named as `module:Class` under `reference_class`."""
    info: dict[str, Any] = {
        "library": "torch",
        "version": str(torch.__version__),
        "implementation": chosen or implementation(optimizer),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "num_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "h5py": h5py.__version__,
    }
    cls = type(optimizer)
    if not cls.__module__.startswith("torch.optim") and not cls.__module__.startswith("torch.distributed"):
        info["reference_class"] = f"{cls.__module__}:{cls.__qualname__}"
    return info
