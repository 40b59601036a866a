"""Structural mutations: a seed copied and rewritten through h5py, so that libhdf5 reads
the result without complaint and it is Lockstep's own checks that are exercised.

Each mutation knows the format (docs/fixture-format.md): JSON attributes are parsed and one
value within them replaced (hostile values, wrong types, keys removed or added, groups
multiplied); scalar attributes take wrong types and extreme values; datasets are replaced
by ones of another shape (huge declared shapes included, which cost nothing to declare),
type or layout, by links (soft, dangling, cyclic, external, hard), virtual datasets and
external raw storage; members are deleted, added, swapped; flags and counts take values
out of range. A mutation that does not apply to the chosen seed raises `NotApplicable`.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import warnings

import h5py
import numpy as np


warnings.filterwarnings("ignore", category=RuntimeWarning)


class NotApplicable(Exception):
    pass


JSON_ATTRIBUTES = ("param_groups", "reference", "tolerance", "scheduler")

HOSTILE_JSON_VALUES = [
    None, True, False, 0, -1, 1, 0.5, -0.0, 1e308, -1e308, 5e-324, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1,
    10**400, float("nan"), float("inf"), float("-inf"), "", "x", "1", "NaN", "\u0000", "\ud800", "é" * 3, "A" * 70000,
    [], [1, 2, 3], [[]], {}, {"a": 1}, [0.9, 0.999, 0.5], [1e400],
]

HOSTILE_NUMBERS = [
    0, -1, 1, 2, 0.5, -0.5, 1e-308, 5e-324, 2**31, 2**32 + 1, 2**53 + 1, 2**62, 2**63 - 1, 2**63, 2**64, -(2**63), 1e19, 1e308,
    -1e308, float("nan"), float("inf"), float("-inf"), True, False, None, "1", [1],
]

HOSTILE_JSON_TEXTS = [
    "", " ", "{", "[", "}", "null", "true", "0", '"text"', "[" * 600 + "]" * 600, '{"a":' * 600 + "1" + "}" * 600,
    "[" * 100000, "1" * 5000, "1e99999", "-1e99999", "NaN", "Infinity", '{"a":1,"a":2}', "\ufeff{}", "{} trailing",
    '{"\\ud800": 1}', '"\\u0000"', "[1,]", "{'a': 1}", "0x10",
]


def _json_paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _json_paths(item, prefix + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_paths(item, prefix + (i,))


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def _set(value, path, new):
    if not path:
        return new
    _get(value, path[:-1])[path[-1]] = new
    return value


def _string_attribute(attrs, name: str, text: str | bytes, rng: random.Random) -> str:
    """Writes a string attribute in one of the forms a file may use."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    form = rng.choice(("fixed utf-8", "fixed utf-8", "fixed ascii", "variable utf-8"))
    if name in attrs:
        del attrs[name]
    if form == "variable utf-8":
        attrs.create(name, data=raw.decode("utf-8", "replace"), dtype=h5py.string_dtype("utf-8"))
    else:
        encoding = "utf-8" if form == "fixed utf-8" else "ascii"
        attrs.create(name, data=np.array(raw), dtype=h5py.string_dtype(encoding, max(1, len(raw))))
    return form


