/// Structure-aware mutations of a fixture file for libFuzzer (`LLVMFuzzerCustomMutator`).
///
/// A fixture's metadata (superblock v3, object headers v2) carries Jenkins lookup3
/// checksums, so a byte flipped in a JSON attribute or a dataset's dataspace is refused by
/// libhdf5 ("incorrect metadata checksum") before any of Lockstep's own checks run. These
/// mutations change what an object header says and then write its chunk's checksum again,
/// so the change reaches the reader: a token of a JSON attribute (`param_groups`,
/// `reference`, `scheduler`, `tolerance`) replaced by a hostile value of at most the same
/// length (padded with spaces, which JSON allows), a dataset's or attribute's declared
/// dimension rewritten, a message's bytes mutated in place, or libFuzzer's own byte mutation
/// with every checksum made good afterwards.
struct StructureMutator {
    /// A checksummed block of metadata: an object header chunk, `OHDR` (the first) or `OCHK`
    /// (a continuation), or a fractal heap's direct block `FHDB` (where a group's attributes
    /// live once there are many: dense storage).
    struct Chunk {
        var start: Int
        /// The checksum's offset.
        var checksum: Int
        /// The bytes the checksum covers, the checksum itself read as zeros: `start..<checksum`
        /// for an object header chunk, the whole block for a direct block.
        var covered: Range<Int>
        var messages: [Message]

        init(start: Int, checksum: Int, covered: Range<Int>? = nil, messages: [Message]) {
            (self.start, self.checksum, self.covered, self.messages) = (start, checksum, covered ?? start..<checksum, messages)
        }

        func sum(_ bytes: [UInt8]) -> UInt32 {
            guard covered.contains(checksum) else { return lookup3(bytes[covered]) }
            var copy = Array(bytes[covered])
            for byte in 0..<4 { copy[checksum - covered.lowerBound + byte] = 0 }
            return lookup3(copy[...])
        }
    }

    struct Message {
        var type: UInt8
        /// The message's body.
        var body: Range<Int>
    }

