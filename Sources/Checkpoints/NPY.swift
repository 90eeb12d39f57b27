import Foundation

/// NumPy `.npy` files, format versions 1.0, 2.0 and 3.0.
///
/// Layout: `\x93NUMPY`, major, minor, header length (u16 LE for 1.x, u32 LE for 2.x/3.x),
/// a Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (8, 16), }`,
/// then the elements. Supported `descr`: booleans, (un)signed integers of 1–8 bytes,
/// float16/32/64 and complex64/128 in either byte order. Object arrays (`|O`) are refused
/// (they would need unpickling), as are structured dtypes, strings and `V2` (bfloat16 saved
/// through ml_dtypes, whose element type numpy does not record).
public enum NPYFormat: CheckpointFormat {
    public static let name = "npy"
    /// The longest header read: 64 KiB (docs/formats.md §13). NumPy writes headers of well
    /// under 200 bytes (and `np.load` itself refuses more than 10 000 by default); a longer
    /// one is refused before it is decoded, so that a header of 80 MB of spaces costs nothing.
    public static let maxHeaderBytes = 65_536
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    public static func recognizes(_ source: ByteSource) -> Bool {
        source.count >= 6 && Array(source.all.prefix(6)) == magic
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let stem = URL(fileURLWithPath: source.path).deletingPathExtension().lastPathComponent
        let t = try readArray(source, name: stem, start: 0, length: source.count)
        return Checkpoint(format: name, path: source.path, tensors: [t])
    }

    /// Reads one `.npy` array occupying `source[start ..< start+length]` (an `.npz` entry or a whole file).
    public static func readArray(_ source: ByteSource, name: String, start: Int, length: Int) throws -> Tensor {
        let h = try header(source, name: name, start: start, length: length)
        return try Tensor(name: name, dtype: h.dtype, shape: h.shape,
                          strides: h.fortran ? Tensor.fortranStrides(h.shape) : Tensor.contiguousStrides(h.shape),
                          offset: 0, source: source, storageStart: start + h.dataStart,
                          storageLength: h.dataBytes, byteOrder: h.byteOrder)
    }

    /// What an array's header says, checked against the `length` bytes the array occupies:
    /// element type, shape, order, and where its data lies (relative to the array's start).
    struct Header {
        var dtype: DType
        var byteOrder: ByteOrder
        var shape: [Int]
        var fortran: Bool
        var dataStart: Int
        var dataBytes: Int
    }

    /// Parses the header of the array at `source[start...]`, which occupies `length` bytes;
    /// only the header's bytes are read from `source` (at most 12 + `maxHeaderBytes`).
    static func header(_ source: ByteSource, name: String, start: Int, length: Int) throws -> Header {
        let path = source.path
        func fail(_ msg: String) -> CheckpointError {
            CheckpointError(path: path, name.isEmpty ? msg : "array '\(name)': \(msg)")
        }
        guard length >= 10 else { throw fail("truncated .npy header (\(length) bytes)") }
        let head = try source.bytes(start..<(start + min(length, 12)))
        guard Array(head.prefix(6)) == magic else { throw fail("not a .npy array (wrong magic)") }
        let major = head[6], minor = head[7]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(head[8]) | Int(head[9]) << 8
            headerStart = 10
        case 2, 3:
            guard length >= 12 else { throw fail("truncated .npy header") }
            headerLength = Int(head[8]) | Int(head[9]) << 8 | Int(head[10]) << 16 | Int(head[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported .npy format version \(major).\(minor)")
        }
        guard headerLength <= maxHeaderBytes else {
            throw fail("header of \(headerLength) bytes exceeds the limit of \(maxHeaderBytes) bytes (NumPy writes under 200)")
        }
        guard headerStart + headerLength <= length else {
            throw fail("truncated: header of \(headerLength) bytes but only \(length - headerStart) follow")
        }
        let headerBytes = try source.bytes((start + headerStart)..<(start + headerStart + headerLength))
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not valid text")
        }
        let dict: [String: PyLiteral]
        do {
            var parser = PyLiteralParser(header)
            guard case .dict(let d) = try parser.parseValue() else { throw PyLiteralParser.Failure("not a dict") }
            dict = d
        } catch let e as PyLiteralParser.Failure {
            throw fail("malformed header (\(e.message)): \(DisplayText.escaped(String(header.prefix(120))))")
        }
        guard case .string(let descr)? = dict["descr"] else {
            if case .list? = dict["descr"] { throw fail("structured dtypes are not supported") }
            throw fail("header has no 'descr'")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else { throw fail("header has no 'fortran_order'") }
        guard case .tuple(let dims)? = dict["shape"] else { throw fail("header has no 'shape' tuple") }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let v) = d, v >= 0 else {
                throw fail("shape (\(dims.map(\.description).joined(separator: ", "))) is not a tuple of non-negative integers")
            }
            shape.append(v)
        }
        let (dtype, order) = try parseDescr(descr, fail: fail)
        var count = 1
        for d in shape {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o else { throw fail("absurd shape \(shape)") }
            count = c
        }
        let (bytes, o) = count.multipliedReportingOverflow(by: dtype.itemSize)
        let dataStart = headerStart + headerLength
        guard !o, bytes <= length - dataStart else {
            throw fail("truncated data: shape \(shape) of \(dtype.rawValue) needs \(o ? "too many" : String(bytes)) bytes, \(length - dataStart) present")
        }
        return Header(dtype: dtype, byteOrder: order, shape: shape, fortran: fortran, dataStart: dataStart, dataBytes: bytes)
    }

    static func parseDescr(_ descr: String, fail: (String) -> CheckpointError) throws -> (DType, ByteOrder) {
        var s = Substring(descr)
        var order = ByteOrder.native
        if let c = s.first, "<>|=".contains(c) {
            if c == "<" { order = .little } else if c == ">" { order = .big }
            s = s.dropFirst()
        }
        switch s {
        case "b1", "?": return (.bool, order)
        case "i1": return (.int8, order)
        case "u1": return (.uint8, order)
        case "i2": return (.int16, order)
        case "u2": return (.uint16, order)
        case "i4": return (.int32, order)
        case "u4": return (.uint32, order)
        case "i8": return (.int64, order)
        case "u8": return (.uint64, order)
        case "f2": return (.float16, order)
        case "f4": return (.float32, order)
        case "f8": return (.float64, order)
        case "c8": return (.complex64, order)
        case "c16": return (.complex128, order)
        case "O": throw fail("object arrays (dtype '\(descr)') hold pickled Python objects and are refused")
        case "V2": throw fail("dtype '\(descr)' is raw 2-byte data (bfloat16 saved through ml_dtypes loses its type); save as float32 or use safetensors")
        default: throw fail("unsupported dtype '\(descr)'")
        }
    }
}

