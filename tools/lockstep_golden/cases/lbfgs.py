"""Golden cases of LBFGS, in closure mode: `step(closure)` on a recorded objective.

LBFGS has one implementation (no foreach or fused flag), so names leave it out:
`lbfgs_<line search>_<objective>_<dtype>`. `max_iter` is kept small so that a case has
many steps, each of several inner iterations; a small `history_size` makes the history wrap.
"""

from __future__ import annotations

from ..spec import Case, ObjectiveSpec, Param

QUADRATIC = ObjectiveSpec("quadratic", size=10)
ROSENBROCK = ObjectiveSpec("rosenbrock", size=6)
LOGISTIC = ObjectiveSpec("logistic_regression", size=5, samples=40, options={"l2": 1e-2})

SHORT = {"max_iter": 4}
WOLFE = {**SHORT, "line_search_fn": "strong_wolfe"}
# Logistic regression converges within about ten iterations; past that, y = g − g_prev is
# rounding noise, and so is everything LBFGS derives from it. `exp` and `log1p` differ from
# the C library's in the last bit now and then (see the docstring of objectives.py), so
# these cases stop while the iterates still move: five steps of two iterations.
LOGISTIC_SHORT = {"max_iter": 2}
LOGISTIC_WOLFE = {**LOGISTIC_SHORT, "line_search_fn": "strong_wolfe"}


def _case(name: str, description: str, dtype: str, seed: int, objective: ObjectiveSpec,
          options: dict[str, object], steps: int = 8, params: tuple[Param, ...] | None = None) -> Case:
    return Case(
        name=name, description=description, optimizer="LBFGS", dtype=dtype,  # type: ignore[arg-type]
        implementation="forloop", steps=steps, seed=seed,
        params=params or (Param("x", (objective.size,)),), options=options, mode="closure", objective=objective,
    )


CASES: tuple[Case, ...] = (
    _case("lbfgs_quadratic_f32", "LBFGS without line search (lr 1), max_iter 4, on a 10-d SPD quadratic (converged by step 3; later steps return at once), float32",
          "float32", 101, QUADRATIC, SHORT),
    _case("lbfgs_quadratic_f64", "LBFGS without line search (lr 1), max_iter 4, on a 10-d SPD quadratic (converged by step 3; later steps return at once), float64",
          "float64", 102, QUADRATIC, SHORT),
    _case("lbfgs_strong_wolfe_quadratic_f32", "LBFGS with strong Wolfe line search, max_iter 4, 10-d quadratic, float32",
          "float32", 103, QUADRATIC, WOLFE),
    _case("lbfgs_strong_wolfe_quadratic_f64", "LBFGS with strong Wolfe line search, max_iter 4, 10-d quadratic, float64",
          "float64", 104, QUADRATIC, WOLFE),
    _case("lbfgs_rosenbrock_f64", "LBFGS without line search, lr 0.5, on the 6-d Rosenbrock function from (-1.2, 1, ...), float64",
          "float64", 105, ROSENBROCK, {**SHORT, "lr": 0.5}),
    _case("lbfgs_rosenbrock_f32", "LBFGS without line search, lr 0.5, on the 6-d Rosenbrock function from (-1.2, 1, ...), float32",
          "float32", 114, ROSENBROCK, {**SHORT, "lr": 0.5}),
    _case("lbfgs_strong_wolfe_rosenbrock_f32", "LBFGS, strong Wolfe, 6-d Rosenbrock from the standard start, float32",
          "float32", 106, ROSENBROCK, WOLFE, steps=10),
    _case("lbfgs_strong_wolfe_rosenbrock_f64", "LBFGS, strong Wolfe, 6-d Rosenbrock from the standard start, float64",
          "float64", 107, ROSENBROCK, WOLFE, steps=10),
    _case("lbfgs_history3_strong_wolfe_rosenbrock_f64",
          "LBFGS, strong Wolfe, history_size 3 (the history wraps), 6-d Rosenbrock, float64",
          "float64", 108, ROSENBROCK, {**WOLFE, "history_size": 3}, steps=10),
    _case("lbfgs_history3_logistic_f32", "LBFGS without line search, history_size 3, max_iter 2, logistic regression (m 40, n 5), float32",
          "float32", 109, LOGISTIC, {**LOGISTIC_SHORT, "history_size": 3}, steps=5),
    _case("lbfgs_logistic_f64", "LBFGS without line search, max_iter 2, logistic regression (m 40, n 5, l2 0.01), float64",
          "float64", 110, LOGISTIC, LOGISTIC_SHORT, steps=5),
    _case("lbfgs_strong_wolfe_logistic_f32", "LBFGS, strong Wolfe, max_iter 2, logistic regression (m 40, n 5), float32",
          "float32", 111, LOGISTIC, LOGISTIC_WOLFE, steps=5),
    _case("lbfgs_strong_wolfe_logistic_f64", "LBFGS, strong Wolfe, max_iter 2, logistic regression (m 40, n 5), float64",
          "float64", 112, LOGISTIC, LOGISTIC_WOLFE, steps=5),
    _case("lbfgs_two_params_quadratic_f32",
          "LBFGS without line search over two parameters (w[2, 3], b[4]) that form one 10-d quadratic variable, float32",
          "float32", 113, QUADRATIC, SHORT, params=(Param("w", (2, 3)), Param("b", (4,)))),
)
