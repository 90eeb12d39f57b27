/// safetensors files: u64 LE header length N, N bytes of JSON, then the data.
///
/// Per tensor `{"dtype", "shape", "data_offsets": [begin, end]}` relative to the end of the
/// header; optional `"__metadata__"` (string → string), kept as metadata. Like the
/// reference library we reject headers over 100 MB, and offsets that overlap, leave gaps or
/// do not end at the end of the file. Tensors are listed in data order.
public enum SafetensorsFormat: CheckpointFormat {
    public static let name = "safetensors"
    public static let maxHeaderBytes = 100_000_000

    static let dtypes: [String: DType] = [
        "BOOL": .bool, "U8": .uint8, "I8": .int8, "I16": .int16, "U16": .uint16, "F16": .float16,
        "BF16": .bfloat16, "I32": .int32, "U32": .uint32, "F32": .float32, "F64": .float64,
        "I64": .int64, "U64": .uint64, "C64": .complex64, "F8_E4M3": .float8_e4m3fn, "F8_E5M2": .float8_e5m2,
    ]
    /// The safetensors spelling of a dtype (for writing).
    public static func code(for d: DType) -> String? {
        if d == .complex128 { return nil }
        return dtypes.first { $0.value == d }?.key
    }

    public static func recognizes(_ source: ByteSource) -> Bool {
        // A header length past the end of the file (or of 2⁶³) is still recognised, so that
        // `read` can say the header is truncated instead of "unrecognised file format".
        guard source.count >= 10, let b = source.base else { return false }
        let n = UInt64(littleEndian: b.loadUnaligned(as: UInt64.self))
        guard n >= 2 else { return false }
        return b.load(fromByteOffset: 8, as: UInt8.self) == UInt8(ascii: "{")
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let path = source.path
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, "safetensors: \(m)") }
        let head = try source.bytes(0..<8)
        let n64 = UInt64(littleEndian: head.loadUnaligned(as: UInt64.self))
        guard n64 <= UInt64(maxHeaderBytes) else {
            throw fail("header length \(n64) exceeds the 100 MB limit (file of \(source.count) bytes)")
        }
        let n = Int(n64)
        guard n <= source.count - 8 else { throw fail("truncated header: \(n) bytes announced, \(source.count - 8) present") }
        let json: JSONValue
        do {
            var parser = JSONParser(try source.bytes(8..<(8 + n)))
            json = try parser.parseDocument()
        } catch let e as JSONParser.Failure {
            throw fail("malformed header JSON: \(e.message)")
        }
        guard case .object(let members) = json else { throw fail("header is not a JSON object") }
        let dataStart = 8 + n
        let dataLength = source.count - dataStart
        var metadata: [(key: String, value: MetadataValue)] = []
        var entries: [(name: String, dtype: DType, shape: [Int], begin: Int, end: Int)] = []
        for (key, value) in members {
            if key == "__metadata__" {
                guard case .object(let m) = value else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard case .string(let s) = v else { throw fail("__metadata__['\(k)'] is not a string") }
                    metadata.append((k, .string(s)))
                }
                continue
            }
            guard case .object(let fields) = value else { throw fail("tensor '\(key)': not an object") }
            func field(_ f: String) -> JSONValue? { fields.first { $0.key == f }?.value }
            guard case .string(let code)? = field("dtype") else { throw fail("tensor '\(key)': no dtype") }
            guard let dtype = dtypes[code] else { throw fail("tensor '\(key)': unsupported dtype '\(code)'") }
            guard case .array(let dims)? = field("shape") else { throw fail("tensor '\(key)': no shape") }
            var shape: [Int] = []
            for d in dims {
                guard case .number(let v) = d, v >= 0, v == v.rounded(), v < 9e15 else { throw fail("tensor '\(key)': bad shape") }
                shape.append(Int(v))
            }
            guard case .array(let offs)? = field("data_offsets"), offs.count == 2,
                  case .number(let b) = offs[0], case .number(let e) = offs[1],
                  b >= 0, e >= b, e <= Double(dataLength), b == b.rounded(), e == e.rounded() else {
                throw fail("tensor '\(key)': data_offsets missing or outside the data (\(dataLength) bytes)")
            }
            var count = 1
            for d in shape {
                let (c, o) = count.multipliedReportingOverflow(by: d)
                guard !o else { throw fail("tensor '\(key)': absurd shape \(shape)") }
                count = c
            }
            let (bytes, o) = count.multipliedReportingOverflow(by: dtype.itemSize)
            guard !o, bytes == Int(e) - Int(b) else {
                throw fail("tensor '\(key)': shape \(shape) of \(dtype.rawValue) needs \(o ? "too many" : String(bytes)) bytes but data_offsets span \(Int(e) - Int(b))")
            }
            entries.append((key, dtype, shape, Int(b), Int(e)))
        }
        entries.sort { $0.begin != $1.begin ? $0.begin < $1.begin : $0.end < $1.end }
        var expect = 0
        for e in entries {
            guard e.begin == expect else {
                throw fail(e.begin < expect ? "tensor '\(e.name)' overlaps the previous tensor" : "gap before tensor '\(e.name)' (offset \(e.begin), expected \(expect))")
            }
            expect = e.end
        }
        guard expect == dataLength else { throw fail("data is \(dataLength) bytes but the tensors cover \(expect)") }
        let tensors = try entries.map {
            try Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, source: source,
                       storageStart: dataStart + $0.begin, storageLength: $0.end - $0.begin)
        }
        return Checkpoint(format: name, path: path, tensors: tensors, metadata: metadata)
    }
}

