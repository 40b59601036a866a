"""The campaign: runs drawn deterministically from (seed, run number), executed by a pool
of workers, tallied by mutation kind and seed kind × outcome."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import outcome as outcomes
from .byte_mutations import BYTE_MUTATIONS, mutate_bytes
from .seeds import SEED_KINDS, Seed, seeds
from .structural import STRUCTURAL_MUTATIONS, NotApplicable, mutate_structure

MUTATIONS = [("byte", kind) for kind in BYTE_MUTATIONS] + [("structural", kind) for kind in STRUCTURAL_MUTATIONS]


@dataclass
class Run:
    number: int
    seed_kind: str
    seed: str
    level: str
    mutation: str
    description: str
    outcome: str
    status: int | None
    seconds: float
    peak_rss: int
    stderr: str = ""
    detail: str = ""
    finding: str = ""


@dataclass
class Settings:
    verify: str
    fixtures: Path
    findings: Path
    seed: int = 0
    limits: outcomes.Limits = field(default_factory=outcomes.Limits)
    workdir: str = ""
    # Only these mutation kinds (a focused campaign); all when empty.
    only: tuple[str, ...] = ()


def plan(settings: Settings, number: int) -> tuple[Seed, str, str, random.Random]:
    """Run `number`'s seed file and mutation. Mutation kinds and seed kinds cycle with
    coprime periods, so every pair comes up once in each stretch of their product."""
    corpus = seeds(settings.fixtures)
    kinds = list(SEED_KINDS)
    mutations = [m for m in MUTATIONS if m[1] in settings.only] if settings.only else MUTATIONS
    level, mutation = mutations[number % len(mutations)]
    seed_kind = kinds[(number // len(mutations)) % len(kinds)] if len(mutations) % len(kinds) else kinds[number % len(kinds)]
    rng = random.Random(f"{settings.seed}:{number}")
    seed = rng.choice([s for s in corpus if s.kind == seed_kind])
    return seed, level, mutation, rng


def mutate(settings: Settings, number: int, out: Path) -> tuple[Seed, str, str, str]:
    """Writes run `number`'s mutated file to `out`; a structural mutation that does not
    apply to the drawn target is drawn again (same seed file, same kind)."""
    seed, level, mutation, rng = plan(settings, number)
    if level == "byte":
        return seed, level, mutation, mutate_bytes(mutation, seed.path, out, rng)
    for _ in range(20):
        try:
            return seed, level, mutation, mutate_structure(mutation, seed.path, out, rng)
        except NotApplicable as error:
            last = error
    return seed, level, mutation, f"not applicable: {last}"


def execute(settings: Settings, number: int) -> Run:
    workdir = Path(settings.workdir) / f"worker-{os.getpid()}"
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"run-{number}.h5"
    try:
        seed, level, mutation, description = mutate(settings, number, path)
        if description.startswith("not applicable"):
            return Run(number, seed.kind, seed.name, level, mutation, description, "not applied", None, 0.0, 0)
        result = outcomes.run_verify(settings.verify, str(path), settings.limits)
        run = Run(number, seed.kind, seed.name, level, mutation, description, result.outcome, result.status, result.seconds,
                  result.peak_rss, result.stderr[:2000], result.detail)
        if result.outcome in outcomes.BAD:
            target = settings.findings / result.outcome.replace(" ", "-") / f"run-{number}-{mutation.replace(' ', '-').replace('/', '-')}.h5"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            run.finding = str(target)
        return run
    finally:
        path.unlink(missing_ok=True)


def _worker(args):
    settings, number = args
    return execute(settings, number)


@dataclass
class Summary:
    runs: list[Run]
    seconds: float
    jobs: int
    settings: Settings

    def table(self, key: str) -> dict[str, Counter]:
        rows: dict[str, Counter] = {}
        for run in self.runs:
            rows.setdefault(getattr(run, key), Counter())[run.outcome] += 1
        return rows

    @property
    def bad(self) -> list[Run]:
        return [run for run in self.runs if run.outcome in outcomes.BAD]


def campaign(settings: Settings, runs: int | None, minutes: float | None, jobs: int, first: int = 0, progress=None) -> Summary:
    deadline = time.monotonic() + minutes * 60 if minutes else None
    own_workdir = not settings.workdir
    if own_workdir:
        base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        settings.workdir = tempfile.mkdtemp(prefix="lockstep-fuzz-", dir=base)
    seeds(settings.fixtures)  # a missing seed is an error before any run

    def numbers():
        number = first
        while (runs is None or number < first + runs) and (deadline is None or time.monotonic() < deadline):
            yield settings, number
            number += 1

    start = time.monotonic()
    done: list[Run] = []
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for run in pool.imap_unordered(_worker, numbers(), chunksize=1):
                done.append(run)
                if progress:
                    progress(run, len(done))
    finally:
        if own_workdir:
            shutil.rmtree(settings.workdir, ignore_errors=True)
    done.sort(key=lambda run: run.number)
    return Summary(done, time.monotonic() - start, jobs, settings)


def write_log(summary: Summary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as log:
        for run in summary.runs:
            log.write(json.dumps(asdict(run)) + "\n")
