import LockstepFormat
import LockstepOptim

/// Replays a fixture through the Swift optimizer it names and compares every recorded
/// tensor at every step.
///
/// The fixture is streamed: each step reads one row of each dataset into buffers that are
/// reused, so memory is constant in the number of steps.
public struct Replay: Sendable {
    public var tolerance: Tolerance
    public var teacherForcing: Bool
    /// How the optimizers that can split a tensor across threads do so; the results are
    /// the same bits whatever the split.
    public var parallelism: Parallelism
    /// The optimizers a fixture's `optimizer` name may select: Lockstep's, and the caller's.
    public var optimizers: OptimizerCatalog

    public init(
        tolerance: Tolerance, teacherForcing: Bool = false, parallelism: Parallelism = .serial,
        optimizers: OptimizerCatalog = .builtIn
    ) {
        self.tolerance = tolerance
        self.teacherForcing = teacherForcing
        self.parallelism = parallelism
        self.optimizers = optimizers
    }

    /// Verifies the fixture opened in `reader`.
    ///
    /// - Throws: ``ReplayError`` when the fixture cannot be replayed; a mismatch is not an
    ///   error but a failed ``VerificationResult``.
    public func run(_ reader: FixtureReader) throws -> VerificationResult {
        do {
            switch reader.header.dtype {
            case .float32: return try run(reader, as: Float.self)
            case .float64: return try run(reader, as: Double.self)
            }
        } catch let error as FixtureError {
            throw ReplayError.fixture(error)
        } catch let error as OptimizerError {
            throw ReplayError.invalidInput(object: "/", message: "\(reader.header.optimizer) rejects the fixture: \(error.message)")
        }
    }

    /// The Swift and the recorded values of one parameter's value or state tensor
    /// (`/params/<name>/param`, `/params/<name>/state/<key>`) after `step`, in row-major
    /// order: the replay run again through `step` and stopped there, for a report to show
    /// the elements around a failure. `nil` for any other tensor (a schedule, a closure
    /// call's values) or a step outside the trajectory.
    public func values(_ reader: FixtureReader, of tensor: String, after step: Int) throws -> (actual: [Double], expected: [Double])? {
        guard step >= 1, step <= reader.header.steps else { return nil }
        do {
            switch reader.header.dtype {
            case .float32: return try values(reader, of: tensor, after: step, as: Float.self)
            case .float64: return try values(reader, of: tensor, after: step, as: Double.self)
            }
        } catch let error as FixtureError {
            throw ReplayError.fixture(error)
        } catch let error as OptimizerError {
            throw ReplayError.invalidInput(object: "/", message: "\(reader.header.optimizer) rejects the fixture: \(error.message)")
        }
    }

    private func values<T: TensorScalar & FixtureScalar>(
        _ reader: FixtureReader, of tensor: String, after step: Int, as _: T.Type
    ) throws -> (actual: [Double], expected: [Double])? {
        var (session, _) = try drive(
            reader, through: step, tensorSqrt: SqrtIdentification(reader.fingerprints, dtype: reader.header.dtype).implementation,
            as: T.self)
        return try session.values(of: tensor, step: step).map { (actual: $0.actual.map { Double($0) }, expected: $0.expected.map { Double($0) }) }
    }

    private func run<T: TensorScalar & FixtureScalar>(_ reader: FixtureReader, as _: T.Type) throws -> VerificationResult {
        let header = reader.header
        let sqrt = SqrtIdentification(reader.fingerprints, dtype: header.dtype)
        let (session, closureRun) = try drive(reader, through: header.steps, tensorSqrt: sqrt.implementation, as: T.self)
        var result = VerificationResult(
            fixture: reader.path, optimizer: header.optimizer, dtype: header.dtype.rawValue,
            implementation: header.reference.implementation, cpuCapability: header.reference.cpuCapability,
            steps: header.steps, mode: teacherForcing ? .teacherForced : .freeRunning, tolerance: tolerance,
            tensors: session.scheduleComparisons + (closureRun?.comparisons ?? []) + session.comparisons.flatMap { $0 })
        (result.tensorSqrt, result.sqrtNote) = (sqrt.implementation.rawValue, sqrt.note)
        return result
    }

    /// Replays steps 1 through `lastStep`, comparing each, with the tensor `sqrt` the
    /// fixture's fingerprint names.
    private func drive<T: TensorScalar & FixtureScalar>(
        _ reader: FixtureReader, through lastStep: Int, tensorSqrt: TorchSqrt, as _: T.Type
    ) throws -> (ReplaySession<T>, ClosureRun<T>?) {
        let header = reader.header
        try checkImplementation(header)
        var session = try ReplaySession<T>(
            reader: reader, optimizers: optimizers, cpuCapability: try cpuCapability(header),
            tensorSqrt: tensorSqrt, parallelism: parallelism, tolerance: tolerance)
        var closureRun = try header.mode == .closure ? ClosureRun<T>(reader: reader, tolerance: tolerance) : nil
        try session.loadInitialState()
        for step in 1...lastStep {
            try session.addGroups(joiningAt: step)
            try session.applySchedule(step: step)
            if teacherForcing, step > 1 { try session.loadRecorded(step: step - 1) }
            if var run = closureRun {
                try run.step(step, session: session)
                closureRun = run
            } else {
                try session.setGradients(step: step)
                try session.optimizer.step()
            }
            try session.stepScheduler(after: step)
            try session.compare(step: step)
        }
        return (session, closureRun)
    }

    /// The capability the reference ran with; `nil` (the optimizer's default) when unrecorded.
    private func cpuCapability(_ header: FixtureHeader) throws -> TorchCPUCapability? {
        guard let name = header.reference.cpuCapability else { return nil }
        guard let capability = TorchCPUCapability(rawValue: name.uppercased()) else {
            // Fused kernels depend on it bit for bit; other paths replay within tolerance anyway.
            if header.reference.implementation == "fused" {
                throw ReplayError.invalidInput(
                    object: "/",
                    message: "reference cpu_capability '\(name)' is not reproducible; known: "
                        + TorchCPUCapability.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return nil
        }
        return capability
    }

    /// The groups' `fused` flags select the path that replays them; they must agree with
    /// the implementation the reference says it ran.
    private func checkImplementation(_ header: FixtureHeader) throws {
        guard let implementation = header.reference.implementation else { return }
        for (index, group) in header.paramGroups.enumerated() {
            guard let flag = group.hyperparameters["fused"] else { continue }
            let fused = flag.boolValue == true
            if fused != (implementation == "fused") {
                throw ReplayError.invalidInput(
                    object: "/",
                    message: "reference implementation '\(implementation)' disagrees with param group \(index), which has fused=\(flag)")
            }
        }
    }
}
