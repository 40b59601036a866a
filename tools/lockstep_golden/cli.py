"""The command behind `tools/golden`: regenerate some or all golden fixtures."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .capability import CAPABILITY_ENV, environment_for, runs_here
from .cases import CASES, case_named
from .spec import Case, CaseError

TOOLS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TOOLS_DIR.parent
DEFAULT_OUT = REPO_ROOT / "fixtures"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        width = max(len(c.name) for c in CASES)
        for case in CASES:
            print(f"{case.name:<{width}}  {case.description}")
        return 0
    try:
        cases = [case_named(name) for name in args.cases] or list(CASES)
    except KeyError as error:
        parser.error(str(error.args[0]))
    try:
        for case in cases:
            generate(case, args.out.resolve())
    except (CaseError, RuntimeError) as error:
        print(f"golden: error: {error}", file=sys.stderr)
        return 1
    return 0


def generate(case: Case, out_dir: Path) -> None:
    """Records `case` into `out_dir/<name>.h5`, in a child process if its CPU capability asks."""
    if not runs_here(case):
        _generate_in_child(case, out_dir)
        return
    # Imported here: torch reads ATEN_CPU_CAPABILITY once, when it loads.
    from .record import record
    from .writer import write_fixture

    path = out_dir / f"{case.name}.h5"
    trajectory = record(case)
    write_fixture(trajectory, path)
    capability = trajectory.reference["cpu_capability"]
    print(f"wrote {_display(path)} ({path.stat().st_size} bytes, {capability})")


def _generate_in_child(case: Case, out_dir: Path) -> None:
    env = environment_for(case)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOOLS_DIR), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "lockstep_golden", "--out", str(out_dir), case.name]
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        setting = f"{CAPABILITY_ENV}={case.cpu_capability}" if case.cpu_capability else f"{CAPABILITY_ENV} unset"
        raise RuntimeError(f"recording {case.name!r} in a child process ({setting}) failed: exit {result.returncode}")


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="golden",
        description="Record golden optimizer trajectories from PyTorch into HDF5 fixtures.",
    )
    parser.add_argument("cases", nargs="*", metavar="CASE", help="cases to regenerate (default: all)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    return parser
