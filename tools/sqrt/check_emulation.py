"""Compares Lockstep's emulation of torch's float32 tensor `sqrt` (Sources/CLockstepKernels:
`lockstep_torch_sqrtf`) with this host's `torch.sqrt`, over every float32 bit pattern or a
sample. Run through `tools/sqrt/check-emulation`, which builds the C library first."""

from __future__ import annotations

import argparse
import ctypes
import sys
import time

import numpy as np
import torch

IMPLEMENTATIONS = {"correctly-rounded": 0, "mkl-zen4": 1}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("library", help="the shared library exporting lockstep_torch_sqrtf")
    parser.add_argument("--implementation", choices=IMPLEMENTATIONS, default="mkl-zen4")
    parser.add_argument("--sample", type=int, default=0, help="random bit patterns instead of all 2^32")
    args = parser.parse_args()
    library = ctypes.CDLL(args.library)
    library.lockstep_torch_sqrtf_array.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
    torch.set_num_threads(1)
    chunk = 1 << 24
    started, mismatches, checked, examples = time.time(), 0, 0, []
    if args.sample:
        rng = np.random.default_rng(0)
        chunks = (rng.integers(0, 1 << 32, size=min(chunk, args.sample - i), dtype=np.uint32)
                  for i in range(0, args.sample, chunk))
    else:
        chunks = (np.arange(c * chunk, (c + 1) * chunk, dtype=np.uint64).astype(np.uint32) for c in range(256))
    for bits in chunks:
        x = bits.view(np.float32)
        expected = torch.from_numpy(x).sqrt().numpy()
        actual = np.empty_like(x)
        library.lockstep_torch_sqrtf_array(IMPLEMENTATIONS[args.implementation], x.ctypes.data, actual.ctypes.data, x.size)
        differ = (expected.view(np.uint32) != actual.view(np.uint32)) & ~(np.isnan(expected) & np.isnan(actual))
        bad = np.nonzero(differ)[0]
        mismatches += bad.size
        checked += bits.size
        examples += [(f"{bits[j]:#010x}", f"{expected.view(np.uint32)[j]:#010x}", f"{actual.view(np.uint32)[j]:#010x}")
                     for j in bad[: max(0, 5 - len(examples))]]
    print(f"{args.implementation}: {mismatches} mismatches over {checked} float32 inputs against torch "
          f"{torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), {time.time() - started:.0f} s")
    for example in examples:
        print("  input, torch, emulation:", *example)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
