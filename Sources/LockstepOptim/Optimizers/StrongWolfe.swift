/// LBFGS's line search: torch's `_strong_wolfe` and `_cubic_interpolate`
/// (`torch/optim/lbfgs.py`), which torch ported from Torch7's `optim` package
/// (`lswolfe.lua` and `polyinterp.lua`), themselves after Mark Schmidt's minFunc.
///
/// Finds a step `t` along `d` satisfying the strong Wolfe conditions
///
/// ```
/// f(x + t·d) ≤ f(x) + c₁·t·gᵀd                 (sufficient decrease)
/// |∇f(x + t·d)ᵀd| ≤ −c₂·gᵀd                     (curvature)
/// ```
///
/// first by bracketing (extrapolating with cubic interpolation between `t + 0.01(t − t_prev)`
/// and `10t`), then by zooming into the bracket with cubic interpolation, moving a trial
/// point that lands too close to an end to 10% of the bracket away from it.
///
/// Numerics: operation by operation as in Python, with torch's mixture of Python floats
/// (losses, `t` from `lr`) and 0-dim tensors (`gtd`, interpolated steps), each operation in
/// the precision torch's type promotion gives it (`PythonNumber`).
///
/// References: Nocedal & Wright, *Numerical Optimization*, 2nd ed., 2006, algorithms 3.5
/// and 3.6; M. Schmidt, minFunc, 2005 (https://www.cs.ubc.ca/~schmidtm/Software/minFunc.html).
enum StrongWolfe {
    /// The result of a search: the loss and flat gradient at the chosen step, the step, and
    /// how many times the objective was evaluated.
    struct Result<Scalar: TensorScalar> {
        var loss: Double
        var flatGrad: [Scalar]
        var t: PythonNumber<Scalar>
        var evaluations: Int
    }

