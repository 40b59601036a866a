import Foundation
import LockstepTestSupport
import LockstepFormat
import LockstepHDF5
import Testing

@Suite("Fixture reader")
struct FixtureReaderTests {
    @Test func writesAndReadsBackEveryPart() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("sample.h5")
        let trajectory = sampleTrajectory()
        try FixtureWriter.write(trajectory, to: path)
        let reader = try FixtureReader(path: path)
        #expect(reader.header == trajectory.header)
        #expect(reader.parameters.map(\.name) == ["w", "b"])
        let w = try #require(reader.parameter(named: "w"))
        #expect(w.shape == [2, 3])
        #expect(w.stateKeys == ["exp_avg", "step"])
        #expect(w.stateShape("step") == [])
        #expect(try reader.initial(w, as: Float.self) == [1, 2, 3, 4, 5, 6])
        var row: [Float] = []
        for step in 1...3 {
            try reader.read(.param, of: w, step: step, into: &row)
            #expect(row == trajectory.parameters[0].param[step - 1])
            try reader.read(.state("step"), of: w, step: step, into: &row)
            #expect(row == [Float(step)])
        }
        #expect(reader.parameters[1].hasGrad == [true, false, true])
        #expect(!reader.hasLearningRates)
    }

    @Test func compressedFilesReadTheSame() throws {
        let dir = try TemporaryDirectory()
        try FixtureWriter.write(sampleTrajectory(), to: dir.path("plain.h5"))
        try FixtureWriter.write(sampleTrajectory(), to: dir.path("gzip.h5"), compress: true)
        let (plain, gzip) = (try FixtureReader(path: dir.path("plain.h5")), try FixtureReader(path: dir.path("gzip.h5")))
        var (a, b): ([Float], [Float]) = ([], [])
        try plain.read(.grad, of: plain.parameters[0], step: 2, into: &a)
        try gzip.read(.grad, of: gzip.parameters[0], step: 2, into: &b)
        #expect(a == b)
    }

    @Test func readsLearningRatesAndClosureData() throws {
        let dir = try TemporaryDirectory()
        var trajectory = sampleTrajectory()
        trajectory.header.scheduler = ["name": .string("LinearLR")]
        trajectory.learningRates = [[0.1], [0.2], [0.3]]
        try FixtureWriter.write(trajectory, to: dir.path("lr.h5"))
        let reader = try FixtureReader(path: dir.path("lr.h5"))
        #expect(try reader.learningRates(step: 2) == [0.2])
        #expect(reader.header.scheduler?["name"] == .string("LinearLR"))
        #expect(reader.scheduledHyperparameters.isEmpty)

        var cycling = sampleTrajectory()
        cycling.header.scheduler = ["name": .string("OneCycleLR")]
        cycling.learningRates = [[0.1], [0.2], [0.3]]
        cycling.scheduledHyperparameters = ["betas": [[0.95, 0.999], [0.9, 0.999], [0.85, 0.999]], "momentum": [[0.5], [0.6], [0.7]]]
        try FixtureWriter.write(cycling, to: dir.path("cycling.h5"))
        let cycled = try FixtureReader(path: dir.path("cycling.h5"))
        #expect(cycled.scheduledHyperparameters == ["betas", "momentum"])
        #expect(try cycled.hyperparameters("betas", step: 3) == [0.85, 0.999])
        #expect(try cycled.hyperparameters("momentum", step: 2) == [0.6])

        var closure = sampleTrajectory()
        closure.header.mode = .closure
        for index in closure.parameters.indices { closure.parameters[index].grad = nil }
        closure.losses = [3, 2, 1]
        closure.closureCalls = [1, 2, 1]
        closure.objective = .quadratic(a: [2, 0, 0, 2], b: [1, 1], n: 2)
        try FixtureWriter.write(closure, to: dir.path("closure.h5"))
        let closureReader = try FixtureReader(path: dir.path("closure.h5"))
        #expect(closureReader.objective == .quadratic(a: [2, 0, 0, 2], b: [1, 1], n: 2))
        #expect(try closureReader.losses() == [3, 2, 1])
        #expect(try closureReader.closureCallCounts() == [1, 2, 1])
    }

    @Test func readingTheWrongDTypeIsAnError() throws {
        let dir = try TemporaryDirectory()
        try FixtureWriter.write(sampleTrajectory(), to: dir.path("s.h5"))
        let reader = try FixtureReader(path: dir.path("s.h5"))
        #expect(throws: FixtureError.self) { try reader.initial(reader.parameters[0], as: Double.self) }
    }
}
