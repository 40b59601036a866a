"""How fast `verify` replays a large trajectory, against reading the same data with h5py.

Records AdamW (fused, float32) on one parameter of 1M elements for 10 and for 100 steps
from torch into a scratch folder (never into fixtures/: the files are large), with the
golden generator's own recorder (the lockstep package). Then, for each, times

- `verify --exact --fixture F` (by default `.build/release/verify`, the plain
  `swift build -c release` users get; `--verify PATH` or `LOCKSTEP_VERIFY=PATH` times
  another build, such as `.build-bench-default/release/verify` from `bash tools/bench build`),
  under `/usr/bin/time -v` for its wall time and peak resident memory, and
- reading every dataset of the file with h5py (`dataset[()]`, whole), the least any
  reader of the same bytes must do,

each three times after one warm-up run (the file is in the page cache), and prints the
medians and the fraction h5py time ÷ verify time.

    python tools/bench_verify.py [--out /tmp/lockstep-bench] [--steps 10,100] [--elements 1000000]
                                 [--verify PATH] [--runs 3]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import h5py

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent / "python" / "src")]
from lockstep_golden.record import record  # noqa: E402
from lockstep_golden.spec import Case, Param  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
# The plain `swift build -c release` binary, what users get; `--verify PATH` or
# LOCKSTEP_VERIFY=PATH times another (`tools/bench` passes its `.build-bench-default` one).
DEFAULT_VERIFY = REPO / ".build/release/verify"


def fixture(out: Path, steps: int, elements: int) -> Path:
    path = out / f"adamw_fused_f32_{elements}x{steps}.h5"
    if not path.exists():
        case = Case(
            name=path.stem, description="verify benchmark: AdamW fused float32, one large parameter",
            optimizer="AdamW", dtype="float32", implementation="fused", steps=steps, seed=6,
            params=(Param("w", (elements,)),), options={"lr": 1e-3})
        record(case, path)
    return path


def time_verify(verify: Path, path: Path, threads: int) -> tuple[float, int]:
    command = ["/usr/bin/time", "-v", str(verify), "--exact", "--threads", str(threads), "--fixture", str(path)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench_verify: verify failed on {path}:\n{result.stdout}{result.stderr}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    hours, minutes, seconds = (float(wall.group(1) or 0), float(wall.group(2)), float(wall.group(3)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return hours * 3600 + minutes * 60 + seconds, rss


def time_h5py(path: Path) -> float:
    # `visititems` stops at the first callback that returns something other than None: the
    # callback reads, then returns None, so every dataset is read (not only the first).
    def read(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset):
            obj[()]

    start = time.perf_counter()
    with h5py.File(path, "r") as file:
        file.visititems(read)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/lockstep-bench"))
    parser.add_argument("--steps", default="10,100")
    parser.add_argument("--elements", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--verify", type=Path, default=Path(os.environ.get("LOCKSTEP_VERIFY", DEFAULT_VERIFY)),
                        help="the verify binary to time (default: $LOCKSTEP_VERIFY, else .build/release/verify)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each, after one warm-up (median)")
    parser.add_argument("--json", help="also write the results to this file (for tools/bench_table.py)")
    args = parser.parse_args()
    if not args.verify.is_file():
        sys.exit(f"bench_verify: no verify binary at {args.verify} (build it: swift build -c release --product verify)")
    results = []
    args.out.mkdir(parents=True, exist_ok=True)
    print("| steps | elements | file MB | verify s | h5py read s | h5py ÷ verify | verify peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for steps in map(int, args.steps.split(",")):
        path = fixture(args.out, steps, args.elements)
        time_verify(args.verify, path, args.threads)
        time_h5py(path)
        verify_runs = [time_verify(args.verify, path, args.threads) for _ in range(args.runs)]
        h5py_runs = [time_h5py(path) for _ in range(args.runs)]
        verify_time = statistics.median(run[0] for run in verify_runs)
        rss = max(run[1] for run in verify_runs)
        h5py_time = statistics.median(h5py_runs)
        print(f"| {steps} | {args.elements} | {path.stat().st_size / 1e6:.0f} | {verify_time:.2f} | {h5py_time:.2f} "
              f"| {h5py_time / verify_time * 100:.0f} % | {rss / 1024:.0f} |", flush=True)
        results.append({"steps": steps, "elements": args.elements, "fileBytes": path.stat().st_size,
                        "verifySeconds": verify_time, "h5pySeconds": h5py_time, "verifyPeakRSSKiB": rss,
                        "threads": args.threads, "verify": str(args.verify), "hdf5": {"h5py": h5py.version.hdf5_version}})
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)


if __name__ == "__main__":
    main()
