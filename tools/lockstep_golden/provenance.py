"""The `reference` attribute: which library, version, implementation and machine recorded a case."""

from __future__ import annotations

import platform

import h5py
import numpy as np
import torch

from .optimizers import reference_class_path
from .spec import Case


def reference_info(case: Case) -> dict[str, object]:
    """Provenance as written to the fixture's `reference` JSON."""
    info: dict[str, object] = {
        "library": "torch",
        "version": str(torch.__version__),
        "implementation": case.implementation,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "num_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "h5py": h5py.__version__,
    }
    reference_class = reference_class_path(case)
    if reference_class is not None:
        info["reference_class"] = reference_class
    return info
