#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import JSONOutput

/// Writers for the safe formats (`irrepscope convert`): values are copied exactly, as
/// little-endian bytes in C order.
public enum CheckpointWriter {
    /// Picks the writer from the extension of `path`: `.safetensors`, `.npz` or `.npy`.
    public static func write(_ tensors: [Tensor], metadata: [(String, String)] = [], to path: String) throws {
        // Every tensor is materialized in C order: refuse what would not fit before any byte
        // of the output is written.
        for t in tensors { _ = try t.materializedByteCount(bytesPerElement: t.dtype.itemSize) }
        // Lazily read tensors decoded on all cores (and any damage found) before the output opens.
        try Checkpoint.loadAll(tensors)
        do {
            try writeByExtension(tensors, metadata: metadata, to: path)
        } catch {
            unlink(path)  // no half-written file left behind
            throw error
        }
    }

    static func writeByExtension(_ tensors: [Tensor], metadata: [(String, String)], to path: String) throws {
        let lower = path.lowercased()
        if lower.hasSuffix(".safetensors") { try writeSafetensors(tensors, metadata: metadata, to: path) }
        else if lower.hasSuffix(".npz") { try writeNPZ(tensors, to: path) }
        else if lower.hasSuffix(".npy") {
            guard tensors.count == 1 else {
                throw CheckpointError(path: path, ".npy holds exactly one array but \(tensors.count) tensors were selected; choose one with --tensor or write .npz/.safetensors")
            }
            try writeNPY(tensors[0], to: path)
        } else {
            throw CheckpointError(path: path, "unknown output format (use .safetensors, .npz or .npy)")
        }
    }

    // MARK: safetensors