/// A JSON value with object members in document order.
indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
}

/// A small strict JSON parser (depth-limited) for safetensors headers.
struct JSONParser {
    struct Failure: Error { let message: String; init(_ m: String) { message = m } }
    private let b: UnsafeRawBufferPointer
    private var i = 0
    private var depth = 0

    init(_ bytes: UnsafeRawBufferPointer) { b = bytes }

    mutating func parseDocument() throws -> JSONValue {
        let v = try value()
        skip()
        guard i == b.count else { throw Failure("trailing characters at \(i)") }
        return v
    }

    private mutating func skip() { while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 } }

    private mutating func value() throws -> JSONValue {
        depth += 1; defer { depth -= 1 }
        guard depth <= 64 else { throw Failure("nested too deeply") }
        skip()
        guard i < b.count else { throw Failure("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [(key: String, value: JSONValue)] = []
            skip()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skip()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure("expected a key at \(i)") }
                let k = try string()
                skip()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure("expected ':' at \(i)") }
                i += 1
                let v = try value()
                if members.contains(where: { $0.key == k }) { throw Failure("duplicate key '\(k)'") }
                members.append((k, v))
                skip()
                guard i < b.count else { throw Failure("unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw Failure("expected ',' or '}' at \(i)")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skip()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                items.append(try value())
                skip()
                guard i < b.count else { throw Failure("unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw Failure("expected ',' or ']' at \(i)")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            let s = i
            while i < b.count, "+-0123456789.eE".utf8.contains(b[i]) { i += 1 }
            guard i > s, let v = Double(String(decoding: UnsafeRawBufferPointer(rebasing: b[s..<i]), as: UTF8.self)) else {
                throw Failure("unexpected character at \(s)")
            }
            return .number(v)
        }
    }

    private mutating func literal(_ w: String) throws {
        for c in w.utf8 {
            guard i < b.count, b[i] == c else { throw Failure("expected '\(w)'") }
            i += 1
        }
    }

    private mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw Failure("unterminated string") }
            let c = b[i]; i += 1
            if c == UInt8(ascii: "\"") { break }
            if c != UInt8(ascii: "\\") { out.append(c); continue }
            guard i < b.count else { throw Failure("unterminated escape") }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard i + 4 <= b.count, var code = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: b[i..<(i + 4)]), as: UTF8.self), radix: 16) else {
                    throw Failure("bad \\u escape")
                }
                i += 4
                if (0xD800..<0xDC00).contains(code), i + 6 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u"),
                   let low = UInt32(String(decoding: UnsafeRawBufferPointer(rebasing: b[(i + 2)..<(i + 6)]), as: UTF8.self), radix: 16),
                   (0xDC00..<0xE000).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(code) ?? "\u{FFFD}")).utf8)
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
