import Foundation
import LockstepFormat
import LockstepHarness
import LockstepOptim
import LockstepTestSupport
import Testing

@testable import LockstepDiagnosis

/// The convention optimizers differ from torch by their rule alone: with the rule off they
/// reproduce torch's goldens wherever Lockstep's own optimizer does.
@Suite("Conventions")
struct ConventionTests {
    /// Every Adam and AdamW golden (fused, for-loop, amsgrad, maximize, decay, groups).
    static var adamGoldens: [String] {
        let folder = repositoryRoot.appendingPathComponent("fixtures").path
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            ($0.hasPrefix("adam_") || $0.hasPrefix("adamw_")) && $0.hasSuffix(".h5")
        }.sorted()
    }

    @Test("AdamRules without a rule replays as Adam does", arguments: adamGoldens)
    func adamRulesWithoutARule(_ name: String) throws {
        let reader = try FixtureReader(path: fixturePath(name))
        let recorded = reader.header.optimizer
        let decoupled = recorded == "AdamW"
        let rewrite: @Sendable (inout [String: JSONValue]) -> Void = { if decoupled { $0["decoupled_weight_decay"] = .bool(true) } }
        let rules = OptimizerCatalog.builtIn
            .adding(AdamRules<Float>.self, as: recorded, hyperparameters: rewrite)
            .adding(AdamRules<Double>.self, as: recorded, hyperparameters: rewrite)
        let tolerance = Tolerance.resolve(rtol: nil, atol: nil, maxULP: nil, file: reader.header.tolerance, dtype: reader.header.dtype)
        let own = try Replay(tolerance: tolerance).run(reader)
        let ruled = try Replay(tolerance: tolerance, optimizers: rules).run(reader)
        #expect(ruled.tensors == own.tensors, "\(ruled.firstFailureDescription ?? "")")
    }

    /// The generic mutants change nothing until configured: a ``Variant`` without a change
    /// is its base, bit for bit.
    @Test(arguments: ["sgd_momentum_forloop_f32.h5", "rmsprop_centered_foreach_f32.h5", "adagrad_accumulator_fused_f64.h5", "asgd_forloop_f32.h5"])
    func anUnconfiguredVariantIsItsBase(_ name: String) throws {
        let reader = try FixtureReader(path: fixturePath(name))
        let recorded = reader.header.optimizer
        let catalog = try #require(OptimizerCatalog.builtIn.variant(of: recorded, as: recorded) { _ in })
        let own = try Replay(tolerance: .exact).run(reader)
        let variant = try Replay(tolerance: .exact, optimizers: catalog).run(reader)
        #expect(variant.tensors == own.tensors)
    }

    /// The probe that tells an optimizer's own decay convention from the alternatives.
    @Test func ownDecayConvention() {
        #expect(Catalogue.isOwnConvention(.decoupled, of: AdamW<Double>.self))
        #expect(!Catalogue.isOwnConvention(.l2Penalty, of: AdamW<Double>.self))
        #expect(Catalogue.isOwnConvention(.l2Penalty, of: SGD<Double>.self))
        #expect(!Catalogue.isOwnConvention(.decoupled, of: SGD<Double>.self))
        #expect(Catalogue.isOwnConvention(.afterUpdate, of: HFAdamW<Double>.self))
        #expect(!Catalogue.isOwnConvention(.notScaledByLR, of: HFAdamW<Double>.self))
    }
}
