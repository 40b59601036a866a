"""What this host's torch returns on fixed probes (format extension 17), so a replay can
tell which implementation recorded a trajectory.

torch's CPU tensor `sqrt` is MKL's on x86-64 builds; on AMD CPUs MKL runs a generic kernel
seeded by the CPU's `rsqrtps` estimate, so about 15 % of float32 results are one ULP from
the correctly rounded root, and which ones depends on the CPU family. A fixture stores
`torch.sqrt` of a probe in float32 and float64; the Swift replay finds the implementation
that returns the same bits (`SqrtIdentification`) or falls back to the correctly rounded
root and says so.
"""

from __future__ import annotations

import numpy as np

#: Probes per dtype, and the generator's seed: the inputs are stored with the results, so
#: a reader never regenerates them.
PROBES = {"float32": 128, "float64": 64}
SEED = 17

def _specials(dtype: np.dtype) -> np.ndarray:
    """Inputs every probe holds: zeros, one, a power of four, a negative number, infinity,
    the smallest subnormal, the largest finite value."""
    info = np.finfo(dtype)
    return np.array([0.0, -0.0, 1.0, 4.0, -1.0, np.inf, info.smallest_subnormal, info.max], dtype=dtype)


def probe(dtype: str) -> np.ndarray:
    """The probe inputs for `dtype`: the specials, then positive values whose exponents span
    2^-40 to 2^40 and whose mantissas are uniformly random, from a fixed seed."""
    np_dtype = np.dtype(dtype)
    rng = np.random.default_rng(SEED)
    count = PROBES[dtype] - len(_specials(np_dtype))
    mantissas = rng.uniform(1.0, 2.0, size=count)
    exponents = rng.integers(-40, 41, size=count)
    values = np.ldexp(mantissas, exponents).astype(np_dtype)
    return np.concatenate([_specials(np_dtype), values])


def sqrt_fingerprints() -> dict[str, np.ndarray]:
    """`/fingerprints/sqrt_<dtype>`: `[2, n]`, the probe, then `torch.sqrt` of it as one tensor."""
    import torch

    fingerprints = {}
    for dtype in PROBES:
        inputs = probe(dtype)
        outputs = torch.from_numpy(inputs.copy()).sqrt().numpy()
        fingerprints[f"sqrt_{dtype}"] = np.stack([inputs, outputs])
    return fingerprints
