import CHDF5
import Foundation

/// A JSON value as Keras configs hold it (booleans kept apart from numbers).
indirect enum KerasJSON: Decodable {
    case bool(Bool), int(Int64), double(Double), string(String), array([KerasJSON]), object([String: KerasJSON]), null

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([KerasJSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: KerasJSON].self)) }
    }

    static func parse(_ bytes: some Collection<UInt8>) -> KerasJSON? { try? JSONDecoder().decode(KerasJSON.self, from: Data(bytes)) }

    subscript(_ k: String) -> KerasJSON? { if case .object(let o) = self { return o[k] } else { return nil } }
    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
}

/// HDF5 through Debian's libhdf5 (serial build, not thread-safe): every call holds `lock`.
enum HDF5Library {
    static let lock = NSLock()
    nonisolated(unsafe) static var ready = false

    /// Runs `body` under the lock, after the one-time initialisation (error printing off).
    static func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock(); defer { lock.unlock() }
        if !ready {
            guard irrep_h5_init() == 0 else { throw CheckpointError(path: "", "the HDF5 library failed to initialise") }
            ready = true
        }
        return try body()
    }
}

/// An open HDF5 file (the caller holds `HDF5Library.lock`). Sizes read from it are checked
/// before anything is allocated: a dataset must store the bytes its shape declares (or, when
/// compressed, at most 1024 times fewer), and no tensor may exceed
/// `Tensor.materializationLimit`.
final class HDF5File {
    let id: hid_t
    let path: String
    /// Bytes read so far, bounded by `budget`.
    var readBytes = 0
    let budget: Int

    init(path: String) throws {
        self.path = path
        id = irrep_h5_open(path)
        guard id >= 0 else { throw CheckpointError(path: path, "HDF5: cannot open the file (damaged, truncated or not HDF5)") }
        budget = Tensor.materializationLimit
    }

    /// Opens the bytes of a zip member (a `.keras` archive's `model.weights.h5`).
    init(image: UnsafeRawBufferPointer, path: String) throws {
        self.path = path
        id = image.count > 0 ? irrep_h5_open_image(image.baseAddress!, image.count) : -1
        guard id >= 0 else { throw CheckpointError(path: path, "HDF5: the archive's model.weights.h5 cannot be opened (damaged or not HDF5)") }
        budget = Tensor.materializationLimit
    }

    deinit { H5Fclose(id) }

