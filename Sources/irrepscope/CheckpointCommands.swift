import ArgumentParser
import Checkpoints
import Foundation
import JSONOutput
import Reports

/// Output of `inspect`.
enum InspectFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

/// Says on stderr which objects were kept opaque (never called), so a hostile pickle is visible.
func reportOpaque(_ c: Checkpoint) {
    if let note = CheckpointRendering.opaqueNote(c) { diagnostic("irrepscope: note: " + note) }
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
        CheckpointRendering.write(c, json: format == .json, out)
        out.flush()
        if readAll {
            let r = try CheckpointRendering.readAll(c)
            let done = DispatchTime.now()
            let openS = Double(opened.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let readS = Double(done.uptimeNanoseconds - opened.uptimeNanoseconds) / 1e9
            diagnostic("read-all: \(r.tensors) tensors, \(r.bytes) bytes, open \(String(format: "%.4f", openS)) s, read \(String(format: "%.3f", readS)) s, \(String(format: "%.2f", Double(r.bytes) / readS / 1e9)) GB/s, checksum \(String(r.checksum, radix: 16))")
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