/// The subset of Python literals that `.npy` headers use: dicts, tuples, lists, strings,
/// integers, booleans and None.
indirect enum PyLiteral: Equatable, CustomStringConvertible {
    case dict([String: PyLiteral])
    case tuple([PyLiteral])
    case list([PyLiteral])
    case string(String)
    case int(Int)
    case bool(Bool)
    case none

    /// As Python would print it (for messages).
    var description: String {
        switch self {
        case .dict(let d): return "{" + d.keys.sorted().map { "'\($0)': \(d[$0]!)" }.joined(separator: ", ") + "}"
        case .tuple(let xs): return "(" + xs.map(\.description).joined(separator: ", ") + (xs.count == 1 ? ",)" : ")")
        case .list(let xs): return "[" + xs.map(\.description).joined(separator: ", ") + "]"
        case .string(let s): return "'" + DisplayText.escaped(s) + "'"
        case .int(let v): return String(v)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        }
    }
}

struct PyLiteralParser {
    struct Failure: Error { let message: String; init(_ m: String) { message = m } }
    private let chars: [Character]
    private var i = 0
    private var depth = 0

    init(_ text: String) { chars = Array(text) }

    private mutating func skipSpace() {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
    }

    mutating func parseValue() throws -> PyLiteral {
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw Failure("nested too deeply") }
        skipSpace()
        guard i < chars.count else { throw Failure("unexpected end") }
        let c = chars[i]
        switch c {
        case "{":
            i += 1
            var d: [String: PyLiteral] = [:]
            while true {
                skipSpace()
                if i < chars.count, chars[i] == "}" { i += 1; return .dict(d) }
                guard case .string(let k) = try parseValue() else { throw Failure("dict key is not a string") }
                skipSpace()
                guard i < chars.count, chars[i] == ":" else { throw Failure("expected ':'") }
                i += 1
                d[k] = try parseValue()
                skipSpace()
                if i < chars.count, chars[i] == "," { i += 1 }
                else if i < chars.count, chars[i] == "}" { i += 1; return .dict(d) }
                else { throw Failure("expected ',' or '}'") }
            }
        case "(", "[":
            let close: Character = c == "(" ? ")" : "]"
            i += 1
            var items: [PyLiteral] = []
            while true {
                skipSpace()
                if i < chars.count, chars[i] == close { i += 1; break }
                items.append(try parseValue())
                skipSpace()
                if i < chars.count, chars[i] == "," { i += 1 }
                else if i < chars.count, chars[i] == close { i += 1; break }
                else { throw Failure("expected ',' or '\(close)'") }
            }
            return c == "(" ? .tuple(items) : .list(items)
        case "'", "\"":
            i += 1
            var s = ""
            while i < chars.count, chars[i] != c {
                if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                s.append(chars[i]); i += 1
            }
            guard i < chars.count else { throw Failure("unterminated string") }
            i += 1
            return .string(s)
        default:
            var word = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "-" || chars[i] == "_" {
                word.append(chars[i]); i += 1
            }
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                var w = Substring(word)
                if w.hasSuffix("L") { w = w.dropLast() }  // Python 2 longs
                guard let v = Int(w) else { throw Failure("unexpected '\(word.isEmpty ? String(c) : word)'") }
                return .int(v)
            }
        }
    }
}
