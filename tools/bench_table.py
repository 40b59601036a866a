"""Joins lockstep-bench's and tools/bench_torch.py's JSON into the Markdown tables of docs/performance.md.

    python3 tools/bench_table.py --swift S1.json [S2.json ...] [--tuned U1.json ...] --torch T1.json [T2.json ...]
        [--verify VERIFY.json] [--load "L1 L5 L15"] [--target-cpu NAME] [--write docs/performance.md]

`--swift` is the default release build's lockstep-bench (the main Swift column), `--tuned`
the flags-tuned build's (a secondary column). With several runs of a side (tools/bench
alternates them), each case takes the run with the lowest median: the machine is shared,
and another process slows a run down, never up. Two tables: the single-tensor steps, and
the training step over a small model's parameters (when the runs have `model` results).

Without --write it prints the tables; with it, they replace what stands between
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


def load_swift(path):
    """A lockstep-bench report: {kernel, results, model} (or an older run's bare list of results)."""
    report = load_json(path)
    if isinstance(report, list):
        return {"kernel": "unknown", "results": report, "model": []}
    return {"kernel": report.get("kernel", "unknown"), "results": report.get("results", []),
            "model": report.get("model", [])}


def best_of(runs, key_fields):
    """Per case (in the first run's order), the result with the lowest median time."""
    best = {}
    for run in runs:
        for result in run:
            key = tuple(result[field] for field in key_fields)
            if key not in best or result["secondsPerStep"] < best[key]["secondsPerStep"]:
                best[key] = result
    return [best[tuple(r[field] for field in key_fields)] for r in runs[0]]


def ms(seconds, digits=2):
    return f"{seconds * 1e3:.{digits}f}" if seconds is not None else "—"


def ratio(numerator, denominator):
    return f"{numerator / denominator:.2f}×" if numerator is not None and denominator else "—"


def kernels(runs):
    names = sorted({run["kernel"] for run in runs})
    return ", ".join(f"`{name}`" for name in names) if names else "`unknown`"


def header(swift_runs, tuned_runs, torch, load, target_cpu):
    tuned = (f"; the tuned build adds `-Xswiftc -target-cpu -Xswiftc {target_cpu or '?'} "
             f"-Xswiftc -Xcc -Xswiftc -fno-math-errno` (kernel ISA {kernels(tuned_runs)})") if tuned_runs else ""
    return (
        f"Measured {datetime.date.today().isoformat()} on {cpu_model()} ({os.cpu_count()} cores); "
        f"torch {torch['torch']} (CPU capability {torch['capability']}); Lockstep's kernels dispatched to "
        f"{kernels(swift_runs)} in the default build (`swift build -c release`, no flags){tuned}; load average "
        f"(1, 5, 15 min) before → after the whole run: {load or 'not recorded'}. Times are medians over ≥ 1 s of "
        "steps, the lower of two runs of each side."
    )


def table(swift, tuned, torch):
    timings = {(r["optimizer"], r["path"], r["elements"], r["threads"]): r["secondsPerStep"] for r in torch["results"]}
    tuned_by_case = {(r["optimizer"], r["elements"], r["threads"]): r for r in tuned}
    lines = [
        "| optimizer | bytes/elem | elements | threads | default build ms/step | default GB/s | roofline GB/s "
        "| default of roofline | tuned build ms/step | tuned of roofline | torch fused ms | torch foreach ms "
        "| torch for-loop ms | default ÷ torch fused | tuned ÷ torch fused |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in swift:
        key = (r["optimizer"], r["elements"], r["threads"])
        t = tuned_by_case.get(key)
        # Each build measures the roofline with its own compilation of the same loop; the
        # higher of the two is the memory system's (a baseline-x86-64 loop is slower in cache).
        roofline = max(r["triadGigabytesPerSecond"], t["triadGigabytesPerSecond"] if t else 0)
        fused = timings.get((r["optimizer"], "fused") + key[1:])
        tuned_step = t["secondsPerStep"] if t else None
        tuned_fraction = f"{t['gigabytesPerSecond'] / roofline * 100:.0f} %" if t else "—"
        lines.append(
            f"| {r['optimizer']} | {r['bytesPerElement']} | {r['elements'] / 1e6:g}M | {r['threads']} "
            f"| {ms(r['secondsPerStep'])} | {r['gigabytesPerSecond']:.1f} | {roofline:.1f} "
            f"| {r['gigabytesPerSecond'] / roofline * 100:.0f} % | {ms(tuned_step)} | {tuned_fraction} "
            f"| {ms(fused)} | {ms(timings.get((r['optimizer'], 'foreach') + key[1:]))} "
            f"| {ms(timings.get((r['optimizer'], 'forloop') + key[1:]))} "
            f"| {ratio(r['secondsPerStep'], fused)} | {ratio(tuned_step, fused)} |")
    return "\n".join(lines)


PATH_NAMES = {"fused": "fused", "foreach": "foreach", "forloop": "for-loop"}


def model_table(swift, tuned, torch):
    """The training step: AdamW's step() over a model's parameters, per side and path."""
    torch_model = torch.get("model", [])
    if not swift and not torch_model:
        return ""
    fused = next((r["secondsPerStep"] for r in torch_model if r["path"] == "fused"), None)
    first = (swift or tuned or torch_model)[0]
    groups = first.get("groups", "its")
    lines = [
        f"AdamW's `step()` over the {first['tensors']} parameters ({first['elements']} elements) and {groups} param groups "
        f"of `{first['source']}`, one thread:",
        "",
        "| implementation | path | ms/step | µs per tensor | ÷ torch fused |",
        "|---|---|---:|---:|---:|",
    ]
    for label, results in (("Lockstep, default build", swift), ("Lockstep, tuned build", tuned),
                           (f"torch {torch['torch']}", sorted(torch_model, key=lambda r: list(PATH_NAMES).index(r["path"])))):
        for r in results:
            lines.append(
                f"| {label} | {PATH_NAMES.get(r['path'], r['path'])} | {ms(r['secondsPerStep'], 4)} "
                f"| {r['secondsPerStep'] * 1e6 / r['tensors']:.2f} | {ratio(r['secondsPerStep'], fused)} |")
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
    parser.add_argument("--swift", nargs="+", required=True, help="the default build's lockstep-bench JSON runs")
    parser.add_argument("--tuned", nargs="*", default=[], help="the flags-tuned build's lockstep-bench JSON runs")
    parser.add_argument("--torch", nargs="+", required=True)
    parser.add_argument("--verify")
    parser.add_argument("--load")
    parser.add_argument("--target-cpu")
    parser.add_argument("--write")
    args = parser.parse_args()
    swift_runs = [load_swift(path) for path in args.swift]
    tuned_runs = [load_swift(path) for path in args.tuned]

    def best(runs, field, keys):
        return best_of([run[field] for run in runs], keys) if runs and runs[0][field] else []

    single_keys, model_keys = ("optimizer", "elements", "threads"), ("optimizer", "path")
    torch_runs = [load_json(path) for path in args.torch]
    torch = dict(torch_runs[0], results=best(torch_runs, "results", ("optimizer", "path", "elements", "threads")),
                 model=best([dict(run, model=run.get("model", [])) for run in torch_runs], "model", model_keys))
    text = header(swift_runs, tuned_runs, torch, args.load, args.target_cpu) + "\n\n"
    text += table(best(swift_runs, "results", single_keys), best(tuned_runs, "results", single_keys), torch)
    model = model_table(best(swift_runs, "model", model_keys), best(tuned_runs, "model", model_keys), torch)
    if model:
        text += "\n\nA training step: " + model
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
