import LockstepFormat
import LockstepOptim

/// A closure-mode objective (`/objective`), evaluated in the fixture's dtype in the operation
/// order of the recorder (`tools/lockstep_golden/objectives.py`).
///
/// The variable `x` is every parameter flattened and concatenated in optimizer order. Each
/// operation rounds to the dtype on its own (torch runs `mul` and `add` as separate kernels,
/// so there is no fused multiply-add), and every sum is left to right:
///
/// - quadratic: `Ax = ((A[:,0]·x₀ + A[:,1]·x₁) + …)`, `∇f = Ax − b`,
///   `f = 0.5·Σ(x ⊙ Ax) − Σ(b ⊙ x)`;
/// - rosenbrock: `r = x[1:] − x[:-1]²`, `u = a − x[:-1]`, `f = Σ((r⊙r)·b + u⊙u)`,
///   `∇f[:-1] = (x[:-1]⊙r)·(−4b) − u·2`, then `∇f[1:] += r·(2b)`;
/// - logistic regression: `z = ((X[:,0]·w₀ + X[:,1]·w₁) + …)`, `e = exp(−(y⊙z))`,
///   `f = Σ log1p(e) / m + Σ(w⊙w)·(0.5·l2)`, `c = (−y)⊙(e / (e + 1))`,
///   `∇f = ((X[0]·c₀ + X[1]·c₁) + …) / m + w·l2`.
///
/// Python-float constants (`a`, `b`, `−4b`, `l2`, `0.5·l2`, `m`) meet tensors rounded to the
/// dtype. `exp` and `log1p` are the C library's here and torch's vectorised math library in
/// the recording: the only operations that may differ in the last bit.
struct Objective<T: TensorScalar> {
    let definition: FixtureObjective

    /// The number of variables the objective takes, or `nil` when any count fits (rosenbrock).
    var size: Int? {
        switch definition {
        case .quadratic(_, _, let n): n
        case .rosenbrock: nil
        case .logisticRegression(_, _, _, _, let n): n
        }
    }

    /// `(f(x), ∇f(x))`.
    func evaluate(_ x: [T]) -> (loss: T, grad: [T]) {
        switch definition {
        case .quadratic(let a, let b, let n): quadratic(x, a: a.map { T($0) }, b: b.map { T($0) }, n: n)
        case .rosenbrock(let a, let b): rosenbrock(x, a: a, b: b)
        case .logisticRegression(let data, let labels, let l2, let m, let n):
            logistic(x, data: data.map { T($0) }, labels: labels.map { T($0) }, l2: l2, m: m, n: n)
        }
    }

    /// `((v₀ + v₁) + v₂) + …`; 0 for no values, as torch's sum of an empty tensor (a
    /// Rosenbrock function of one variable has no terms).
    private func sumLeft(_ values: [T]) -> T {
        guard let first = values.first else { return 0 }
        return values.dropFirst().reduce(first) { $0 + $1 }
    }

    private func quadratic(_ x: [T], a: [T], b: [T], n: Int) -> (T, [T]) {
        var ax = (0..<n).map { a[$0 * n] * x[0] }
        for j in 1..<max(n, 1) {
            for i in 0..<n { ax[i] = ax[i] + a[i * n + j] * x[j] }
        }
        let grad = zip(ax, b).map { $0 - $1 }
        let loss = T(0.5) * sumLeft(zip(x, ax).map { $0 * $1 }) - sumLeft(zip(b, x).map { $0 * $1 })
        return (loss, grad)
    }

    private func rosenbrock(_ x: [T], a: Double, b: Double) -> (T, [T]) {
        let lo = x.dropLast(), hi = x.dropFirst()
        let r = zip(hi, lo).map { $0 - $1 * $1 }
        let u = lo.map { T(a) - $0 }
        let loss = sumLeft(zip(r, u).map { ($0 * $0) * T(b) + $1 * $1 })
        var grad = [T](repeating: 0, count: x.count)
        for i in r.indices { grad[i] = (lo[i] * r[i]) * T(-4.0 * b) - u[i] * T(2.0) }
        for i in r.indices { grad[i + 1] = grad[i + 1] + r[i] * T(2.0 * b) }
        return (loss, grad)
    }

    private func logistic(_ w: [T], data x: [T], labels y: [T], l2: Double, m: Int, n: Int) -> (T, [T]) {
        var z = (0..<m).map { x[$0 * n] * w[0] }
        for j in 1..<max(n, 1) {
            for i in 0..<m { z[i] = z[i] + x[i * n + j] * w[j] }
        }
        let e = zip(y, z).map { T.exp(-($0 * $1)) }
        let losses = e.map { T.log(onePlus: $0) }
        let c = zip(y, e).map { (-$0) * ($1 / ($1 + 1)) }
        var gsum = (0..<n).map { x[$0] * c[0] }
        for i in 1..<max(m, 1) {
            for j in 0..<n { gsum[j] = gsum[j] + x[i * n + j] * c[i] }
        }
        let grad = zip(gsum, w).map { $0 / T(m) + $1 * T(l2) }
        let loss = sumLeft(losses) / T(m) + sumLeft(w.map { $0 * $0 }) * T(0.5 * l2)
        return (loss, grad)
    }
}
