"""Golden cases of Adafactor (torch.optim.Adafactor).

Parameters of two or more dimensions keep factored second moments (row_var, col_var over
the last two dimensions), vectors and scalars keep `variance`; FACTORED adds a 3-D and a
0-d parameter to WIDE so both kinds, and the batched factoring, are in every case.
"""

from __future__ import annotations

from ..spec import Case, Param
from .shapes import GAPS, WIDE, two_groups

FACTORED = (*WIDE, Param("k", (2, 3, 4)), Param("scale", ()))
# beta2_decay, an explicit eps1 and a tight clip all change the arithmetic.
TUNED = {"beta2_decay": -0.5, "eps": (1e-30, 1e-3), "d": 1.5}


def _case(name: str, description: str, dtype: str, implementation: str, seed: int, **kw: object) -> Case:
    kw.setdefault("params", FACTORED)
    return Case(name=name, description=description, optimizer="Adafactor", dtype=dtype,
                implementation=implementation, steps=kw.pop("steps", 25), seed=seed, **kw)


CASES: tuple[Case, ...] = (
    _case("adafactor_forloop_f32", "Adafactor, defaults, single-tensor for-loop, float32", "float32", "forloop", 101),
    _case("adafactor_forloop_f64", "Adafactor, defaults, single-tensor for-loop, float64", "float64", "forloop", 102),
    _case("adafactor_foreach_f32", "Adafactor, defaults, multi-tensor (foreach), float32", "float32", "foreach", 103),
    _case("adafactor_foreach_f64", "Adafactor, defaults, multi-tensor (foreach), float64", "float64", "foreach", 104),
    _case("adafactor_weight_decay_maximize_forloop_f32", "Adafactor with weight decay, maximizing, for-loop, float32",
          "float32", "forloop", 105, options={"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    _case("adafactor_weight_decay_maximize_foreach_f64", "Adafactor with weight decay, maximizing, foreach, float64",
          "float64", "foreach", 106, options={"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    _case("adafactor_tuned_forloop_f32", "Adafactor, beta2_decay -0.5, eps1 1e-30, clip d 1.5, for-loop, float32",
          "float32", "forloop", 107, options=TUNED),
    _case("adafactor_tuned_foreach_f64", "Adafactor, beta2_decay -0.5, eps1 1e-30, clip d 1.5, foreach, float64",
          "float64", "foreach", 108, options=TUNED),
    _case("adafactor_param_groups_forloop_f32", "Adafactor, two groups: the second with another lr, weight decay and d",
          "float32", "forloop", 109, params=WIDE, groups=two_groups({"lr": 0.003, "weight_decay": 0.2, "d": 2.0})),
    _case("adafactor_grad_gaps_forloop_f64", "Adafactor with steps where a parameter has no grad, float64",
          "float64", "forloop", 110, params=WIDE, steps=24, missing_grads=GAPS),
    _case("adafactor_added_group_foreach_f32", "Adafactor, foreach: a second group (other lr, decay) joins before step 6",
          "float32", "foreach", 111, params=WIDE, steps=24,
          groups=two_groups({"lr": 0.003, "weight_decay": 0.2}, added_at_step=6)),
)