    /// `_cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds)`: the minimiser of the cubic
    /// through two points with values `f` and slopes `g`, clamped to `bounds` (default: the
    /// interval between the points); their midpoint when the cubic has no minimum.
    static func cubicInterpolate<Scalar>(
        _ x1: PythonNumber<Scalar>, _ f1: Double, _ g1: PythonNumber<Scalar>,
        _ x2: PythonNumber<Scalar>, _ f2: Double, _ g2: PythonNumber<Scalar>,
        bounds: (PythonNumber<Scalar>, PythonNumber<Scalar>)? = nil, sqrt: TorchSqrt
    ) -> PythonNumber<Scalar> {
        let (xminBound, xmaxBound) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1))
        // d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        let d1 = g1 + g2 - PythonNumber.float(3 * (f1 - f2)) / (x1 - x2)
        let d2Square = d1 * d1 - g1 * g2                    // d1**2 is d1 * d1 in torch
        guard d2Square >= 0 else { return (xminBound + xmaxBound) / 2.0 }
        let d2 = d2Square.squareRoot(sqrt)                  // a 0-dim tensor's sqrt: torch's tensor sqrt
        let minPos = x1 <= x2
            ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return pythonMin(pythonMax(minPos, xminBound), xmaxBound)
    }

    /// `_strong_wolfe(obj_func, x, t, d, f, g, gtd, c1, c2, tolerance_change, max_ls)`.
    ///
    /// - Parameters:
    ///   - evaluate: `obj_func`: the loss and flat gradient at `x + t·d` (parameters restored after).
    ///   - f, g, gtd: the loss, flat gradient and directional derivative at `t = 0`.
    static func search<Scalar: TensorScalar>(
        evaluate: (PythonNumber<Scalar>) throws -> (loss: Double, flatGrad: [Scalar]),
        t initialT: PythonNumber<Scalar>, d: [Scalar], f: Double, g: [Scalar], gtd: PythonNumber<Scalar>,
        c1: Double = 1e-4, c2: Double = 0.9, toleranceChange: Double = 1e-9, maxLS: Int = 25, sqrt: TorchSqrt
    ) throws -> Result<Scalar> {
        typealias Number = PythonNumber<Scalar>
        let dNorm = Number.tensor(d.reduce(Scalar(0)) { TorchOps.maximum($0, Swift.abs($1)) })  // d.abs().max()
        var t = initialT
        var (fNew, gNew) = try evaluate(t)
        var evaluations = 1
        var gtdNew = Number.tensor(TorchReductions.dot(gNew, d))
        let sufficientDecrease = { (t: Number) in Number.float(f) + Number.float(c1) * t * gtd }

        // Bracket an interval containing a point satisfying the Wolfe criteria.
        var (tPrev, fPrev, gPrev, gtdPrev): (Number, Double, [Scalar], Number) = (0, f, g, gtd)
        var done = false
        var lsIter = 0
        var bracket: [Number] = []
        var bracketF: [Double] = []
        var bracketG: [[Scalar]] = []
        var bracketGtd: [Number] = []
        while lsIter < maxLS {
            if Number.float(fNew) > sufficientDecrease(t) || (lsIter > 1 && fNew >= fPrev) {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
                break
            }
            if gtdNew.magnitude <= Number.float(-c2) * gtd {
                (bracket, bracketF, bracketG) = ([t], [fNew], [gNew])
                done = true
                break
            }
            if gtdNew >= 0 {
                (bracket, bracketF, bracketG, bracketGtd) = ([tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew])
                break
            }
            // Interpolate.
            let minStep = t + 0.01 * (t - tPrev)
            let maxStep = t * 10
            let previous = t
            t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, bounds: (minStep, maxStep), sqrt: sqrt)
            // Next step.
            (tPrev, fPrev, gPrev, gtdPrev) = (previous, fNew, gNew, gtdNew)
            (fNew, gNew) = try evaluate(t)
            evaluations += 1
            gtdNew = .tensor(TorchReductions.dot(gNew, d))
            lsIter += 1
        }
        // Reached the maximum number of iterations?
        if lsIter == maxLS {
            (bracket, bracketF, bracketG) = ([0, t], [f, fNew], [g, gNew])
        }
        guard !bracket.isEmpty else {
            throw OptimizerError(.runtimeError, "UnboundLocalError: the line search ran with max_ls = \(maxLS) < 0")
        }

        // Zoom phase: refine the bracket until a point satisfies the criteria.
        var insufficientProgress = false
        var (low, high) = bracketF[0] <= bracketF[bracketF.count - 1] ? (0, 1) : (1, 0)
        while !done, lsIter < maxLS {
            // The bracket is too small.
            if (bracket[1] - bracket[0]).magnitude * dNorm < Number.float(toleranceChange) { break }

            t = cubicInterpolate(
                bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], sqrt: sqrt)

            // Too close to an end of the bracket: after insufficient progress, or at or past
            // an end, move 10% of the bracket away from the nearest end.
            let upper = pythonMax(bracket[0], bracket[1])
            let lower = pythonMin(bracket[0], bracket[1])
            let eps = 0.1 * (upper - lower)
            if pythonMin(upper - t, t - lower) < eps {
                if insufficientProgress || t >= upper || t <= lower {
                    t = (t - upper).magnitude < (t - lower).magnitude ? upper - eps : lower + eps
                    insufficientProgress = false
                } else {
                    insufficientProgress = true
                }
            } else {
                insufficientProgress = false
            }

            // Evaluate the new point.
            (fNew, gNew) = try evaluate(t)
            evaluations += 1
            gtdNew = .tensor(TorchReductions.dot(gNew, d))
            lsIter += 1

            if Number.float(fNew) > sufficientDecrease(t) || fNew >= bracketF[low] {
                // Armijo condition not satisfied, or not lower than the lowest point.
                (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) = (t, fNew, gNew, gtdNew)
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0)
            } else {
                if gtdNew.magnitude <= Number.float(-c2) * gtd {
                    done = true  // Wolfe conditions satisfied
                } else if gtdNew * (bracket[high] - bracket[low]) >= 0 {
                    // The old high becomes the new low.
                    (bracket[high], bracketF[high], bracketG[high], bracketGtd[high]) =
                        (bracket[low], bracketF[low], bracketG[low], bracketGtd[low])
                }
                // The new point becomes the new low.
                (bracket[low], bracketF[low], bracketG[low], bracketGtd[low]) = (t, fNew, gNew, gtdNew)
            }
        }
        // A NaN loss in a one-point bracket makes torch pick position 1 (`NaN <= NaN` is false)
        // and fail with IndexError; so does this port, rather than trap.
        guard low < bracket.count else { throw OptimizerError(.indexError, "list index out of range") }
        return Result(loss: bracketF[low], flatGrad: bracketG[low], t: bracket[low], evaluations: evaluations)
    }
}
