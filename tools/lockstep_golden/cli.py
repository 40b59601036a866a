"""The command behind `tools/golden`: regenerate some or all golden fixtures."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import lockstep
from lockstep.cases import check_all, record_all

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
    if args.optim_db:
        return optim_db_main(parser, args)
    if args.out is None:
        args.out = DEFAULT_OUT
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


def _runnable(case: Case | lockstep.Case) -> lockstep.Case:
    """A spec case as the package's case runner takes it: recorded by `record.py`."""
    if isinstance(case, lockstep.Case):
        return case
    return lockstep.Case(case.name, partial(_record_spec, case), case.cpu_capability, case.description)


def _record_spec(case: Case, path: Path) -> None:
    # Imported here: torch reads ATEN_CPU_CAPABILITY once, when it loads.
    from .record import record

    record(case, path)


def _child(names: Sequence[str], out_dir: Path) -> list[str]:
    """The command that records `names` in a child process (which pins their capability)."""
    return [sys.executable, "-m", "lockstep_golden", "--out", str(out_dir), *names]


def generate_all(cases: Sequence[Case | lockstep.Case], out_dir: Path) -> None:
    """Records `cases` into `out_dir`: here those whose capability this process runs, the
    others in one child process per capability (`lockstep.cases.record_all`)."""
    record_all([_runnable(c) for c in cases], out_dir, _child, log=_log)


def check(cases: Sequence[Case | lockstep.Case], fixtures: Path) -> int:
    """Re-records `cases` into a temporary directory and compares them byte for byte with
    the files in `fixtures`: proof that the committed goldens come from this generator and
    this torch, unchanged. Returns 0 when all match, 1 otherwise."""
    return check_all([_runnable(c) for c in cases], fixtures, _child, log=_log)


def optim_db_main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """`--optim-db`: the goldens generated from torch's optim_db, in `--out` (default
    fixtures/optim_db): every case, then errors.json and cases.json; `--check` re-records
    all three kinds of file into a temporary folder and compares byte for byte."""
    import tempfile

    from . import optim_db

    folder = (args.out or DEFAULT_OUT / optim_db.SUBDIR).resolve()
    every = optim_db.cases()
    if args.list:
        for entry in optim_db.entries():
            print(f"{entry.name}  {'skipped: ' + entry.skipped if entry.skipped else 'recorded'}")
        return 0
    by_name = {case.name: case for case in every}
    unknown = [name for name in args.cases if name not in by_name]
    if unknown:
        parser.error(f"unknown optim_db case(s): {', '.join(unknown)}")
    chosen = [by_name[name] for name in args.cases] or every
    child = _optim_db_child
    try:
        if args.check:
            status = check_all(chosen, folder, child, log=_log)
            if args.cases:
                return status
            expected = {f"{case.name}.h5" for case in every} | {optim_db.ERRORS_FILE, optim_db.MANIFEST_FILE}
            stale = sorted(p.name for p in folder.iterdir() if p.name not in expected) if folder.is_dir() else []
            for name in stale:
                print(f"{name}: in {_display(folder)} but not an optim_db case", file=sys.stderr)
            with tempfile.TemporaryDirectory(prefix="lockstep-optimdb-") as scratch:
                for path in optim_db.write_documents(Path(scratch)):
                    committed = folder / path.name
                    if not committed.exists() or committed.read_bytes() != path.read_bytes():
                        print(f"{path.name}: the committed file differs from a fresh recording", file=sys.stderr)
                        status = 1
            return 1 if stale else status
        record_all(chosen, folder, child, log=_log)
        if not args.cases:
            for path in optim_db.write_documents(folder):
                print(f"wrote {_display(path)}")
    except RuntimeError as error:
        print(f"golden: error: {error}", file=sys.stderr)
        return 1
    return 0


def _optim_db_child(names: Sequence[str], out_dir: Path) -> list[str]:
    """The command that records optim_db cases `names` in a child process (which pins AVX2)."""
    return [sys.executable, "-m", "lockstep_golden", "--optim-db", "--out", str(out_dir), *names]


def _log(line: str) -> None:
    print(line.replace(str(Path.cwd()) + os.sep, ""))


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
    parser.add_argument(
        "--optim-db", action="store_true",
        help="the goldens generated from torch's optim_db (every configuration, CPU path and dtype), its error "
             "inputs (errors.json) and the list of cases recorded or skipped (cases.json), in --out "
             "(default: fixtures/optim_db); with --check, compare them byte for byte; with --list, list them",
    )
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output directory (default: {DEFAULT_OUT}; with --optim-db, {DEFAULT_OUT}/optim_db)")
    return parser
