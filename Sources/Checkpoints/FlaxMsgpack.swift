/// A msgpack value. Binary payloads are kept as ranges of the file (no copies).
indirect enum MsgpackValue {
    case map([(key: MsgpackValue, value: MsgpackValue)])
    case array([MsgpackValue])
    case string(String)
    case binary(Range<Int>)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case null
    case ext(type: Int8, payload: Range<Int>)
}

/// A minimal msgpack decoder with limits on depth and on what lengths may claim.
struct MsgpackDecoder {
    struct Failure: Error { let message: String; init(_ m: String) { message = m } }
    let b: UnsafeRawBufferPointer
    var i: Int
    let end: Int
    var depth = 0
    var budget: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        b = bytes; i = range.lowerBound; end = range.upperBound
        budget = range.count + 16
    }

    private mutating func need(_ n: Int) throws {
        guard n >= 0, n <= end - i else { throw Failure("truncated at offset \(i) (needs \(n) bytes)") }
    }
    private mutating func u8() throws -> UInt8 { try need(1); defer { i += 1 }; return b[i] }
    private mutating func be<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try need(MemoryLayout<T>.size)
        defer { i += MemoryLayout<T>.size }
        return T(bigEndian: b.baseAddress!.loadUnaligned(fromByteOffset: i, as: T.self))
    }
    private mutating func range(_ n: Int) throws -> Range<Int> { try need(n); defer { i += n }; return i..<(i + n) }
    private mutating func str(_ n: Int) throws -> MsgpackValue {
        let r = try range(n)
        return .string(String(decoding: UnsafeRawBufferPointer(rebasing: b[r]), as: UTF8.self))
    }
    /// Every element takes at least one byte, so a count beyond the bytes left is forged.
    private mutating func count(_ n: Int, per: Int) throws -> Int {
        guard n <= (end - i) / per else { throw Failure("container claims \(n) elements with \(end - i) bytes left") }
        budget -= n
        guard budget >= 0 else { throw Failure("too many elements") }
        return n
    }
    private mutating func array(_ n: Int) throws -> MsgpackValue {
        let n = try count(n, per: 1)
        var xs: [MsgpackValue] = []; xs.reserveCapacity(n)
        for _ in 0..<n { xs.append(try value()) }
        return .array(xs)
    }
    private mutating func map(_ n: Int) throws -> MsgpackValue {
        let n = try count(n, per: 2)
        var xs: [(key: MsgpackValue, value: MsgpackValue)] = []; xs.reserveCapacity(n)
        for _ in 0..<n { let k = try value(); let v = try value(); xs.append((k, v)) }
        return .map(xs)
    }
    private mutating func ext(_ n: Int) throws -> MsgpackValue {
        let t = Int8(bitPattern: try u8())
        return .ext(type: t, payload: try range(n))
    }

    mutating func value() throws -> MsgpackValue {
        depth += 1; defer { depth -= 1 }
        guard depth <= 256 else { throw Failure("nested more than 256 levels deep") }
        let c = try u8()
        switch c {
        case 0x00...0x7f: return .int(Int64(c))
        case 0x80...0x8f: return try map(Int(c & 0x0f))
        case 0x90...0x9f: return try array(Int(c & 0x0f))
        case 0xa0...0xbf: return try str(Int(c & 0x1f))
        case 0xc0: return .null
        case 0xc2: return .bool(false)
        case 0xc3: return .bool(true)
        case 0xc4: return .binary(try range(Int(try u8())))
        case 0xc5: return .binary(try range(Int(try be(UInt16.self))))
        case 0xc6: return .binary(try range(Int(try be(UInt32.self))))
        case 0xc7: return try ext(Int(try u8()))
        case 0xc8: return try ext(Int(try be(UInt16.self)))
        case 0xc9: return try ext(Int(try be(UInt32.self)))
        case 0xca: return .double(Double(Float(bitPattern: try be(UInt32.self))))
        case 0xcb: return .double(Double(bitPattern: try be(UInt64.self)))
        case 0xcc: return .int(Int64(try u8()))
        case 0xcd: return .int(Int64(try be(UInt16.self)))
        case 0xce: return .int(Int64(try be(UInt32.self)))
        case 0xcf: let v = try be(UInt64.self); return v <= UInt64(Int64.max) ? .int(Int64(v)) : .uint(v)
        case 0xd0: return .int(Int64(Int8(bitPattern: try u8())))
        case 0xd1: return .int(Int64(try be(Int16.self)))
        case 0xd2: return .int(Int64(try be(Int32.self)))
        case 0xd3: return .int(try be(Int64.self))
        case 0xd4: return try ext(1)
        case 0xd5: return try ext(2)
        case 0xd6: return try ext(4)
        case 0xd7: return try ext(8)
        case 0xd8: return try ext(16)
        case 0xd9: return try str(Int(try u8()))
        case 0xda: return try str(Int(try be(UInt16.self)))
        case 0xdb: return try str(Int(try be(UInt32.self)))
        case 0xdc: return try array(Int(try be(UInt16.self)))
        case 0xdd: return try array(Int(try be(UInt32.self)))
        case 0xde: return try map(Int(try be(UInt16.self)))
        case 0xdf: return try map(Int(try be(UInt32.self)))
        case 0xe0...0xff: return .int(Int64(Int8(bitPattern: c)))
        default: throw Failure("invalid byte 0x\(String(c, radix: 16)) at offset \(i - 1)")
        }
    }
}

