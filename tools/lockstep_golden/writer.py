"""Writes a Trajectory as a Lockstep golden fixture, format v1.

The file is written beside its destination under a temporary name and renamed into
place, so an interrupted run never leaves a half-written fixture.

Integrity: the file uses HDF5 1.10's object formats (`libver=("v110", "v110")`), whose
metadata carries checksums, every dataset that can be chunked carries a fletcher32
checksum, and string attributes are fixed-length UTF-8, stored in the checksummed object
header (variable-length strings would live in the global heap, which has no checksum). A flipped byte anywhere the reader looks is then a read error, not a silently
different number or a crash in the HDF5 library. Such a file is still readable by HDF5 1.10.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import h5py
import numpy as np
import numpy.typing as npt

from .trajectory import ClosureRecord, ParamRecord, Trajectory

FORMAT = "lockstep-golden"
FORMAT_VERSION = 1
FILE_MODE = 0o644
# The newest formats HDF5 1.10 reads: checksummed metadata (superblock v3, object headers v2).
LIBVER = ("v110", "v110")


def write_fixture(trajectory: Trajectory, path: Path) -> None:
    """Writes `trajectory` to `path` atomically (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with h5py.File(tmp, "w", libver=LIBVER) as file:
            _write_root_attributes(file, trajectory)
            compress = trajectory.case.compress
            for record in trajectory.params:
                _write_param(file.create_group(f"params/{record.name}"), record, trajectory.case.dtype, compress)
            if trajectory.lr is not None or trajectory.hyperparameters:
                steps = file.require_group("steps")
                if trajectory.lr is not None:
                    _write_step_dataset(steps, "lr", trajectory.lr, "<f8")
                for key, rows in trajectory.hyperparameters.items():
                    _write_step_dataset(steps, key, rows, "<f8")
                if trajectory.metric is not None:
                    _write_step_dataset(steps, "metric", trajectory.metric, "<f8")
            if trajectory.closure is not None:
                _write_closure(file, trajectory.closure, trajectory.case.dtype)
        tmp.chmod(FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _set_string(attrs: h5py.AttributeManager, name: str, text: str) -> None:
    """A fixed-length, null-padded UTF-8 string attribute."""
    data = text.encode("utf-8")
    attrs.create(name, np.array(data, dtype=f"S{max(1, len(data))}"), dtype=h5py.string_dtype("utf-8", max(1, len(data))))


def _write_root_attributes(file: h5py.File, trajectory: Trajectory) -> None:
    case = trajectory.case
    attrs = file.attrs
    _set_string(attrs, "format", FORMAT)
    attrs["format_version"] = FORMAT_VERSION
    _set_string(attrs, "optimizer", case.optimizer)
    _set_string(attrs, "dtype", case.dtype)
    attrs["steps"] = case.steps
    _set_string(attrs, "mode", case.mode)
    _set_string(attrs, "param_groups", json.dumps(trajectory.param_groups))
    _set_string(attrs, "reference", json.dumps(trajectory.reference))
    if case.tolerance is not None:
        _set_string(attrs, "tolerance", json.dumps(dict(case.tolerance)))
    if case.scheduler is not None:
        _set_string(attrs, "scheduler", json.dumps(case.scheduler.to_json()))
    _set_string(attrs, "description", case.description)
    _set_string(attrs, "case", case.name)
    attrs["seed"] = case.seed


def _write_param(group: h5py.Group, record: ParamRecord, dtype: str, compress: bool) -> None:
    float_type = np.dtype(dtype).newbyteorder("<")
    group.attrs["index"] = record.index
    _write_dataset(group, "initial", record.initial, float_type)
    if record.grad is not None:
        _write_step_dataset(group, "grad", record.grad, float_type, compress)
    if record.has_gaps:
        _write_step_dataset(group, "has_grad", record.has_grad, np.uint8)
    if record.grad_mask is not None:
        _write_step_dataset(group, "grad_mask", record.grad_mask, np.uint8)
    _write_step_dataset(group, "param", record.param, float_type, compress)
    if record.state:
        state = group.create_group("state")
        for key, rows in record.state.items():
            _write_step_dataset(state, key, rows, float_type, compress or key in record.padded_lists)


def _write_closure(file: h5py.File, closure: ClosureRecord, dtype: str) -> None:
    """`/steps/loss`, `/steps/closure_calls` and `/objective` (closure mode)."""
    steps = file.require_group("steps")
    _write_step_dataset(steps, "loss", closure.loss, "<f8")
    _write_step_dataset(steps, "closure_calls", closure.closure_calls, "<i8")
    objective = file.create_group("objective")
    _set_string(objective.attrs, "kind", closure.objective_kind)
    for name, value in closure.objective_attrs.items():
        objective.attrs[name] = float(value)
    for name, data in closure.objective_data.items():
        _write_dataset(objective, name, data, np.dtype(dtype).newbyteorder("<"))


def _write_step_dataset(
    parent: h5py.Group, name: str, data: np.ndarray, dtype: npt.DTypeLike, compress: bool = False
) -> None:
    """An `[N, ...]` dataset: one chunk per step when a row holds more than one element,
    else one chunk for the whole dataset; fletcher32 on both, and with `compress` gzip
    after byte shuffling (long trajectories; LBFGS's history, padded with NaN to
    `history_size` rows). Contiguous (no checksum is possible) when it holds no element."""
    row_shape = data.shape[1:]
    layout: dict[str, object] = {}
    if math.prod(row_shape) > 1:
        layout = {"chunks": (1, *row_shape), "fletcher32": True}
    elif data.size > 0:
        layout = {"chunks": data.shape, "fletcher32": True}
    if compress and layout:
        layout.update(compression="gzip", compression_opts=9, shuffle=True)
    parent.create_dataset(name, data=data.astype(dtype), track_times=False, **layout)


def _write_dataset(parent: h5py.Group, name: str, data: np.ndarray, dtype: npt.DTypeLike) -> None:
    """A dataset without a step axis: one chunk with fletcher32, unless it is a scalar or
    empty (which HDF5 cannot chunk)."""
    layout: dict[str, object] = {}
    if data.ndim > 0 and data.size > 0:
        layout = {"chunks": data.shape, "fletcher32": True}
    parent.create_dataset(name, data=data.astype(dtype), track_times=False, **layout)
