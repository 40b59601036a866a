import Foundation
import LockstepOptim

/// A small model's parameters in their param groups, as `tools/bench_torch.py --dump-model`
/// writes them from a golden fixture (by default the BERT-shaped fine-tuning trajectory
/// `fixtures/adamw_bert_finetune_wine_fused_f32.h5`: a dozen tensors of 3 to 156
/// elements in two groups, decay on the weights only).
struct ModelSpec: Codable {
    struct Tensor: Codable {
        let name: String
        let shape: [Int]
        var count: Int { shape.reduce(1, *) }
    }

    struct Group: Codable {
        let lr: Double
        let weightDecay: Double
        let params: [Tensor]
    }

    /// Where the shapes come from (a fixture's path).
    let source: String
    let groups: [Group]

    var tensors: Int { groups.reduce(0) { $0 + $1.params.count } }
    var elements: Int { groups.reduce(0) { $0 + $1.params.reduce(0) { $0 + $1.count } } }

    static func load(_ path: String) throws -> ModelSpec {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ModelSpec.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// One training step's optimizer call over a whole model: `optimizer.step()` over every
/// group and tensor, so that what a step costs besides its element loops (the driver, the
/// groups, the state lookup, the per-tensor set-up) is measured, not only one large tensor.
enum TrainingStep {
    /// The AdamW paths timed: torch's fused kernel and its for-loop path.
    static let paths: [(name: String, fused: Bool)] = [("fused", true), ("forloop", false)]

    static func measure(_ model: ModelSpec, path: (name: String, fused: Bool), seconds: Double) throws -> ModelResult {
        var offset = 0
        let groups = try model.groups.map { group in
            let params = try group.params.map { tensor in
                defer { offset += tensor.count }
                let indices = offset..<(offset + tensor.count)
                let parameter = try Parameter(shape: tensor.shape, value: indices.map { Float(($0 &* 7919) % 2001 - 1000) * 1e-3 })
                try parameter.setGrad(indices.map { Float(($0 &* 104_729) % 2001 - 1000) * 1e-4 })
                return parameter
            }
            return ParamGroup<AdamW<Float>.Options, Float>(
                params: params,
                options: .init(lr: group.lr, weightDecay: group.weightDecay, fused: path.fused, foreach: path.fused ? nil : false))
        }
        let optimizer = try AdamW<Float>(groups: groups, defaults: groups[0].options)
        for _ in 0..<100 { try optimizer.step() }
        var times: [Double] = []
        times.reserveCapacity(1 << 20)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        while times.count < 100 || clock.now < deadline {
            for _ in 0..<100 { times.append(try Timing.time(clock) { try optimizer.step() }) }
        }
        return ModelResult(
            optimizer: "AdamW", path: path.name, source: model.source, groups: model.groups.count, tensors: model.tensors,
            elements: model.elements,
            secondsPerStep: Timing.median(times), fastestStep: times.min()!, steps: times.count)
    }
}

/// One training-step case; times are medians over the timed steps.
struct ModelResult: Codable {
    let optimizer: String
    let path: String
    let source: String
    let groups: Int
    let tensors: Int
    let elements: Int
    let secondsPerStep: Double
    let fastestStep: Double
    let steps: Int

    var row: String {
        "| \(optimizer) | \(path) | \(tensors) | \(elements) | "
            + String(format: "%.4f | %.2f |", secondsPerStep * 1e3, secondsPerStep * 1e6 / Double(tensors))
    }
}

enum Timing {
    static func time(_ clock: ContinuousClock, _ body: () throws -> Void) rethrows -> Double {
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
