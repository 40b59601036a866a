"""Golden cases of SparseAdam (torch.optim.SparseAdam): every gradient is a sparse COO
tensor holding a seeded subset of rows each step (sometimes none, sometimes all), as an
embedding with `sparse=True` produces; the fixtures carry `grad_mask`.

`emb` is embedding-shaped ([10, 4]: rows are tokens); `b` and `v3` are 1-D, so a "row" is
one element. Some held values are exact zeros: they are still updated.
"""

from __future__ import annotations

from ..spec import Case, Param
from .shapes import GAPS, WIDE, two_groups

SPARSE = (*WIDE, Param("emb", (10, 4)))
MOVING = {"lr": 1e-2}


def _case(name: str, description: str, dtype: str, seed: int, **kw: object) -> Case:
    params = kw.pop("params", SPARSE)
    kw.setdefault("options", MOVING)
    return Case(name=name, description=description, optimizer="SparseAdam", dtype=dtype, implementation="forloop",
                steps=kw.pop("steps", 25), seed=seed, params=params,
                sparse_grads=tuple(p.name for p in params), **kw)


CASES: tuple[Case, ...] = (
    _case("sparse_adam_forloop_f32", "SparseAdam, row-sparse gradients, float32", "float32", 301),
    _case("sparse_adam_forloop_f64", "SparseAdam, row-sparse gradients, float64", "float64", 302),
    _case("sparse_adam_maximize_forloop_f32", "SparseAdam maximizing, float32", "float32", 303,
          options={**MOVING, "maximize": True}),
    _case("sparse_adam_betas_eps_forloop_f64", "SparseAdam, betas (0.8, 0.95), eps 1e-6, maximizing, float64",
          "float64", 304, options={**MOVING, "betas": (0.8, 0.95), "eps": 1e-6, "maximize": True}),
    _case("sparse_adam_param_groups_forloop_f32", "SparseAdam, two groups: the second with another lr and betas",
          "float32", 305, params=WIDE, groups=two_groups({"lr": 3e-3, "betas": (0.5, 0.9)})),
    _case("sparse_adam_grad_gaps_forloop_f64", "SparseAdam with steps where a parameter has no grad, float64",
          "float64", 306, params=WIDE, steps=24, missing_grads=GAPS),
    _case("sparse_adam_added_group_forloop_f32", "SparseAdam: a second group (other lr) joins before step 6",
          "float32", 307, params=WIDE, steps=24, groups=two_groups({"lr": 3e-3}, added_at_step=6)),
)
