"""Writes a Lockstep golden fixture (format v1 and Lockstep's extensions) as a stream.

A recording does not know its length in advance, and must not hold its trajectory in
memory. So `FixtureWriter` appends each step's rows to a *spool*, a scratch HDF5 file of
growable datasets beside the destination, and `finish()` then writes the fixture itself
row by row into a temporary file, renames it into place and deletes the spool. Memory stays
one row per series, whatever the number of steps; an exception before `finish()` (or a
call to `discard()`) leaves no file under the final name.

The fixture follows `docs/fixture-format.md`: HDF5 1.10 object formats (checksummed
metadata), every chunkable dataset with fletcher32, step series one step per chunk (or one
chunk when a row is a single number), fixed-length UTF-8 string attributes, and every
group's links and every object's attributes kept in its checksummed object header however
many there are; every dataset with an element carries its CRC-32C content digests
(extension 18, `lockstep.digest`).
"""

from __future__ import annotations

import ctypes
import functools
import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .digest import dataset_digests

FORMAT = "lockstep-golden"
FORMAT_VERSION = 1
FILE_MODE = 0o644
# The newest formats HDF5 1.10 reads: checksummed metadata (superblock v3, object headers v2).
LIBVER = ("v110", "v110")
DTYPES = ("float32", "float64")
# Small rows (a number a step) share spool chunks of this size.
SMALL_CHUNK_BYTES = 32 * 1024
# Per-step hyperparameters the format carries besides lr (extension 8), in writing order.
SCHEDULED_KEYS = ("momentum", "betas")
# Extension 18: the root attribute naming the digest, and each dataset's attribute holding it.
DIGEST = "crc32c"
# Links and attributes an object header keeps before HDF5 moves them to dense storage (a
# fractal heap and a B-tree, outside the checksummed header): the most HDF5 allows.
MAX_COMPACT = 65535


class FixtureError(ValueError):
    """Something the format cannot express; the message names the file and the object."""


@dataclass
class Objective:
    """A built-in objective for closure mode (extension 5): `/objective` with `kind`, its
    constants as attributes and its data as datasets in the file's dtype."""

    kind: str
    data: Mapping[str, np.ndarray] = field(default_factory=dict)
    attrs: Mapping[str, float] = field(default_factory=dict)


@dataclass
class Header:
    """The root attributes (`docs/fixture-format.md`, "Root attributes")."""

    optimizer: str
    dtype: str
    mode: str = "replay"
    reference: Mapping[str, Any] = field(default_factory=dict)
    tolerance: Mapping[str, float] | None = None
    scheduler: Mapping[str, Any] | None = None
    description: str | None = None
    case: str | None = None
    seed: int | None = None


