import Checkpoints
import Foundation
import JSONOutput

/// Renderings of what a checkpoint holds (`irrepscope inspect`).
public enum CheckpointRendering {
    /// The note for objects kept opaque (never executed), or nil when there are none.
    public static func opaqueNote(_ c: Checkpoint) -> String? {
        guard !c.opaque.isEmpty else { return nil }
        let list = c.opaque.prefix(10).map { "\($0.key.isEmpty ? "<root>" : $0.key) (\($0.global))" }.joined(separator: ", ")
        let more = c.opaque.count > 10 ? ", … \(c.opaque.count - 10) more" : ""
        return "\(c.path): \(c.opaque.count) object(s) of classes or functions not on the allow-list were kept opaque and never executed: \(list)\(more)"
    }

    /// Format, tensors (name, dtype, shape), scalar metadata and opaque objects.
    public static func write(_ c: Checkpoint, json: Bool, _ out: ByteSink) {
        if json {
            let w = JSONWriter(sink: out)
            w.beginObject()
            w.field("format", c.format)
            w.key("tensors"); w.beginArray()
            for t in c.tensors {
                w.beginObject()
                w.field("name", t.name)
                w.field("dtype", t.dtype.rawValue)
                w.key("shape"); w.array(t.shape)
                w.endObject()
            }
            w.endArray()
            w.key("metadata"); w.beginObject()
            for (k, v) in c.metadata {
                w.key(k)
                switch v {
                case .int(let i): w.value(i)
                case .bigInt(let s): w.value(s)
                case .double(let d): w.value(d)
                case .string(let s): w.value(s)
                case .bool(let b): w.value(b)
                case .null: w.null()
                case .bytes(let n): w.value("<\(n) bytes>")
                }
            }
            w.endObject()
            w.key("opaque"); w.beginArray()
            for (k, g) in c.opaque {
                w.beginObject(); w.field("key", k); w.field("global", g); w.endObject()
            }
            w.endArray()
            w.endObject()
            out.write("\n")
        } else {
            out.write("\(c.path): \(c.format), \(c.tensors.count) tensors\n")
            let width = min(60, c.tensors.map { $0.name.count }.max() ?? 4)
            for t in c.tensors {
                let pad = String(repeating: " ", count: max(0, width - t.name.count))
                out.write("  \(t.name)\(pad)  \(t.dtype.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))  [\(t.shape.map(String.init).joined(separator: ", "))]\n")
            }
            if !c.metadata.isEmpty {
                out.write("metadata:\n")
                for (k, v) in c.metadata { out.write("  \(k) = \(v)\n") }
            }
            if !c.opaque.isEmpty {
                out.write("opaque (not executed):\n")
                for (k, g) in c.opaque { out.write("  \(k.isEmpty ? "<root>" : k): \(g)\n") }
            }
        }
    }

    /// Benchmark aid (`inspect --read-all`): touches every byte of every tensor as a reader
    /// would; returns (tensors, bytes, checksum).
    public static func readAll(_ c: Checkpoint) throws -> (tensors: Int, bytes: Int, checksum: UInt64) {
        var total = 0
        var checksum: UInt64 = 0
        for t in c.tensors {
            // Contiguous little-endian tensors are read in place from the map (what an
            // analysis does); others are gathered into C order first.
            let n = t.elementCount * t.dtype.itemSize
            total += n
            try t.source.load()
            func sum(_ raw: UnsafeRawBufferPointer) {
                var s: UInt64 = 0
                let p = raw.baseAddress
                for i in 0..<(raw.count / 8) { s &+= p!.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
                checksum ^= s
            }
            if t.isContiguous, t.byteOrder == .little || t.dtype.itemSize == 1 {
                sum(UnsafeRawBufferPointer(start: t.baseAddress, count: n))
            } else {
                try t.contiguousLittleEndianBytes().withUnsafeBytes { sum($0) }
            }
        }
        return (c.tensors.count, total, checksum)
    }
}
