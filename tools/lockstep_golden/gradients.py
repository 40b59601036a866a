"""Synthetic gradients: a deterministic stream drawn from the case's seed.

Replay mode needs no model: any gradient sequence exercises the optimizer, and a seeded
standard normal stream, with a few exact zeros (where sqrt(v) + eps and AMSGrad's max are
most telling), is reproducible everywhere torch runs.
"""

from __future__ import annotations

import torch

# Keeps the gradient stream apart from the global generator that draws the initial values.
GRADIENT_SEED_OFFSET = 0x6A09E667
# Expected share of gradient elements set to exactly zero.
ZERO_FRACTION = 0.1


# Keeps the choice of sparse rows apart from the gradient values, so dense cases are unchanged.
SPARSE_ROWS_SEED_OFFSET = 0x3C6EF372


class SparseRows:
    """Chooses, per call, which rows (indices along dim 0) a sparse gradient holds: a
    uniformly drawn count from 0 to all rows, then that many distinct rows, sorted."""

    def __init__(self, seed: int) -> None:
        self._generator = torch.Generator().manual_seed(seed + SPARSE_ROWS_SEED_OFFSET)

    def draw(self, rows: int) -> torch.Tensor:
        count = int(torch.randint(0, rows + 1, (1,), generator=self._generator))
        return torch.randperm(rows, generator=self._generator)[:count].sort().values


def sparse_rows(grad: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """`grad` restricted to `rows` as a coalesced sparse COO tensor (sparse dim 0 only)."""
    return torch.sparse_coo_tensor(rows.unsqueeze(0), grad[rows], grad.shape, is_coalesced=True)


class GradientStream:
    """Draws one gradient per call, in the order the recorder asks for them."""

    def __init__(self, seed: int, dtype: torch.dtype) -> None:
        self._generator = torch.Generator().manual_seed(seed + GRADIENT_SEED_OFFSET)
        self._dtype = dtype

    def draw(self, shape: tuple[int, ...]) -> torch.Tensor:
        grad = torch.randn(shape, generator=self._generator, dtype=self._dtype)
        zeros = torch.rand(shape, generator=self._generator) < ZERO_FRACTION
        return grad.masked_fill_(zeros, 0.0)