    public static func writeSafetensors(_ tensors: [Tensor], metadata: [(String, String)] = [], to path: String) throws {
        var header = "{"
        var first = true
        func sep() { if !first { header += "," }; first = false }
        if !metadata.isEmpty {
            sep()
            header += "\"__metadata__\":{" + metadata.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        var offset = 0
        var seen = Set<String>()
        for t in tensors {
            guard let code = SafetensorsFormat.code(for: t.dtype) else {
                throw CheckpointError(path: path, "tensor '\(t.name)': safetensors has no \(t.dtype.rawValue); write .npz or .npy instead")
            }
            guard seen.insert(t.name).inserted else { throw CheckpointError(path: path, "two tensors named '\(t.name)'") }
            let n = t.elementCount * t.dtype.itemSize
            sep()
            header += "\(jsonString(t.name)):{\"dtype\":\"\(code)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + n)]}"
            offset += n
        }
        header += "}"
        var h = Array(header.utf8)
        while (8 + h.count) % 8 != 0 { h.append(0x20) }
        let out = try OutputFile(path)
        var len = UInt64(h.count).littleEndian
        try withUnsafeBytes(of: &len) { try out.write($0) }
        try h.withUnsafeBytes { try out.write($0) }
        for t in tensors { try t.contiguousLittleEndianBytes().withUnsafeBytes { try out.write($0) } }
        try out.close()
    }

    // MARK: npy / npz

    /// NumPy's `descr` for a dtype, little-endian.
    static func npyDescr(_ d: DType) -> String? {
        switch d {
        case .bool: return "|b1"
        case .uint8: return "|u1"
        case .int8: return "|i1"
        case .uint16: return "<u2"
        case .int16: return "<i2"
        case .uint32: return "<u4"
        case .int32: return "<i4"
        case .uint64: return "<u8"
        case .int64: return "<i8"
        case .float16: return "<f2"
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .complex64: return "<c8"
        case .complex128: return "<c16"
        case .bfloat16, .float8_e4m3fn, .float8_e5m2: return nil
        }
    }

    /// A complete `.npy` image (version 1.0, C order) of `t`.
    static func npyBytes(_ t: Tensor, path: String) throws -> [UInt8] {
        guard let descr = npyDescr(t.dtype) else {
            throw CheckpointError(path: path, "tensor '\(t.name)': NumPy has no \(t.dtype.rawValue); write .safetensors instead")
        }
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out: [UInt8] = NPYFormat.magic + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        out += Array(header.utf8)
        out += try t.contiguousLittleEndianBytes()
        return out
    }

    public static func writeNPY(_ t: Tensor, to path: String) throws {
        let bytes = try npyBytes(t, path: path)
        let out = try OutputFile(path)
        try bytes.withUnsafeBytes { try out.write($0) }
        try out.close()
    }

    /// An `.npz` (stored members, like `numpy.savez`). `forceZip64` writes ZIP64 records even
    /// for small archives (used by the tests).
    public static func writeNPZ(_ tensors: [Tensor], to path: String, forceZip64: Bool = false) throws {
        for t in tensors where npyDescr(t.dtype) == nil {
            throw CheckpointError(path: path, "tensor '\(t.name)': NumPy has no \(t.dtype.rawValue); write .safetensors instead")
        }
        let out = try OutputFile(path)
        var central: [UInt8] = []
        var offset = 0
        var count = 0
        func le16(_ v: Int, _ a: inout [UInt8]) { a += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func le32(_ v: Int, _ a: inout [UInt8]) { for i in 0..<4 { a.append(UInt8((v >> (8 * i)) & 0xff)) } }
        func le64(_ v: Int, _ a: inout [UInt8]) { for i in 0..<8 { a.append(UInt8((v >> (8 * i)) & 0xff)) } }
        for t in tensors {
            let data = try npyBytes(t, path: path)
            let name = Array((t.name + ".npy").utf8)
            let crc = data.withUnsafeBufferPointer { p -> Int in
                var c = CZlib.crc32(0, nil, 0)
                var off = 0
                while off < p.count {
                    let n = min(p.count - off, 1 << 30)
                    c = CZlib.crc32(c, p.baseAddress! + off, UInt32(n)); off += n
                }
                return Int(c)
            }
            let big = forceZip64 || data.count >= 0xFFFF_FFFF || offset >= 0xFFFF_FFFF
            var local: [UInt8] = []
            le32(0x0403_4b50, &local); le16(big ? 45 : 20, &local); le16(0, &local); le16(0, &local)
            le16(0, &local); le16(0x21, &local)  // time, date (1980-01-01)
            le32(crc, &local)
            le32(big ? 0xFFFF_FFFF : data.count, &local); le32(big ? 0xFFFF_FFFF : data.count, &local)
            le16(name.count, &local); le16(big ? 20 : 0, &local)
            local += name
            if big { le16(1, &local); le16(16, &local); le64(data.count, &local); le64(data.count, &local) }
            try local.withUnsafeBytes { try out.write($0) }
            try data.withUnsafeBytes { try out.write($0) }

            le32(0x0201_4b50, &central); le16(big ? 45 : 20, &central); le16(big ? 45 : 20, &central)
            le16(0, &central); le16(0, &central); le16(0, &central); le16(0x21, &central)
            le32(crc, &central)
            le32(big ? 0xFFFF_FFFF : data.count, &central); le32(big ? 0xFFFF_FFFF : data.count, &central)
            le16(name.count, &central); le16(big ? 28 : 0, &central); le16(0, &central)
            le16(0, &central); le16(0, &central); le32(0, &central)
            le32(big ? 0xFFFF_FFFF : offset, &central)
            central += name
            if big { le16(1, &central); le16(24, &central); le64(data.count, &central); le64(data.count, &central); le64(offset, &central) }
            offset += local.count + data.count
            count += 1
        }
        var tail: [UInt8] = central
        let zip64 = forceZip64 || offset >= 0xFFFF_FFFF || count >= 0xFFFF
        if zip64 {
            let z = offset + central.count
            le32(0x0606_4b50, &tail); le64(44, &tail); le16(45, &tail); le16(45, &tail); le32(0, &tail); le32(0, &tail)
            le64(count, &tail); le64(count, &tail); le64(central.count, &tail); le64(offset, &tail)
            le32(0x0706_4b50, &tail); le32(0, &tail); le64(z, &tail); le32(1, &tail)
        }
        le32(0x0605_4b50, &tail); le16(0, &tail); le16(0, &tail)
        le16(zip64 ? 0xFFFF : count, &tail); le16(zip64 ? 0xFFFF : count, &tail)
        le32(zip64 ? 0xFFFF_FFFF : central.count, &tail); le32(zip64 ? 0xFFFF_FFFF : offset, &tail); le16(0, &tail)
        try tail.withUnsafeBytes { try out.write($0) }
        try out.close()
    }

    static func jsonString(_ s: String) -> String { jsonQuoted(s) }
}

/// A file opened for writing (`-` or `/dev/stdout` work too).
final class OutputFile {
    let fd: Int32
    let path: String
    init(_ path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CheckpointError(path: path, "cannot create: \(String(cString: strerror(errno)))") }
    }
    func write(_ b: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < b.count {
            let r = Glibc.write(fd, b.baseAddress! + off, b.count - off)
            if r < 0 { if errno == EINTR { continue }; throw CheckpointError(path: path, "write failed: \(String(cString: strerror(errno)))") }
            off += r
        }
    }
    private var closed = false
    deinit { if !closed { _ = Glibc.close(fd) } }
    func close() throws {
        closed = true
        guard Glibc.close(fd) == 0 else { throw CheckpointError(path: path, "close failed: \(String(cString: strerror(errno)))") }
    }
}
