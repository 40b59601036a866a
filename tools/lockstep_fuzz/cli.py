"""`tools/fuzz`: the mutation campaign against `verify`.

    tools/fuzz                      10,000 runs, 2 at a time; the tables into docs/fuzzing.md
    tools/fuzz --runs N | --minutes M [--jobs J] [--seed S] [--no-docs]
    tools/fuzz --smoke              what CI runs: every mutation × seed kind twice, 2 min at most
    tools/fuzz --reproduce N [--seed S] --out FILE   write run N's mutated file (no run)

Exit status 1 when a run crashed, hung, went over the memory ceiling or gave a poor message.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from . import outcome as outcomes
from .campaign import MUTATIONS, Settings, campaign, mutate, write_log
from .report import render, update_docs
from .seeds import SEED_KINDS

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/fuzz", description="Mutation campaign against verify.")
    parser.add_argument("--verify", required=True, help="the verify binary to run")
    parser.add_argument("--runs", type=int, help="number of runs (default 10000 unless --minutes)")
    parser.add_argument("--minutes", type=float, help="stop starting runs after this long")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0, help="campaign seed: run N is the same file for the same seed")
    parser.add_argument("--first", type=int, default=0, help="number of the first run")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a run may take")
    parser.add_argument("--budget-mib", type=int, default=256, help="LOCKSTEP_MEMORY_BUDGET given to verify")
    parser.add_argument("--ceiling-mib", type=int, default=1024, help="peak RSS a run may reach")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/fuzzing.md")
    parser.add_argument("--smoke", action="store_true", help="a short bounded campaign (CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "fuzz", help="findings and the log (or, with --reproduce, the file)")
    parser.add_argument("--reproduce", type=int, metavar="N", help="write run N's mutated file to --out and stop")
    parser.add_argument("--only", action="append", default=[], metavar="KIND",
                        help="only this mutation kind (repeatable): " + ", ".join(kind for _, kind in MUTATIONS))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    settings = Settings(verify=args.verify, fixtures=ROOT / "fixtures", findings=args.out / "findings", seed=args.seed,
                        limits=outcomes.Limits(args.timeout, args.budget_mib << 20, args.ceiling_mib << 20), only=tuple(args.only))
    unknown = set(args.only) - {kind for _, kind in MUTATIONS}
    if unknown:
        parser.error(f"unknown mutation kind(s): {', '.join(sorted(unknown))}")
    if args.reproduce is not None:
        seed, level, mutation, description = mutate(settings, args.reproduce, args.out)
        print(f"run {args.reproduce}: {mutation} ({level}) of {seed.path.relative_to(ROOT)}: {description} -> {args.out}")
        return 0

    runs, minutes, docs = args.runs, args.minutes, not args.no_docs
    if args.smoke:
        runs, minutes, docs = runs or 2 * len(MUTATIONS) * len(SEED_KINDS), minutes or 2.0, False
    elif runs is None and minutes is None:
        runs = 10000

    def progress(run, done):
        if args.quiet:
            return
        if run.outcome in outcomes.BAD:
            print(f"fuzz: #{run.number} {run.outcome}: {run.mutation} of {run.seed}: {run.description[:100]} "
                  f"(status {run.status}) {run.finding}", file=sys.stderr, flush=True)
        if done % 500 == 0:
            print(f"fuzz: {done} runs", file=sys.stderr, flush=True)

    summary = campaign(settings, runs, minutes, max(1, args.jobs), args.first, progress)
    write_log(summary, args.out / "log.jsonl")
    command = "tools/fuzz " + shlex.join(a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("--verify") and a != args.verify)
    section = render(summary, ROOT, command.strip())
    print(section.split("\n", 2)[2].rsplit("\n", 1)[0])
    if docs:
        update_docs(ROOT / "docs" / "fuzzing.md", section)
        print("fuzz: wrote docs/fuzzing.md", file=sys.stderr)
    return 1 if summary.bad else 0
