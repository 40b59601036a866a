"""Shared helpers for the recorder's tests: reading fixtures back, and figures to report."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import h5py
import pytest

_FIGURES: list[str] = []


class Fixture:
    """A written fixture, opened read-only: decoded root attributes and the h5py file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = h5py.File(path, "r")
        self.attrs = {key: _decode(value) for key, value in self.file.attrs.items()}
        self.groups: list[dict[str, Any]] = json.loads(self.attrs["param_groups"])
        self.reference: dict[str, Any] = json.loads(self.attrs["reference"])

    def __getitem__(self, name: str) -> Any:
        return self.file[name][()]

    def __contains__(self, name: str) -> bool:
        return name in self.file

    def params(self) -> list[str]:
        """Parameter names in `index` order."""
        return sorted(self.file["params"], key=lambda n: int(self.file[f"params/{n}"].attrs["index"]))

    def close(self) -> None:
        self.file.close()


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return value.item()
    return value


@pytest.fixture
def load() -> Iterator[Callable[[str | os.PathLike[str]], Fixture]]:
    """`load(path)`: the fixture at `path`, closed when the test ends."""
    opened: list[Fixture] = []

    def open_fixture(path: str | os.PathLike[str]) -> Fixture:
        fixture = Fixture(Path(path))
        opened.append(fixture)
        return fixture

    yield open_fixture
    for fixture in opened:
        fixture.close()


@pytest.fixture(autouse=True, scope="session")
def one_thread() -> Iterator[None]:
    """One intra-op thread: small tensors run far faster (and reproducibly) without a pool."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def figure() -> Callable[[str], None]:
    """`figure(line)`: a measurement shown in the terminal summary (no `-s` needed)."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("lockstep figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


def leftovers(directory: Path, expected: set[str] = frozenset()) -> set[str]:
    """Files in `directory` other than `expected` (spools, temporaries)."""
    return {entry.name for entry in directory.iterdir()} - set(expected)


@pytest.fixture
def clean() -> Callable[[Path, set[str]], set[str]]:
    return leftovers
