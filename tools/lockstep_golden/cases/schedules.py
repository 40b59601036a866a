"""Golden cases of the learning-rate schedulers, each driving Adam or AdamW (or SGD,
RMSprop, Adagrad where the schedule's momentum calls for them).

One case per scheduler (SequentialLR twice: a LinearLR warm-up followed by cosine
annealing, or by exponential decay), mostly on the fused kernel so that the parameters
too are bit for bit, a few on the for-loop path and in float64. `/steps/lr` records the
schedule; OneCycleLR and CyclicLR also cycle `betas[0]` (Adam family, `/steps/betas`) or
`momentum` (SGD, RMSprop, `/steps/momentum`). ReduceLROnPlateau is stepped with a metric
curve from `metrics.py` (`/steps/metric`). The BERT
fine-tuning schedule (`get_linear_schedule_with_warmup`) is a recipe in `references.py`.
The training trajectory `adamw_bert_finetune_wine_*` trains a real model (`training.py`).
"""

from __future__ import annotations

from ..spec import Case, Group, Param, Scheduler
from .shapes import MOVING_LR, WIDE, two_groups

BERT_MLP = (
    # Weights that decay, then biases and LayerNorm weights that do not (BERT's grouping).
    Param("encoder.dense.weight", (12, 13)),
    Param("pooler.dense.weight", (12, 12)),
    Param("classifier.weight", (3, 12)),
    Param("embeddings.LayerNorm.weight", (13,)),
    Param("embeddings.LayerNorm.bias", (13,)),
    Param("encoder.dense.bias", (12,)),
    Param("encoder.LayerNorm.weight", (12,)),
    Param("encoder.LayerNorm.bias", (12,)),
    Param("pooler.dense.bias", (12,)),
    Param("pooler.LayerNorm.weight", (12,)),
    Param("pooler.LayerNorm.bias", (12,)),
    Param("classifier.bias", (3,)),
)
BERT_GROUPS = (
    Group(params=tuple(p.name for p in BERT_MLP[:3])),
    Group(params=tuple(p.name for p in BERT_MLP[3:]), options={"weight_decay": 0.0}),
)
FINETUNE_STEPS = 300


def _schedule_case(
    name: str, description: str, scheduler: Scheduler, *, seed: int, optimizer: str = "AdamW",
    dtype: str = "float32", implementation: str = "fused", steps: int = 30,
    options: dict[str, object] = MOVING_LR, **extra: object,
) -> Case:
    return Case(
        name=name, description=description, optimizer=optimizer, dtype=dtype, implementation=implementation,
        steps=steps, seed=seed, params=WIDE, options=options, scheduler=scheduler, **extra,
    )


def _bert_finetune(implementation: str, seed: int) -> Case:
    return Case(
        name=f"adamw_bert_finetune_wine_{implementation}_f32",
        description=(
            f"AdamW ({implementation}) fine-tuning a LayerNorm MLP on UCI Wine, minibatches of 16, "
            f"{FINETUNE_STEPS} steps: decay on weights only, BERT's linear warm-up and decay; real gradients"
        ),
        optimizer="AdamW", dtype="float32", implementation=implementation,
        steps=FINETUNE_STEPS, seed=seed, params=BERT_MLP, options={"lr": 1e-2, "weight_decay": 0.01},
        groups=BERT_GROUPS,
        scheduler=Scheduler(
            "get_linear_schedule_with_warmup", {"num_warmup_steps": 30, "num_training_steps": FINETUNE_STEPS}
        ),
        training="wine_bert_mlp", compress=True,
    )


