"""ATEN_CPU_CAPABILITY: which SIMD kernels torch dispatches to, fixed when torch loads.

A case that asks for a capability is recorded in a child process whose environment sets
the variable before torch is imported; a case that does not is recorded with the variable
unset, at the machine's best capability.
"""

from __future__ import annotations

import os

from .spec import Case

CAPABILITY_ENV = "ATEN_CPU_CAPABILITY"


def runs_here(case: Case) -> bool:
    """Whether this process's environment already selects the capability the case wants."""
    return os.environ.get(CAPABILITY_ENV) == case.cpu_capability


def environment_for(case: Case) -> dict[str, str]:
    """This process's environment with the case's capability set, or unset for the default."""
    env = dict(os.environ)
    env.pop(CAPABILITY_ENV, None)
    if case.cpu_capability is not None:
        env[CAPABILITY_ENV] = case.cpu_capability
    return env


def check_capability(case: Case, reported: str) -> None:
    """Fails unless torch reports the capability the case asked for."""
    if case.cpu_capability is not None and reported.lower() != case.cpu_capability.lower():
        raise RuntimeError(
            f"case {case.name!r} asks for {CAPABILITY_ENV}={case.cpu_capability} but torch runs "
            f"{reported}: this CPU or torch build may not support it"
        )
