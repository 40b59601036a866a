"""ATEN_CPU_CAPABILITY: which SIMD kernels torch dispatches to, fixed when torch loads.

A golden records the capability it ran (`reference.cpu_capability`), and its bits can
depend on it (AVX2 and AVX-512 use fused multiply-adds where the baseline does not). A case
that pins a capability is recorded in a child process whose environment sets the variable
before torch is imported, and is refused when torch does not run it: a host without
AVX-512 cannot record an AVX-512 golden, and must not silently write another.
"""

from __future__ import annotations

import os

CAPABILITY_ENV = "ATEN_CPU_CAPABILITY"
CAPABILITIES = ("default", "avx2", "avx512")


def runs_here(capability: str | None) -> bool:
    """Whether this process's environment already selects `capability` (None: any)."""
    return capability is None or os.environ.get(CAPABILITY_ENV) == capability


def environment_for(capability: str) -> dict[str, str]:
    """This process's environment with `capability` set."""
    if capability not in CAPABILITIES:
        raise ValueError(f"cpu capability {capability!r} is not one of {CAPABILITIES}")
    return {**os.environ, CAPABILITY_ENV: capability}


def check_capability(capability: str | None, what: str) -> str:
    """Fails unless torch runs `capability`; returns the capability torch runs."""
    import torch

    reported = torch.backends.cpu.get_cpu_capability()
    if capability is not None and reported.lower() != capability.lower():
        raise RuntimeError(
            f"{what} is recorded at {capability.upper()} ({CAPABILITY_ENV}={capability}) but torch runs {reported} "
            f"on this host, which lacks it: record it on a host with {capability.upper()}; nothing was written")
    return reported
