"""Joins lockstep-bench's and tools/bench_torch.py's JSON into one Markdown table.

    python3 tools/bench_table.py --swift S1.json [S2.json ...] --torch T1.json [T2.json ...]
        [--verify VERIFY.json] [--load "L1 L5 L15"] [--target-cpu NAME] [--write docs/performance.md]

With several runs of a side (tools/bench alternates Swift and torch runs), each case takes
the run with the lowest median: the machine is shared, and another process slows a run
down, never up.

Without --write it prints the table; with it, the table replaces what stands between
`<!-- bench table: ... -->` and `<!-- end bench table -->` in that file.
"""
import argparse
import datetime
import json
import os
import platform
import re
import sys


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load_json(path):
    with open(path) as file:
        return json.load(file)


def best_of(runs, key_fields):
    """Per case (in the first run's order), the result with the lowest median time."""
    best = {}
    for run in runs:
        for result in run:
            key = tuple(result[field] for field in key_fields)
            if key not in best or result["secondsPerStep"] < best[key]["secondsPerStep"]:
                best[key] = result
    return [best[tuple(r[field] for field in key_fields)] for r in runs[0]]


def table(swift, torch, load, target_cpu):
    timings = {(r["optimizer"], r["path"], r["elements"], r["threads"]): r["secondsPerStep"] for r in torch["results"]}
    fastest = {(r["optimizer"], r["path"], r["elements"], r["threads"]): r["fastestStep"] for r in torch["results"]}
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {cpu_model()} ({os.cpu_count()} cores); Swift built with "
        f"`-target-cpu {target_cpu or '?'}`; torch {torch['torch']} (CPU capability {torch['capability']}); "
        f"load average (1, 5, 15 min) before → after the whole run: {load or 'not recorded'}. Times are medians over "
        "≥ 1 s of steps, the lower of two runs of each side; the last column compares the fastest steps.",
        "",
        "| optimizer | bytes/elem | elements | threads | Swift ms/step | Swift GB/s | roofline GB/s | of roofline "
        "| torch fused ms | torch foreach ms | torch for-loop ms | Swift ÷ torch fused | fastest ÷ fastest |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def ms(key):
        value = timings.get(key)
        return f"{value * 1e3:.2f}" if value is not None else "—"

    for r in swift:
        key = (r["optimizer"], r["elements"], r["threads"])
        fused = timings.get((r["optimizer"], "fused") + key[1:])
        ratio = f"{r['secondsPerStep'] / fused:.2f}×" if fused else "—"
        best = fastest.get((r["optimizer"], "fused") + key[1:])
        best_ratio = f"{r['fastestStep'] / best:.2f}×" if best else "—"
        fraction = r["gigabytesPerSecond"] / r["triadGigabytesPerSecond"]
        lines.append(
            f"| {r['optimizer']} | {r['bytesPerElement']} | {r['elements'] / 1e6:g}M | {r['threads']} "
            f"| {r['secondsPerStep'] * 1e3:.2f} | {r['gigabytesPerSecond']:.1f} | {r['triadGigabytesPerSecond']:.1f} "
            f"| {fraction * 100:.0f} % | {ms((r['optimizer'], 'fused') + key[1:])} "
            f"| {ms((r['optimizer'], 'foreach') + key[1:])} | {ms((r['optimizer'], 'forloop') + key[1:])} | {ratio} "
            f"| {best_ratio} |")
    return "\n".join(lines)


def verify_table(results):
    lines = [
        "| steps | elements | file MB | `verify --exact` s | h5py read s | h5py ÷ verify | verify peak RSS MB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['steps']} | {r['elements'] / 1e6:g}M | {r['fileBytes'] / 1e6:.0f} | {r['verifySeconds']:.2f} "
            f"| {r['h5pySeconds']:.2f} | {r['h5pySeconds'] / r['verifySeconds'] * 100:.0f} % "
            f"| {r['verifyPeakRSSKiB'] / 1024:.0f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swift", nargs="+", required=True)
    parser.add_argument("--torch", nargs="+", required=True)
    parser.add_argument("--verify")
    parser.add_argument("--load")
    parser.add_argument("--target-cpu")
    parser.add_argument("--write")
    args = parser.parse_args()
    swift = best_of([load_json(path) for path in args.swift], ("optimizer", "elements", "threads"))
    torch_runs = [load_json(path) for path in args.torch]
    torch = dict(torch_runs[0], results=best_of(
        [run["results"] for run in torch_runs], ("optimizer", "path", "elements", "threads")))
    text = table(swift, torch, args.load, args.target_cpu)
    if args.verify:
        with open(args.verify) as file:
            text += "\n\nVerification of AdamW (fused, float32) trajectories of one 1M-element parameter:\n\n"
            text += verify_table(json.load(file))
    if not args.write:
        print(text)
        return
    with open(args.write) as file:
        document = file.read()
    pattern = re.compile(r"(<!-- bench table: .*? -->\n).*?(<!-- end bench table -->)", re.S)
    document, count = pattern.subn(lambda m: m.group(1) + text + "\n" + m.group(2), document)
    if count != 1:
        sys.exit(f"bench_table: no bench table markers in {args.write}")
    with open(args.write + ".tmp", "w") as file:
        file.write(document)
    os.replace(args.write + ".tmp", args.write)
    print(text)
    print(f"bench_table: updated {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