def _read_string(attrs, name: str) -> str:
    value = attrs[name]
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def hostile_json(file: h5py.File, rng: random.Random) -> str:
    present = [name for name in JSON_ATTRIBUTES if name in file.attrs]
    name = rng.choice(present)
    document = json.loads(_read_string(file.attrs, name))
    choice = rng.random()
    if choice < 0.15:
        text = rng.choice(HOSTILE_JSON_TEXTS)
        what = f"text {text[:40]!r}"
    elif choice < 0.25 and name == "param_groups" and isinstance(document, list) and document:
        count = rng.choice((2, 100, 10000))
        template = dict(document[0], params=[])
        extra = [dict(template) for _ in range(count)]
        if rng.random() < 0.5:
            for group in extra:
                group["params"] = list(document[0].get("params", []))  # every parameter in every group
        document = document + extra
        text = json.dumps(document)
        what = f"{count} more groups"
    elif choice < 0.65:
        # A number or flag the replay computes with: the likeliest to trap (a division by a
        # zero step size, a count converted to Int, an allocation sized by a history length).
        leaves = [p for p in _json_paths(document) if p and isinstance(_get(document, p), (int, float)) and p[-1] != "params"]
        if not leaves:
            raise NotApplicable("no numeric value")
        path = rng.choice(leaves)
        value = rng.choice(HOSTILE_NUMBERS)
        document = _set(document, path, value)
        text = json.dumps(document, allow_nan=True)
        what = f"{list(path)} = {value!r}"
    else:
        paths = list(_json_paths(document))
        path = rng.choice(paths)
        action = rng.choice(("replace", "replace", "replace", "delete", "add key", "duplicate"))
        parent = _get(document, path[:-1]) if path else None
        if action == "delete" and path:
            del parent[path[-1]]
        elif action == "add key" and isinstance(_get(document, path), dict):
            _get(document, path)[rng.choice(("unknown_key", "lr", "params", "added_at_step", "implementation", ""))] = rng.choice(HOSTILE_JSON_VALUES)
        elif action == "duplicate" and path and isinstance(parent, list):
            parent.insert(path[-1], parent[path[-1]])
        else:
            action = "replace"
            document = _set(document, path, rng.choice(HOSTILE_JSON_VALUES))
        text = json.dumps(document, allow_nan=True)
        what = f"{action} at {list(path)}"
    form = _string_attribute(file.attrs, name, text, rng)
    return f"{name}: {what} ({form})"


SCALAR_ATTRIBUTES = ("format", "format_version", "optimizer", "dtype", "steps", "mode", "description", "case", "seed")

HOSTILE_SCALARS = [
    lambda rng: np.int64(0), lambda rng: np.int64(-1), lambda rng: np.int64(2**62), lambda rng: np.int64(2**63 - 1),
    lambda rng: np.uint64(2**64 - 1), lambda rng: np.int8(-128), lambda rng: np.float64(1.5), lambda rng: np.float64("nan"),
    lambda rng: np.float64("inf"), lambda rng: np.float32(3), lambda rng: np.array([1, 2], dtype=np.int64),
    lambda rng: np.zeros((0,), dtype=np.int64), lambda rng: np.bool_(True), lambda rng: np.array([b"replay", b"closure"]),
    lambda rng: np.array((1, 2.0), dtype=[("a", "<i4"), ("b", "<f8")]), lambda rng: np.float16(1),
]

HOSTILE_STRINGS = [
    "", " ", "replay ", "REPLAY", "closure", "replay", "float16", "float32", "float64", "bfloat16", "lockstep-golden",
    "Adam", "AdamW", "LBFGS", "SparseAdam", "NoSuchOptimizer", "__init__", "a\nb", "\u0000", "x" * 100000, "1", "3",
    b"\xff\xfe", b"\xc3", "é",
]


def hostile_attribute(file: h5py.File, rng: random.Random) -> str:
    targets = [("/", name) for name in SCALAR_ATTRIBUTES if name in file.attrs]
    for param in file["params"]:
        targets.append((f"/params/{param}", "index"))
    if "objective" in file:
        targets.append(("/objective", "kind"))
    path, name = rng.choice(targets)
    attrs = file[path].attrs
    if rng.random() < 0.5:
        value = rng.choice(HOSTILE_SCALARS)(rng)
        del attrs[name]
        attrs.create(name, data=value)
        return f"{path} {name} = {value!r}"[:200]
    text = rng.choice(HOSTILE_STRINGS)
    if name in ("steps", "format_version", "index", "seed") and rng.random() < 0.5:
        text = str(rng.choice((0, -1, 1, 2, 10**6, 2**63 - 1, 2**64)))
    form = _string_attribute(attrs, name, text, rng)
    return f"{path} {name} = {text[:40]!r} ({form})"


