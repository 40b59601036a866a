"""`lockstep.synthetic`: seeded adversarial gradients, recorded."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import lockstep

SHAPES = {"w": (4, 5), "b": (5,)}


@pytest.fixture(autouse=True)
def _quiet_sparse() -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse invariant checks")
        yield


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    paths = [lockstep.synthetic(torch.optim.Adam, SHAPES, out=tmp_path / f"{i}.h5", steps=8, seed=5) for i in range(2)]
    other = lockstep.synthetic(torch.optim.Adam, SHAPES, out=tmp_path / "other.h5", steps=8, seed=6)
    assert paths == [tmp_path / "0.h5", tmp_path / "1.h5"]
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != other.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.h5", "1.h5", "other.h5"]


def test_the_stream_is_adversarial(tmp_path: Path, load: Any) -> None:
    steps = 30
    f = load(lockstep.synthetic(torch.optim.Adam, SHAPES, out=tmp_path / "s.h5", steps=steps, seed=0))
    assert f.attrs["steps"] == steps
    assert f.attrs["seed"] == 0
    assert f.attrs["optimizer"] == "Adam"
    gaps = 0
    flips = 0
    magnitudes = []
    zeros = 0
    for name in SHAPES:
        has_grad = f[f"params/{name}/has_grad"] if f"params/{name}/has_grad" in f else np.ones(steps, np.uint8)
        assert has_grad[0] == 1  # every state is created at step 1
        gaps += int((has_grad[1:] == 0).sum())
        grad = f[f"params/{name}/grad"]
        present = [t for t in range(steps) if has_grad[t]]
        for t in present:
            row = grad[t]
            assert np.isfinite(row).all()
            zeros += int((row == 0).sum())
            if np.any(row != 0):
                magnitudes.append(np.abs(row[row != 0]).max())
        for t, u in zip(present, present[1:]):
            both = (grad[t] != 0) & (grad[u] != 0)
            opposite = (np.sign(grad[t]) != np.sign(grad[u])) & both
            if opposite.sum() > both.sum() / 2:
                flips += 1
    assert gaps > 0
    assert flips > 0
    assert zeros > 0
    assert np.log10(max(magnitudes) / min(magnitudes)) >= 4


def test_gaps_do_not_shift_the_other_draws(tmp_path: Path, load: Any) -> None:
    with_gaps = load(lockstep.synthetic(torch.optim.SGD, SHAPES, out=tmp_path / "g.h5", steps=20, seed=2, options={"lr": 0.1}))
    without = load(lockstep.synthetic(torch.optim.SGD, SHAPES, out=tmp_path / "n.h5", steps=20, seed=2, options={"lr": 0.1},
                                      gaps=False))
    for name in SHAPES:
        assert f"params/{name}/has_grad" not in without
    gapped = [name for name in SHAPES if f"params/{name}/has_grad" in with_gaps]
    assert gapped
    for name in SHAPES:
        present = with_gaps[f"params/{name}/has_grad"].astype(bool) if name in gapped else np.ones(20, bool)
        np.testing.assert_array_equal(with_gaps[f"params/{name}/grad"][present], without[f"params/{name}/grad"][present])
        np.testing.assert_array_equal(with_gaps[f"params/{name}/initial"], without[f"params/{name}/initial"])


def test_sparse_adam_gets_sparse_gradients(tmp_path: Path, load: Any) -> None:
    f = load(lockstep.synthetic(torch.optim.SparseAdam, {"emb": (8, 3)}, out=tmp_path / "sp.h5", steps=12, seed=4,
                                options={"lr": 0.01}))
    assert f.attrs["optimizer"] == "SparseAdam"
    mask = f["params/emb/grad_mask"]
    grad = f["params/emb/grad"]
    assert mask.shape == grad.shape == (12, 8, 3)
    assert mask.dtype == np.uint8
    assert set(np.unique(mask)) <= {0, 1}
    assert mask.any() and not mask.all()
    present = f["params/emb/has_grad"].astype(bool) if "params/emb/has_grad" in f else np.ones(12, bool)
    assert (grad[present][mask[present] == 0] == 0).all()  # only held entries are nonzero
    assert (mask[~present] == 0).all()
    assert (mask == mask[:, :, :1]).all()  # whole rows, as nn.Embedding(sparse=True) gives


def test_sparse_none_means_dense_for_adam(tmp_path: Path, load: Any) -> None:
    f = load(lockstep.synthetic(torch.optim.Adam, {"emb": (8, 3)}, out=tmp_path / "d.h5", steps=4, seed=4))
    assert "params/emb/grad_mask" not in f


def test_a_factory_callable(tmp_path: Path, load: Any) -> None:
    def factory(params: list[torch.Tensor]) -> torch.optim.Optimizer:
        return torch.optim.SGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.5}], lr=0.1, momentum=0.9)

    f = load(lockstep.synthetic(factory, SHAPES, out=tmp_path / "f.h5", steps=5, dtype="float64", seed=1, name="MySGD",
                                tolerance={"rtol": 1e-12}))
    assert f.attrs["optimizer"] == "MySGD"
    assert f.attrs["dtype"] == "float64"
    assert f["params/w/param"].dtype == np.float64
    assert [g["params"] for g in f.groups] == [["w"], ["b"]]
    assert [g["lr"] for g in f.groups] == [0.1, 0.5]
    assert f.groups[0]["momentum"] == 0.9
    assert "momentum_buffer" in f.file["params/w/state"]
    assert "tolerance" in f.attrs


@pytest.mark.parametrize(("args", "error", "match"), [
    ({"dtype": "float16"}, ValueError, "float16"),
    ({"dtype": "bfloat16"}, ValueError, "bfloat16"),
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": -3}, ValueError, "steps"),
    ({"optimizer": torch.nn.Linear}, TypeError, "Linear"),
    ({"optimizer": lambda params: object()}, TypeError, "object"),
    ({"optimizer": lambda params: torch.optim.SGD(params, lr=0.1), "options": {"lr": 0.1}}, TypeError, "options"),
])
def test_bad_arguments_are_rejected(tmp_path: Path, args: dict[str, Any], error: type[Exception], match: str) -> None:
    options = {"optimizer": torch.optim.Adam, "shapes": {"w": (2,)}, "out": tmp_path / "bad.h5", **args}
    with pytest.raises(error, match=match):
        lockstep.synthetic(**options)
    assert list(tmp_path.iterdir()) == []


def test_adversarial_gradients_draw_reproducibly() -> None:
    a = lockstep.AdversarialGradients(9, torch.float64)
    b = lockstep.AdversarialGradients(9, torch.float64)
    for step in range(1, 15):
        x, y = a.draw("w", (3, 2), step), b.draw("w", (3, 2), step)
        assert (x is None) == (y is None)
        if x is not None:
            assert x.dtype == torch.float64
            assert torch.equal(x, y)


def test_no_gap_at_step_one() -> None:
    stream = lockstep.AdversarialGradients(0, torch.float32)
    first = [stream.draw(f"p{i}", (2,), 1) for i in range(60)]
    later = [stream.draw(f"p{i}", (2,), 2) for i in range(60)]
    assert all(g is not None for g in first)
    assert any(g is None for g in later)
    assert all(g is not None for g in
               (lockstep.AdversarialGradients(0, torch.float32, gaps=False).draw("p", (2,), t) for t in range(1, 40)))
