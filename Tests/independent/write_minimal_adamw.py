"""Writes fixtures/independent_adamw_fused_f32.h5 without any of the project's generator code.

Why this exists: the fixture format, not our generator, is the contract. This script was
written from the format page alone and deliberately takes the format's *other* legal
choices (fixed-length UTF-8 string attributes, 32-bit integer attributes, gzip + shuffle
instead of fletcher32, only the attributes the format requires plus `description`), so a
reader that verifies it proves it reads the format rather than our writer's habits.

Run with the project venv:  python Tests/independent/write_minimal_adamw.py
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

OUT = Path(__file__).resolve().parents[2] / "fixtures" / "independent_adamw_fused_f32.h5"
STEPS = 10
SHAPE = (3, 11)
SEED = 2024
LR = 0.02
GZIP_LEVEL = 4


@dataclass
class Recording:
    initial: np.ndarray
    grad: np.ndarray
    param: np.ndarray
    state: dict[str, np.ndarray]
    param_groups: list[dict[str, object]]


def fixed_utf8(text: str) -> tuple[np.ndarray, h5py.Datatype]:
    """A fixed-length UTF-8 string attribute value and its HDF5 type."""
    encoded = text.encode("utf-8")
    return np.array(encoded, dtype=f"S{len(encoded)}"), h5py.string_dtype("utf-8", len(encoded))


def record() -> Recording:
    """Runs torch's fused AdamW on one float32 parameter and returns everything to write."""
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(SEED)
    weight = torch.nn.Parameter(torch.randn(SHAPE, generator=generator))
    optimizer = torch.optim.AdamW([weight], lr=LR, fused=True)
    initial = weight.detach().numpy().copy()
    grads: list[np.ndarray] = []
    params: list[np.ndarray] = []
    states: dict[str, list[np.ndarray]] = {}
    for _ in range(STEPS):
        weight.grad = torch.randn(SHAPE, generator=generator)
        grads.append(weight.grad.numpy().copy())
        optimizer.step()
        params.append(weight.detach().numpy().copy())
        for key, value in optimizer.state[weight].items():
            states.setdefault(key, []).append(value.detach().numpy().astype(np.float32, copy=True))
    names = ["weight"]
    groups = optimizer.state_dict()["param_groups"]
    for group in groups:
        group["params"] = [names[i] for i in group["params"]]
    return Recording(
        initial=initial,
        grad=np.stack(grads),
        param=np.stack(params),
        state={key: np.stack(rows) for key, rows in states.items()},
        param_groups=groups,
    )


def write(data: Recording, path: Path) -> None:
    """Writes the fixture under a temporary name, then renames it into place."""
    reference = {
        "library": "torch",
        "version": torch.__version__.split("+")[0],
        "implementation": "fused",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }
    strings = {
        "format": "lockstep-golden",
        "optimizer": "AdamW",
        "dtype": "float32",
        "mode": "replay",
        "param_groups": json.dumps(data.param_groups),
        "reference": json.dumps(reference),
        "description": "independent writer: fixed-length strings, gzip + shuffle, minimal attributes",
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w", libver=("earliest", "v110")) as f:
            for name, text in strings.items():
                value, dtype = fixed_utf8(text)
                f.attrs.create(name, value, dtype=dtype)
            f.attrs.create("format_version", 1, dtype=np.int32)
            f.attrs.create("steps", STEPS, dtype=np.int32)
            param = f.create_group("params/weight")
            param.attrs.create("index", 0, dtype=np.int32)
            param.create_dataset("initial", data=data.initial.astype("<f4"))
            stepped = {"grad": data.grad, "param": data.param}
            stepped.update({f"state/{key}": rows for key, rows in data.state.items()})
            for name, rows in stepped.items():
                layout: dict[str, object] = {}
                if rows[0].size > 1:
                    layout = {"chunks": (1, *rows.shape[1:]), "compression": "gzip",
                              "compression_opts": GZIP_LEVEL, "shuffle": True}
                param.create_dataset(name, data=rows.astype("<f4"), **layout)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    write(record(), OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