class _Series:
    """One `[N, *row]` series in the spool: a growable dataset, NaN (or 0) where unwritten.

    A large row is one chunk; small rows (a step counter, a learning rate, a flag) share
    chunks of about `SMALL_CHUNK_BYTES`, which the spool's small chunk cache keeps while
    they fill.
    """

    def __init__(self, spool: h5py.File, name: str, row: tuple[int, ...], dtype: np.dtype, first_step: int) -> None:
        self.row = row
        self.dtype = dtype
        # Rows without an element (a [0, 3] parameter) need no storage.
        self.dataset: h5py.Dataset | None = None
        elements = math.prod(row)
        if elements > 0:
            fill = 0 if dtype.kind in "ui" else np.nan
            rows_per_chunk = max(1, SMALL_CHUNK_BYTES // (elements * dtype.itemsize))
            self.dataset = spool.create_dataset(
                name, shape=(first_step, *row), maxshape=(None, *row), dtype=dtype, chunks=(rows_per_chunk, *row),
                fillvalue=fill)

    def put(self, step: int, value: np.ndarray) -> None:
        """Writes row `step` (0-based), growing the dataset to hold it."""
        if self.dataset is None:
            return
        if self.dataset.shape[0] <= step:
            self.dataset.resize(step + 1, axis=0)
        self.dataset[step] = value

    def rows(self, count: int) -> Iterator[np.ndarray]:
        """Yields `count` rows (NaN, or 0 for integers, past the last written one)."""
        if self.dataset is None:
            for _ in range(count):
                yield np.zeros(self.row, dtype=self.dtype)
            return
        if self.dataset.shape[0] < count:
            self.dataset.resize(count, axis=0)
        block = self.dataset.chunks[0]
        for start in range(0, count, block):
            yield from self.dataset[start:min(start + block, count)]

    def all(self, count: int) -> np.ndarray:
        """The first `count` rows as one array (for series of one number per row)."""
        return np.stack(list(self.rows(count))) if count else np.zeros((0, *self.row), dtype=self.dtype)


class _Param:
    """What is recorded about one parameter."""

    def __init__(self, name: str, index: int, initial: np.ndarray) -> None:
        self.name = name
        self.index = index
        self.initial = initial
        self.shape = tuple(initial.shape)
        self.sparse = False
        self.state: dict[str, _Series] = {}
        self.padded_lists: set[str] = set()
        self.initial_state: dict[str, np.ndarray] = {}
        # Whether some state entry exists with a row that is all NaN, which the NaN
        # convention would read as absent: then `state_exists` says when each entry exists
        # (extension 15).
        self.ambiguous_state = False
        # Spooled series by key: grad, has_grad, grad_mask, param, evaluations/param,
        # evaluations/grad, evaluations/has_grad.
        self.spooled: dict[str, _Series] = {}


class FixtureWriter:
    """Streams one trajectory into `path`.

    Call `add_param` for every parameter (in `param_groups` order) before the first step,
    then per step `set_grad`, `set_param`, `set_state` (any order), `set_steps` for the
    per-step rows under `/steps`, and finally `finish(param_groups)`.
    """

    def __init__(self, path: str | os.PathLike[str], header: Header, *, compress: bool = False) -> None:
        if header.dtype not in DTYPES:
            raise FixtureError(f"{path}: dtype {header.dtype!r} is not one of {DTYPES}")
        self.path = Path(path)
        self.header = header
        self.compress = compress
        self.dtype = np.dtype(header.dtype)
        self.params: dict[str, _Param] = {}
        self.steps = 0
        # /steps/<key>: one spooled series per group (lr, betas, momentum) or one (metric).
        self.step_series: dict[str, dict[int, _Series]] = {}
        self.closure_steps = 0  # steps whose loss and closure calls are recorded
        self.evaluations = 0  # closure calls recorded
        self.objective: Objective | None = None
        # /fingerprints/<name> (extension 17): [2, n], a probe and the reference's results.
        self.fingerprints: dict[str, np.ndarray] = {}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, spool_name = tempfile.mkstemp(prefix=f".{self.path.name}.spool", suffix=".h5", dir=self.path.parent)
        os.close(fd)
        self._spool_path = Path(spool_name)
        self._scalars: dict[str, _Series] = {}
        # A chunk cache only for the small chunks: a large row is a whole chunk, written once,
        # and a cache holding those only held memory (with torch allocating between writes,
        # the process grew ~60 KB a step with the default 1 MiB cache).
        self._spool = h5py.File(self._spool_path, "w", rdcc_nbytes=2 * SMALL_CHUNK_BYTES)
        self._closed = False

    # -- recording -----------------------------------------------------------------------

    def fail(self, obj: str, message: str) -> FixtureError:
        return FixtureError(f"{self.path}: {obj}: {message}")

    def add_param(self, name: str, initial: np.ndarray) -> None:
        if not name or "/" in name:
            raise self.fail(f"/params/{name}", "a parameter name must be non-empty and hold no '/'")
        if name in self.params:
            raise self.fail(f"/params/{name}", "two parameters have this name")
        param = self.params[name] = _Param(name, len(self.params), self._float(initial, f"/params/{name}/initial"))
        # A parameter whose group joins at a later step had no gradient before (has_grad 0,
        # the spool's fill), and kept its value.
        if self.steps:
            series = self._series(param, "param", param.shape, self.dtype, self.steps)
            for t in range(self.steps):
                series.put(t, param.initial)

    def set_initial_state(self, name: str, key: str, value: np.ndarray) -> None:
        """The state before the first recorded step (extension 13, a recording window)."""
        self.params[name].initial_state[key] = self._float(value, f"/params/{name}/initial_state/{key}")

    def begin_step(self) -> int:
        """Starts the next step; returns its 0-based row."""
        self.steps += 1
        return self.steps - 1

    def set_grad(self, name: str, grad: np.ndarray | None, mask: np.ndarray | None = None) -> None:
        """This step's gradient (None: `.grad` was None); `mask` for a sparse one (extension 4)."""
        param = self.params[name]
        t = self.steps - 1
        self._series(param, "has_grad", (), np.dtype(np.uint8), t).put(t, np.uint8(grad is not None))
        if grad is None:
            return
        self._series(param, "grad", param.shape, self.dtype, t).put(t, self._row(grad, param, "grad"))
        if mask is not None:
            param.sparse = True
            self._series(param, "grad_mask", param.shape, np.dtype(np.uint8), t).put(t, mask.astype(np.uint8))

    def set_param(self, name: str, value: np.ndarray) -> None:
        param = self.params[name]
        t = self.steps - 1
        self._series(param, "param", param.shape, self.dtype, t).put(t, self._row(value, param, "param"))

    def set_state(self, name: str, key: str, value: np.ndarray, *, padded_list: bool = False) -> None:
        param = self.params[name]
        t = self.steps - 1
        if not key or "/" in key:
            raise self.fail(f"/params/{name}/state", f"state key {key!r} must be non-empty and hold no '/'")
        obj = f"/params/{name}/state/{key}"
        value = self._float(value, obj)
        series = param.state.get(key)
        if series is None:
            series = param.state[key] = _Series(self._spool, f"p{param.index}/state/{key}", value.shape, self.dtype, t)
        elif series.row != value.shape:
            raise self.fail(obj, f"changes shape from {list(series.row)} to {list(value.shape)} at step {t + 1}; "
                                 "a state entry must keep its shape")
        if padded_list:
            param.padded_lists.add(key)
        series.put(t, value)
        self._series(param, f"state_exists/{key}", (), np.dtype(np.uint8), t).put(t, 1)
        if value.size and np.isnan(value).all():
            param.ambiguous_state = True

    def set_steps(self, key: str, values: Sequence[Any] | float) -> None:
        """This step's row of `/steps/<key>`: one value per group (lr, betas, momentum; None
        for a group that lacks it), or one number (metric)."""
        t = self.steps - 1
        per_group = values if isinstance(values, (list, tuple)) else {-1: values}
        items = enumerate(per_group) if isinstance(per_group, (list, tuple)) else per_group.items()
        series = self.step_series.setdefault(key, {})
        for g, value in items:
            if value is None:
                continue
            array = np.asarray(value, dtype=np.float64)
            if g not in series:
                series[g] = _Series(self._spool, f"steps/{key}/{g}", array.shape, np.dtype(np.float64), t)
            series[g].put(t, array)

    def drop_steps(self, key: str) -> None:
        """Writes no `/steps/<key>` after all (a value that never changed)."""
        self.step_series.pop(key, None)

    def set_closure(self, loss: float, calls: int) -> None:
        """Closure mode: what `step(closure)` returned and how often it called the closure."""
        t = self.closure_steps
        self.closure_steps += 1
        self._scalar("loss", np.float64).put(t, np.float64(loss))
        self._scalar("closure_calls", np.int64).put(t, np.int64(calls))

    def add_evaluation(self, loss: float, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray | None]) -> None:
        """One closure call (extension 12): the parameters it ran at, its loss and gradients."""
        e = self.evaluations
        self.evaluations += 1
        self._scalar("evaluations/loss", np.float64).put(e, np.float64(loss))
        for name, param in self.params.items():
            self._series(param, "evaluations/param", param.shape, self.dtype, e).put(
                e, self._row(params[name], param, "evaluations/param"))
            grad = grads.get(name)
            self._series(param, "evaluations/has_grad", (), np.dtype(np.uint8), e).put(e, np.uint8(grad is not None))
            series = self._series(param, "evaluations/grad", param.shape, self.dtype, e)
            if grad is not None:
                series.put(e, self._row(grad, param, "evaluations/grad"))

    # -- finishing -----------------------------------------------------------------------

    def finish(self, param_groups: Sequence[Mapping[str, Any]]) -> Path:
        """Writes the fixture (temporary file, then rename) and removes the spool."""
        if self.steps < 1:
            self.discard()
            raise FixtureError(f"{self.path}: no step was recorded; a fixture holds at least one")
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.tmp", dir=self.path.parent)
            os.close(fd)
            tmp = Path(tmp_name)
            try:
                with _create_file(tmp) as file:
                    self._write(file, param_groups)
                tmp.chmod(FILE_MODE)
                os.replace(tmp, self.path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        finally:
            self.discard()
        return self.path

    def discard(self) -> None:
        """Removes the spool; nothing is written under the final name."""
        if not self._closed:
            self._closed = True
            self._spool.close()
            self._spool_path.unlink(missing_ok=True)

    def _write(self, file: h5py.File, param_groups: Sequence[Mapping[str, Any]]) -> None:
        header = self.header
        attrs = file.attrs
        _set_string(attrs, "format", FORMAT)
        attrs["format_version"] = FORMAT_VERSION
        _set_string(attrs, "content_digest", DIGEST)
        _set_string(attrs, "optimizer", header.optimizer)
        _set_string(attrs, "dtype", header.dtype)
        attrs["steps"] = self.steps
        _set_string(attrs, "mode", header.mode)
        _set_string(attrs, "param_groups", json.dumps(list(param_groups)))
        _set_string(attrs, "reference", json.dumps(dict(header.reference)))
        if header.tolerance is not None:
            _set_string(attrs, "tolerance", json.dumps(dict(header.tolerance)))
        if header.scheduler is not None:
            _set_string(attrs, "scheduler", json.dumps(header.scheduler))
        if header.description is not None:
            _set_string(attrs, "description", header.description)
        if header.case is not None:
            _set_string(attrs, "case", header.case)
        if header.seed is not None:
            attrs["seed"] = header.seed

        closure = header.mode == "closure"
        float_type = self.dtype.newbyteorder("<")
        for param in self.params.values():
            group = _group(_group(file, "params"), param.name)
            group.attrs["index"] = param.index
            _write_dataset(group, "initial", param.initial, float_type)
            if not closure:
                _copy_rows(group, "grad", self._spooled(param, "grad"), self.steps, param.shape, float_type, self.compress)
            if not closure:
                has_grad = self._spooled(param, "has_grad", ()).all(self.steps)
                if not has_grad.all():
                    _write_step_dataset(group, "has_grad", has_grad, np.uint8)
            if param.sparse:
                _copy_rows(group, "grad_mask", self._spooled(param, "grad_mask"), self.steps, param.shape, np.uint8, False)
            _copy_rows(group, "param", self._spooled(param, "param"), self.steps, param.shape, float_type, self.compress)
            if param.state:
                state = _group(group, "state")
                for key, series in param.state.items():
                    compress = self.compress or key in param.padded_lists
                    _copy_rows(state, key, series, self.steps, series.row, float_type, compress)
                if param.ambiguous_state:
                    exists = _group(group, "state_exists")
                    for key in param.state:
                        flags = self._series(param, f"state_exists/{key}", (), np.dtype(np.uint8), 0).all(self.steps)
                        _write_step_dataset(exists, key, flags, np.uint8)
            if param.initial_state:
                initial_state = _group(group, "initial_state")
                for key, value in param.initial_state.items():
                    _write_dataset(initial_state, key, value, float_type)
            if closure and self.evaluations:
                evaluations = _group(group, "evaluations")
                count = self.evaluations
                _copy_rows(evaluations, "param", self._spooled(param, "evaluations/param"), count, param.shape, float_type, self.compress)
                _copy_rows(evaluations, "grad", self._spooled(param, "evaluations/grad"), count, param.shape, float_type, self.compress)
                has_grad = self._spooled(param, "evaluations/has_grad", ()).all(count)
                if not has_grad.all():
                    _write_step_dataset(evaluations, "has_grad", has_grad, np.uint8)

        if self.step_series:
            steps = _group(file, "steps")
            for key in ("lr", *SCHEDULED_KEYS, "metric"):
                if key in self.step_series:
                    self._write_steps(steps, key, self.step_series[key])
        if closure:
            steps = _group(file, "steps")
            _write_step_dataset(steps, "loss", self._scalar("loss", np.float64).all(self.steps), "<f8")
            _write_step_dataset(steps, "closure_calls", self._scalar("closure_calls", np.int64).all(self.steps), "<i8")
            if self.objective is not None:
                objective = _group(file, "objective")
                _set_string(objective.attrs, "kind", self.objective.kind)
                for name, value in self.objective.attrs.items():
                    objective.attrs[name] = float(value)
                for name, data in self.objective.data.items():
                    _write_dataset(objective, name, np.asarray(data).astype(self.dtype), float_type)
            if self.evaluations:
                evaluations = _group(file, "evaluations")
                _write_step_dataset(evaluations, "loss", self._scalar("evaluations/loss", np.float64).all(self.evaluations), "<f8")
        if self.fingerprints:
            fingerprints = _group(file, "fingerprints")
            for name, data in self.fingerprints.items():
                _write_dataset(fingerprints, name, data, data.dtype.newbyteorder("<"))

    # -- helpers -------------------------------------------------------------------------

    def _series(self, param: _Param, key: str, row: tuple[int, ...], dtype: np.dtype, first: int) -> _Series:
        if key not in param.spooled:
            param.spooled[key] = _Series(self._spool, f"p{param.index}/{key}", row, dtype, first)
        return param.spooled[key]

    def _spooled(self, param: _Param, key: str, row: tuple[int, ...] | None = None) -> _Series:
        """The series `key`; all NaN (0 for the masks and flags) when no step wrote it (a
        parameter that never had a gradient)."""
        dtype = np.dtype(np.uint8) if key.endswith(("grad_mask", "has_grad")) else self.dtype
        return self._series(param, key, param.shape if row is None else row, dtype, 0)

    def _scalar(self, name: str, dtype: type) -> _Series:
        if name not in self._scalars:
            self._scalars[name] = _Series(self._spool, f"scalars/{name}", (), np.dtype(dtype), 0)
        return self._scalars[name]

    def _write_steps(self, steps: h5py.Group, key: str, series: dict[int, _Series]) -> None:
        """`/steps/<key>`: `[N]` for one series (metric), else `[N, G, *value]` with NaN for
        a group that has not joined yet, written a block of steps at a time."""
        if -1 in series:
            _write_step_dataset(steps, key, series[-1].all(self.steps), "<f8")
            return
        width = max(series) + 1
        inner = next(iter(series.values())).row
        shape = (self.steps, width, *inner)
        layout = _layout(shape, False)
        dataset = steps.create_dataset(key, shape=shape, dtype="<f8", track_times=False, **layout)
        if math.prod(shape[1:]) == 1:
            data = series[0].all(self.steps).reshape(shape)
            dataset[...] = data
            _set_digest(dataset, data)
            return
        columns = [series[g].rows(self.steps) if g in series else None for g in range(width)]
        digests = []
        for t in range(self.steps):
            row = np.full((width, *inner), np.nan)
            for g, rows in enumerate(columns):
                if rows is not None:
                    row[g] = next(rows)
            dataset[t] = row
            digests.append(dataset_digests(row[None], by_row=False)[0])
        _set_digest(dataset, None, digests)

    def _float(self, value: Any, obj: str) -> np.ndarray:
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise self.fail(obj, f"holds {array.dtype} values, which a fixture cannot store (real numbers only)")
        return array.astype(self.dtype)

    def _row(self, value: np.ndarray, param: _Param, key: str) -> np.ndarray:
        array = self._float(value, f"/params/{param.name}/{key}")
        if array.shape != param.shape:
            raise self.fail(f"/params/{param.name}/{key}", f"has shape {list(array.shape)} at step {self.steps}, "
                                                            f"the parameter {list(param.shape)}")
        return array


def _set_string(attrs: h5py.AttributeManager, name: str, text: str) -> None:
    """A fixed-length, null-padded UTF-8 string attribute."""
    data = text.encode("utf-8")
    attrs.create(name, np.array(data, dtype=f"S{max(1, len(data))}"), dtype=h5py.string_dtype("utf-8", max(1, len(data))))


def _create_file(path: Path) -> h5py.File:
    """A new HDF5 file in HDF5 1.10's formats (`LIBVER`) with no chunk cache, whose root
    keeps its links and attributes in its object header (`_compact`)."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_libver_bounds(h5py.h5f.LIBVER_V110, h5py.h5f.LIBVER_V110)
    mdc, _, _, w0 = fapl.get_cache()
    fapl.set_cache(mdc, 0, 0, w0)
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    _compact(fcpl)
    return h5py.File(h5py.h5f.create(os.fsencode(path), h5py.h5f.ACC_TRUNC, fapl=fapl, fcpl=fcpl))


def _group(parent: h5py.Group, name: str) -> h5py.Group:
    """The child group `name`, created (with `_compact`) unless it exists."""
    if name in parent:
        return parent[name]
    gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
    _compact(gcpl)
    return h5py.Group(h5py.h5g.create(parent.id, name.encode("utf-8"), gcpl=gcpl))


@functools.cache
def _set_link_phase_change() -> Any:
    """libhdf5's `H5Pset_link_phase_change`, which h5py does not wrap: looked up through
    h5py's own extension module, so it is the library h5py's identifiers belong to."""
    function = ctypes.CDLL(h5py.h5p.__file__).H5Pset_link_phase_change
    function.argtypes = [ctypes.c_int64, ctypes.c_uint, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


def _compact(plist: Any) -> None:
    """Links (a group or file creation list) and attributes stay in the object header, which
    HDF5 1.10's format checksums, however many: HDF5 moves them to unchecksummed dense
    storage past 8 by default (LBFGS's state group, the root's attributes)."""
    if _set_link_phase_change()(plist.id, MAX_COMPACT, MAX_COMPACT) < 0:
        raise FixtureError("cannot keep a group's links compact (H5Pset_link_phase_change failed)")
    plist.set_attr_phase_change(MAX_COMPACT, MAX_COMPACT)
    # No modification times in the group's header, as h5py's own groups and our datasets
    # (`track_times=False`): a recording is the same bytes every time (`tools/golden --check`).
    plist.set_obj_track_times(False)


def _set_digest(dataset: h5py.Dataset, data: np.ndarray | None, digests: Sequence[int] | None = None) -> None:
    """The dataset's `crc32c` attribute (extension 18), from `data` (what was written) or
    the `digests` of its rows; none for a dataset without elements."""
    if dataset.size == 0:
        return
    if digests is None:
        digests = dataset_digests(np.asarray(data, dtype=dataset.dtype), by_row=_by_row(dataset))
    dataset.attrs.create(DIGEST, np.asarray(digests, dtype="<u4"))


def _by_row(dataset: h5py.Dataset) -> bool:
    """Whether the dataset is chunked one row (index of its first axis) per chunk: then it
    has a digest per row, else one."""
    return dataset.chunks is not None and dataset.ndim > 0 and dataset.chunks == (1, *dataset.shape[1:])


def _layout(shape: tuple[int, ...], compress: bool) -> dict[str, object]:
    """One chunk per step when a row holds more than one element, else one chunk for the
    whole series; fletcher32 on both, gzip after shuffling with `compress`. Contiguous (no
    checksum is possible) when the series holds no element."""
    row = shape[1:]
    layout: dict[str, object] = {}
    if math.prod(row) > 1:
        layout = {"chunks": (1, *row), "fletcher32": True}
    elif math.prod(shape) > 0:
        layout = {"chunks": shape, "fletcher32": True}
    if compress and layout:
        layout.update(compression="gzip", compression_opts=9, shuffle=True)
    return layout


def _copy_rows(
    parent: h5py.Group, name: str, series: _Series, count: int, row: tuple[int, ...], dtype: Any, compress: bool
) -> None:
    """`[count, *row]` from the spool, one row at a time when rows are chunks."""
    shape = (count, *row)
    layout = _layout(shape, compress)
    if math.prod(row) > 1:
        dataset = parent.create_dataset(name, shape=shape, dtype=dtype, track_times=False, **layout)
        digests = []
        for t, value in enumerate(series.rows(count)):
            value = np.asarray(value).astype(dtype)
            dataset[t] = value
            digests.append(dataset_digests(value[None], by_row=False)[0])
        _set_digest(dataset, None, digests)
    else:
        data = np.stack(list(series.rows(count))) if count else np.zeros(shape)
        data = data.reshape(shape).astype(dtype)
        _set_digest(parent.create_dataset(name, data=data, track_times=False, **layout), data)


def _write_step_dataset(parent: h5py.Group, name: str, data: np.ndarray, dtype: Any) -> None:
    data = data.astype(dtype)
    _set_digest(parent.create_dataset(name, data=data, track_times=False, **_layout(data.shape, False)), data)


def _write_dataset(parent: h5py.Group, name: str, data: np.ndarray, dtype: Any) -> None:
    """A dataset without a step axis: one chunk with fletcher32, unless it is a scalar or
    empty (which HDF5 cannot chunk)."""
    layout: dict[str, object] = {}
    if data.ndim > 0 and data.size > 0:
        layout = {"chunks": data.shape, "fletcher32": True}
    data = data.astype(dtype)
    _set_digest(parent.create_dataset(name, data=data, track_times=False, **layout), data)