    /// Every object header chunk whose extent fits in the file, found by their signatures.
    static func chunks(_ bytes: [UInt8]) -> [Chunk] {
        var found: [Chunk] = []
        var continuations: [(start: Int, length: Int, flags: UInt8)] = []
        var seen = Set<Int>()
        // The superblock (versions 2 and 3: 8-byte offsets and lengths): its first 44 bytes.
        if bytes.count >= 48, bytes.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), bytes[8] == 2 || bytes[8] == 3 {
            found.append(Chunk(start: 0, checksum: 44, messages: []))
        }
        var index = 0
        while let at = find(Array("OHDR".utf8), in: bytes, from: index) {
            index = at + 4
            guard let chunk = objectHeader(bytes, at: at, continuations: &continuations) else { continue }
            found.append(chunk)
            seen.insert(at)
        }
        while let (start, length, flags) = continuations.popLast() {
            guard !seen.contains(start), start >= 0, length >= 8, start + length <= bytes.count,
                  Array(bytes[start..<start + 4]) == Array("OCHK".utf8) else { continue }
            seen.insert(start)
            let end = start + length - 4
            found.append(Chunk(start: start, checksum: end,
                               messages: messages(bytes, start + 4..<end, flags: flags, continuations: &continuations)))
        }
        index = 0
        while let at = find(Array("FHDB".utf8), in: bytes, from: index) {
            index = at + 4
            if let block = directBlock(bytes, at: at) { found.append(block) }
        }
        return found
    }

    /// A fractal heap's direct block at `start`, if its heap checksums direct blocks: its size
    /// is the heap's starting block size times a power of two, the one whose checksum
    /// matches (a file as written, or as these mutations leave it, has one that does).
    private static func directBlock(_ bytes: [UInt8], at start: Int) -> Chunk? {
        guard start + 13 <= bytes.count else { return nil }
        let heap = Int(clamping: little(bytes, at: start + 5, width: 8))
        guard heap >= 0, heap + 142 <= bytes.count, Array(bytes[heap..<heap + 4]) == Array("FRHP".utf8),
              bytes[heap + 9] & 0x02 != 0 else { return nil }
        let startingSize = Int(clamping: little(bytes, at: heap + 112, width: 8))
        let largest = Int(clamping: little(bytes, at: heap + 120, width: 8))
        let offsetSize = (Int(little(bytes, at: heap + 128, width: 2)) + 7) / 8
        let checksum = start + 13 + offsetSize
        guard startingSize >= 16, largest >= startingSize, checksum + 4 <= bytes.count else { return nil }
        let stored = UInt32(little(bytes, at: checksum, width: 4))
        var size = startingSize
        while size <= largest, start + size <= bytes.count {
            let block = Chunk(start: start, checksum: checksum, covered: start..<start + size, messages: [])
            if block.sum(bytes) == stored { return block }
            size *= 2
        }
        return nil
    }

    private static func objectHeader(_ bytes: [UInt8], at start: Int, continuations: inout [(start: Int, length: Int, flags: UInt8)]) -> Chunk? {
        guard start + 6 <= bytes.count, bytes[start + 4] == 2 else { return nil }
        let flags = bytes[start + 5]
        var offset = start + 6
        if flags & 0x20 != 0 { offset += 16 }
        if flags & 0x10 != 0 { offset += 4 }
        let width = 1 << Int(flags & 3)
        guard offset + width <= bytes.count else { return nil }
        let size = Int(clamping: little(bytes, at: offset, width: width))
        offset += width
        guard size >= 0, size <= bytes.count, offset + size + 4 <= bytes.count else { return nil }
        let end = offset + size
        return Chunk(start: start, checksum: end, messages: messages(bytes, offset..<end, flags: flags, continuations: &continuations))
    }

    private static func messages(
        _ bytes: [UInt8], _ range: Range<Int>, flags: UInt8, continuations: inout [(start: Int, length: Int, flags: UInt8)]
    ) -> [Message] {
        let headerSize = flags & 0x04 != 0 ? 6 : 4
        var found: [Message] = []
        var offset = range.lowerBound
        while offset + headerSize <= range.upperBound {
            let type = bytes[offset]
            let size = Int(little(bytes, at: offset + 1, width: 2))
            let body = offset + headerSize..<offset + headerSize + size
            guard body.upperBound <= range.upperBound else { break }
            found.append(Message(type: type, body: body))
            if type == 0x10, size >= 16 {
                continuations.append((Int(clamping: little(bytes, at: body.lowerBound, width: 8)),
                                      Int(clamping: little(bytes, at: body.lowerBound + 8, width: 8)), flags))
            }
            offset = body.upperBound
        }
        return found
    }

    /// Writes every chunk's checksum again (after the bytes it covers changed).
    static func fixChecksums(_ bytes: inout [UInt8], _ chunks: [Chunk]) {
        for chunk in chunks where chunk.checksum + 4 <= bytes.count {
            let sum = chunk.sum(bytes)
            for byte in 0..<4 { bytes[chunk.checksum + byte] = UInt8(truncatingIfNeeded: sum >> (8 * UInt32(byte))) }
        }
    }

    /// The chunks whose checksums do not match what they cover (none in a file as written).
    static func badChecksums(_ bytes: [UInt8]) -> [Int] {
        chunks(bytes).filter { UInt32(little(bytes, at: $0.checksum, width: 4)) != $0.sum(bytes) }.map(\.start)
    }

    // MARK: Mutations

    /// Hostile JSON values, the replacements for a token (only those no longer than it fit).
    static let hostileTokens = [
        "0", "1", "-1", "2", "-0.0", "1e308", "-1e308", "1e999", "NaN", "-Infinity", "Infinity", "null", "true", "false",
        "[]", "{}", "\"\"", "[0]", "1e-320", "2147483648", "4294967296", "9007199254740993", "18446744073709551616",
        "-9223372036854775809", "1099511627776", "4611686018427387904", "0.5", "1e-08", "100", "10000", "[[]]", "\"x\"",
        "[1,2,3]", "{\"a\":1}", "[null]", "\"fused\"", "\"forloop\"", "\"foreach\"", "\"lr\"", "\"params\"",
    ]

    /// The JSON texts in the file, with each token's range and the chunk whose checksum
    /// covers it (`nil` outside every object header: an attribute in a group's dense storage
    /// lives in a fractal heap's direct block, which has no checksum by default). A text
    /// starts at `{"` or `[{` or `[[` and runs to the next NUL.
    static func jsonTokens(_ bytes: [UInt8], _ chunks: [Chunk]) -> [(chunk: Int?, token: Range<Int>)] {
        var tokens: [(chunk: Int?, token: Range<Int>)] = []
        let quote = UInt8(ascii: "\""), open = UInt8(ascii: "{"), bracket = UInt8(ascii: "[")
        var start = 0
        while start + 1 < bytes.count {
            let first = bytes[start], second = bytes[start + 1]
            guard (first == open && second == quote) || (first == bracket && (second == open || second == bracket)) else {
                start += 1
                continue
            }
            let chunk = chunks.firstIndex { $0.covered.contains(start) }
            let limit = min(bytes.count, chunk.map { chunks[$0].covered.upperBound } ?? bytes.count, start + 70_000)
            var index = start
            while index < limit, bytes[index] != 0 {
                let byte = bytes[index]
                if byte == quote {
                    var end = index + 1
                    while end < limit, bytes[end] != quote, bytes[end] != 0 { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
                    end = min(end + 1, limit)
                    tokens.append((chunk, index..<end))
                    index = end
                } else if isTokenByte(byte) {
                    var end = index
                    while end < limit, isTokenByte(bytes[end]) { end += 1 }
                    tokens.append((chunk, index..<end))
                    index = end
                } else {
                    if byte == bracket || byte == open { tokens.append((chunk, index..<index + 1)) }
                    index += 1
                }
            }
            start = max(index, start + 1)
        }
        return tokens
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: ".")
    }

    /// One mutation of `bytes`; `byteMutate` is libFuzzer's own (`LLVMFuzzerMutate`), given a
    /// buffer, the bytes in use and the most it may hold, and returning the bytes in use.
    /// Returns what it did.
    @discardableResult
    static func mutate(
        _ bytes: inout [UInt8], maxSize: Int, seed: UInt32,
        byteMutate: (UnsafeMutablePointer<UInt8>, Int, Int) -> Int
    ) -> String {
        var random = SplitMix(state: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        let chunks = chunks(bytes)
        func plain() -> String {
            let size = bytes.count
            bytes += [UInt8](repeating: 0, count: max(0, maxSize - size))
            let used = bytes.withUnsafeMutableBufferPointer { byteMutate($0.baseAddress!, size, $0.count) }
            bytes.removeLast(bytes.count - min(used, bytes.count))
            return "bytes"
        }
        guard !chunks.isEmpty else { return plain() }
        switch random.next(below: 8) {
        case 0, 1, 2:  // libFuzzer's byte mutation, as it would do alone
            return plain()
        case 3:  // libFuzzer's byte mutation, then every checksum made good
            _ = plain()
            fixChecksums(&bytes, Self.chunks(bytes))
            return "bytes, checksums fixed"
        case 4, 5:  // a JSON token
            let tokens = jsonTokens(bytes, chunks)
            guard !tokens.isEmpty else { return plain() }
            let (chunk, token) = tokens[random.next(below: tokens.count)]
            let fitting = hostileTokens.filter { $0.utf8.count <= token.count }
            guard !fitting.isEmpty else { return plain() }
            let text = Array(fitting[random.next(below: fitting.count)].utf8)
            bytes.replaceSubrange(token, with: text + [UInt8](repeating: UInt8(ascii: " "), count: token.count - text.count))
            if let chunk { fixChecksums(&bytes, [chunks[chunk]]) }
            return "JSON token at \(token.lowerBound): \(String(decoding: text, as: UTF8.self))"
        case 6:  // a declared dimension
            let spaces = chunks.indices.flatMap { c in chunks[c].messages.filter { $0.type == 0x01 }.map { (c, $0) } }
            guard let (chunk, message) = spaces.isEmpty ? nil : spaces[random.next(below: spaces.count)],
                  message.body.count >= 4 else { return plain() }
            let version = bytes[message.body.lowerBound], rank = Int(bytes[message.body.lowerBound + 1])
            let hasMax = bytes[message.body.lowerBound + 2] & 1 != 0
            let dims = message.body.lowerBound + (version == 1 ? 8 : 4)
            guard rank > 0, dims + rank * 8 * (hasMax ? 2 : 1) <= message.body.upperBound else { return plain() }
            let which = random.next(below: rank)
            let old = little(bytes, at: dims + 8 * which, width: 8)
            let choices: [UInt64] = [0, 1, old &+ 1, old &- 1, old &* 2, old / 2, 1 << 31, 1 << 40, (1 << 62) / 8, UInt64.max, UInt64.max - 1]
            let value = choices[random.next(below: choices.count)]
            store(value, in: &bytes, at: dims + 8 * which)
            if hasMax, random.next(below: 2) == 0 || little(bytes, at: dims + 8 * (rank + which), width: 8) < value {
                store(random.next(below: 2) == 0 ? value : UInt64.max, in: &bytes, at: dims + 8 * (rank + which))
            }
            fixChecksums(&bytes, [chunks[chunk]])
            return "dimension \(which) of the dataspace at \(message.body.lowerBound): \(old) -> \(value)"
        default:  // a message's bytes, in place
            let all = chunks.indices.flatMap { c in chunks[c].messages.filter { !$0.body.isEmpty }.map { (c, $0) } }
            guard !all.isEmpty else { return plain() }
            let (chunk, message) = all[random.next(below: all.count)]
            var body = Array(bytes[message.body])
            let used = body.withUnsafeMutableBufferPointer { byteMutate($0.baseAddress!, $0.count, $0.count) }
            bytes.replaceSubrange(message.body, with: body.prefix(used) + [UInt8](repeating: 0, count: body.count - min(used, body.count)))
            fixChecksums(&bytes, [chunks[chunk]])
            return "message of type \(message.type) at \(message.body.lowerBound)"
        }
    }

    // MARK: Bytes

    static func little(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        var value: UInt64 = 0
        for byte in 0..<width where offset + byte < bytes.count { value |= UInt64(bytes[offset + byte]) << (8 * UInt64(byte)) }
        return value
    }

    private static func store(_ value: UInt64, in bytes: inout [UInt8], at offset: Int) {
        for byte in 0..<8 { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var index = start
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }

    /// HDF5's metadata checksum (`H5_checksum_metadata`): Bob Jenkins' lookup3 `hashlittle`,
    /// byte by byte, initial value 0.
    static func lookup3(_ data: ArraySlice<UInt8>) -> UInt32 {
        func rot(_ x: UInt32, _ k: UInt32) -> UInt32 { (x << k) | (x >> (32 - k)) }
        var a = 0xdead_beef &+ UInt32(truncatingIfNeeded: data.count), b = a, c = a
        var k = data.startIndex
        var length = data.count
        func word(_ at: Int, _ count: Int) -> UInt32 {
            var value: UInt32 = 0
            for i in 0..<count { value &+= UInt32(data[at + i]) << (8 * UInt32(i)) }
            return value
        }
        while length > 12 {
            a &+= word(k, 4); b &+= word(k + 4, 4); c &+= word(k + 8, 4)
            a &-= c; a ^= rot(c, 4); c &+= b
            b &-= a; b ^= rot(a, 6); a &+= c
            c &-= b; c ^= rot(b, 8); b &+= a
            a &-= c; a ^= rot(c, 16); c &+= b
            b &-= a; b ^= rot(a, 19); a &+= c
            c &-= b; c ^= rot(b, 4); b &+= a
            length -= 12
            k += 12
        }
        if length == 0 { return c }
        a &+= word(k, min(length, 4))
        if length > 4 { b &+= word(k + 4, min(length - 4, 4)) }
        if length > 8 { c &+= word(k + 8, length - 8) }
        c ^= b; c &-= rot(b, 14)
        a ^= c; a &-= rot(c, 11)
        b ^= a; b &-= rot(a, 25)
        c ^= b; c &-= rot(b, 16)
        a ^= c; a &-= rot(c, 4)
        b ^= a; b &-= rot(a, 14)
        c ^= b; c &-= rot(b, 24)
        return c
    }
}

/// A small deterministic generator (SplitMix64), seeded by libFuzzer's seed.
struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