def _datasets(file: h5py.File) -> list[str]:
    names = []
    file.visititems(lambda name, item: names.append(name) if isinstance(item, h5py.Dataset) else None)
    if not names:
        raise NotApplicable("no dataset")
    return names


def _replace(file: h5py.File, name: str, make):
    """Deletes dataset `name` and creates its replacement with `make(parent, base)`, copying
    the old attributes over."""
    old = file[name]
    attributes = dict(old.attrs)
    parent, base = file[old.parent.name], name.rsplit("/", 1)[-1]
    del parent[base]
    new = make(parent, base)
    for key, value in attributes.items():
        new.attrs[key] = value
    return new


def wrong_shape(file: h5py.File, rng: random.Random) -> str:
    name = rng.choice(_datasets(file))
    shape, dtype = file[name].shape, file[name].dtype
    choice = rng.choice(("huge", "huge", "rank-1", "rank+1", "steps-1", "steps+1", "zero", "scalar", "dim*2"))
    if choice == "huge":
        dims = list(shape) or [1]
        dims[rng.randrange(len(dims))] = rng.choice((2**31, 2**40, 2**62 // max(1, dtype.itemsize)))
        new_shape = tuple(dims)
        row = tuple(1 if i == 0 else min(d, 4096) for i, d in enumerate(new_shape)) if len(new_shape) > 1 else (min(new_shape[0], 4096),)
        _replace(file, name, lambda parent, base: parent.create_dataset(base, shape=new_shape, dtype=dtype, chunks=row, maxshape=(None,) * len(new_shape)))
        return f"/{name}: declared {list(new_shape)}, nothing stored"
    if choice == "rank-1":
        new_shape = shape[1:] if shape else (1,)
    elif choice == "rank+1":
        new_shape = shape + (2,)
    elif choice == "steps-1":
        new_shape = ((shape[0] - 1,) + shape[1:]) if shape else (0,)
    elif choice == "steps+1":
        new_shape = ((shape[0] + 1,) + shape[1:]) if shape else (2,)
    elif choice == "zero":
        new_shape = tuple(0 if i == len(shape) - 1 else d for i, d in enumerate(shape)) or (0,)
    elif choice == "scalar":
        new_shape = ()
    else:
        new_shape = tuple(2 * d for d in shape) or (2,)
    values = np.random.default_rng(rng.randrange(2**32)).standard_normal(new_shape).astype(dtype if dtype.kind == "f" else np.float64).astype(dtype)
    chunked = len(new_shape) >= 1 and all(new_shape) and rng.random() < 0.7
    row = ((1,) + new_shape[1:]) if chunked else None
    _replace(file, name, lambda parent, base: parent.create_dataset(base, data=values, chunks=row, fletcher32=chunked))
    return f"/{name}: shape {list(shape)} -> {list(new_shape)}"


WRONG_TYPES = [np.int8, np.uint8, np.int64, np.uint64, np.float16, np.float32, np.float64, np.bool_, "S4", "complex128",
               h5py.string_dtype("utf-8"), np.dtype([("re", "<f8"), ("im", "<f8")]), h5py.enum_dtype({"A": 0, "B": 1}, basetype="i1")]


def wrong_type(file: h5py.File, rng: random.Random) -> str:
    name = rng.choice(_datasets(file))
    old = file[name]
    shape, chunks = old.shape, old.chunks
    choice = rng.choice(WRONG_TYPES)
    new_type = choice if isinstance(choice, np.dtype) else np.dtype(choice)
    if new_type.kind == "O":
        data = np.full(shape, "x", dtype=object)
    elif new_type.names:
        data = np.zeros(shape, dtype=new_type)
    else:
        data = np.asarray(old[()]).astype(new_type) if old.size < 10**7 else np.zeros(shape, new_type)
    _replace(file, name, lambda parent, base: parent.create_dataset(base, data=data, dtype=new_type, chunks=chunks))
    return f"/{name}: {old.dtype} -> {new_type}"


def _other_dataset(names, name, rng):
    others = [n for n in names if n != name]
    return rng.choice(others) if others else name


def link(file: h5py.File, rng: random.Random) -> str:
    names = _datasets(file)
    groups = []
    file.visititems(lambda n, item: groups.append(n) if isinstance(item, h5py.Group) else None)
    name = rng.choice(names + groups)
    parent, base = file[file[name].parent.name], name.rsplit("/", 1)[-1]
    choice = rng.choice(("dangling soft", "self soft", "cycle", "soft to other", "hard to other", "external", "external self", "external etc"))
    target = _other_dataset(names, name, rng)
    del parent[base]
    if choice == "dangling soft":
        parent[base] = h5py.SoftLink("/no/such/object")
    elif choice == "self soft":
        parent[base] = h5py.SoftLink("/" + name)
    elif choice == "cycle":
        parent[base] = h5py.SoftLink(parent.name)
    elif choice == "soft to other":
        parent[base] = h5py.SoftLink("/" + target)
    elif choice == "hard to other":
        if target not in file:
            raise NotApplicable("nothing to link to")
        parent[base] = file[target]
    elif choice == "external":
        parent[base] = h5py.ExternalLink("other.h5", "/" + name)
    elif choice == "external self":
        parent[base] = h5py.ExternalLink(Path(file.filename).name, "/" + target)
    else:
        parent[base] = h5py.ExternalLink("/etc/passwd", "/")
    return f"/{name}: {choice} ({target})"


def virtual(file: h5py.File, rng: random.Random) -> str:
    name = rng.choice(_datasets(file))
    old = file[name]
    shape, dtype = old.shape or (1,), old.dtype
    layout = h5py.VirtualLayout(shape=shape, dtype=dtype)
    choice = rng.choice(("self", "other file", "same file"))
    source_file = {"self": ".", "other file": "other.h5", "same file": Path(file.filename).name}[choice]
    layout[...] = h5py.VirtualSource(source_file, "/" + name, shape=shape)
    parent, base = file[old.parent.name], name.rsplit("/", 1)[-1]
    del parent[base]
    parent.create_virtual_dataset(base, layout, fillvalue=0)
    return f"/{name}: virtual dataset mapping {source_file}:/{name}"


def external_storage(file: h5py.File, rng: random.Random) -> str:
    name = rng.choice(_datasets(file))
    old = file[name]
    shape, dtype = old.shape, old.dtype
    nbytes = max(1, int(np.prod(shape)) * dtype.itemsize)
    source = rng.choice(("/etc/passwd", Path(file.filename).name, "missing.bin", "/dev/zero"))
    offset = rng.choice((0, 0, 2**40))
    parent, base = file[old.parent.name], name.rsplit("/", 1)[-1]
    del parent[base]
    parent.create_dataset(base, shape=shape, dtype=dtype, external=[(source, offset, nbytes)])
    return f"/{name}: external raw storage in {source} at {offset}"


def layout(file: h5py.File, rng: random.Random) -> str:
    name = rng.choice(_datasets(file))
    old = file[name]
    shape, dtype = old.shape, old.dtype
    data = old[()]
    choice = rng.choice(("contiguous", "two steps a chunk", "gzip", "shuffle+gzip", "scaleoffset", "fill value only", "compact"))
    parent, base = file[old.parent.name], name.rsplit("/", 1)[-1]
    del parent[base]
    chunk = ((1,) + shape[1:]) if len(shape) >= 1 and all(shape) else None
    if choice == "contiguous" or chunk is None:
        parent.create_dataset(base, data=data)
    elif choice == "two steps a chunk":
        parent.create_dataset(base, data=data, chunks=(min(2, shape[0]),) + shape[1:])
    elif choice == "gzip":
        parent.create_dataset(base, data=data, chunks=chunk, compression="gzip", compression_opts=9)
    elif choice == "shuffle+gzip":
        parent.create_dataset(base, data=data, chunks=chunk, compression="gzip", shuffle=True, fletcher32=True)
    elif choice == "scaleoffset":
        parent.create_dataset(base, data=data, chunks=chunk, scaleoffset=2 if dtype.kind == "f" else 0)
    elif choice == "fill value only":
        parent.create_dataset(base, shape=shape, dtype=dtype, chunks=chunk, fillvalue=np.array(1, dtype=dtype) if dtype.kind in "fiub" else None)
    else:
        space = h5py.h5s.create_simple(shape) if shape else h5py.h5s.create(h5py.h5s.SCALAR)
        plist = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        plist.set_layout(h5py.h5d.COMPACT)
        if data.nbytes > 60000:
            raise NotApplicable("too large to be compact")
        dataset = h5py.h5d.create(parent.id, base.encode(), h5py.h5t.py_create(dtype), space, dcpl=plist)
        dataset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.ascontiguousarray(data))
    return f"/{name}: {choice}"


def members(file: h5py.File, rng: random.Random) -> str:
    names = _datasets(file)
    choice = rng.choice(("delete dataset", "delete group", "delete attribute", "add unknown", "swap", "rename param", "group for dataset", "dataset for group"))
    if choice == "delete dataset":
        name = rng.choice(names)
        del file[name]
        return f"deleted /{name}"
    if choice == "delete group":
        groups = [g for g in ("steps", "objective", "evaluations", "fingerprints") if g in file] + [f"params/{p}" for p in file["params"]]
        name = rng.choice(groups)
        del file[name]
        return f"deleted /{name}"
    if choice == "delete attribute":
        holders = ["/"] + [f"/params/{p}" for p in file["params"]] + (["/objective"] if "objective" in file else [])
        holder = rng.choice(holders)
        keys = list(file[holder].attrs)
        if not keys:
            raise NotApplicable("no attribute")
        key = rng.choice(keys)
        del file[holder].attrs[key]
        return f"deleted attribute {key} of {holder}"
    if choice == "add unknown":
        param = rng.choice(list(file["params"]))
        where = rng.choice((f"params/{param}/state/unknown_key", f"params/{param}/unknown", "unknown_root", "fingerprints/unknown",
                            "evaluations/loss", f"params/{param}/evaluations/param", f"params/{param}/initial_state/exp_avg",
                            "steps/unknown", f"params/{param}/grad_mask"))
        if where in file:
            raise NotApplicable("already there")
        shape = file[f"params/{param}/initial"].shape
        steps = int(np.asarray(file.attrs["steps"]).ravel()[0]) if "steps" in file.attrs else 1
        file.create_dataset(where, data=np.zeros((max(1, min(steps, 1000)),) + shape, dtype=np.uint8 if "mask" in where else np.float64))
        return f"added /{where}"
    if choice == "swap":
        if len(names) < 2:
            raise NotApplicable("one dataset")
        a, b = rng.sample(names, 2)
        file.move(a, "__swap__")
        file.move(b, a)
        file.move("__swap__", b)
        return f"swapped /{a} and /{b}"
    if choice == "rename param":
        param = rng.choice(list(file["params"]))
        new = rng.choice(("renamed", "", " ", "a/b", "é", param + "\n"))
        if not new or "/" in new:
            new = "renamed"
        file.move(f"params/{param}", f"params/{new}")
        return f"renamed parameter {param!r} to {new!r}"
    if choice == "group for dataset":
        name = rng.choice(names)
        del file[name]
        file.create_group(name)
        return f"/{name} is a group"
    param = rng.choice(list(file["params"]))
    group = rng.choice([f"params/{param}"] + [f"params/{param}/{g}" for g in ("state", "evaluations", "initial_state") if f"params/{param}/{g}" in file])
    del file[group]
    file.create_dataset(group, data=np.zeros(3))
    return f"/{group} is a dataset"


def values(file: h5py.File, rng: random.Random) -> str:
    names = _datasets(file)
    flags = [n for n in names if n.endswith(("has_grad", "grad_mask", "state_exists"))]
    counts = [n for n in names if n.endswith("closure_calls")]
    floats = [n for n in names if file[n].dtype.kind == "f"]
    choice = rng.choice(("flag", "count", "special float", "index clash", "steps off by one", "objective data"))
    if choice == "flag" and flags:
        name = rng.choice(flags)
        data = file[name][()]
        flat = data.reshape(-1)
        if flat.size == 0:
            raise NotApplicable("empty flags")
        value = rng.choice((2, 255, 128)) if data.dtype.kind == "u" else rng.choice((2, -1, 127))
        flat[rng.randrange(flat.size)] = value
        file[name][...] = data
        return f"/{name}: an entry set to {value}"
    if choice == "count" and counts:
        name = rng.choice(counts)
        data = file[name][()]
        value = rng.choice((0, -1, 2**31, 2**62, 2**63 - 1, -(2**63)))
        data.reshape(-1)[rng.randrange(data.size)] = value
        file[name][...] = data
        return f"/{name}: an entry set to {value}"
    if choice == "index clash" and len(file["params"]) >= 2:
        a, b = rng.sample(list(file["params"]), 2)
        file[f"params/{a}"].attrs["index"] = file[f"params/{b}"].attrs["index"]
        return f"/params/{a} index = /params/{b}'s"
    if choice == "steps off by one":
        steps = int(np.asarray(file.attrs["steps"]).ravel()[0])
        new = steps + rng.choice((-1, 1))
        file.attrs["steps"] = np.int64(new)
        return f"steps {steps} -> {new}"
    if choice == "objective data" and "objective" in file:
        members_ = _datasets(file["objective"]) if len(file["objective"]) else []
        if not members_:
            raise NotApplicable("objective without data")
        name = "objective/" + rng.choice(members_)
        data = file[name][()]
        if data.size and data.dtype.kind == "f":
            data.reshape(-1)[rng.randrange(data.size)] = rng.choice((np.nan, np.inf, -np.inf, 1e308))
            file[name][...] = data
            return f"/{name}: a special value"
        raise NotApplicable("no float objective data")
    if not floats:
        raise NotApplicable("no floats")
    name = rng.choice(floats)
    data = file[name][()]
    if data.size == 0:
        raise NotApplicable("empty")
    value = rng.choice((np.nan, np.inf, -np.inf, 0.0, -0.0, 1e38, 5e-324, np.finfo(data.dtype).max))
    data.reshape(-1)[rng.randrange(data.size)] = value
    file[name][...] = data
    return f"/{name}: an entry set to {value}"


STRUCTURAL_MUTATIONS = {
    "hostile JSON": hostile_json,
    "attribute type/value": hostile_attribute,
    "dataset shape": wrong_shape,
    "dataset type": wrong_type,
    "link": link,
    "virtual dataset": virtual,
    "external storage": external_storage,
    "layout/filters": layout,
    "members": members,
    "values": values,
}


def mutate_structure(kind: str, seed: Path, out: Path, rng: random.Random) -> str:
    shutil.copyfile(seed, out)
    try:
        with h5py.File(out, "r+") as file:
            return STRUCTURAL_MUTATIONS[kind](file, rng)
    except NotApplicable:
        raise
    except (ValueError, TypeError, KeyError, OSError, RuntimeError, OverflowError, IndexError) as error:
        raise NotApplicable(f"h5py: {error}") from error
