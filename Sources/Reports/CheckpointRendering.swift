import Checkpoints
import Foundation
import JSONOutput

/// Renderings of what a checkpoint holds (`irrepscope inspect`).
public enum CheckpointRendering {
    /// The note for objects kept opaque (never executed), or nil when there are none.
    public static func opaqueNote(_ c: Checkpoint) -> String? {
        guard !c.opaque.isEmpty else { return nil }
        let list = c.opaque.prefix(10).map { "\($0.key.isEmpty ? "<root>" : DisplayText.truncated($0.key, limit: 80)) (\(DisplayText.truncated($0.global, limit: 80)))" }.joined(separator: ", ")
        let more = c.opaque.count > 10 ? ", … \(c.opaque.count - 10) more" : ""
        return "\(c.path): \(c.opaque.count) object(s) of classes or functions not on the allow-list were kept opaque and never executed: \(list)\(more)"
    }

    /// One metadata entry as `inspect` shows it: a scalar, or a long Python list of scalars
    /// (per-step losses) gathered from its `key.0`, `key.1`, … leaves.
    public enum MetadataEntry: Equatable {
        case scalar(MetadataValue)
        case list([MetadataValue])
    }

    /// Lists of at least this many scalars are shown as one entry.
    public static let listThreshold = 8

    /// The metadata with every run of `listThreshold` or more consecutive scalar leaves keyed
    /// `prefix.0`, `prefix.1`, … (in order, nothing else under `prefix.`) gathered into one
    /// list entry keyed `prefix`. Shorter lists, and lists of lists, stay leaf by leaf.
    public static func groupedMetadata(_ metadata: [(key: String, value: MetadataValue)]) -> [(key: String, entry: MetadataEntry)] {
        var out: [(key: String, entry: MetadataEntry)] = []
        var i = 0
        while i < metadata.count {
            let k = metadata[i].key
            if k.hasSuffix(".0") || k == "0" {
                let prefix = String(k.dropLast(1))  // "losses." (or "" for a root list)
                var values: [MetadataValue] = []
                var j = i
                while j < metadata.count, metadata[j].key == prefix + String(values.count) {
                    values.append(metadata[j].value); j += 1
                }
                // The list must be whole: no further leaf under the same prefix right after it.
                let whole = j == metadata.count || !metadata[j].key.hasPrefix(prefix)
                if values.count >= listThreshold, whole {
                    out.append((prefix.isEmpty ? "" : String(prefix.dropLast()), .list(values)))
                    i = j
                    continue
                }
            }
            out.append((k, .scalar(metadata[i].value)))
            i += 1
        }
        return out
    }

    /// A metadata value for the table: strings escaped and cut to `DisplayText.defaultLimit`.
    static func display(_ v: MetadataValue) -> String {
        if case .string(let s) = v { return DisplayText.truncated(s) }
        return v.description
    }

    /// Format, tensors (name, dtype, shape), scalar metadata and opaque objects. Names, keys
    /// and strings from the file are printed with control characters escaped; in the table,
    /// strings are cut to 200 characters and long lists shown as their length, first and
    /// last values (the JSON holds the whole list as an array).
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
            func value(_ v: MetadataValue) {
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
            for (k, e) in groupedMetadata(c.metadata) {
                w.key(k)
                switch e {
                case .scalar(let v): value(v)
                case .list(let vs): w.beginArray(); for v in vs { value(v) }; w.endArray()
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
            out.write("\(DisplayText.escaped(c.path)): \(c.format), \(c.tensors.count) tensors\n")
            let names = c.tensors.map { DisplayText.truncated($0.name) }
            let width = min(60, names.map { $0.count }.max() ?? 4)
            for (t, name) in zip(c.tensors, names) {
                let pad = String(repeating: " ", count: max(0, width - name.count))
                out.write("  \(name)\(pad)  \(t.dtype.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))  [\(t.shape.map(String.init).joined(separator: ", "))]\n")
            }
            if !c.metadata.isEmpty {
                out.write("metadata:\n")
                for (k, e) in groupedMetadata(c.metadata) {
                    let key = DisplayText.truncated(k)
                    switch e {
                    case .scalar(let v): out.write("  \(key) = \(display(v))\n")
                    case .list(let vs): out.write("  \(key) = [\(vs.count) values: \(display(vs[0])), \(display(vs[1])), …, \(display(vs[vs.count - 1]))]\n")
                    }
                }
            }
            if !c.opaque.isEmpty {
                out.write("opaque (not executed):\n")
                for (k, g) in c.opaque { out.write("  \(k.isEmpty ? "<root>" : DisplayText.truncated(k)): \(DisplayText.truncated(g))\n") }
            }
        }
    }

    /// Benchmark aid (`inspect --read-all`): touches every byte of every tensor as a reader
    /// would; returns (tensors, bytes, checksum).
    public static func readAll(_ c: Checkpoint) throws -> (tensors: Int, bytes: Int, checksum: UInt64) {
        var total = 0
        var checksum: UInt64 = 0
        try c.loadAll()
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
