"""Golden cases of Adam, AdamW and the pytorch-transformers AdamW (HFAdamW)."""

from __future__ import annotations

from ..spec import Case, Group, Param, Scheduler
from .shapes import BASIC, GAPS, MOVING_LR, WEIGHT, WIDE

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

