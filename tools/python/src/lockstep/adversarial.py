"""`lockstep.synthetic`: an optimizer's trajectory on seeded adversarial gradients.

A real training loop is weak evidence: its gradients change slowly, rarely change sign, and
never vanish, so a port that updates the momentum before computing the update (the most
common porting bug) can match it bit for bit. The stream here is built to separate such
ports. For each step and parameter, drawn from the seed alone:

- a gap: with probability `GAP_PROBABILITY` the parameter has no gradient (`.grad` None),
  except at step 1 (every state is created once);
- values: a persistent direction per parameter (standard normal, drawn once) plus as much
  fresh standard normal noise, with a share `ZERO_FRACTION` of exact zeros; so that
  momentum builds up over the steps that agree;
- sign flips: with probability `FLIP_PROBABILITY` the direction turns over and stays so,
  and the gradient then disagrees with the momentum built so far;
- scale: `10**k`, `k` uniform in `-SCALE_DECADES ... SCALE_DECADES`, drawn afresh with
  probability `RESCALE_PROBABILITY` and kept otherwise: the momentum settles at one scale,
  then the gradients jump by decades (where `eps`, clamps and sign tests bite);
- sparse rows: for an optimizer that takes sparse gradients only (`SparseAdam`), the
  gradient is a sparse COO tensor holding a seeded subset of rows, as `nn.Embedding(sparse=True)` gives.

Initial values are standard normal from their own generator. Everything runs on one thread
and is reproducible byte for byte on the same torch and CPU capability.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch.optim import Optimizer

from .recorder import record

GAP_PROBABILITY = 0.15
ZERO_FRACTION = 0.1
FLIP_PROBABILITY = 0.3
RESCALE_PROBABILITY = 0.1
SCALE_DECADES = 3
# Keep the streams apart: initial values, gradient values, gaps and signs, sparse rows.
INITIAL_SEED_OFFSET = 0
GRADIENT_SEED_OFFSET = 0x510E527F
SPARSE_SEED_OFFSET = 0x9B05688C

DTYPES = {"float32": torch.float32, "float64": torch.float64}
OptimizerFactory = type[Optimizer] | Callable[..., Optimizer]


class AdversarialGradients:
    """The stream described above; `draw(name, shape, step)` in a fixed call order."""

    def __init__(self, seed: int, dtype: torch.dtype, *, gaps: bool = True, sparse: bool = False) -> None:
        self._values = torch.Generator().manual_seed(seed + GRADIENT_SEED_OFFSET)
        self._rows = torch.Generator().manual_seed(seed + SPARSE_SEED_OFFSET)
        self._dtype = dtype
        self._gaps = gaps
        self._sparse = sparse
        self._signs: dict[str, float] = {}
        self._directions: dict[str, torch.Tensor] = {}
        self._decades: dict[str, int] = {}

    def draw(self, name: str, shape: tuple[int, ...], step: int) -> torch.Tensor | None:
        """The gradient of `name` at `step` (1-based); None for a gap. Every call draws the
        same amount of randomness, so a gap never shifts the other parameters' values."""
        if name not in self._directions:
            self._directions[name] = torch.randn(shape, generator=self._values, dtype=self._dtype)
        gap = float(torch.rand((), generator=self._values)) < GAP_PROBABILITY
        flip = float(torch.rand((), generator=self._values)) < FLIP_PROBABILITY
        rescale = float(torch.rand((), generator=self._values)) < RESCALE_PROBABILITY
        decade = int(torch.randint(-SCALE_DECADES, SCALE_DECADES + 1, (), generator=self._values))
        if not rescale and name in self._decades:
            decade = self._decades[name]
        self._decades[name] = decade
        noise = torch.randn(shape, generator=self._values, dtype=self._dtype)
        zeros = torch.rand(shape, generator=self._values) < ZERO_FRACTION
        sign = -self._signs.get(name, 1.0) if flip else self._signs.get(name, 1.0)
        self._signs[name] = sign
        grad = (self._directions[name] + noise).masked_fill_(zeros, 0.0).mul_(sign * 10.0**decade)
        if self._sparse and len(shape) >= 1:
            count = int(torch.randint(0, shape[0] + 1, (), generator=self._rows))
            rows = torch.randperm(shape[0], generator=self._rows)[:count].sort().values
            grad = torch.sparse_coo_tensor(rows.unsqueeze(0), grad[rows], shape, is_coalesced=True)
        if self._gaps and gap and step > 1:
            return None
        return grad


