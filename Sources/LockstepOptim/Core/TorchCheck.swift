/// The argument checks torch's constructors share, with torch's words.
public enum TorchCheck {
    /// `if not 0.0 <= value: raise ValueError(f"Invalid {what}: {value}")` (NaN fails too).
    public static func nonNegative(_ value: Double, _ what: String) throws {
        guard 0.0 <= value else { throw OptimizerError(.valueError, "Invalid \(what): \(pythonRepr(value))") }
    }

    /// The check of torch's newer constructors (`_adafactor.py`, `_muon.py`), in their
    /// words: `if not 0.0 <= value: raise ValueError(f"{what} should be >= 0 but is: {value}")`
    /// (NaN fails too).
    public static func shouldBeNonNegative(_ value: Double, _ what: String) throws {
        guard 0.0 <= value else { throw OptimizerError(.valueError, "\(what) should be >= 0 but is: \(pythonRepr(value))") }
    }

    /// `0.0 <= betas[i] < 1.0` for both, naming the first index that fails.
    public static func betas(_ betas: Betas) throws {
        for (index, beta) in [betas.beta1, betas.beta2].enumerated() where !(0.0 <= beta && beta < 1.0) {
            throw OptimizerError(.valueError, "Invalid beta parameter at index \(index): \(pythonRepr(beta))")
        }
    }

    /// torch's CPU paths only: the capturable path is for accelerators (no CPU configuration
    /// takes it), so it is refused. `differentiable` is accepted: each optimizer replays
    /// torch's differentiable path, which is its for-loop path except where torch computes
    /// differently (Adam and AdamW's float32 bias corrections, NAdam's float32 step sizes).
    public static func cpuPathsOnly(capturable: Bool = false, differentiable: Bool) throws {
        if capturable {
            throw OptimizerError(
                .runtimeError, "Lockstep reproduces torch's CPU paths only: capturable=True is not supported")
        }
    }

    /// torch's checks of the implementation flags of the optimizers that have a fused CPU
    /// kernel (`fused` with `differentiable` or `foreach`), then ``cpuPathsOnly(capturable:differentiable:)``.
    public static func implementationFlags(
        fused: Bool?, foreach: Bool?, capturable: Bool = false, differentiable: Bool
    ) throws {
        if fused == true {
            if differentiable { throw OptimizerError(.runtimeError, "`fused` does not support `differentiable`") }
            if foreach == true { throw OptimizerError(.runtimeError, "`fused` and `foreach` cannot be `True` together.") }
        }
        try cpuPathsOnly(capturable: capturable, differentiable: differentiable)
    }
}
