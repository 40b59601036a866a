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


class GradientStream:
    """Draws one gradient per call, in the order the recorder asks for them."""

    def __init__(self, seed: int, dtype: torch.dtype) -> None:
        self._generator = torch.Generator().manual_seed(seed + GRADIENT_SEED_OFFSET)
        self._dtype = dtype

    def draw(self, shape: tuple[int, ...]) -> torch.Tensor:
        grad = torch.randn(shape, generator=self._generator, dtype=self._dtype)
        zeros = torch.rand(shape, generator=self._generator) < ZERO_FRACTION
        return grad.masked_fill_(zeros, 0.0)
