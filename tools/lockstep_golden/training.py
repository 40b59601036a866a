"""Training recipes: a small model trained on a small real dataset, whose gradients a case
records instead of the synthetic stream.

A recipe builds its model from the case's seed (torch's own initialisation), loads its
data from a package (no download), and computes each step's gradients from one minibatch:
forward pass, loss, backward pass. Everything is seeded and runs on one thread, so a
recording is reproducible byte for byte.

`wine_bert_mlp` is a fine-tuning-shaped model: an input LayerNorm ("embeddings"), two
dense layers each followed by a LayerNorm, and a classifier; 12 named parameters, named as
in BERT so that the usual grouping (no weight decay on biases and LayerNorm weights) reads
as it does there. Data: the UCI Wine recognition dataset (178 samples, 13 features,
3 classes; Forina et al., PARVUS, 1988), as shipped by scikit-learn (`load_wine`),
standardised per feature.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .spec import Case, CaseError

# Keeps the minibatch order apart from the generator that initialises the model.
BATCH_SEED_OFFSET = 0x3C6EF372
BATCH_SIZE = 16


class WineBertMLP(nn.Module):
    """LayerNorm(13) → Linear(13, 12) → GELU → LayerNorm → Linear(12, 12) → tanh →
    LayerNorm → Linear(12, 3)."""

    def __init__(self) -> None:
        super().__init__()
        self.embeddings = nn.Module()
        self.embeddings.LayerNorm = nn.LayerNorm(13)
        self.encoder = nn.Module()
        self.encoder.dense = nn.Linear(13, 12)
        self.encoder.LayerNorm = nn.LayerNorm(12)
        self.pooler = nn.Module()
        self.pooler.dense = nn.Linear(12, 12)
        self.pooler.LayerNorm = nn.LayerNorm(12)
        self.classifier = nn.Linear(12, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embeddings.LayerNorm(x)
        h = self.encoder.LayerNorm(nn.functional.gelu(self.encoder.dense(h)))
        h = self.pooler.LayerNorm(torch.tanh(self.pooler.dense(h)))
        return self.classifier(h)


def _wine(dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_wine

    data = load_wine()
    x = np.asarray(data.data, dtype=np.float64)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return torch.from_numpy(x).to(dtype), torch.from_numpy(np.asarray(data.target, dtype=np.int64))


@dataclass
class TrainingRun:
    """A model's parameters by name, and the function that sets their gradients for step t."""

    parameters: dict[str, nn.Parameter]
    set_gradients: Callable[[int], float]


def _wine_bert_mlp(seed: int, dtype: torch.dtype) -> TrainingRun:
    torch.manual_seed(seed)
    model = WineBertMLP().to(dtype)
    x, y = _wine(dtype)
    batches = torch.Generator().manual_seed(seed + BATCH_SEED_OFFSET)
    order: list[int] = []

    def set_gradients(step: int) -> float:
        """Forward and backward on the next minibatch (a fresh permutation each epoch)."""
        nonlocal order
        if len(order) < BATCH_SIZE:
            order = torch.randperm(len(y), generator=batches).tolist()
        batch, order = order[:BATCH_SIZE], order[BATCH_SIZE:]
        model.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
        loss.backward()
        return float(loss.detach())

    return TrainingRun(dict(model.named_parameters()), set_gradients)


RECIPES: dict[str, Callable[[int, torch.dtype], TrainingRun]] = {
    "wine_bert_mlp": _wine_bert_mlp,
}


def training_run(case: Case, dtype: torch.dtype) -> TrainingRun:
    """The case's recipe, built; its parameters must be exactly the case's."""
    recipe = RECIPES.get(case.training or "")
    if recipe is None:
        raise CaseError(f"case {case.name!r}: unknown training recipe {case.training!r}; known: {', '.join(RECIPES)}")
    run = recipe(case.seed, dtype)
    declared = {p.name: p.shape for p in case.params}
    actual = {name: tuple(p.shape) for name, p in run.parameters.items()}
    if declared != actual:
        raise CaseError(f"case {case.name!r}: params {declared} differ from the model's {actual}")
    return run
