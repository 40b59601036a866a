"""Records this example's Lion goldens from PyTorch into `fixtures/`, with Lockstep's own
generator (`tools/lockstep_golden`): its case vocabulary, recorder, synthetic gradient
stream and HDF5 writer, so the files follow `docs/fixture-format.md` like the bundled ones.

    ~/.cache/lockstep/venv/bin/python tools/examples/custom-optimizer/record_goldens.py [CASE ...] [--out DIR] [--list]

Works from any directory. `reference/lion.py`'s `Lion` is registered as a reference
optimizer (`register_reference`), so the fixture's `optimizer` attribute is `Lion` and its
`reference` provenance names that file. Every case pins `ATEN_CPU_CAPABILITY`: `avx2`
(the vectorised `add(..., alpha=)` is one FMA there, with the same results as AVX-512),
and once `default` (baseline x86-64, no FMA: rounded twice, different bits); a case is
recorded in a child process whose environment sets it before torch loads.
Each file is written to a temporary name and renamed; running twice gives identical bytes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent
TOOLS_DIR = Path(__file__).resolve().parents[2]
REPO_ROOT = TOOLS_DIR.parent
LION_FILE = EXAMPLE_DIR / "reference" / "lion.py"
DEFAULT_OUT = EXAMPLE_DIR / "fixtures"

sys.path.insert(0, str(TOOLS_DIR))

# Nothing imported here loads torch: the child process must set the capability first.
from lockstep_golden.capability import CAPABILITY_ENV, environment_for, runs_here  # noqa: E402
from lockstep_golden.spec import Case, CpuCapability, DType, Group, Param  # noqa: E402

OPTIMIZER = "Lion"
# Where `Lion` is defined, as the fixture's `reference.reference_class` records it.
ORIGIN = f"{LION_FILE.relative_to(REPO_ROOT).as_posix()}:Lion"

# Small tensors of 12, 5 and 6 elements: AVX2's full vectors (8 float32 or 4 float64
# lanes) and the scalar tails after them.
PARAMS = (Param("w", (3, 4)), Param("b", (5,)), Param("m", (2, 3)))


def _case(
    name: str, description: str, dtype: DType, seed: int, steps: int, options: dict[str, object],
    groups: tuple[Group, ...], missing_grads: dict[str, tuple[int, ...]], capability: CpuCapability,
) -> Case:
    return Case(
        name=name, description=description, optimizer=OPTIMIZER, dtype=dtype,
        implementation="forloop", steps=steps, seed=seed, params=PARAMS, options=options,
        groups=groups, missing_grads=missing_grads, cpu_capability=capability,
    )


def _two_groups(dtype: DType, seed: int, capability: CpuCapability = "avx2") -> Case:
    """(w, b) with decoupled decay from step 1; m without decay, with its own lr and betas,
    joining through add_param_group before step 6. b's first gradient comes at step 3
    (exp_avg appears late); w has none at steps 5 and 13 (neither decayed nor moved)."""
    at = "" if capability == "avx2" else f"_{capability}"
    return _case(
        f"lion_two_groups{at}_f{dtype[-2:]}",
        f"Lion, two groups: (w, b) lr=1e-2 weight_decay=0.1; m lr=3e-3 betas=(0.95, 0.98) no decay, "
        f"added before step 6; gradient gaps; {dtype}, {capability.upper()} capability",
        dtype, seed, 16,
        options={"lr": 1e-2, "weight_decay": 0.1},
        groups=(
            Group(params=("w", "b")),
            Group(params=("m",), options={"lr": 3e-3, "betas": (0.95, 0.98), "weight_decay": 0.0}, added_at_step=6),
        ),
        missing_grads={"b": (1, 2, 9), "w": (5, 13), "m": (11,)},
        capability=capability,
    )


def _maximize_decay(dtype: DType, seed: int) -> Case:
    """(w, b) maximize with strong decay (lr * weight_decay = 1e-2); m minimizing, with a
    smaller decay and betas (0.8, 0.999), joining before step 4; at step 15 no parameter
    has a gradient."""
    return _case(
        f"lion_maximize_decay_f{dtype[-2:]}",
        f"Lion, maximize=True lr=2e-2 weight_decay=0.5 on (w, b); m maximize=False weight_decay=0.05 "
        f"betas=(0.8, 0.999), added before step 4; gradient gaps; {dtype}, AVX2 capability",
        dtype, seed, 20,
        options={"lr": 2e-2, "weight_decay": 0.5, "maximize": True},
        groups=(
            Group(params=("w", "b")),
            Group(params=("m",), options={"maximize": False, "weight_decay": 0.05, "betas": (0.8, 0.999)}, added_at_step=4),
        ),
        missing_grads={"w": (1, 7, 15), "b": (4, 5, 15), "m": (9, 15)},
        capability="avx2",
    )


CASES: tuple[Case, ...] = (
    _two_groups("float32", 2302_0641),
    _two_groups("float64", 2302_0642),
    _maximize_decay("float32", 2302_0643),
    _maximize_decay("float64", 2302_0644),
    _two_groups("float32", 2302_0645, capability="default"),
)


def generate(case: Case, out_dir: Path) -> None:
    """Records `case` into `out_dir/<name>.h5`, in a child process unless this one already
    runs at the case's capability (torch reads it once, when it loads)."""
    if not runs_here(case):
        command = [sys.executable, str(Path(__file__).resolve()), "--out", str(out_dir), case.name]
        result = subprocess.run(command, env=environment_for(case), check=False)
        if result.returncode != 0:
            raise RuntimeError(f"recording {case.name!r} with {CAPABILITY_ENV}={case.cpu_capability} failed: "
                               f"exit {result.returncode}")
        return
    from lockstep_golden.optimizers import register_reference
    from lockstep_golden.record import record
    from lockstep_golden.writer import write_fixture

    sys.path.insert(0, str(LION_FILE.parent))
    from lion import Lion

    register_reference(OPTIMIZER, Lion, ORIGIN)
    path = out_dir / f"{case.name}.h5"
    trajectory = record(case)
    write_fixture(trajectory, path)
    print(f"wrote {path} ({path.stat().st_size} bytes, {trajectory.reference['cpu_capability']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Record the Lion goldens of this example from PyTorch.")
    parser.add_argument("cases", nargs="*", metavar="CASE", help="cases to record (default: all)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if args.list:
        for case in CASES:
            print(f"{case.name}  {case.description}")
        return 0
    by_name = {case.name: case for case in CASES}
    unknown = [name for name in args.cases if name not in by_name]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; known cases: {', '.join(by_name)}")
    for name in args.cases or by_name:
        generate(by_name[name], args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
