import Foundation
/// A scalar found next to the tensors (epoch, step, loss, config values).
public enum MetadataValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int64)
    /// An integer too large for Int64, in decimal.
    case bigInt(String)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null
    /// A byte string, by length.
    case bytes(Int)

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .bigInt(let s): return s
        case .double(let v): return String(v)
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .bytes(let n): return "<\(n) bytes>"
        }
    }
}

/// Everything read from one weight file: its tensors in file order, the scalar metadata,
/// and the objects that were not recognised (kept inert, never executed).
public struct Checkpoint: Sendable {
    /// Short format name: `npy`, `npz`, `safetensors`, `torch-zip`, `torch-legacy`, `flax-msgpack`, …
    public var format: String
    public var path: String
    /// Tensors in file order, named by key path.
    public var tensors: [Tensor]
    /// Scalar leaves by key path.
    public var metadata: [(key: String, value: MetadataValue)]
    /// Objects of globals that are not on the allow-list, by key path and global name.
    public var opaque: [(key: String, global: String)]

    public init(format: String, path: String, tensors: [Tensor],
                metadata: [(key: String, value: MetadataValue)] = [],
                opaque: [(key: String, global: String)] = []) {
        self.format = format; self.path = path; self.tensors = tensors
        self.metadata = metadata; self.opaque = opaque
    }

    /// The tensor called `name`; an unknown name is an error listing the closest names. A
    /// name may end in NumPy basic slicing, `model.embed.W_E[:, :113]`, `fc1.weight[:, 31:]`,
    /// `W[0]` (negative indices and steps too): the view is taken without copying.
    public func tensor(named name: String) throws -> Tensor {
        if let t = tensors.first(where: { $0.name == name }) { return t }
        if name.hasSuffix("]"), let open = name.lastIndex(of: "["), open > name.startIndex {
            let base = try tensor(named: String(name[..<open]))
            return try base.sliced(String(name[open...]), path: path)
        }
        let wanted = name.lowercased()
        var scored: [(name: String, distance: Int)] = []
        for t in tensors {
            let d: Int = editDistance(t.name.lowercased(), wanted)
            scored.append((t.name, d))
        }
        scored.sort { a, b in a.distance != b.distance ? a.distance < b.distance : a.name < b.name }
        let close: [String] = scored.prefix(5).map { $0.name }
        let hint = close.isEmpty ? "the file holds no tensors" : "closest: \(close.joined(separator: ", "))"
        throw CheckpointError(path: path, "no tensor named '\(name)' (\(hint))")
    }
}

/// Levenshtein distance, for "did you mean" lists.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count), cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[b.count]
}

/// One file format: recognises its files and reads them into a `Checkpoint`.
///
/// New formats slot in by conforming and being listed in `CheckpointLoader.formats`.
public protocol CheckpointFormat {
    /// The name reported as `format`.
    static var name: String { get }
    /// True when the bytes look like this format (magic numbers; cheap).
    static func recognizes(_ source: ByteSource) -> Bool
    /// Reads the file. Throws `CheckpointError` naming the file and the problem.
    static func read(_ source: ByteSource) throws -> Checkpoint
}

/// Opens any supported weight file by content, not by extension.
public enum CheckpointLoader {
    /// The formats tried, in order.
    /// TorchScript precedes torch-zip (both hold `*/data.pkl`; TorchScript adds `code/`);
    /// torch-legacy (a pickle stream with torch's magic number) precedes plain pickles.
    nonisolated(unsafe) public static let formats: [any CheckpointFormat.Type] = [
        NPYFormat.self, SafetensorsFormat.self, TorchScriptFormat.self, TorchZipFormat.self, KerasArchiveFormat.self,
        NPZFormat.self, TorchLegacyFormat.self, FlaxMsgpackFormat.self, PicklePytreeFormat.self, KerasHDF5Format.self,
    ]

    /// A Git LFS pointer file: a few lines of text, `version https://git-lfs…/spec/v1`,
    /// `oid sha256:…`, `size …`, left where a checkpoint was not fetched.
    static func isLFSPointer(_ source: ByteSource) -> Bool {
        guard source.count < 1024 else { return false }
        let text = String(decoding: source.all, as: UTF8.self)
        return text.hasPrefix("version https://git-lfs") && text.contains("\noid sha256:")
    }

    /// Whether the file at `path` looks like a checkpoint of a supported format (its magic
    /// numbers; a zip archive counts, so that a damaged torch file is reported, not skipped).
    /// Reads only the file's first bytes through a memory map.
    public static func recognizes(path: String) -> Bool {
        if OrbaxFormat.isCheckpointDirectory(path) { return true }
        guard let source = try? ByteSource(path: path) else { return false }
        return formats.contains { $0.recognizes(source) } || ZipArchive.looksLikeZip(source)
    }

    /// Maps `path` and reads it with the first format that recognises it.
    public static func load(path: String) throws -> Checkpoint {
        // Orbax checkpoints are directories (docs/formats.md §16).
        if OrbaxFormat.isCheckpointDirectory(path) { return try OrbaxFormat.read(directory: path) }
        let source = try ByteSource(path: path)
        for f in formats where f.recognizes(source) {
            return try f.read(source)
        }
        if ZipArchive.looksLikeZip(source) {
            // A zip none of the formats accepted: say what is wrong with it.
            let zip = try ZipArchive(source)
            let names = zip.entries.prefix(5).map { $0.name }.joined(separator: ", ")
            throw CheckpointError(path: path, "zip archive with neither a */data.pkl (torch) nor only .npy members (npz); it holds \(zip.entries.count) entries: \(names)")
        }
        if isLFSPointer(source) {
            throw CheckpointError(path: path, "a Git LFS pointer (\(source.count) bytes), not a checkpoint: fetch it with git lfs pull")
        }
        let names = formats.map { $0.name }.joined(separator: ", ")
        throw CheckpointError(path: path, "unrecognised file format (supported: \(names))")
    }
}

extension Checkpoint {
    /// Produces the bytes of every lazily read tensor (deflated zip members, Orbax arrays) at
    /// once, on all cores; throws the first failure in tensor order. Tensors whose bytes are
    /// there already are untouched.
    public func loadAll() throws { try Checkpoint.loadAll(tensors) }

    /// The same for any tensors.
    public static func loadAll(_ tensors: [Tensor]) throws {
        let pending = tensors.filter { !$0.source.isLoaded }
        guard !pending.isEmpty else { return }
        DispatchQueue.concurrentPerform(iterations: pending.count) { i in try? pending[i].source.load() }
        for t in pending { try t.source.load() }
    }
}
