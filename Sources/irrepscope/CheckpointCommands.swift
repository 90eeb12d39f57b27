import ArgumentParser
import Checkpoints
import Foundation
import JSONOutput

/// Output of `inspect`.
enum InspectFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Says on stderr which objects were kept opaque (never called), so a hostile pickle is visible.
func reportOpaque(_ c: Checkpoint) {
    guard !c.opaque.isEmpty else { return }
    let list = c.opaque.prefix(10).map { "\($0.key.isEmpty ? "<root>" : $0.key) (\($0.global))" }.joined(separator: ", ")
    let more = c.opaque.count > 10 ? ", … \(c.opaque.count - 10) more" : ""
    diagnostic("irrepscope: note: \(c.path): \(c.opaque.count) object(s) of classes or functions not on the allow-list were kept opaque and never executed: \(list)\(more)")
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the tensors, scalar metadata and unrecognised objects of a weight file.",
        discussion: """
        Reads PyTorch (torch.save zip and legacy, TorchScript), safetensors, NumPy .npy/.npz and \
        Flax msgpack files, recognised by content. Nothing in a pickle is ever executed: objects \
        that are not plain containers or tensors are listed as opaque. Only the index is read, \
        so multi-GB files are listed in milliseconds. Tensor names are key paths joined by '.' \
        (list indices in decimal), as --tensor expects them.
        """
    )

    @Argument(help: "Weight file.")
    var file: String

    @Option(help: "Output format: table or json.")
    var format: InspectFormat = .table

    @Flag(name: .customLong("read-all"), help: .hidden)
    var readAll = false

    func run() throws {
        let start = DispatchTime.now()
        let c = try CheckpointLoader.load(path: file)
        let opened = DispatchTime.now()
        reportOpaque(c)
        let out = ByteSink()
        switch format {
        case .json:
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
        case .table:
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
        out.flush()
        if readAll {
            // Benchmark aid: touch every byte of every tensor as a reader would.
            var total = 0
            var checksum: UInt64 = 0
            for t in c.tensors {
                // Contiguous little-endian tensors are read in place from the map (what an
                // analysis does); others are gathered into C order first.
                let n = t.elementCount * t.dtype.itemSize
                total += n
                func sum(_ raw: UnsafeRawBufferPointer) {
                    var s: UInt64 = 0
                    let p = raw.baseAddress
                    for i in 0..<(raw.count / 8) { s &+= p!.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
                    checksum ^= s
                }
                if t.isContiguous, t.byteOrder == .little || t.dtype.itemSize == 1 {
                    sum(UnsafeRawBufferPointer(start: t.baseAddress, count: n))
                } else {
                    t.contiguousLittleEndianBytes().withUnsafeBytes { sum($0) }
                }
            }
            let done = DispatchTime.now()
            let openS = Double(opened.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let readS = Double(done.uptimeNanoseconds - opened.uptimeNanoseconds) / 1e9
            diagnostic("read-all: \(c.tensors.count) tensors, \(total) bytes, open \(String(format: "%.4f", openS)) s, read \(String(format: "%.3f", readS)) s, \(String(format: "%.2f", Double(total) / readS / 1e9)) GB/s, checksum \(String(checksum, radix: 16))")
        }
    }
}

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a weight file's tensors to .safetensors, .npz or .npy (one tensor), exactly.",
        discussion: """
        Turns a pickled or legacy checkpoint into a safe file: same tensor names (key paths), \
        same dtypes, bit-identical values. The output format follows OUT's extension. \
        safetensors has no complex128; NumPy has no bfloat16 or float8.
        """
    )

    @Argument(help: "Input weight file (any format `inspect` reads).")
    var input: String

    @Argument(help: "Output file: .safetensors, .npz or .npy.")
    var output: String

    @Option(name: .long, parsing: .singleValue, help: "Tensor to write, by key path (repeatable; default: all).")
    var tensor: [String] = []

    func validate() throws {
        let o = output.lowercased()
        guard o.hasSuffix(".safetensors") || o.hasSuffix(".npz") || o.hasSuffix(".npy") else {
            throw ValidationError("OUT must end in .safetensors, .npz or .npy")
        }
    }

    func run() throws {
        let c = try CheckpointLoader.load(path: input)
        reportOpaque(c)
        let chosen = tensor.isEmpty ? c.tensors : try tensor.map { try c.tensor(named: $0) }
        guard !chosen.isEmpty else { throw CheckpointError(path: input, "holds no tensors to convert") }
        var meta: [(String, String)] = []
        if output.lowercased().hasSuffix(".safetensors") {
            meta.append(("irrepscope_source_format", c.format))
            var seen: Set<String> = ["irrepscope_source_format"]
            for (k, v) in c.metadata where !k.isEmpty && seen.insert(k).inserted { meta.append((k, v.description)) }
        }
        try CheckpointWriter.write(chosen, metadata: meta, to: output)
        diagnostic("irrepscope: wrote \(chosen.count) tensor(s) to \(output)")
    }
}
