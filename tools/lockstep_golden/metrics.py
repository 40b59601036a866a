"""Validation metrics for `ReduceLROnPlateau` cases: what the training loop passes to
`scheduler.step(metric)` after each optimizer step (written to `/steps/metric`).

No model is trained; a case names one of these curves, drawn from its seed, shaped so that
within ~40 steps the scheduler meets every rule: a phase of clear improvement (new bests),
then a plateau whose wobble stays inside the threshold (bad epochs, reductions, cooldowns),
one late improvement that resets the count, and enough reductions to reach `min_lr`.
"""

from __future__ import annotations

import numpy as np

# Keeps the metric's wobble apart from the gradient stream and the initial values.
METRIC_SEED_OFFSET = 0x510E527F
# The step after which the curve stops improving, and the one where it improves once more.
PLATEAU_FROM = 8
SECOND_WIND_AT = 19


def _wobble(seed: int, steps: int, amplitude: float) -> np.ndarray:
    return np.random.default_rng(seed + METRIC_SEED_OFFSET).uniform(-amplitude, amplitude, steps)


def loss(seed: int, steps: int) -> np.ndarray:
    """A validation loss (mode "min"): 1 + 2·0.7^k falling until step 8, then flat within
    ±0.2 %, 3 % lower from step 19 on."""
    k = np.minimum(np.arange(1, steps + 1), PLATEAU_FROM).astype(np.float64)
    curve = 1.0 + 2.0 * 0.7**k
    curve[SECOND_WIND_AT - 1:] *= 0.97
    return curve * (1.0 + _wobble(seed, steps, 0.002))


def accuracy(seed: int, steps: int) -> np.ndarray:
    """A validation accuracy (mode "max"): 0.9 − 0.6·0.75^k rising until step 8, then flat
    within ±0.004, 0.03 higher from step 19 on."""
    k = np.minimum(np.arange(1, steps + 1), PLATEAU_FROM).astype(np.float64)
    curve = 0.9 - 0.6 * 0.75**k
    curve[SECOND_WIND_AT - 1:] += 0.03
    return curve + _wobble(seed, steps, 0.004)


METRICS = {"loss": loss, "accuracy": accuracy}


def metric_values(kind: str, seed: int, steps: int) -> list[float]:
    """The `steps` values of curve `kind` as Python floats, step 1 first."""
    return [float(v) for v in METRICS[kind](seed, steps)]
