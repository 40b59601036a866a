/// The parameters of a closure-driven optimizer seen as one flat vector: torch LBFGS's
/// helpers `_gather_flat_grad`, `_add_grad` and `_directional_evaluate`
/// (`torch/optim/lbfgs.py`), which the conjugate-gradient reference borrows unchanged.
struct FlatParameters<Scalar: TensorScalar> {
    let params: [Parameter<Scalar>]
    let maximize: Bool
    /// Whether `add_(alpha:)` fuses (the CPU capability has FMA).
    let fma: Bool

    /// `_gather_flat_grad`: every gradient flattened and concatenated (zeros for a missing
    /// one), negated when maximizing.
    func gatherFlatGrad() -> [Scalar] {
        let flat = params.flatMap { $0.grad ?? [Scalar](repeating: 0, count: $0.count) }
        return maximize ? flat.map { -$0 } : flat
    }

    /// `_add_grad`: `p.add_(update[offset ..< offset + numel], alpha: stepSize)` per parameter.
    func addGrad(_ stepSize: PythonNumber<Scalar>, _ update: [Scalar]) {
        let alpha = stepSize.scalar
        var offset = 0
        for parameter in params {
            for k in 0..<parameter.count {
                parameter.value[k] = TorchOps.fusedMultiplyAdd(update[offset + k], alpha, parameter.value[k], fma)
            }
            offset += parameter.count
        }
    }

    /// `_directional_evaluate`: the loss and flat gradient at `x + t·d`; the parameters are `x` again after.
    func directionalEvaluate(
        _ closure: () throws -> Double, x: [[Scalar]], t: PythonNumber<Scalar>, d: [Scalar]
    ) throws -> (loss: Double, flatGrad: [Scalar]) {
        addGrad(t, d)
        let loss = try closure()
        let flatGrad = gatherFlatGrad()
        for (parameter, value) in zip(params, x) { parameter.value = value }
        return (maximize ? -loss : loss, flatGrad)
    }
}

/// `tensor.abs().max()`: NaN if any element is NaN.
func absMax<Scalar: TensorScalar>(_ values: [Scalar]) -> Scalar {
    values.reduce(Scalar(0)) { TorchOps.maximum($0, Swift.abs($1)) }
}
