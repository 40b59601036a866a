"""`FixtureWriter` directly: layouts the reader requires, odd shapes, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from lockstep import FixtureError
from lockstep.fixture import FixtureWriter, Header


def writer(path: Path, dtype: str = "float32", **header: Any) -> FixtureWriter:
    return FixtureWriter(path, Header(optimizer="SGD", dtype=dtype, reference={"library": "torch"}, **header))


def test_zero_size_parameter(tmp_path: Path, load: Any, clean: Any) -> None:
    path = tmp_path / "empty.h5"
    w = writer(path)
    w.add_param("z", np.zeros((0, 3), dtype=np.float32))
    w.add_param("s", np.float32(2.0))  # a scalar parameter, shape []
    for t in range(3):
        w.begin_step()
        w.set_grad("z", np.zeros((0, 3)))
        w.set_param("z", np.zeros((0, 3)))
        w.set_state("z", "momentum_buffer", np.zeros((0, 3)))
        w.set_grad("s", np.float32(t))
        w.set_param("s", np.float32(2.0 - t))
    w.finish([{"lr": 0.1, "params": ["z", "s"]}])
    f = load(path)
    assert f["params/z/initial"].shape == (0, 3)
    assert f["params/z/grad"].shape == (3, 0, 3)
    assert f["params/z/param"].shape == (3, 0, 3)
    assert f["params/z/state/momentum_buffer"].shape == (3, 0, 3)
    assert f["params/z/param"].dtype == np.float32
    assert f["params/s/initial"].shape == ()
    np.testing.assert_array_equal(f["params/s/grad"], [0, 1, 2])
    np.testing.assert_array_equal(f["params/s/param"], [2, 1, 0])
    assert f.params() == ["z", "s"]
    assert clean(tmp_path, {"empty.h5"}) == set()


def test_state_changing_shape_is_refused(tmp_path: Path, clean: Any) -> None:
    path = tmp_path / "shape.h5"
    w = writer(path)
    w.add_param("w", np.zeros(4, dtype=np.float32))
    w.begin_step()
    w.set_state("w", "buf", np.zeros(4))
    w.begin_step()
    with pytest.raises(FixtureError) as error:
        w.set_state("w", "buf", np.zeros(5))
    assert str(path) in str(error.value)
    assert "/params/w/state/buf" in str(error.value)
    assert "step 2" in str(error.value)
    w.discard()
    assert clean(tmp_path) == set()


def test_a_row_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    w = writer(tmp_path / "row.h5")
    w.add_param("w", np.zeros((2, 2), dtype=np.float32))
    w.begin_step()
    with pytest.raises(FixtureError, match="/params/w/param"):
        w.set_param("w", np.zeros(4))
    with pytest.raises(FixtureError, match="/params/w/grad"):
        w.set_grad("w", np.zeros((2, 3)))
    w.discard()


@pytest.mark.parametrize(("name", "key"), [("a/b", "buf"), ("", "buf"), ("w", "a/b"), ("w", "")])
def test_names_and_keys_with_a_slash_are_refused(tmp_path: Path, name: str, key: str) -> None:
    w = writer(tmp_path / "names.h5")
    try:
        if name != "w":
            with pytest.raises(FixtureError, match="/params/"):
                w.add_param(name, np.zeros(2))
            return
        w.add_param(name, np.zeros(2))
        w.begin_step()
        with pytest.raises(FixtureError, match="/params/w/state"):
            w.set_state(name, key, np.zeros(2))
    finally:
        w.discard()


def test_complex_values_and_dtypes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="float16"):
        writer(tmp_path / "half.h5", dtype="float16")
    w = writer(tmp_path / "complex.h5")
    w.add_param("w", np.zeros(2))
    w.begin_step()
    with pytest.raises(FixtureError, match="/params/w/state/c"):
        w.set_state("w", "c", np.zeros(2, dtype=np.complex64))
    w.discard()
    assert list(tmp_path.iterdir()) == []


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    w = writer(tmp_path / "dup.h5")
    w.add_param("w", np.zeros(2))
    with pytest.raises(FixtureError, match="/params/w"):
        w.add_param("w", np.zeros(2))
    w.discard()


def test_no_step_is_refused_and_leaves_nothing(tmp_path: Path, clean: Any) -> None:
    w = writer(tmp_path / "none.h5")
    w.add_param("w", np.zeros(2))
    with pytest.raises(FixtureError, match="no step"):
        w.finish([{"lr": 0.1, "params": ["w"]}])
    assert clean(tmp_path) == set()


def test_layout_follows_the_format(tmp_path: Path, load: Any) -> None:
    """Step series one step per chunk (one chunk for scalar rows), fletcher32 everywhere it
    can be, fixed-length UTF-8 string attributes, HDF5 1.10 object formats."""
    path = tmp_path / "layout.h5"
    w = writer(path, dtype="float64", description="préçis", tolerance={"atol": 0.5}, seed=3)
    w.add_param("w", np.arange(6, dtype=np.float64).reshape(2, 3))
    w.add_param("b", np.zeros(1))
    for t in range(4):
        w.begin_step()
        w.set_grad("w", np.full((2, 3), t))
        w.set_grad("b", None if t == 1 else np.ones(1))
        w.set_param("w", np.full((2, 3), -t))
        w.set_param("b", np.full(1, t))
        w.set_state("w", "step", np.float64(t + 1))
        w.set_state("w", "buf", np.full((2, 3), t))
        w.set_steps("lr", [0.1 * (t + 1)])
    w.finish([{"lr": 0.1, "params": ["w", "b"]}])
    f = load(path)
    file = f.file
    for name, chunks in [("params/w/grad", (1, 2, 3)), ("params/w/param", (1, 2, 3)), ("params/w/state/buf", (1, 2, 3)),
                         ("params/w/state/step", (4,)), ("params/b/param", (4, 1)), ("params/b/has_grad", (4,)),
                         ("params/w/initial", (2, 3)), ("steps/lr", (4, 1))]:
        assert file[name].chunks == chunks, name
        assert file[name].fletcher32, name
    assert file["params/w/grad"].dtype == np.dtype("<f8")
    assert file["steps/lr"].dtype == np.dtype("<f8")
    np.testing.assert_array_equal(f["steps/lr"][:, 0], [0.1, 0.2, 0.1 * 3, 0.4])
    np.testing.assert_array_equal(f["params/b/has_grad"], [1, 0, 1, 1])
    assert "params/w/has_grad" not in f
    assert np.isnan(f["params/b/grad"][1]).all()
    for key in ("format", "optimizer", "dtype", "mode", "param_groups", "reference", "description", "tolerance"):
        attr_type = h5py.h5a.open(file.id, key.encode()).get_type()
        assert isinstance(attr_type, h5py.h5t.TypeStringID) and not attr_type.is_variable_str(), key
        assert attr_type.get_cset() == h5py.h5t.CSET_UTF8, key
    assert f.attrs["description"] == "préçis"
    assert json.loads(f.attrs["tolerance"]) == {"atol": 0.5}
    assert f.attrs["seed"] == 3
    assert file.id.get_create_plist().get_version()[0] == 3  # superblock v3: HDF5 1.10, checksummed


def test_groups_joining_later_pad_steps_with_nan(tmp_path: Path, load: Any) -> None:
    path = tmp_path / "late.h5"
    w = writer(path)
    w.add_param("a", np.zeros(2))
    w.begin_step()
    w.set_grad("a", np.ones(2))
    w.set_param("a", np.ones(2))
    w.set_steps("lr", [0.1])
    w.set_steps("betas", [[0.9, 0.99]])
    w.add_param("b", np.full(3, 7.0))
    w.begin_step()
    w.set_grad("a", np.ones(2))
    w.set_grad("b", np.ones(3))
    w.set_param("a", np.ones(2))
    w.set_param("b", np.ones(3))
    w.set_steps("lr", [0.1, 0.5])
    w.set_steps("betas", [[0.9, 0.99], [0.8, 0.9]])
    w.finish([{"lr": 0.1, "params": ["a"]}, {"lr": 0.5, "params": ["b"], "added_at_step": 2}])
    f = load(path)
    np.testing.assert_array_equal(f["steps/lr"], [[0.1, np.nan], [0.1, 0.5]])
    np.testing.assert_array_equal(f["steps/betas"], [[[0.9, 0.99], [np.nan, np.nan]], [[0.9, 0.99], [0.8, 0.9]]])
    np.testing.assert_array_equal(f["params/b/has_grad"], [0, 1])
    np.testing.assert_array_equal(f["params/b/param"], [[7, 7, 7], [1, 1, 1]])
    assert f.params() == ["a", "b"]


def test_compress_adds_gzip_after_shuffle(tmp_path: Path) -> None:
    path = tmp_path / "gz.h5"
    w = FixtureWriter(path, Header(optimizer="SGD", dtype="float32"), compress=True)
    w.add_param("w", np.zeros((4, 4)))
    for _ in range(2):
        w.begin_step()
        w.set_grad("w", np.ones((4, 4)))
        w.set_param("w", np.ones((4, 4)))
    w.finish([{"lr": 0.1, "params": ["w"]}])
    with h5py.File(path) as file:
        grad = file["params/w/grad"]
        assert (grad.compression, grad.shuffle, grad.fletcher32, grad.chunks) == ("gzip", True, True, (1, 4, 4))


def test_crc32c_is_the_standard_one() -> None:
    from lockstep.digest import crc32c

    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    data = np.random.default_rng(3).integers(0, 256, 100_001, dtype=np.uint8)
    assert crc32c(data[40_000:], crc32c(data[:40_000])) == crc32c(data)
    # Lane-parallel numpy against a byte at a time, across the lane sizes.
    def slow(buffer: bytes) -> int:
        crc = 0xFFFFFFFF
        for byte in buffer:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        return crc ^ 0xFFFFFFFF
    for n in (1, 7, 64, 65, 300, 1023, 4096, 5000):
        assert crc32c(data[:n]) == slow(data[:n].tobytes()), n


def test_every_dataset_carries_digests_of_its_data(tmp_path: Path) -> None:
    """Extension 18: the root names the digest; each dataset with an element has `crc32c`,
    one per row when chunked one row per chunk, else one, over its little-endian elements."""
    from lockstep.digest import crc32c

    path = tmp_path / "d.h5"
    w = writer(path)
    w.add_param("w", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.add_param("z", np.zeros((0, 3), dtype=np.float32))
    for t in range(4):
        w.begin_step()
        w.set_grad("w", np.full((2, 3), t, dtype=np.float32) if t != 1 else None)
        w.set_param("w", np.full((2, 3), -t, dtype=np.float32))
        w.set_state("w", "step", np.float32(t + 1))
        w.set_grad("z", np.zeros((0, 3)))
        w.set_param("z", np.zeros((0, 3)))
        w.set_steps("lr", [0.1 * (t + 1)])
    w.finish([{"lr": 0.1, "params": ["w", "z"]}])
    checked = 0
    with h5py.File(path, "r") as f:
        assert f.attrs["content_digest"] == b"crc32c"

        def check(name: str, obj: Any) -> None:
            nonlocal checked
            if not isinstance(obj, h5py.Dataset):
                return
            if obj.size == 0:
                assert "crc32c" not in obj.attrs, name
                return
            data = obj[()]
            by_row = obj.chunks is not None and obj.chunks == (1, *obj.shape[1:])
            parts = list(data) if by_row else [data]
            expected = [crc32c(np.ascontiguousarray(part, dtype=obj.dtype.newbyteorder("<")).tobytes()) for part in parts]
            assert list(obj.attrs["crc32c"]) == expected, name
            assert obj.attrs["crc32c"].dtype == np.dtype("<u4")
            checked += 1

        f.visititems(check)
        # Links and attributes stay in the object headers: no group or root goes dense.
        for group in (f["/"], f["params"], f["params/w/state"]):
            assert group.id.get_create_plist().get_attr_phase_change() == (65535, 65535)
    assert checked >= 6