CASES: tuple[Case, ...] = (
    _schedule_case(
        "adamw_steplr_fused_f32", "AdamW, fused, under StepLR (halved every 7 steps)",
        Scheduler("StepLR", {"step_size": 7, "gamma": 0.5}), seed=101,
    ),
    _schedule_case(
        "adamw_multisteplr_forloop_f64", "AdamW, for-loop, float64, under MultiStepLR (12 twice: gamma squared)",
        Scheduler("MultiStepLR", {"milestones": [5, 12, 12, 20], "gamma": 0.3}), seed=102,
        dtype="float64", implementation="forloop",
    ),
    _schedule_case(
        "adam_exponentiallr_fused_f32", "Adam, fused, under ExponentialLR (chained products of gamma)",
        Scheduler("ExponentialLR", {"gamma": 0.9}), seed=103, optimizer="Adam",
    ),
    _schedule_case(
        "adamw_cosineannealinglr_fused_f32",
        "AdamW, fused, under CosineAnnealingLR past T_max (recursive form, the rise after T_max)",
        Scheduler("CosineAnnealingLR", {"T_max": 10, "eta_min": 1e-4}), seed=104,
    ),
    _schedule_case(
        "adamw_cosinewarmrestarts_fused_f64",
        "AdamW, fused, float64, under CosineAnnealingWarmRestarts (T_0 5, T_mult 2: restarts at 5, 15)",
        Scheduler("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2, "eta_min": 1e-4}), seed=105,
        dtype="float64",
    ),
    _schedule_case(
        "adamw_linearlr_fused_f32", "AdamW, fused, under LinearLR from 0.25 to 0.75 over 12 steps",
        Scheduler("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 12}), seed=106,
    ),
    _schedule_case(
        "adamw_constantlr_fused_f32", "AdamW, fused, under ConstantLR (factor 0.3 for 8 steps)",
        Scheduler("ConstantLR", {"factor": 0.3, "total_iters": 8}), seed=107,
    ),
    _schedule_case(
        "adamw_polynomiallr_fused_f64", "AdamW, fused, float64, under PolynomialLR (power 2, 20 steps, then 0)",
        Scheduler("PolynomialLR", {"total_iters": 20, "power": 2.0}), seed=108, dtype="float64",
    ),
    _schedule_case(
        "adamw_onecyclelr_param_groups_fused_f32",
        "AdamW, fused, two groups under OneCycleLR (cos; per-group max_lr and momenta): lr and betas[0] cycle",
        Scheduler("OneCycleLR", {
            "max_lr": [0.05, 0.02], "total_steps": 30, "max_momentum": [0.95, 0.9], "base_momentum": [0.85, 0.8],
        }),
        seed=109, groups=two_groups({"weight_decay": 0.0}),
    ),
    _schedule_case(
        "adamw_onecyclelr_linear_three_phase_forloop_f64",
        "AdamW, for-loop, float64, under OneCycleLR (linear, three phases): lr and betas[0] cycle",
        Scheduler("OneCycleLR", {"max_lr": 0.05, "total_steps": 32, "anneal_strategy": "linear", "three_phase": True}),
        seed=110, dtype="float64", implementation="forloop", steps=32,
    ),
    _schedule_case(
        "sgd_momentum_onecyclelr_fused_f32",
        "SGD with momentum, fused, under OneCycleLR (cos): lr and momentum cycle (/steps/momentum)",
        Scheduler("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}),
        seed=114, optimizer="SGD", options={"lr": 0.01, "momentum": 0.9},
    ),
    _schedule_case(
        "rmsprop_momentum_onecyclelr_forloop_f64",
        "RMSprop with momentum, for-loop, float64, under OneCycleLR (linear): lr and momentum cycle",
        Scheduler("OneCycleLR", {"max_lr": 0.01, "total_steps": 30, "anneal_strategy": "linear"}),
        seed=115, optimizer="RMSprop", dtype="float64", implementation="forloop", options={"lr": 0.001, "momentum": 0.9},
    ),
    _schedule_case(
        "adam_onecyclelr_no_momentum_fused_f32", "Adam, fused, under OneCycleLR without cycle_momentum (lr only)",
        Scheduler("OneCycleLR", {"max_lr": 0.03, "total_steps": 25, "pct_start": 0.4, "cycle_momentum": False}),
        seed=111, optimizer="Adam", steps=25,
    ),
    _schedule_case(
        "adamw_sequentiallr_linear_cosine_fused_f32",
        "AdamW, fused, under SequentialLR: LinearLR warm-up (5 steps), then CosineAnnealingLR",
        Scheduler("SequentialLR", {
            "schedulers": (
                Scheduler("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                Scheduler("CosineAnnealingLR", {"T_max": 25, "eta_min": 1e-5}),
            ),
            "milestones": [5],
        }),
        seed=112,
    ),
    _schedule_case(
        "adamw_sequentiallr_linear_exponential_forloop_f64",
        "AdamW, for-loop, float64, under SequentialLR: LinearLR warm-up (8 steps), then ExponentialLR",
        Scheduler("SequentialLR", {
            "schedulers": (
                Scheduler("LinearLR", {"start_factor": 0.2, "total_iters": 8}),
                Scheduler("ExponentialLR", {"gamma": 0.9}),
            ),
            "milestones": [8],
        }),
        seed=113, dtype="float64", implementation="forloop",
    ),
    _schedule_case(
        "adamw_linear_warmup_decay_fused_f32",
        "AdamW, fused, BERT groups under transformers' get_linear_schedule_with_warmup (6 warm-up of 30)",
        Scheduler("get_linear_schedule_with_warmup", {"num_warmup_steps": 6, "num_training_steps": 30}),
        seed=114, groups=two_groups({"weight_decay": 0.0}),
    ),
    _schedule_case(
        "sgd_momentum_reducelronplateau_min_rel_fused_f32",
        "SGD with momentum, fused, under ReduceLROnPlateau (min, rel threshold 1e-2, patience 2, cooldown 2) "
        "on a falling then plateauing loss: four reductions, the last clamped at min_lr, then none (eps)",
        Scheduler("ReduceLROnPlateau", {
            "mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 2, "min_lr": 1e-3,
        }),
        seed=201, optimizer="SGD", options={"lr": 0.01, "momentum": 0.9}, steps=34, metric="loss",
    ),
    _schedule_case(
        "adamw_reducelronplateau_max_abs_param_groups_fused_f32",
        "AdamW, fused, two groups under ReduceLROnPlateau (max, abs threshold 1e-2, patience 3, cooldown 1, "
        "per-group min_lr) on a rising then plateauing accuracy: each group reaches its own min_lr",
        Scheduler("ReduceLROnPlateau", {
            "mode": "max", "factor": 0.3, "patience": 3, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 1,
            "min_lr": [1e-3, 2e-4],
        }),
        seed=202, groups=two_groups({"lr": 0.005}), metric="accuracy",
    ),
    _schedule_case(
        "sgd_momentum_cycliclr_triangular2_fused_f32",
        "SGD with momentum, fused, under CyclicLR (triangular2, 4 up, 6 down: three cycles of halving height); "
        "momentum cycles between 0.8 and 0.95 (/steps/momentum)",
        Scheduler("CyclicLR", {
            "base_lr": 0.001, "max_lr": 0.05, "step_size_up": 4, "step_size_down": 6, "mode": "triangular2",
            "base_momentum": 0.8, "max_momentum": 0.95,
        }),
        seed=203, optimizer="SGD", options={"lr": 0.01, "momentum": 0.9},
    ),
    _schedule_case(
        "adamw_cycliclr_exp_range_fused_f32",
        "AdamW, fused, under CyclicLR (exp_range, gamma 0.97, 5 up and down); betas[0] cycles (/steps/betas)",
        Scheduler("CyclicLR", {"base_lr": 0.001, "max_lr": 0.02, "step_size_up": 5, "mode": "exp_range", "gamma": 0.97}),
        seed=204,
    ),
    _schedule_case(
        "adagrad_cycliclr_triangular_no_momentum_fused_f32",
        "Adagrad, fused, under CyclicLR (triangular, 7 up and down) without cycle_momentum (Adagrad has none)",
        Scheduler("CyclicLR", {"base_lr": 0.005, "max_lr": 0.05, "step_size_up": 7, "cycle_momentum": False}),
        seed=205, optimizer="Adagrad",
    ),
    _schedule_case(
        "adam_chainedscheduler_constant_exponential_fused_f32",
        "Adam, fused, under ChainedScheduler(ConstantLR(factor 0.1, 20 steps), ExponentialLR(0.9)), torch's docs example",
        Scheduler("ChainedScheduler", {
            "schedulers": (
                Scheduler("ConstantLR", {"factor": 0.1, "total_iters": 20}),
                Scheduler("ExponentialLR", {"gamma": 0.9}),
            ),
        }),
        seed=206, optimizer="Adam", options={"lr": 0.05},
    ),
    # A for-loop twin of the same run (seed 120) replays within default tolerance (≤ 4096 ULP
    # free-running on values near 0, ≤ 16 ULP a step); not kept, to keep fixtures/ small.
    _bert_finetune("fused", seed=120),
)
