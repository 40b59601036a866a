import Foundation
import LockstepFormat
import LockstepHarness

#if canImport(Glibc)
import Glibc
#endif

/// The coverage-guided fuzz target (docs/fuzzing.md, "Coverage-guided"): one input is the
/// bytes of a fixture file, read by ``FixtureReader`` and replayed bit for bit.
///
/// Every Swift error is a fine outcome: a refusal (``FixtureError``, ``ReplayError``) or a
/// verdict. Only what stops the process (a trap, a signal, a timeout, running out of memory)
/// is a finding, and libFuzzer reports it.
enum FuzzTarget {
    /// Where each input is written: HDF5 reads files, and the reader insists on a regular
    /// file (it refuses FIFOs and devices), so the bytes go to a file on tmpfs, one per
    /// process (libFuzzer's `-fork` and `-jobs` run several).
    static let scratchPath: String = {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return (directory as NSString).appendingPathComponent("lockstep-fuzz-\(getpid()).h5")
    }()

    enum Outcome: String {
        case pass, fail, refused
    }

    /// Reads and replays `bytes` as a fixture; `message` is the refusal, if any.
    static func run(_ bytes: UnsafeRawBufferPointer) -> (Outcome, message: String?) {
        let path = scratchPath
        guard write(bytes, to: path) else { return (.refused, "cannot write \(path)") }
        defer { unlink(path) }
        return run(path: path)
    }

    /// Reads and replays the fixture at `path`.
    static func run(path: String) -> (Outcome, message: String?) {
        do {
            let reader = try FixtureReader(path: path)
            let result = try Replay(tolerance: .exact).run(reader)
            return (result.passed ? .pass : .fail, nil)
        } catch {
            return (.refused, "\(error)")
        }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer, to path: String) -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}

#if LOCKSTEP_LIBFUZZER
// Built with `-sanitize=fuzzer -D LOCKSTEP_LIBFUZZER` (tools/libfuzz): libFuzzer runs the
// campaign and calls this once per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

/// libFuzzer's byte mutation (`size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t
/// maxSize)`), which the structure-aware mutator falls back on and mixes in.
@_silgen_name("LLVMFuzzerMutate")
func fuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

/// The structure-aware mutator (``StructureMutator``): libFuzzer calls it instead of its own
/// mutations when it is defined.
@_cdecl("LLVMFuzzerCustomMutator")
public func fuzzerCustomMutator(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size))
    StructureMutator.mutate(&bytes, maxSize: maxSize, seed: seed, byteMutate: fuzzerMutate)
    let count = min(bytes.count, maxSize)
    bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    return count
}

/// libFuzzer's driver (compiler-rt `FuzzerDriver.cpp`: `int LLVMFuzzerRunDriver(int *argc,
/// char ***argv, int (*cb)(const uint8_t *, size_t))`): what its own `main` calls. Pointers
/// and integers are passed alike by the Swift and C conventions on the platforms built for.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The executable's entry point. SwiftPM links an executable target with `main` defined as
/// `<module>_main` (`--defsym main=lockstep_fuzz_main`), so libFuzzer's own `main` is not
/// the one that runs: this is, and it hands over to libFuzzer's driver.
@_cdecl("lockstep_fuzz_main")
public func lockstepFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzzerTestOneInput)
}
#else
// The ordinary build: run the same target on files named on the command line, to
// reproduce a libFuzzer artifact without the instrumented build. Prints one line a file.
@main
struct LockstepFuzzMain {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // `--check-checksums FILE...`: whether the mutator finds every object header chunk
        // and computes its checksum as libhdf5 does (a file as written has none bad).
        if arguments.first == "--check-checksums" {
            var bad = 0
            for path in arguments.dropFirst() {
                let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
                let chunks = StructureMutator.chunks(bytes), wrong = StructureMutator.badChecksums(bytes)
                print("\(path): \(chunks.count) chunks, \(chunks.map(\.messages.count).reduce(0, +)) messages, "
                      + "\(StructureMutator.jsonTokens(bytes, chunks).count) JSON tokens, \(wrong.count) bad checksums \(wrong)")
                bad += wrong.count
            }
            exit(bad == 0 ? 0 : 1)
        }
        // `--mutate SEED IN OUT`: one structure-aware mutation (byte mutations: one bit flipped).
        if arguments.first == "--mutate", arguments.count == 4, let seed = UInt32(arguments[1]) {
            var bytes = [UInt8](FileManager.default.contents(atPath: arguments[2]) ?? Data())
            let what = StructureMutator.mutate(&bytes, maxSize: bytes.count, seed: seed) { data, size, _ in
                if size > 0 { data[Int(seed) % size] ^= 1 }
                return size
            }
            print(what)
            FileManager.default.createFile(atPath: arguments[3], contents: Data(bytes))
            exit(0)
        }
        let paths = arguments
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: lockstep-fuzz FILE...\n".utf8))
            exit(2)
        }
        for path in paths {
            let (outcome, message) = FuzzTarget.run(path: path)
            print("\(path): \(outcome.rawValue)\(message.map { ": \($0)" } ?? "")")
        }
    }
}
#endif
