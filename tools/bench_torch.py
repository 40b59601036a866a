"""Times torch's optimizer steps for the cases lockstep-bench times (tools/bench runs this).

For AdamW, Adam, SGD (momentum 0.9) and Adagrad on one float32 parameter of 1M and 10M
elements, on 1 and 2 threads (`torch.set_num_threads`), each of torch's CPU paths:
for-loop (`foreach=False`), foreach (`foreach=True`) and fused (`fused=True`). The
hyperparameters are lockstep-bench's (Sources/lockstep-bench/Cases.swift). Prints a
Markdown table; `--json FILE` also writes the results for tools/bench_table.py.

A training step (`--model FILE`, as lockstep-bench's): AdamW's `step()` over a small
model's parameters in their param groups, on 1 thread, for each path. The model is read
from a golden fixture by `--dump-model FILE [--fixture F]`: every parameter's name and
shape (`params/NAME/initial`) and the groups' lr, weight decay and members (the
`param_groups` attribute), by default from the BERT-shaped fine-tuning trajectory
(fixtures/adamw_bert_finetune_wine_fused_f32.h5: twelve tensors of 3 to 156 elements,
decay on the three weight matrices only). Both sides fill the tensors alike.

    python tools/bench_torch.py [--sizes 1000000,10000000] [--threads 1,2] [--seconds 1] [--model FILE]
    python tools/bench_torch.py --dump-model FILE [--fixture fixtures/adamw_bert_finetune_wine_fused_f32.h5]
"""
import argparse
import json
import statistics
import time
from pathlib import Path

import torch

BERT_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "adamw_bert_finetune_wine_fused_f32.h5"

CASES = {
    "AdamW": lambda p, **flags: torch.optim.AdamW([p], lr=1e-3, weight_decay=1e-2, **flags),
    "Adam": lambda p, **flags: torch.optim.Adam([p], lr=1e-3, **flags),
    "SGD": lambda p, **flags: torch.optim.SGD([p], lr=1e-3, momentum=0.9, **flags),
    "Adagrad": lambda p, **flags: torch.optim.Adagrad([p], lr=1e-2, **flags),
}
PATHS = {"forloop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}


def measure(name, path, size, threads, seconds):
    torch.set_num_threads(threads)
    index = torch.arange(size, dtype=torch.int64)
    p = torch.nn.Parameter(((index * 7919) % 2001 - 1000).to(torch.float32) * 1e-3)
    p.grad = ((index * 104729) % 2001 - 1000).to(torch.float32) * 1e-4
    optimizer = CASES[name](p, **PATHS[path])
    for _ in range(3):
        optimizer.step()
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < 10 or time.perf_counter() < deadline:
        start = time.perf_counter()
        optimizer.step()
        times.append(time.perf_counter() - start)
    return {
        "optimizer": name, "path": path, "elements": size, "threads": threads,
        "secondsPerStep": statistics.median(times), "fastestStep": min(times), "steps": len(times),
    }


def dump_model(fixture, path):
    """Writes the parameters' names and shapes and the param groups of `fixture` to `path`."""
    import h5py

    with h5py.File(fixture, "r") as file:
        groups = json.loads(file.attrs["param_groups"])
        spec = {"source": Path(fixture).name, "groups": [
            {"lr": group["lr"], "weight_decay": group["weight_decay"], "params": [
                {"name": name, "shape": list(file[f"params/{name}/initial"].shape)} for name in group["params"]]}
            for group in groups]}
    with open(path, "w") as out:
        json.dump(spec, out, indent=1)
    return spec


def measure_model(spec, path, seconds):
    """AdamW's step over every group of `spec` on `path`, on 1 thread."""
    torch.set_num_threads(1)
    offset, groups = 0, []
    for group in spec["groups"]:
        params = []
        for tensor in group["params"]:
            count = 1
            for extent in tensor["shape"]:
                count *= extent
            index = torch.arange(offset, offset + count, dtype=torch.int64)
            offset += count
            p = torch.nn.Parameter(((index * 7919) % 2001 - 1000).to(torch.float32).reshape(tensor["shape"]) * 1e-3)
            p.grad = ((index * 104729) % 2001 - 1000).to(torch.float32).reshape(tensor["shape"]) * 1e-4
            params.append(p)
        groups.append({"params": params, "lr": group["lr"], "weight_decay": group["weight_decay"]})
    optimizer = torch.optim.AdamW(groups, **PATHS[path])
    for _ in range(100):
        optimizer.step()
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < 100 or time.perf_counter() < deadline:
        for _ in range(100):
            start = time.perf_counter()
            optimizer.step()
            times.append(time.perf_counter() - start)
    return {
        "optimizer": "AdamW", "path": path, "source": spec["source"], "elements": offset,
        "groups": len(spec["groups"]), "tensors": sum(len(group["params"]) for group in spec["groups"]),
        "secondsPerStep": statistics.median(times), "fastestStep": min(times), "steps": len(times),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--optimizers", default=",".join(CASES))
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--model", help="also time AdamW's step over the model in this file (--dump-model)")
    parser.add_argument("--model-only", action="store_true", help="only the --model cases")
    parser.add_argument("--dump-model", metavar="FILE", help="write the model of --fixture to FILE and exit")
    parser.add_argument("--fixture", default=str(BERT_FIXTURE))
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.dump_model:
        spec = dump_model(args.fixture, args.dump_model)
        print(f"bench_torch: {sum(len(g['params']) for g in spec['groups'])} tensors in {len(spec['groups'])} groups "
              f"from {spec['source']} → {args.dump_model}")
        return
    results = []
    model_results = []
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    if not args.model_only:
        print("| optimizer | path | elements | threads | ms/step |")
        print("|---|---|---:|---:|---:|")
    for name in [] if args.model_only else args.optimizers.split(","):
        for size in map(int, args.sizes.split(",")):
            for threads in map(int, args.threads.split(",")):
                for path in PATHS:
                    result = measure(name, path, size, threads, args.seconds)
                    results.append(result)
                    print(f"| {name} | {path} | {size} | {threads} | {result['secondsPerStep'] * 1e3:.3f} |", flush=True)
    if args.model:
        with open(args.model) as file:
            spec = json.load(file)
        print(f"\nTraining step over {spec['source']} (1 thread):\n")
        print("| optimizer | path | tensors | elements | ms/step | µs per tensor |")
        print("|---|---|---:|---:|---:|---:|")
        for path in PATHS:
            result = measure_model(spec, path, args.seconds)
            model_results.append(result)
            print(f"| AdamW | {path} | {result['tensors']} | {result['elements']} | {result['secondsPerStep'] * 1e3:.4f} "
                  f"| {result['secondsPerStep'] * 1e6 / result['tensors']:.2f} |", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability(),
                       "results": results, "model": model_results}, file, indent=1)


if __name__ == "__main__":
    main()
