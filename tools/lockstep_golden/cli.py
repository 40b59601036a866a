"""The command behind `tools/golden`: regenerate some or all golden fixtures."""

from __future__ import annotations

import argparse
import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .capability import CAPABILITY_ENV, environment_for, runs_here
from .cases import CASES, case_named
from .spec import Case, CaseError

TOOLS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TOOLS_DIR.parent
DEFAULT_OUT = REPO_ROOT / "fixtures"
# torch's verdict on invalid hyperparameters, for the error-parity test.
ERRORS_FILE = "validation-errors.json"
# torch's verdict on sparse gradients, for every optimizer.
SPARSE_ERRORS_FILE = "sparse-gradient-errors.json"


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        width = max(len(c.name) for c in CASES)
        for case in CASES:
            print(f"{case.name:<{width}}  {case.description}")
        return 0
    if args.errors:
        from .errors import write_errors

        path = args.out.resolve() / ERRORS_FILE
        write_errors(path)
        print(f"wrote {_display(path)}")
        return 0
    if args.sparse_errors:
        from .errors import write_json
        from .sparse_errors import record_sparse_errors, summary

        path = args.out.resolve() / SPARSE_ERRORS_FILE
        document = record_sparse_errors()
        write_json(path, document, sort_keys=True)
        print(summary(document))
        print(f"wrote {_display(path)}")
        return 0
    try:
        cases = [case_named(name) for name in args.cases] or list(CASES)
    except KeyError as error:
        parser.error(str(error.args[0]))
    try:
        if args.check:
            return check(cases, args.out.resolve())
        generate_all(cases, args.out.resolve())
    except (CaseError, RuntimeError) as error:
        print(f"golden: error: {error}", file=sys.stderr)
        return 1
    return 0


def check(cases: list[Case], fixtures: Path) -> int:
    """Re-records `cases` into a temporary directory and compares them byte for byte with
    the files in `fixtures`: proof that the committed goldens come from this generator and
    this torch, unchanged. Returns 0 when all match, 1 otherwise."""
    differing = []
    with tempfile.TemporaryDirectory(prefix="golden-check-") as scratch:
        generate_all(cases, Path(scratch))
        for case in cases:
            committed = fixtures / f"{case.name}.h5"
            fresh = Path(scratch) / f"{case.name}.h5"
            if not committed.exists() or not filecmp.cmp(committed, fresh, shallow=False):
                differing.append(case.name)
    for name in differing:
        print(f"golden: {name}: the committed fixture differs from a fresh recording", file=sys.stderr)
    print(f"golden: {len(cases) - len(differing)} of {len(cases)} fixtures reproduce byte for byte")
    return 1 if differing else 0


def generate_all(cases: list[Case], out_dir: Path) -> None:
    """Records `cases` into `out_dir`: here those whose capability this process runs, the
    others in one child process per capability (torch reads `ATEN_CPU_CAPABILITY` once, when
    it loads)."""
    elsewhere: dict[str, list[Case]] = {}
    for case in cases:
        if runs_here(case):
            generate(case, out_dir)
        else:
            elsewhere.setdefault(case.cpu_capability, []).append(case)
    for batch in elsewhere.values():
        _generate_in_child(batch, out_dir)


def generate(case: Case, out_dir: Path) -> None:
    """Records `case` into `out_dir/<name>.h5`; this process must run its capability."""
    # Imported here: torch reads ATEN_CPU_CAPABILITY once, when it loads.
    from .record import record

    path = out_dir / f"{case.name}.h5"
    capability = record(case, path)
    print(f"wrote {_display(path)} ({path.stat().st_size} bytes, {capability})")


def _generate_in_child(cases: list[Case], out_dir: Path) -> None:
    env = environment_for(cases[0])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOOLS_DIR), str(TOOLS_DIR / "python" / "src"), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "lockstep_golden", "--out", str(out_dir), *(case.name for case in cases)]
    result = subprocess.run(command, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"recording {len(cases)} case(s) in a child process ({CAPABILITY_ENV}={cases[0].cpu_capability}) "
            f"failed: exit {result.returncode}")


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
    parser.add_argument(
        "--check", action="store_true",
        help="re-record into a temporary directory and compare byte for byte with --out (the committed fixtures)",
    )
    parser.add_argument(
        "--errors", action="store_true",
        help=f"record torch's verdicts on invalid hyperparameters into --out/{ERRORS_FILE}",
    )
    parser.add_argument(
        "--sparse-errors", action="store_true",
        help=f"record torch's verdicts on sparse gradients, for every optimizer, into --out/{SPARSE_ERRORS_FILE}",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    return parser
