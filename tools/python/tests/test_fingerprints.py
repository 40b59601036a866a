"""Format extension 17: a recording stores what this host's torch.sqrt returns on a fixed probe."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import torch

import lockstep
from lockstep.fingerprints import PROBES, probe


def test_a_recording_stores_torchs_sqrt_of_the_probe(tmp_path: Path) -> None:
    w = torch.nn.Parameter(torch.randn(3))
    optimizer = torch.optim.Adam([w])
    path = tmp_path / "adam.h5"
    with lockstep.record(optimizer, path, names={"w": w}):
        w.grad = torch.ones(3)
        optimizer.step()
    with h5py.File(path) as file:
        assert sorted(file["fingerprints"]) == ["sqrt_float32", "sqrt_float64"]
        for dtype, count in PROBES.items():
            data = file[f"fingerprints/sqrt_{dtype}"][()]
            assert data.dtype == np.dtype(dtype) and data.shape == (2, count)
            np.testing.assert_array_equal(data[0], probe(dtype))
            expected = torch.from_numpy(data[0].copy()).sqrt().numpy()
            np.testing.assert_array_equal(data[1].view(f"u{data.itemsize}")[~np.isnan(expected)],
                                          expected.view(f"u{data.itemsize}")[~np.isnan(expected)])


def test_the_probe_is_fixed_and_covers_the_special_values() -> None:
    for dtype in PROBES:
        values = probe(dtype)
        np.testing.assert_array_equal(values, probe(dtype))
        assert np.isinf(values).any() and (values < 0).any() and (values == 0).any()
        assert (np.abs(values[values > 0]) < np.finfo(dtype).tiny).any()  # a subnormal
