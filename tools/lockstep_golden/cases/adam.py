"""Golden cases of Adam, AdamW and the pytorch-transformers AdamW (HFAdamW)."""

from __future__ import annotations

from ..spec import Case, Group, Param, Scheduler
from .shapes import BASIC, GAPS, MOVING_LR, WEIGHT, WIDE, two_groups

# beta2 = 0.95 lets exp_avg_sq fall often, so AMSGrad's running max differs from it.
AMSGRAD = {**MOVING_LR, "amsgrad": True, "betas": (0.9, 0.95)}
MAXIMIZE = {**MOVING_LR, "maximize": True}

CASES: tuple[Case, ...] = (
    Case(
        name="adamw",
        description="AdamW, single-tensor for-loop, float32, defaults except lr",
        optimizer="AdamW", dtype="float32", implementation="forloop",
        steps=30, seed=1, params=BASIC, options=MOVING_LR,
    ),
    Case(
        name="adamw_forloop_f64",
        description="AdamW, single-tensor for-loop, float64",
        optimizer="AdamW", dtype="float64", implementation="forloop",
        steps=30, seed=2, params=WIDE, options=MOVING_LR,
    ),
    Case(
        name="adamw_fused_f32",
        description="AdamW, fused CPU kernel at the machine's default capability, float32",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=30, seed=3, params=WIDE, options=MOVING_LR,
    ),
    Case(
        name="adamw_fused_f64",
        description="AdamW, fused CPU kernel at the machine's default capability, float64",
        optimizer="AdamW", dtype="float64", implementation="fused",
        steps=30, seed=4, params=WIDE, options=MOVING_LR,
    ),
    Case(
        name="adamw_fused_avx2_f32",
        description="AdamW, fused CPU kernel forced to AVX2, float32",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=30, seed=5, params=WIDE, options=MOVING_LR, cpu_capability="avx2",
    ),
    Case(
        name="adamw_fused_avx2_f64",
        description="AdamW, fused CPU kernel forced to AVX2, float64",
        optimizer="AdamW", dtype="float64", implementation="fused",
        steps=30, seed=6, params=WIDE, options=MOVING_LR, cpu_capability="avx2",
    ),
    Case(
        name="adamw_amsgrad_forloop_f32",
        description="AdamW with AMSGrad, single-tensor for-loop, float32",
        optimizer="AdamW", dtype="float32", implementation="forloop",
        steps=30, seed=7, params=WIDE, options=AMSGRAD,
    ),
    Case(
        name="adamw_amsgrad_fused_f32",
        description="AdamW with AMSGrad, fused CPU kernel, float32",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=30, seed=8, params=WIDE, options=AMSGRAD,
    ),
    Case(
        name="adamw_amsgrad_fused_f64",
        description="AdamW with AMSGrad, fused CPU kernel, float64",
        optimizer="AdamW", dtype="float64", implementation="fused",
        steps=30, seed=9, params=WIDE, options=AMSGRAD,
    ),
    Case(
        name="adamw_maximize_fused_f32",
        description="AdamW maximizing (gradient ascent), fused CPU kernel, float32",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=30, seed=10, params=WIDE, options=MAXIMIZE,
    ),
    Case(
        name="adamw_maximize_forloop_f64",
        description="AdamW maximizing (gradient ascent), single-tensor for-loop, float64",
        optimizer="AdamW", dtype="float64", implementation="forloop",
        steps=30, seed=11, params=WIDE, options=MAXIMIZE,
    ),
    Case(
        name="adamw_param_groups_fused_f32",
        description="AdamW BERT-style groups: decayed weights; undecayed biases and LayerNorm at another lr",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=30, seed=12,
        params=(
            Param("dense.weight", (5, 7)),
            Param("out.weight", (3, 11)),
            Param("dense.bias", (37,)),
            Param("LayerNorm.weight", (16,)),
            Param("LayerNorm.bias", (3,)),
        ),
        options={**MOVING_LR, "weight_decay": 0.01},
        groups=(
            Group(params=("dense.weight", "out.weight")),
            Group(
                params=("dense.bias", "LayerNorm.weight", "LayerNorm.bias"),
                options={"lr": 5e-3, "weight_decay": 0.0},
            ),
        ),
    ),
    Case(
        name="adamw_grad_gaps_forloop_f32",
        description="AdamW with steps where a parameter has no grad; b's first grad comes at step 3",
        optimizer="AdamW", dtype="float32", implementation="forloop",
        steps=24, seed=13, params=WIDE, options=MOVING_LR,
        missing_grads=GAPS,
    ),
    Case(
        name="adamw_grad_gaps_fused_f64",
        description="AdamW, fused, float64, with steps where a parameter has no grad; b's first grad comes at step 3",
        optimizer="AdamW", dtype="float64", implementation="fused",
        steps=24, seed=14, params=WIDE, options=MOVING_LR,
        missing_grads=GAPS,
    ),
    Case(
        name="adamw_added_group_fused_f32",
        description="AdamW, fused: a second group (other lr, no decay) joins via add_param_group before step 6",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=24, seed=15, params=WIDE, options=MOVING_LR,
        groups=(
            Group(params=("w", "b")),
            Group(params=("v16", "v3"), options={"lr": 5e-3, "weight_decay": 0.0}, added_at_step=6),
        ),
    ),
    Case(
        name="adamw_scalar_and_empty_fused_f32",
        description="AdamW, fused, float32, with a 0-d parameter and a zero-size [0, 3] parameter",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=20, seed=16,
        params=(WEIGHT, Param("scale", ()), Param("empty", (0, 3))),
        options=MOVING_LR,
    ),
    Case(
        name="adamw_scalar_and_empty_forloop_f64",
        description="AdamW, for-loop, float64, with a 0-d parameter and a zero-size [0, 3] parameter",
        optimizer="AdamW", dtype="float64", implementation="forloop",
        steps=20, seed=17,
        params=(WEIGHT, Param("scale", ()), Param("empty", (0, 3))),
        options=MOVING_LR,
    ),
    Case(
        name="adamw_lr_schedule_forloop_f32",
        description="AdamW, for-loop, float32, under LinearLR warm-up (lr recorded per step)",
        optimizer="AdamW", dtype="float32", implementation="forloop",
        steps=25, seed=18, params=BASIC, options=MOVING_LR,
        scheduler=Scheduler("LinearLR", {"start_factor": 0.1, "total_iters": 10}),
    ),
    Case(
        name="adam_decoupled_fused_f32",
        description="Adam with decoupled_weight_decay=True (AdamW through Adam), fused, float32",
        optimizer="Adam", dtype="float32", implementation="fused",
        steps=30, seed=19, params=WIDE,
        options={**MOVING_LR, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    Case(
        name="hfadamw_correct_bias_f32",
        description="pytorch-transformers AdamW with bias correction, float32",
        optimizer="HFAdamW", dtype="float32", implementation="forloop",
        steps=30, seed=20, params=WIDE, options={**MOVING_LR, "weight_decay": 0.01},
    ),
    Case(
        name="hfadamw_no_correct_bias_f32",
        description="pytorch-transformers AdamW without bias correction (as BERT's TF code), float32",
        optimizer="HFAdamW", dtype="float32", implementation="forloop",
        steps=30, seed=21, params=WIDE,
        options={**MOVING_LR, "weight_decay": 0.01, "correct_bias": False},
    ),
    Case(
        name="hfadamw_correct_bias_f64",
        description="pytorch-transformers AdamW with bias correction, float64",
        optimizer="HFAdamW", dtype="float64", implementation="forloop",
        steps=30, seed=22, params=WIDE, options={**MOVING_LR, "weight_decay": 0.01},
    ),
    # The DEFAULT capability (no SIMD extension): kernels compiled without FMA.
    Case(
        name="adamw_fused_default_f32",
        description="AdamW, fused CPU kernel forced to the DEFAULT capability (no FMA), float32",
        optimizer="AdamW", dtype="float32", implementation="fused",
        steps=30, seed=23, params=WIDE, options=MOVING_LR, cpu_capability="default",
    ),
    Case(
        name="adam_l2_fused_default_f64",
        description="Adam with L2 weight decay, fused CPU kernel at the DEFAULT capability, float64",
        optimizer="Adam", dtype="float64", implementation="fused",
        steps=30, seed=24, params=WIDE, options={**MOVING_LR, "weight_decay": 0.1}, cpu_capability="default",
    ),
    Case(
        name="adamw_forloop_default_f64",
        description="AdamW, single-tensor for-loop at the DEFAULT capability (no FMA), float64",
        optimizer="AdamW", dtype="float64", implementation="forloop",
        steps=30, seed=25, params=WIDE, options=MOVING_LR, cpu_capability="default",
    ),
    Case(
        name="adam_l2_fused_f32",
        description="Adam with L2 weight decay (g + λθ, fused into an FMA), fused CPU kernel, float32",
        optimizer="Adam", dtype="float32", implementation="fused",
        steps=30, seed=26, params=WIDE, options={**MOVING_LR, "weight_decay": 0.1},
    ),
    Case(
        name="hfadamw_default_f64",
        description="pytorch-transformers AdamW at the DEFAULT capability (no FMA), float64",
        optimizer="HFAdamW", dtype="float64", implementation="forloop",
        steps=30, seed=27, params=WIDE, options={**MOVING_LR, "weight_decay": 0.01}, cpu_capability="default",
    ),
)

# Adam itself (L2 decay, not decoupled) and the multi-tensor (foreach) path of both.
L2 = {**MOVING_LR, "weight_decay": 0.1}


def _adam(name: str, description: str, dtype: str, implementation: str, seed: int, **fields: object) -> Case:
    return Case(
        name=name, description=description, optimizer=fields.pop("optimizer", "Adam"), dtype=dtype,  # type: ignore[arg-type]
        implementation=implementation, steps=fields.pop("steps", 30), seed=seed, params=fields.pop("params", WIDE),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


CASES += (
    _adam("adam_forloop_f32", "Adam, single-tensor for-loop, float32", "float32", "forloop", 101, options=MOVING_LR),
    _adam("adam_forloop_f64", "Adam, single-tensor for-loop, float64", "float64", "forloop", 102, options=MOVING_LR),
    _adam("adam_foreach_f32", "Adam, multi-tensor (foreach) path, float32", "float32", "foreach", 103, options=MOVING_LR),
    _adam("adam_foreach_f64", "Adam, multi-tensor (foreach) path, float64", "float64", "foreach", 104, options=MOVING_LR),
    _adam("adam_fused_f64", "Adam, fused CPU kernel, float64", "float64", "fused", 105, options=MOVING_LR),
    _adam("adam_l2_amsgrad_forloop_f64", "Adam with L2 decay and AMSGrad, for-loop, float64", "float64", "forloop", 106,
          options={**L2, **AMSGRAD}),
    _adam("adam_l2_maximize_foreach_f32", "Adam with L2 decay, maximizing, foreach, float32", "float32", "foreach", 107,
          options={**L2, "maximize": True}),
    _adam("adam_amsgrad_maximize_fused_f64", "Adam with AMSGrad, maximizing, fused, float64", "float64", "fused", 108,
          options={**AMSGRAD, "maximize": True}),
    _adam("adam_l2_forloop_f32", "Adam with L2 weight decay, for-loop, float32", "float32", "forloop", 109, options=L2),
    _adam("adamw_foreach_f32", "AdamW, foreach, float32", "float32", "foreach", 110, optimizer="AdamW", options=MOVING_LR),
    _adam("adamw_foreach_f64", "AdamW, foreach, float64", "float64", "foreach", 111, optimizer="AdamW", options=MOVING_LR),
    _adam("adamw_amsgrad_foreach_f64", "AdamW with AMSGrad, foreach, float64", "float64", "foreach", 112,
          optimizer="AdamW", options=AMSGRAD),
    _adam("adam_param_groups_foreach_f32",
          "Adam, foreach, float32: a second group with other betas, eps, L2 decay and AMSGrad", "float32", "foreach", 113,
          options=MOVING_LR,
          groups=two_groups({"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True})),
    _adam("adam_added_group_forloop_f64", "Adam, for-loop, float64: a group with L2 decay joins before step 6",
          "float64", "forloop", 114, options=MOVING_LR, steps=24,
          groups=two_groups({"lr": 3e-3, "weight_decay": 0.1}, added_at_step=6)),
    _adam("adam_grad_gaps_foreach_f32", "Adam, foreach, float32, with steps where a parameter has no grad",
          "float32", "foreach", 115, options=MOVING_LR, steps=24, missing_grads=GAPS),
    _adam("adamw_grad_gaps_fused_avx2_f32", "AdamW, fused at AVX2, float32, with gradient gaps",
          "float32", "fused", 116, optimizer="AdamW", options=MOVING_LR, steps=24, missing_grads=GAPS, cpu_capability="avx2"),
    _adam("adamw_added_group_decayed_fused_f64",
          "AdamW, fused, float64: decay 0.01, then a group (lr 5e-3, decay 0.1) joins before step 6",
          "float64", "fused", 120, optimizer="AdamW", options=MOVING_LR, steps=12,
          groups=two_groups({"lr": 5e-3, "weight_decay": 0.1}, added_at_step=6)),
)

# HFAdamW with the BERT grouping, gradient gaps, and a group that joins later.
HF_DECAY = {**MOVING_LR, "weight_decay": 0.01}
CASES += (
    _adam("hfadamw_param_groups_f32",
          "pytorch-transformers AdamW, float32: a second group without decay, at another lr, without bias correction",
          "float32", "forloop", 117, optimizer="HFAdamW", options=HF_DECAY,
          groups=two_groups({"lr": 5e-3, "weight_decay": 0.0, "correct_bias": False})),
    _adam("hfadamw_grad_gaps_f64", "pytorch-transformers AdamW, float64, with steps where a parameter has no grad",
          "float64", "forloop", 118, optimizer="HFAdamW", options=HF_DECAY, steps=24, missing_grads=GAPS),
    _adam("hfadamw_added_group_f32", "pytorch-transformers AdamW, float32: a group without decay joins before step 6",
          "float32", "forloop", 119, optimizer="HFAdamW", options=HF_DECAY, steps=24,
          groups=two_groups({"weight_decay": 0.0}, added_at_step=6)),
    _adam("hfadamw_added_group_decayed_f64",
          "pytorch-transformers AdamW, float64: no decay, then a group with weight decay 0.1 joins before step 6",
          "float64", "forloop", 121, optimizer="HFAdamW", options=MOVING_LR, steps=12,
          groups=two_groups({"weight_decay": 0.1}, added_at_step=6)),
)
