"""Golden cases of Muon (torch.optim.Muon): 2-D parameters only.

MATRICES holds a wide, a square-ish, a tall (transposed inside Newton–Schulz) and a thin
matrix. torch's Muon has only a for-loop path.
"""

from __future__ import annotations

from ..spec import Case, Group, Param
from .shapes import GAPS

MATRICES = (Param("w", (5, 7)), Param("m", (8, 16)), Param("t", (11, 3)), Param("s", (3, 11)))
MOVING = {"lr": 0.02}
MATRIX_GAPS = {"w": GAPS["w"], "m": GAPS["b"], "t": GAPS["v16"], "s": GAPS["v3"]}


def _case(name: str, description: str, dtype: str, seed: int, **kw: object) -> Case:
    kw.setdefault("params", MATRICES)
    kw.setdefault("options", MOVING)
    return Case(name=name, description=description, optimizer="Muon", dtype=dtype, implementation="forloop",
                steps=kw.pop("steps", 20), seed=seed, **kw)


def _split(second: dict[str, object], added_at_step: int = 1) -> tuple[Group, Group]:
    return (Group(params=("w", "m")), Group(params=("t", "s"), options=second, added_at_step=added_at_step))


CASES: tuple[Case, ...] = (
    _case("muon_forloop_f32", "Muon, nesterov, default Newton-Schulz, float32", "float32", 201),
    _case("muon_forloop_f64", "Muon, nesterov, default Newton-Schulz, float64 (iteration still bfloat16)", "float64", 202),
    _case("muon_no_nesterov_forloop_f32", "Muon without nesterov, no weight decay, float32", "float32", 203,
          options={**MOVING, "nesterov": False, "weight_decay": 0.0}),
    _case("muon_no_nesterov_forloop_f64", "Muon without nesterov, momentum 0.9, float64", "float64", 204,
          options={**MOVING, "nesterov": False, "momentum": 0.9}),
    _case("muon_match_rms_adamw_forloop_f32", "Muon, adjust_lr_fn match_rms_adamw, float32", "float32", 205,
          options={**MOVING, "adjust_lr_fn": "match_rms_adamw"}),
    _case("muon_spectral_unclamped_forloop_f64", "Muon, adjust_lr_fn spectral_unclamped, float64", "float64", 206,
          options={**MOVING, "adjust_lr_fn": "spectral_unclamped"}),
    _case("muon_ns_custom_forloop_f32", "Muon, ns_coefficients (2, -1.5, 0.5), 3 steps, eps 1e-4, float32", "float32", 207,
          options={**MOVING, "ns_coefficients": (2.0, -1.5, 0.5), "ns_steps": 3, "eps": 1e-4}),
    _case("muon_ns_custom_forloop_f64", "Muon, ns_coefficients (2, -1.5, 0.5), 3 steps, eps 1e-4, float64", "float64", 208,
          options={**MOVING, "ns_coefficients": (2.0, -1.5, 0.5), "ns_steps": 3, "eps": 1e-4}),
    _case("muon_param_groups_forloop_f32", "Muon, two groups: the second with another lr, decay and momentum",
          "float32", 209, groups=_split({"lr": 0.005, "weight_decay": 0.0, "momentum": 0.8})),
    _case("muon_grad_gaps_forloop_f64", "Muon with steps where a parameter has no grad, float64", "float64", 210,
          steps=24, missing_grads=MATRIX_GAPS),
    _case("muon_added_group_forloop_f32", "Muon: a second group (other lr, no nesterov) joins before step 6",
          "float32", 211, steps=24, groups=_split({"lr": 0.005, "nesterov": False}, added_at_step=6)),
    # NS divides by max(||X||, eps): with unit-scale gradients the default eps (1e-7) never
    # engages. eps 0.75 sits inside the updates' bfloat16 norms (about 0.5 to 1.7 here), so the
    # clamp engages for some matrices and steps and not for others: the scale-free twin of
    # gradients of order 1e-7 against the default eps.
    _case("muon_eps_clamp_forloop_f32", "Muon, eps 0.75, comparable to the update's norm: the NS clamp engages",
          "float32", 212, steps=12, options={**MOVING, "eps": 0.75}),
)
