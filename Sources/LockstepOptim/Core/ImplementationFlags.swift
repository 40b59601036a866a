/// torch's checks of the implementation flags, shared by the optimizers that have a fused
/// CPU kernel but no capturable path (SGD, Adagrad).
func validateImplementationFlags(fused: Bool?, foreach: Bool?, differentiable: Bool) throws {
    if fused == true {
        if differentiable { throw OptimizerError(.runtimeError, "`fused` does not support `differentiable`") }
        if foreach == true { throw OptimizerError(.runtimeError, "`fused` and `foreach` cannot be `True` together.") }
    }
    if differentiable {
        throw OptimizerError(.runtimeError, "Lockstep reproduces torch's CPU paths only: differentiable=True is not supported")
    }
}