    func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, "HDF5: \(m)") }

    /// Names of the links in `group` (at most 100 000), in name order with numbers compared as numbers.
    func children(_ group: String) throws -> [String] {
        let g = H5Gopen2(id, group, 0)
        guard g >= 0 else { throw fail("group '\(group)' cannot be opened") }
        defer { H5Gclose(g) }
        let n = irrep_h5_nlinks(g)
        guard n >= 0, n <= 100_000 else { throw fail("group '\(group)' claims \(n) members") }
        var names: [String] = []
        var buf = [CChar](repeating: 0, count: 1024)
        for i in 0..<UInt64(n) {
            let len = irrep_h5_link_name(g, i, &buf, buf.count)
            guard len >= 0, len < buf.count else { throw fail("member \(i) of '\(group)' has an unreadable or over-long name") }
            names.append(String(decoding: buf.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return names.sorted { a, b in
            if let x = Int(a), let y = Int(b) { return x < y }
            return a.compare(b, options: .numeric) == .orderedAscending
        }
    }

    /// 1 group, 2 dataset, 0 other.
    func kind(_ name: String) -> Int32 { irrep_h5_kind(id, name) }

    /// The strings of attribute `name` on object `object` (nil when absent); at most 64 MiB.
    func stringAttribute(_ object: String, _ name: String) -> [String]? {
        let o = H5Oopen(id, object, 0)
        guard o >= 0 else { return nil }
        defer { H5Oclose(o) }
        var count: Int32 = 0, total = 0
        guard let p = irrep_h5_string_attr(o, name, 64 << 20, &count, &total) else { return nil }
        defer { free(p) }
        var out: [String] = []
        var start = 0
        let raw = UnsafeRawBufferPointer(start: p, count: total)
        for i in 0..<total where raw[i] == 0 {
            out.append(String(decoding: raw[start..<i], as: UTF8.self)); start = i + 1
        }
        return out.count == Int(count) ? out : nil
    }

    /// Reads dataset `name` into a tensor called `tensorName`, after checking its sizes.
    func tensor(_ name: String, as tensorName: String) throws -> Tensor {
        let ds = H5Dopen2(id, name, 0)
        guard ds >= 0 else { throw fail("dataset '\(name)' cannot be opened") }
        defer { H5Dclose(ds) }
        var info = irrep_h5_dataset_info()
        guard irrep_h5_dataset(ds, &info) == 0 else { throw fail("dataset '\(name)': unreadable dataspace or type") }
        let dims = withUnsafeBytes(of: info.dims) { Array($0.bindMemory(to: UInt64.self).prefix(Int(info.rank))) }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard d <= UInt64(Int.max) else { throw fail("dataset '\(name)': absurd dimension \(d)") }
            let (c, o) = count.multipliedReportingOverflow(by: Int(d))
            guard !o else { throw fail("dataset '\(name)': shape \(dims) overflows") }
            count = c; shape.append(Int(d))
        }
        let dtype: DType
        switch (info.tclass, info.size, info.isSigned != 0) {
        case (1, 2, _): dtype = info.mantissa == 7 ? .bfloat16 : .float16
        case (1, 4, _): dtype = .float32
        case (1, 8, _): dtype = .float64
        case (0, 1, true): dtype = .int8
        case (0, 1, false): dtype = .uint8
        case (0, 2, true): dtype = .int16
        case (0, 2, false): dtype = .uint16
        case (0, 4, true): dtype = .int32
        case (0, 4, false): dtype = .uint32
        case (0, 8, true): dtype = .int64
        case (0, 8, false): dtype = .uint64
        case (2, 1, _): dtype = .bool  // h5py's bool: an enum over int8
        default: throw fail("dataset '\(name)': unsupported element type (HDF5 class \(info.tclass), \(info.size) bytes)")
        }
        let (bytes, o) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !o, bytes <= Tensor.materializationLimit else {
            throw fail("dataset '\(name)' declares shape \(shape) (\(o ? "more than 2^63" : String(bytes)) bytes), above the limit of \(Tensor.materializationLimit) bytes (IRREPSCOPE_MAX_TENSOR_BYTES)")
        }
        let stored = Int(max(info.storage, 0))
        if info.nfilters == 0 {
            guard stored >= bytes else {
                throw fail("dataset '\(name)' declares shape \(shape) (\(bytes) bytes) but stores \(stored) bytes")
            }
        } else {
            let (cap, o2) = stored.multipliedReportingOverflow(by: 1024)
            guard o2 || bytes <= cap else {
                throw fail("dataset '\(name)' declares \(bytes) bytes from \(stored) compressed bytes (ratio above 1024)")
            }
        }
        let (total, o3) = readBytes.addingReportingOverflow(bytes)
        guard !o3, total <= budget else { throw fail("the datasets together exceed \(budget) bytes") }
        readBytes = total
        let buf = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        if bytes > 0 {
            guard irrep_h5_read(ds, buf) == 0 else { buf.deallocate(); throw fail("dataset '\(name)' cannot be read (damaged data)") }
        }
        let src = ByteSource(adopting: buf, count: bytes, path: path)
        return try Tensor(name: tensorName, dtype: dtype, shape: shape, source: src, storageStart: 0, storageLength: bytes,
                          byteOrder: info.order == 1 ? .big : .little)
    }
}

/// Keras 3 `.weights.h5` and legacy (Keras 2 / `model.save('x.h5')`) HDF5 files, and the
/// `model.weights.h5` inside `.keras` archives (docs/formats.md §15).
///
/// Keras 3 stores a layer's variables as `layers/<path>/vars/0, 1, …`, the `vars` group's
/// `name` attribute holding the layer's name; with the model's config (a `.keras` archive's
/// `config.json`) the indices become variable names for the layer classes whose variable
/// order is fixed (Dense, EinsumDense and Conv: `kernel`, `bias`; Embedding: `embeddings`;
/// normalisation layers: `gamma`, `beta`, …), so `layers/dense/vars/0` is `dense.kernel`.
/// Without a config the index is kept (`dense.0`). Legacy files name their weights
/// (`model_weights/<layer>/<weight name>`, listed in the `weight_names` attribute):
/// `dense.kernel`.
public enum KerasHDF5Format: CheckpointFormat {
    public static let name = "keras-h5"
    static let magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func recognizes(_ source: ByteSource) -> Bool {
        // The HDF5 superblock signature at offset 0 (files with a user block are not written by Keras).
        source.count >= 8 && Array(source.all.prefix(8)) == magic
    }

    /// Reads the file, in a child process when `HDF5Isolation.childCommand` is set.
    public static func read(_ source: ByteSource) throws -> Checkpoint {
        try HDF5Isolation.read(path: source.path) {
            try HDF5Library.locked {
                let f = try HDF5File(path: source.path)
                return try read(f, config: nil, format: name)
            }
        }
    }

    /// Variable names by layer class, in the order Keras creates them.
    static func variableNames(_ layer: KerasJSON) -> [String]? {
        let cfg = layer["config"]
        let useBias = cfg?["use_bias"]?.bool ?? true
        let center = cfg?["center"]?.bool ?? true, scale = cfg?["scale"]?.bool ?? true
        switch layer["class_name"]?.string ?? "" {
        case "Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose":
            return useBias ? ["kernel", "bias"] : ["kernel"]
        case "Embedding": return ["embeddings"]
        case "LayerNormalization": return (scale ? ["gamma"] : []) + (center ? ["beta"] : [])
        case "BatchNormalization": return (scale ? ["gamma"] : []) + (center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
        default: return nil
        }
    }

    /// Every layer config in `config` (nested models included), by layer name, in config order.
    static func layerConfigs(_ config: KerasJSON?) -> [(name: String, layer: KerasJSON)] {
        var out: [(String, KerasJSON)] = []
        var stack: [KerasJSON] = config.map { [$0] } ?? []
        var steps = 0
        while let x = stack.popLast(), steps < 100_000 {
            steps += 1
            switch x {
            case .object(let d):
                if d["class_name"]?.string != nil, let n = d["config"]?["name"]?.string { out.append((n, x)) }
                // Only layers: a model's `layers`, a wrapper's `layer` (not dtype policies or initializers).
                for k in ["backward_layer", "forward_layer", "layer", "layers"] { if let v = d["config"]?[k] { stack.append(v) } }
            case .array(let a): stack.append(contentsOf: a.reversed())
            default: break
            }
        }
        return out
    }

    /// Reads a Keras 3 or legacy weights file; `config` is the parsed `config.json` when known.
    static func read(_ f: HDF5File, config: KerasJSON?, format: String) throws -> Checkpoint {
        var tensors: [Tensor] = []
        var metadata: [(key: String, value: MetadataValue)] = []
        let root = try f.children("/")
        var configs: [String: KerasJSON] = [:]
        var cfg = config
        if cfg == nil, let text = f.stringAttribute("/", "model_config")?.first { cfg = KerasJSON.parse(Array(text.utf8)) }
        for (n, l) in layerConfigs(cfg) where configs[n] == nil { configs[n] = l }
        for attr in ["keras_version", "backend"] {
            let hasModelWeights = root.contains("model_weights")
            if let v = f.stringAttribute("/", attr)?.first ?? (hasModelWeights ? f.stringAttribute("/model_weights", attr)?.first : nil) {
                metadata.append((attr, .string(v)))
            }
        }
        if root.contains("layers") || root.contains("vars") {
            // Keras 3: walk groups; a `vars` group holds one layer's variables.
            // Each group once: a group linked twice (a cycle of hard links, which Keras never
            // writes) is refused, and so are absurd counts and depths.
            var order: [String] = []
            var stack = [("/", 0)]
            var visited = 0
            var seen: Set<UInt64> = [irrep_h5_object_key(f.id, "/")]
            while let (g, depth) = stack.popLast() {
                visited += 1
                guard visited <= 10_000 else { throw f.fail("more than 10000 groups") }
                let kids = try f.children(g)
                for k in kids.reversed() {
                    let p = g == "/" ? "/" + k : g + "/" + k
                    guard f.kind(p) == 1 else { continue }
                    let key = irrep_h5_object_key(f.id, p)
                    guard key != 0, seen.insert(key).inserted else {
                        throw f.fail("group '\(DisplayText.terminalSafe(p))' is a second link to a group already seen (a cycle)")
                    }
                    guard depth < 64 else { throw f.fail("groups nested more than 64 deep") }
                    stack.append((p, depth + 1))
                }
                if g.hasSuffix("/vars") { order.append(g) }
            }
            for g in order {
                let vars = try f.children(g).filter { f.kind(g + "/" + $0) == 2 }
                guard !vars.isEmpty else { continue }
                let layerName = f.stringAttribute(g, "name")?.first
                // layers/a/layers/b/vars → a.b; the last part is the layer's own name when given.
                // Under `layers/` the last part is the layer's own name (the `vars` group's `name`
                // attribute); other groups (`optimizer/vars`, the model's `vars`) keep their path.
                let all = g.split(separator: "/").map(String.init)
                var parts = all.filter { $0 != "layers" && $0 != "vars" }
                if all.first == "layers", let n = layerName, !parts.isEmpty { parts[parts.count - 1] = n }
                let prefix = parts.isEmpty ? "vars" : parts.joined(separator: ".")
                let names = all.first == "layers" ? layerName.flatMap { configs[$0] }.flatMap { variableNames($0) } : nil
                for v in vars {
                    var leaf = v
                    if let names, names.count == vars.count, let i = Int(v), i >= 0, i < names.count { leaf = names[i] }
                    tensors.append(try f.tensor(g + "/" + v, as: prefix.isEmpty ? leaf : prefix + "." + leaf))
                }
            }
        } else {
            // Legacy: model_weights/<layer>/<weight name> (model files) or <layer>/<weight name> (weights files).
            let base = root.contains("model_weights") ? "/model_weights" : "/"
            let layers = try f.stringAttribute(base, "layer_names") ?? f.children(base)
            for layer in layers {
                let lp = (base == "/" ? "" : base) + "/" + layer
                guard f.kind(lp) == 1 else { continue }
                let weights = f.stringAttribute(lp, "weight_names") ?? []
                for w in weights {
                    guard !w.contains(".."), !w.hasPrefix("/"), f.kind(lp + "/" + w) == 2 else {
                        throw f.fail("layer '\(layer)' lists weight '\(w)', which is not a dataset of the file")
                    }
                    var leaf = String(w.split(separator: "/").last ?? Substring(w))
                    if let colon = leaf.firstIndex(of: ":") { leaf = String(leaf[..<colon]) }  // Keras 2: kernel:0
                    tensors.append(try f.tensor(lp + "/" + w, as: layer + "." + leaf))
                }
            }
        }
        // The layer config as metadata: class and scalar settings, by layer name.
        for (n, l) in layerConfigs(cfg) {
            guard let cls = l["class_name"]?.string, case .object(let c)? = l["config"] else { continue }
            metadata.append(("config.\(n).class_name", .string(cls)))
            for k in c.keys.sorted() where k != "name" {
                switch c[k]! {
                case .bool(let b): metadata.append(("config.\(n).\(k)", .bool(b)))
                case .int(let i): metadata.append(("config.\(n).\(k)", .int(i)))
                case .double(let d): metadata.append(("config.\(n).\(k)", .double(d)))
                case .string(let v): metadata.append(("config.\(n).\(k)", .string(v)))
                default: break
                }
            }
        }
        return Checkpoint(format: format, path: f.path, tensors: tensors, metadata: metadata)
    }
}

/// Keras 3 `.keras` archives: a zip with `config.json`, `metadata.json` and
/// `model.weights.h5` (docs/formats.md §15).
public enum KerasArchiveFormat: CheckpointFormat {
    public static let name = "keras"

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard ZipArchive.looksLikeZip(source), let zip = try? ZipArchive(source) else { return false }
        return zip.entry(named: "model.weights.h5") != nil && zip.entry(named: "config.json") != nil
    }

    /// Reads the archive, in a child process when `HDF5Isolation.childCommand` is set.
    public static func read(_ source: ByteSource) throws -> Checkpoint {
        try HDF5Isolation.read(path: source.path) { try readInProcess(source) }
    }

    static func readInProcess(_ source: ByteSource) throws -> Checkpoint {
        let path = source.path
        let zip = try ZipArchive(source)
        guard let w = zip.entry(named: "model.weights.h5") else { throw CheckpointError(path: path, "a .keras archive without model.weights.h5") }
        var config: KerasJSON? = nil
        if let c = zip.entry(named: "config.json") {
            let (s, r) = try zip.contents(of: c)
            guard r.count <= 64 << 20 else { throw CheckpointError(path: path, "config.json of \(r.count) bytes exceeds 64 MiB") }
            guard let parsed = KerasJSON.parse(try s.bytes(r)) else { throw CheckpointError(path: path, "config.json is not valid JSON") }
            config = parsed
        }
        var extra: [(key: String, value: MetadataValue)] = []
        if let m = zip.entry(named: "metadata.json") {
            let (s, r) = try zip.contents(of: m)
            if r.count <= 1 << 20, case .object(let d)? = KerasJSON.parse(try s.bytes(r)) {
                for k in d.keys.sorted() { if let v = d[k]?.string { extra.append((k, .string(v))) } }
            }
        }
        let (src, range) = try zip.contents(of: w)
        let bytes = try src.bytes(range)
        var c = try HDF5Library.locked {
            let f = try HDF5File(image: bytes, path: path)
            return try KerasHDF5Format.read(f, config: config, format: name)
        }
        c.metadata = extra + c.metadata
        return c
    }
}
