"""`python -m lockstep`: record synthetic trajectories and modules of cases from the command line.

    python -m lockstep synthetic lion:Lion --shape w=3,4 --shape b=5 --steps 20 \\
        --dtype float64 --option lr=1e-2 --option betas=0.9,0.99 --out lion.h5
    python -m lockstep cases my_cases.py --out fixtures/ [NAME ...] [--list] [--check]

A target is `module:Class` (imported from the working directory or the path) or
`path/to/file.py:Class`; for `cases`, a module or a file defining `CASES`, a list of
`lockstep.Case`.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from .capability import CAPABILITIES, environment_for, runs_here


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (ValueError, TypeError, KeyError, RuntimeError, ImportError, AttributeError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"lockstep: error: {message}", file=sys.stderr)
        return 2


def _synthetic(args: argparse.Namespace) -> int:
    if args.capability and not runs_here(args.capability):
        # torch reads the capability once, when it loads: record in a child that pins it.
        command = [sys.executable, "-m", "lockstep", *sys.argv[1:]] if args.argv is None else args.argv
        return subprocess.run(command, env=environment_for(args.capability), check=False).returncode
    from .capability import check_capability
    from .adversarial import synthetic

    check_capability(args.capability, str(args.out))
    target = load_attribute(args.target)
    shapes = dict(_shape(text) for text in args.shape)
    if not shapes:
        raise ValueError("give at least one --shape NAME=D1,D2,...")
    options = dict(_option(text) for text in args.option)
    sparse = {"auto": None, "sparse": True, "dense": False}[args.gradients]
    path = synthetic(target, shapes, out=args.out, steps=args.steps, dtype=args.dtype, seed=args.seed,
                     options=options, gaps=not args.no_gaps, sparse=sparse, name=args.name)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def _cases(args: argparse.Namespace) -> int:
    from .cases import check_all, record_all, select

    module = load_module(args.module)
    cases = getattr(module, "CASES", None)
    if cases is None:
        raise AttributeError(f"{args.module} defines no CASES (a list of lockstep.Case)")
    if args.list:
        for case in cases:
            print(f"{case.name}  [{case.capability or 'host'}]  {case.description}".rstrip())
        return 0
    chosen = select(cases, args.names)
    out = args.out.resolve()

    def child(names: Sequence[str], out_dir: Path) -> list[str]:
        return [sys.executable, "-m", "lockstep", "cases", str(args.module), *names, "--out", str(out_dir)]

    if args.check:
        return check_all(chosen, out, child)
    record_all(chosen, out, child)
    return 0


def load_module(spec: str) -> ModuleType:
    """A module by dotted name (the working directory on the path) or by file path."""
    path = Path(spec)
    if spec.endswith(".py") or path.is_file():
        if not path.is_file():
            raise ImportError(f"no such file: {spec}")
        sys.path.insert(0, str(path.resolve().parent))
        loaded = importlib.util.spec_from_file_location(path.stem, path)
        if loaded is None or loaded.loader is None:
            raise ImportError(f"cannot load {spec}")
        module = importlib.util.module_from_spec(loaded)
        sys.modules[path.stem] = module
        loaded.loader.exec_module(module)
        return module
    sys.path.insert(0, os.getcwd())
    return importlib.import_module(spec)


def load_attribute(target: str) -> Any:
    """`module:Name` or `path/to/file.py:Name`."""
    module_spec, sep, name = target.rpartition(":")
    if not sep or not module_spec or not name:
        raise ValueError(f"target {target!r} must be module:Class or path/to/file.py:Class")
    module = load_module(module_spec)
    value = module
    for part in name.split("."):
        if not hasattr(value, part):
            raise AttributeError(f"{module_spec} has no attribute {name!r}")
        value = getattr(value, part)
    return value


def _shape(text: str) -> tuple[str, tuple[int, ...]]:
    name, sep, dims = text.partition("=")
    try:
        shape = tuple(int(d) for d in dims.split(",") if d.strip()) if dims.strip() else ()
    except ValueError:
        shape = None
    if not sep or not name or shape is None or any(d < 0 for d in shape):
        raise ValueError(f"--shape {text!r} must read NAME=D1,D2,... (NAME= for a scalar)")
    return name, shape


def _option(text: str) -> tuple[str, Any]:
    """`key=value`: a Python literal (`1e-3`, `True`, `(0.9, 0.99)`), `a,b` as a tuple, else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--option {text!r} must read KEY=VALUE")
    try:
        return key, ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        pass
    if "," in raw:
        return key, tuple(_option(f"x={part}")[1] for part in raw.split(","))
    return key, raw


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lockstep", description="Record golden optimizer trajectories from PyTorch.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    synthetic = commands.add_parser("synthetic", help="an optimizer on seeded adversarial gradients")
    synthetic.add_argument("target", metavar="MODULE:CLASS", help="the optimizer class (or a factory taking the params)")
    synthetic.add_argument("--shape", action="append", default=[], metavar="NAME=D1,D2", help="a parameter (repeatable)")
    synthetic.add_argument("--steps", type=int, default=20)
    synthetic.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    synthetic.add_argument("--seed", type=int, default=0)
    synthetic.add_argument("--option", action="append", default=[], metavar="KEY=VALUE", help="a constructor argument")
    synthetic.add_argument("--no-gaps", action="store_true", help="every parameter has a gradient at every step")
    synthetic.add_argument("--gradients", choices=("auto", "dense", "sparse"), default="auto",
                           help="sparse COO gradients: auto = when the optimizer refuses dense ones")
    synthetic.add_argument("--name", help="the fixture's optimizer attribute (default: the class name)")
    synthetic.add_argument("--capability", choices=CAPABILITIES, help="pin ATEN_CPU_CAPABILITY (recorded in a child process)")
    synthetic.add_argument("--out", type=Path, required=True)
    synthetic.set_defaults(run=_synthetic, argv=None)

    cases = commands.add_parser("cases", help="record a module's CASES")
    cases.add_argument("module", help="a module name or a .py file defining CASES")
    cases.add_argument("names", nargs="*", metavar="NAME", help="cases to record (default: all)")
    cases.add_argument("--out", type=Path, default=Path("fixtures"), help="output directory (default: fixtures)")
    cases.add_argument("--list", action="store_true", help="list the cases and exit")
    cases.add_argument("--check", action="store_true", help="re-record and compare byte for byte with --out")
    cases.set_defaults(run=_cases)
    return parser
