"""Times torch's optimizer steps for the cases lockstep-bench times (tools/bench runs this).

For AdamW, Adam, SGD (momentum 0.9) and Adagrad on one float32 parameter of 1M and 10M
elements, on 1 and 2 threads (`torch.set_num_threads`), each of torch's CPU paths:
for-loop (`foreach=False`), foreach (`foreach=True`) and fused (`fused=True`). The
hyperparameters are lockstep-bench's (Sources/lockstep-bench/Cases.swift). Prints a
Markdown table; `--json FILE` also writes the results for tools/bench_table.py.

    python tools/bench_torch.py [--sizes 1000000,10000000] [--threads 1,2] [--seconds 1]
"""
import argparse
import json
import statistics
import time

import torch

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--optimizers", default=",".join(CASES))
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    results = []
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}")
    print("| optimizer | path | elements | threads | ms/step |")
    print("|---|---|---:|---:|---:|")
    for name in args.optimizers.split(","):
        for size in map(int, args.sizes.split(",")):
            for threads in map(int, args.threads.split(",")):
                for path in PATHS:
                    result = measure(name, path, size, threads, args.seconds)
                    results.append(result)
                    print(f"| {name} | {path} | {size} | {threads} | {result['secondsPerStep'] * 1e3:.3f} |", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"torch": torch.__version__, "capability": torch.backends.cpu.get_cpu_capability(),
                       "results": results}, file, indent=1)


if __name__ == "__main__":
    main()