def synthetic(
    optimizer: OptimizerFactory,
    shapes: Mapping[str, tuple[int, ...] | list[int]],
    *,
    out: str | os.PathLike[str],
    steps: int = 20,
    dtype: str = "float32",
    seed: int = 0,
    options: Mapping[str, Any] | None = None,
    gaps: bool = True,
    sparse: bool | None = None,
    name: str | None = None,
    description: str | None = None,
    **record_options: Any,
) -> Path:
    """Records `steps` steps of `optimizer` on the adversarial stream into `out`.

    `optimizer` is an `Optimizer` class, built as `optimizer(params, **options)`, or a
    factory called with the list of parameters (in `shapes` order). `sparse=None` gives
    sparse gradients exactly when the optimizer refuses dense ones. Further keywords go to
    `lockstep.record` (`tolerance`, `reference`, ...). Returns the path written.
    """
    if dtype not in DTYPES:
        raise ValueError(f"lockstep.synthetic: dtype {dtype!r} is not one of {tuple(DTYPES)}")
    if steps < 1:
        raise ValueError(f"lockstep.synthetic: steps must be >= 1, not {steps}")
    torch_dtype = DTYPES[dtype]
    shapes = {key: tuple(int(d) for d in shape) for key, shape in shapes.items()}
    build = _factory(optimizer, dict(options or {}))
    if sparse is None:
        sparse = not _takes_dense(build, shapes, torch_dtype)
    initial = torch.Generator().manual_seed(seed + INITIAL_SEED_OFFSET)
    params = {key: torch.nn.Parameter(torch.randn(shape, generator=initial, dtype=torch_dtype)) for key, shape in shapes.items()}
    opt = build(list(params.values()))
    stream = AdversarialGradients(seed, torch_dtype, gaps=gaps, sparse=sparse)
    label = name or type(opt).__name__
    text = description or (f"{label} on lockstep.synthetic's adversarial gradients (sign flips, exact zeros, "
                           f"{'gaps, ' if gaps else ''}scale 1e±{SCALE_DECADES}{', sparse rows' if sparse else ''}), "
                           f"{steps} steps, {dtype}, seed {seed}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reproducible bits; the caller's setting comes back after
    try:
        with record(opt, out, names=params, optimizer_name=name, description=text, seed=seed, **record_options) as recording:
            for t in range(1, steps + 1):
                for key, p in params.items():
                    p.grad = stream.draw(key, tuple(p.shape), t)
                opt.step()
    finally:
        torch.set_num_threads(threads)
    return recording.path


def _factory(optimizer: OptimizerFactory, options: dict[str, Any]) -> Callable[[list[torch.Tensor]], Optimizer]:
    if inspect.isclass(optimizer):
        if not issubclass(optimizer, Optimizer):
            raise TypeError(f"lockstep.synthetic: {optimizer.__name__} is not a torch.optim.Optimizer subclass")
        return lambda params: optimizer(params, **options)
    if options:
        raise TypeError("lockstep.synthetic: options= goes with an Optimizer class; a factory takes its own arguments")
    return lambda params: _checked(optimizer(params))


def _checked(opt: Any) -> Optimizer:
    if not isinstance(opt, Optimizer):
        raise TypeError(f"lockstep.synthetic: the factory returned a {type(opt).__name__}, not a torch.optim.Optimizer")
    return opt


def _takes_dense(build: Callable[[list[torch.Tensor]], Optimizer], shapes: Mapping[str, tuple[int, ...]], dtype: torch.dtype) -> bool:
    """Whether one step with dense gradients runs (on throwaway parameters)."""
    probe = [torch.nn.Parameter(torch.zeros(shape, dtype=dtype)) for shape in shapes.values()]
    opt = build(probe)
    for p in probe:
        p.grad = torch.ones_like(p)
    try:
        opt.step()
    except RuntimeError as error:
        if "sparse" in str(error).lower():
            return False
        raise
    return True
