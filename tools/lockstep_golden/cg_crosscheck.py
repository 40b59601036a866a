"""Cross-checks the ConjugateGradient reference against `scipy.optimize.minimize(method="CG")`.

SciPy's CG is Polak–Ribière+ with a strong-Wolfe line search (MINPACK-2's `dcsrch`,
c1 = 1e-4, c2 = 0.4, falling back to `line_search_wolfe2`) and a sufficient-descent test,
stopping when ‖g‖∞ ≤ gtol (1e-5). The reference runs with the same rule, Wolfe constants
and gradient tolerance in float64, one `step(closure)` with enough iterations to converge;
its other beta rules run alongside. Both must reach the same minimiser; iterations and
function evaluations are reported side by side (a Markdown table, for docs/numerics/conjugate-gradient.md).

    tools/cg-crosscheck            print the table; exit 1 if a minimiser differs
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import scipy
import torch
from scipy.optimize import minimize

from . import objectives
from .conjugate_gradient import BETA_RULES, ConjugateGradient
from .spec import ObjectiveSpec

GTOL = 1e-5
# Minimisers agree when within this distance (∞-norm) of each other and of the true minimiser.
AGREEMENT = 1e-4
SHORT = {"fletcher_reeves": "FR", "polak_ribiere": "PR", "polak_ribiere_plus": "PR+", "hestenes_stiefel": "HS", "dai_yuan": "DY"}


@dataclass
class Problem:
    name: str
    spec: ObjectiveSpec
    seed: int


PROBLEMS = (
    Problem("Rosenbrock, n = 2", ObjectiveSpec("rosenbrock", size=2), 0),
    Problem("Rosenbrock, n = 6", ObjectiveSpec("rosenbrock", size=6), 0),
    Problem("SPD quadratic, n = 5", ObjectiveSpec("quadratic", size=5), 1),
    Problem("SPD quadratic, n = 20", ObjectiveSpec("quadratic", size=20), 2),
    Problem("SPD quadratic, n = 50", ObjectiveSpec("quadratic", size=50), 3),
)


@dataclass
class Run:
    method: str
    iterations: int
    evaluations: int
    x: np.ndarray
    f: float
    gnorm: float


def _minimiser(objective: objectives.TorchObjective) -> np.ndarray:
    if objective.kind == "quadratic":
        return np.linalg.solve(objective.data["A"].numpy(), objective.data["b"].numpy())
    return np.full(objective.initial.shape[0], objective.attrs["a"])


def _scipy(objective: objectives.TorchObjective) -> Run:
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        f, g = objective.evaluate(torch.from_numpy(x))
        return float(f), g.numpy().copy()

    result = minimize(fun, objective.initial.numpy().copy(), jac=True, method="CG", options={"gtol": GTOL, "maxiter": 10_000})
    return Run("SciPy CG (PR+)", int(result.nit), int(result.nfev), result.x, float(result.fun), float(np.abs(result.jac).max()))


def _reference(objective: objectives.TorchObjective, rule: str) -> Run:
    x = torch.nn.Parameter(objective.initial.clone())
    optimizer = ConjugateGradient(
        [x], max_iter=10_000, max_eval=100_000, tolerance_grad=GTOL, tolerance_change=1e-15, beta=rule,
        line_search_fn="strong_wolfe", c2=0.4)

    def closure() -> torch.Tensor:
        f, g = objective.evaluate(x.detach())
        x.grad = g
        return f

    optimizer.step(closure)
    state = optimizer.state[x]
    f, g = objective.evaluate(x.detach())
    return Run(f"ConjugateGradient ({SHORT[rule]})", state["n_iter"], state["func_evals"], x.detach().numpy().copy(),
               float(f), float(g.abs().max()))


def main() -> int:
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, scipy {scipy.__version__}; float64, gtol = ‖g‖∞ ≤ {GTOL:g}, c1 = 1e-4, c2 = 0.4\n")
    print("| problem | method | iterations | f evaluations | f(x) | ‖g‖∞ | ‖x − x_SciPy‖∞ | ‖x − x*‖∞ |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    failed = False
    for problem in PROBLEMS:
        objective = objectives.build(problem.spec, problem.seed, torch.float64)
        optimum = _minimiser(objective)
        reference = _scipy(objective)
        runs = [reference] + [_reference(objective, rule) for rule in BETA_RULES]
        for run in runs:
            to_scipy = float(np.abs(run.x - reference.x).max())
            to_optimum = float(np.abs(run.x - optimum).max())
            # PR+ (SciPy's rule) must agree with SciPy; every rule must find the minimiser.
            if to_optimum > AGREEMENT or (run.method.endswith("(PR+)") and to_scipy > AGREEMENT):
                failed = True
            print(f"| {problem.name} | {run.method} | {run.iterations} | {run.evaluations} | {run.f:.6g} | {run.gnorm:.1e} "
                  f"| {to_scipy:.1e} | {to_optimum:.1e} |")
    if failed:
        print(f"\ncg-crosscheck: a minimiser differs by more than {AGREEMENT:g}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