/// Flax `serialization.to_bytes` files: a msgpack map tree whose array leaves are ExtType 1
/// with payload msgpack `[shape, dtype name, C-order bytes]` (read in place), ExtType 2 complex
/// scalars `[re, im]` and ExtType 3 numpy scalars (kept as metadata). Arrays over 2³⁰ bytes
/// are `{'__msgpack_chunked_array__': True, 'shape': {…}, 'chunks': {…}}` and are joined into
/// one buffer. Lists and tuples were written as maps keyed '0', '1', … so key paths come out
/// as for the other formats.
public enum FlaxMsgpackFormat: CheckpointFormat {
    public static let name = "flax-msgpack"

    static let dtypes: [String: DType] = [
        "bool": .bool, "uint8": .uint8, "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
        "int8": .int8, "int16": .int16, "int32": .int32, "int64": .int64,
        "float16": .float16, "bfloat16": .bfloat16, "float32": .float32, "float64": .float64,
        "float8_e4m3fn": .float8_e4m3fn, "float8_e5m2": .float8_e5m2,
        "complex64": .complex64, "complex128": .complex128,
    ]

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard source.count >= 2, let b = source.base else { return false }
        let c = b.load(as: UInt8.self)
        // A top-level map (fixmap, map16, map32) whose first key is a string.
        guard (0x80...0x8f).contains(c) || c == 0xde || c == 0xdf else { return false }
        let keyAt = c == 0xde ? 3 : c == 0xdf ? 5 : 1
        if c == 0x80 { return false }  // an empty map holds nothing to read
        guard source.count > keyAt else { return false }
        let k = b.load(fromByteOffset: keyAt, as: UInt8.self)
        return (0xa0...0xbf).contains(k) || (0xd9...0xdb).contains(k)
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let path = source.path
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, "flax msgpack: \(m)") }
        let all = source.all
        let root: MsgpackValue
        do {
            var d = MsgpackDecoder(all, range: 0..<source.count)
            root = try d.value()
            guard d.i == source.count else { throw MsgpackDecoder.Failure("\(source.count - d.i) trailing bytes") }
        } catch let e as MsgpackDecoder.Failure {
            throw fail(e.message)
        }
        var tensors: [Tensor] = []
        var metadata: [(key: String, value: MetadataValue)] = []

        func keyString(_ k: MsgpackValue) -> String {
            switch k {
            case .string(let s): return s
            case .int(let v): return String(v)
            case .uint(let v): return String(v)
            default: return "?"
            }
        }
        func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }
        // Key paths and strings are budgeted in proportion to the file (docs/formats.md §13):
        // an array of 10⁶ nils under a 1 MB key would otherwise name a terabyte of paths.
        let textBudget = PickleTreeReader.textBudget(forFileOf: source.count)
        var textUsed = 0
        func charge(_ n: Int, _ key: String) throws {
            textUsed = textUsed &+ n
            guard textUsed <= textBudget, textUsed >= 0 else {
                throw fail("its key paths and strings would take more than \(textBudget) bytes (near '\(DisplayText.truncated(key, limit: 80))')")
            }
        }
        func child(_ key: String, _ part: String) throws -> String {
            try charge(key.utf8.count + part.utf8.count + 1 + 16, key)
            return join(key, part)
        }

        /// Decodes an ExtType 1/3 payload into (dtype, shape, byte range).
        func arrayPayload(_ r: Range<Int>, name: String) throws -> (DType, [Int], Range<Int>) {
            var d = MsgpackDecoder(all, range: r)
            let v: MsgpackValue
            do { v = try d.value() } catch let e as MsgpackDecoder.Failure { throw fail("array '\(name)': \(e.message)") }
            guard case .array(let parts) = v, parts.count == 3, case .array(let dims) = parts[0],
                  case .string(let dn) = parts[1], case .binary(let data) = parts[2] else {
                throw fail("array '\(name)': payload is not [shape, dtype, bytes]")
            }
            guard let dtype = dtypes[dn] else { throw fail("array '\(name)': unsupported dtype '\(dn)'") }
            var shape: [Int] = []
            for x in dims {
                guard case .int(let n) = x, n >= 0 else { throw fail("array '\(name)': bad shape") }
                shape.append(Int(n))
            }
            return (dtype, shape, data)
        }
        func checkedCount(_ shape: [Int], _ dtype: DType, name: String) throws -> Int {
            var count = 1
            for s in shape {
                let (c, o) = count.multipliedReportingOverflow(by: s)
                guard !o else { throw fail("array '\(name)': absurd shape \(shape)") }
                count = c
            }
            let (n, o) = count.multipliedReportingOverflow(by: dtype.itemSize)
            guard !o else { throw fail("array '\(name)': absurd shape \(shape)") }
            return n
        }

        func walk(_ v: MsgpackValue, key: String) throws {
            switch v {
            case .map(let members):
                if members.contains(where: { if case .string("__msgpack_chunked_array__") = $0.key { return true }; return false }) {
                    try chunked(members, key: key)
                    return
                }
                for (k, x) in members { try walk(x, key: try child(key, keyString(k))) }
            case .array(let xs):
                for (i, x) in xs.enumerated() { try walk(x, key: try child(key, String(i))) }
            case .string(let s):
                try charge(s.utf8.count, key)
                metadata.append((key, .string(s)))
            case .binary(let r): metadata.append((key, .bytes(r.count)))
            case .int(let i): metadata.append((key, .int(i)))
            case .uint(let u): metadata.append((key, .bigInt(String(u))))
            case .double(let d): metadata.append((key, .double(d)))
            case .bool(let b): metadata.append((key, .bool(b)))
            case .null: metadata.append((key, .null))
            case .ext(let type, let r):
                switch type {
                case 1, 3:
                    let (dtype, shape, data) = try arrayPayload(r, name: key)
                    let bytes = try checkedCount(shape, dtype, name: key)
                    guard bytes == data.count else {
                        throw fail("array '\(key)': shape \(shape) of \(dtype.rawValue) needs \(bytes) bytes, \(data.count) stored")
                    }
                    let t = try Tensor(name: key, dtype: dtype, shape: shape, source: source,
                                       storageStart: data.lowerBound, storageLength: data.count)
                    if type == 1 || shape.count > 0 {
                        tensors.append(t)
                    } else if dtype.isComplex {
                        metadata.append((key, .string("complex")))
                    } else {
                        let x = try t.doubleValues()[0]
                        switch dtype {
                        case .bool: metadata.append((key, .bool(x != 0)))
                        case _ where dtype.isFloatingPoint: metadata.append((key, .double(x)))
                        default:
                            let raw = try t.contiguousLittleEndianBytes()
                            var u: UInt64 = 0
                            for (i, byte) in raw.enumerated() { u |= UInt64(byte) << (8 * UInt64(i)) }
                            let signed = [DType.int8, .int16, .int32, .int64].contains(dtype)
                            let bits = 8 * UInt64(raw.count)
                            if signed, bits < 64, u & (1 << (bits - 1)) != 0 { u |= ~0 << bits }
                            metadata.append((key, signed || u <= UInt64(Int64.max) ? .int(Int64(bitPattern: u)) : .bigInt(String(u))))
                        }
                    }
                case 2:
                    var d = MsgpackDecoder(all, range: r)
                    if case .array(let p)? = try? d.value(), p.count == 2, case .double(let re) = p[0], case .double(let im) = p[1] {
                        metadata.append((key, .string("(\(re)\(im < 0 ? "-" : "+")\(abs(im))j)")))
                    } else { throw fail("'\(key)': malformed complex scalar") }
                default:
                    throw fail("'\(key)': unknown msgpack extension type \(type)")
                }
            }
        }

        func chunked(_ members: [(key: MsgpackValue, value: MsgpackValue)], key: String) throws {
            func member(_ n: String) -> MsgpackValue? {
                members.first { if case .string(n) = $0.key { return true }; return false }?.value
            }
            var shape: [Int] = []
            switch member("shape") {
            case .map(let dims)?: for (_, d) in dims { guard case .int(let n) = d, n >= 0 else { throw fail("chunked array '\(key)': bad shape") }; shape.append(Int(n)) }
            case .array(let dims)?: for d in dims { guard case .int(let n) = d, n >= 0 else { throw fail("chunked array '\(key)': bad shape") }; shape.append(Int(n)) }
            default: throw fail("chunked array '\(key)': no shape")
            }
            var chunks: [MsgpackValue] = []
            switch member("chunks") {
            case .map(let cs)?: chunks = cs.map { $0.value }
            case .array(let cs)?: chunks = cs
            default: throw fail("chunked array '\(key)': no chunks")
            }
            var dtype: DType? = nil
            var pieces: [Range<Int>] = []
            for c in chunks {
                guard case .ext(1, let r) = c else { throw fail("chunked array '\(key)': a chunk is not an array") }
                let (dt, _, data) = try arrayPayload(r, name: key)
                if let d = dtype, d != dt { throw fail("chunked array '\(key)': chunks of different dtypes") }
                dtype = dt
                pieces.append(data)
            }
            guard let dtype else { throw fail("chunked array '\(key)': no chunks") }
            let total = try checkedCount(shape, dtype, name: key)
            guard total == pieces.reduce(0, { $0 + $1.count }) else {
                throw fail("chunked array '\(key)': chunks hold \(pieces.reduce(0, { $0 + $1.count })) bytes, shape \(shape) needs \(total)")
            }
            let buf = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 64)
            var off = 0
            for p in pieces {
                if !p.isEmpty { buf.advanced(by: off).copyMemory(from: source.base! + p.lowerBound, byteCount: p.count) }
                off += p.count
            }
            let joined = ByteSource(adopting: buf, count: total, path: path)
            tensors.append(try Tensor(name: key, dtype: dtype, shape: shape, source: joined, storageStart: 0, storageLength: total))
        }

        try walk(root, key: "")
        return Checkpoint(format: name, path: path, tensors: tensors, metadata: metadata)
    }
}
