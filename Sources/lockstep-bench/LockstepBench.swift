import ArgumentParser
import Foundation
import LockstepOptim

/// `lockstep-bench`: times one optimizer step of AdamW, Adam, SGD (momentum) and Adagrad
/// on one float32 parameter, against a memory-bandwidth roofline measured in the same
/// process over the same number of bytes; and, with `--model`, a whole training step's
/// AdamW call over a small model's parameters (``TrainingStep``). Build it in release mode
/// (`bash tools/bench`).
@main
struct LockstepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep-bench",
        abstract: "Time Lockstep's optimizer steps (fused paths, float32) against a STREAM-style roofline with the same access pattern.")

    @Option(help: "Parameter sizes in elements, comma-separated.")
    var sizes = "1000000,10000000"

    @Option(help: "Thread counts, comma-separated.")
    var threads = "1,2"

    @Option(help: "Optimizers, comma-separated (AdamW, Adam, SGD, Adagrad).")
    var optimizers = BenchCase.all.map(\.name).joined(separator: ",")

    @Option(help: "Seconds to spend timing each case (at least 10 steps).")
    var seconds = 1.0

    @Option(help: ArgumentHelp(
        "Also time AdamW's step (fused and for-loop) over the parameters and groups in this JSON file (`python tools/bench_torch.py --dump-model FILE` writes it from a fixture).",
        valueName: "file"))
    var model: String?

    @Flag(help: "Only the --model cases, no single-tensor case.")
    var modelOnly = false

    @Option(help: ArgumentHelp("Also write the results as JSON to this file.", valueName: "file"))
    var json: String?

    func run() throws {
        let sizes = try Self.integers(self.sizes, "--sizes")
        let threadCounts = try Self.integers(self.threads, "--threads")
        let names = optimizers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let cases = modelOnly ? [] : BenchCase.all.filter { names.contains($0.name.lowercased()) }
        guard !cases.isEmpty || modelOnly else { throw ValidationError("no known optimizer in --optimizers \(optimizers)") }
        guard model != nil || !modelOnly else { throw ValidationError("--model-only needs --model") }
        let modelSpec = try model.map(ModelSpec.load)

        var results: [Result] = []
        var modelResults: [ModelResult] = []
        let kernel = KernelISA.current.rawValue
        FileHandle.standardOutput.write(Data("kernel ISA: \(kernel)\n".utf8))
        if !cases.isEmpty {
            FileHandle.standardOutput.write(Data("""
                | optimizer | elements | threads | ms/step | GB/s | roofline GB/s | of roofline | STREAM triad GB/s |
                |---|---:|---:|---:|---:|---:|---:|---:|

                """.utf8))
        }
        for benchCase in cases {
            for size in sizes {
                for threadCount in threadCounts {
                    let result = try measure(benchCase, size: size, threads: threadCount)
                    results.append(result)
                    FileHandle.standardOutput.write(Data((result.row + "\n").utf8))
                }
            }
        }
        if let modelSpec {
            FileHandle.standardOutput.write(Data("""

                Training step over \(modelSpec.source) (1 thread):

                | optimizer | path | tensors | elements | ms/step | µs per tensor |
                |---|---|---:|---:|---:|---:|

                """.utf8))
            for path in TrainingStep.paths {
                let result = try TrainingStep.measure(modelSpec, path: path, seconds: seconds)
                modelResults.append(result)
                FileHandle.standardOutput.write(Data((result.row + "\n").utf8))
            }
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(Report(kernel: kernel, results: results, model: modelResults))
                .write(to: URL(fileURLWithPath: json))
        }
    }

    /// Times `benchCase` and the roofline kernels over the same bytes, alternating them in rounds so
    /// that all see the same machine load.
    private func measure(_ benchCase: BenchCase, size: Int, threads: Int) throws -> Result {
        let parallelism = Parallelism(threads: threads)
        let parameter = Parameter((0..<size).map { Float(($0 &* 7919) % 2001 - 1000) * 1e-3 })
        try parameter.setGrad((0..<size).map { Float(($0 &* 104_729) % 2001 - 1000) * 1e-4 })
        let optimizer = try benchCase.make(parameter, parallelism)
        let bytes = benchCase.bytesPerElement * size
        let roofline = Roofline(elements: size, writes: benchCase.writtenTensors)
        for _ in 0..<3 {
            try optimizer.step()
            roofline.roofline(parallelism, scale: 0.5)
            roofline.stream(parallelism)
        }
        var stepTimes: [Double] = []
        var triadTimes: [Double] = []
        var streamTimes: [Double] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(seconds)
        // Rounds of five steps, then five or six passes of each roofline kernel: the medians are of
        // back-to-back runs (a 1M-element step fits in the L3 cache, as in torch's loop),
        // and every kind sees the same machine load.
        while stepTimes.count < 10 || clock.now < deadline {
            for _ in 0..<5 { stepTimes.append(try Timing.time(clock) { try optimizer.step() }) }
            for pass in 0..<6 {
                triadTimes.append(Timing.time(clock) { roofline.roofline(parallelism, scale: pass % 2 == 0 ? 0.5 : -0.5) })
            }
            for _ in 0..<5 { streamTimes.append(Timing.time(clock) { roofline.stream(parallelism) }) }
        }
        let step = Timing.median(stepTimes)
        let triadTime = Timing.median(triadTimes)
        return Result(
            optimizer: benchCase.name, elements: size, threads: threads, bytesPerElement: benchCase.bytesPerElement,
            secondsPerStep: step, fastestStep: stepTimes.min()!, steps: stepTimes.count,
            gigabytesPerSecond: Double(bytes) / step / 1e9,
            triadGigabytesPerSecond: Double(roofline.bytesPerPass) / triadTime / 1e9,
            streamTriadGigabytesPerSecond: Double(roofline.streamBytesPerPass) / Timing.median(streamTimes) / 1e9)
    }

    private static func integers(_ list: String, _ option: String) throws -> [Int] {
        try list.split(separator: ",").map {
            guard let value = Int($0.trimmingCharacters(in: .whitespaces)), value > 0 else {
                throw ValidationError("\(option): '\($0)' is not a positive integer")
            }
            return value
        }
    }
}

/// What `--json` writes: the kernels' instruction set, and every case.
struct Report: Codable {
    /// The instruction set the element kernels dispatched to (`LockstepOptim.KernelISA.current`).
    let kernel: String
    let results: [Result]
    let model: [ModelResult]
}

/// One measured case; times are medians over the timed steps.
struct Result: Codable {
    let optimizer: String
    let elements: Int
    let threads: Int
    let bytesPerElement: Int
    let secondsPerStep: Double
    let fastestStep: Double
    let steps: Int
    let gigabytesPerSecond: Double
    /// The roofline: the step's access pattern with a triad's arithmetic (see ``Roofline``).
    let triadGigabytesPerSecond: Double
    /// STREAM's triad as STREAM counts it (see ``Roofline``).
    let streamTriadGigabytesPerSecond: Double

    var rooflineFraction: Double { gigabytesPerSecond / triadGigabytesPerSecond }

    var row: String {
        "| \(optimizer) | \(elements) | \(threads) | " + String(format: "%.3f | %.1f | %.1f | %.0f %% | %.1f |",
            secondsPerStep * 1e3, gigabytesPerSecond, triadGigabytesPerSecond, rooflineFraction * 100,
            streamTriadGigabytesPerSecond)
    }
}
