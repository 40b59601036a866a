"""Golden cases of ConjugateGradient (the project's reference, `conjugate_gradient.py`), in
closure mode: `step(closure)` on a recorded objective.

The matrix {quadratic, rosenbrock, logistic regression} × {fixed step, strong Wolfe} ×
{float32, float64}, with the five beta rules spread over it (each at least once, each of
FR, PR, PR+ with the line search). Names: `conjugate_gradient_<beta>_<line search>_<objective>_<dtype>`
(one implementation, so no forloop/foreach). Objectives as in `lbfgs.py`; `max_iter` small
so that a step holds a few iterations and the next step continues the conjugate directions.
"""

from __future__ import annotations

from ..spec import Case, ObjectiveSpec, Param
from .lbfgs import LOGISTIC, QUADRATIC, ROSENBROCK

SHORT = {"max_iter": 4}
WOLFE = {**SHORT, "line_search_fn": "strong_wolfe"}
# As for LBFGS: logistic regression is stopped while the iterates still move.
LOGISTIC_SHORT = {"max_iter": 2}
LOGISTIC_WOLFE = {**LOGISTIC_SHORT, "line_search_fn": "strong_wolfe"}


def _case(name: str, description: str, dtype: str, seed: int, objective: ObjectiveSpec,
          options: dict[str, object], steps: int = 8, params: tuple[Param, ...] | None = None) -> Case:
    return Case(
        name=f"conjugate_gradient_{name}", description=description, optimizer="ConjugateGradient",
        dtype=dtype, implementation="forloop", steps=steps, seed=seed,  # type: ignore[arg-type]
        params=params or (Param("x", (objective.size,)),), options=options, mode="closure", objective=objective,
    )


CASES: tuple[Case, ...] = (
    _case("fletcher_reeves_quadratic_f32", "CG, Fletcher–Reeves, fixed step lr 0.3, max_iter 4, 10-d SPD quadratic, float32",
          "float32", 201, QUADRATIC, {**SHORT, "lr": 0.3, "beta": "fletcher_reeves"}),
    _case("polak_ribiere_quadratic_f64", "CG, Polak–Ribière, fixed step lr 0.3, max_iter 4, 10-d SPD quadratic, float64",
          "float64", 202, QUADRATIC, {**SHORT, "lr": 0.3, "beta": "polak_ribiere"}),
    _case("hestenes_stiefel_strong_wolfe_quadratic_f32",
          "CG, Hestenes–Stiefel, strong Wolfe (c2 0.1), max_iter 4, 10-d SPD quadratic (converged by step 4, then line searches in rounding noise), float32",
          "float32", 203, QUADRATIC, {**WOLFE, "beta": "hestenes_stiefel"}),
    _case("dai_yuan_strong_wolfe_quadratic_f64",
          "CG, Dai–Yuan, strong Wolfe, max_iter 4, 10-d SPD quadratic (converged by step 5; later steps stop at gᵀd > −tolerance_change), float64",
          "float64", 204, QUADRATIC, {**WOLFE, "beta": "dai_yuan"}),
    _case("polak_ribiere_plus_rosenbrock_f32", "CG, Polak–Ribière+, fixed step lr 1e-3, max_iter 4, 6-d Rosenbrock from (-1.2, 1, ...), float32",
          "float32", 205, ROSENBROCK, {**SHORT, "lr": 1e-3, "beta": "polak_ribiere_plus"}),
    _case("hestenes_stiefel_rosenbrock_f64", "CG, Hestenes–Stiefel, fixed step lr 1e-3, max_iter 4, 6-d Rosenbrock, float64",
          "float64", 206, ROSENBROCK, {**SHORT, "lr": 1e-3, "beta": "hestenes_stiefel"}),
    _case("fletcher_reeves_strong_wolfe_rosenbrock_f32", "CG, Fletcher–Reeves, strong Wolfe with c2 0.9, max_iter 4, 6-d Rosenbrock, float32 (with c2 0.1 a cubic "
          "interpolation at step 3 takes the root of an input where MKL's float32 sqrt is 1 ULP off the correctly rounded "
          "one, which Swift's sqrt returns; see docs/numerics/conjugate-gradient.md)",
          "float32", 207, ROSENBROCK, {**WOLFE, "beta": "fletcher_reeves", "c2": 0.9}, steps=10),
    _case("polak_ribiere_plus_restart3_strong_wolfe_rosenbrock_f64",
          "CG, Polak–Ribière+, restart every 3 iterations, strong Wolfe, max_iter 4, 6-d Rosenbrock, float64",
          "float64", 208, ROSENBROCK, {**WOLFE, "beta": "polak_ribiere_plus", "restart": 3}, steps=10),
    _case("dai_yuan_logistic_f32", "CG, Dai–Yuan, fixed step lr 1, max_iter 2, logistic regression (m 40, n 5), float32",
          "float32", 209, LOGISTIC, {**LOGISTIC_SHORT, "beta": "dai_yuan"}, steps=5),
    _case("fletcher_reeves_logistic_f64", "CG, Fletcher–Reeves, fixed step lr 1, max_iter 2, logistic regression (m 40, n 5), float64",
          "float64", 210, LOGISTIC, {**LOGISTIC_SHORT, "beta": "fletcher_reeves"}, steps=5),
    _case("polak_ribiere_strong_wolfe_logistic_f32", "CG, Polak–Ribière, strong Wolfe, max_iter 2, logistic regression (m 40, n 5), float32",
          "float32", 211, LOGISTIC, {**LOGISTIC_WOLFE, "beta": "polak_ribiere"}, steps=5),
    _case("polak_ribiere_plus_strong_wolfe_logistic_f64",
          "CG, Polak–Ribière+, strong Wolfe, max_iter 2, logistic regression (m 40, n 5), float64",
          "float64", 212, LOGISTIC, {**LOGISTIC_WOLFE, "beta": "polak_ribiere_plus"}, steps=5),
    _case("polak_ribiere_overflow_restart_rosenbrock_f64",
          "CG, Polak–Ribière, fixed step lr 1, max_iter 1, max_eval 1, 2-d Rosenbrock from (0, 0.5692274193824511): the "
          "iterates blow up to 1e250 and at step 6 gᵀd overflows to NaN; the reference restarts with d = −g there "
          "(found by the descent-direction property), float64",
          "float64", 214, ObjectiveSpec("rosenbrock", size=2, initial=(0.0, 0.5692274193824511)),
          {"max_iter": 1, "max_eval": 1, "beta": "polak_ribiere"}, steps=7),
    _case("dai_yuan_strong_wolfe_two_params_quadratic_f64",
          "CG, Dai–Yuan, strong Wolfe, over two parameters (w[2, 3], b[4]) that form one 10-d quadratic variable, float64",
          "float64", 213, QUADRATIC, {**WOLFE, "beta": "dai_yuan"}, params=(Param("w", (2, 3)), Param("b", (4,)))),
)
