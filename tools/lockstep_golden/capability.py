"""ATEN_CPU_CAPABILITY: which SIMD kernels torch dispatches to, fixed when torch loads.

Every case pins one. A case is recorded in a child process whose environment sets the
variable before torch is imported (cases of one capability share a child), and the
recording is refused when torch does not run that capability: a host without AVX-512
cannot record an AVX-512 golden, and must not silently write another.
"""

from __future__ import annotations

import os

from .spec import Case

CAPABILITY_ENV = "ATEN_CPU_CAPABILITY"


def runs_here(case: Case) -> bool:
    """Whether this process's environment already selects the capability the case wants."""
    return os.environ.get(CAPABILITY_ENV) == case.cpu_capability


def environment_for(case: Case) -> dict[str, str]:
    """This process's environment with the case's capability set."""
    env = dict(os.environ)
    env[CAPABILITY_ENV] = case.cpu_capability
    return env


def check_capability(case: Case, reported: str) -> None:
    """Fails unless torch reports the capability the case asked for."""
    if reported.lower() != case.cpu_capability.lower():
        raise RuntimeError(
            f"case {case.name!r} is recorded at {case.cpu_capability.upper()} ({CAPABILITY_ENV}={case.cpu_capability}) "
            f"but torch runs {reported} on this host, which lacks it: record it on a host with "
            f"{case.cpu_capability.upper()}; nothing was written"
        )
