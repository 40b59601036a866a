"""A module of cases: named recordings, each pinned to a CPU capability, recorded together.

    # my_cases.py
    import lockstep
    from lion import Lion

    CASES = [
        lockstep.Case("lion_synthetic_f32", lambda path: lockstep.synthetic(
            Lion, {"w": (3, 4)}, out=path, options={"lr": 1e-2}), capability="avx2"),
        lockstep.Case("lion_mlp_f32", record_my_loop, capability="avx2"),
    ]

`python -m lockstep cases my_cases.py --out fixtures/` records every case into
`fixtures/<name>.h5`; `--check` re-records into a scratch directory and compares byte for
byte. Cases of one capability share a child process whose environment pins it.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .capability import CAPABILITY_ENV, check_capability, environment_for, runs_here

ChildCommand = Callable[[Sequence[str], Path], list[str]]


@dataclass(frozen=True)
class Case:
    """One golden file: `record(path)` writes it (a `lockstep.record` block around one's
    own loop, or `lockstep.synthetic`). `capability` pins `ATEN_CPU_CAPABILITY`
    (`"default"`, `"avx2"`, `"avx512"`); None records at whatever the host runs."""

    name: str
    record: Callable[[Path], object]
    capability: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"case name {self.name!r} must be non-empty and hold no '/'")


def record_all(cases: Sequence[Case], out_dir: Path, child: ChildCommand, *, log: Callable[[str], None] = print) -> None:
    """Records `cases` into `out_dir`: here those this process's capability suits, the
    others in one child process per capability, started with `child(names, out_dir)`."""
    names = [case.name for case in cases]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"case names repeat: {repeated}")
    elsewhere: dict[str, list[Case]] = {}
    for case in cases:
        if runs_here(case.capability):
            record_here(case, out_dir, log=log)
        else:
            assert case.capability is not None
            elsewhere.setdefault(case.capability, []).append(case)
    for capability, batch in elsewhere.items():
        result = subprocess.run(child([c.name for c in batch], out_dir), env=environment_for(capability), check=False)
        if result.returncode != 0:
            raise RuntimeError(f"recording {len(batch)} case(s) in a child process ({CAPABILITY_ENV}={capability}) "
                               f"failed: exit {result.returncode}")


def record_here(case: Case, out_dir: Path, *, log: Callable[[str], None] = print) -> Path:
    """Records `case` into `out_dir/<name>.h5` in this process (refused unless torch runs
    the case's capability)."""
    capability = check_capability(case.capability, f"case {case.name!r}")
    path = out_dir / f"{case.name}.h5"
    out_dir.mkdir(parents=True, exist_ok=True)
    case.record(path)
    log(f"wrote {path} ({path.stat().st_size} bytes, {capability})")
    return path


def check_all(cases: Sequence[Case], fixtures: Path, child: ChildCommand, *, log: Callable[[str], None] = print) -> int:
    """Re-records `cases` into a scratch directory and compares them byte for byte with
    `fixtures`; returns 0 when all match, 1 otherwise."""
    differing = []
    with tempfile.TemporaryDirectory(prefix="lockstep-check-") as scratch:
        record_all(cases, Path(scratch), child, log=log)
        for case in cases:
            committed, fresh = fixtures / f"{case.name}.h5", Path(scratch) / f"{case.name}.h5"
            if not committed.exists() or not filecmp.cmp(committed, fresh, shallow=False):
                differing.append(case.name)
    for name in differing:
        print(f"{name}: the committed fixture differs from a fresh recording", file=sys.stderr)
    log(f"{len(cases) - len(differing)} of {len(cases)} fixtures reproduce byte for byte")
    return 1 if differing else 0


def select(cases: Sequence[Case], names: Sequence[str]) -> list[Case]:
    """The named cases (all when `names` is empty); KeyError naming an unknown one."""
    by_name = {case.name: case for case in cases}
    for name in names:
        if name not in by_name:
            raise KeyError(f"unknown case {name!r}; known cases: {', '.join(by_name)}")
    return [by_name[name] for name in names] if names else list(cases)
