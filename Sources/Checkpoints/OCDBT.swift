import CZstd
import Foundation

/// A read-only OCDBT key-value store, tensorstore's "optionally-cooperative distributed
/// B+tree", the default layout of Orbax checkpoints (docs/formats.md §16.1).
///
/// Conventions of the format, as read here (written from tensorstore's published format
/// description and checked against files that tensorstore 0.1.86 writes):
///
/// * Every encoded structure (manifest, B+tree node) is an *envelope*: a `uint32be` magic
///   (`0x0cdb3a2a` manifest, `0x0cdb20de` B+tree node, `0x0cdb1234` version tree node), a
///   `uint64le` length of the whole envelope, a varint format version (0), a varint
///   compression (0 none, 1 zstd), the body, and a `uint32le` CRC-32C of everything before it.
/// * Integers in bodies are LEB128 varints (at most 10 bytes, 64 bits), except heights,
///   value kinds and the manifest kind (one byte), the zstd level (`int32le`) and commit
///   times (`uint64le`). Arrays are stored column by column (all lengths, then all kinds, …).
/// * `manifest.ocdbt` holds the configuration (uuid, manifest kind, inline-value and node
///   limits, version tree arity, compression) and, for the "single" manifest kind, the most
///   recent versions inline; the last one is the database's current root. The "numbered"
///   kind keeps the versions in `manifest.<16 hex digits>` files; the highest one is read.
/// * References are (data file, offset, length); data files are named by a table in each
///   manifest and node (prefix-compressed paths, each split into a base path that is
///   inherited by the children's tables, and a relative path).
/// * B+tree nodes hold prefix-compressed keys relative to the prefix that the path from the
///   root implies; an interior entry's first `subtree_common_prefix_length` key bytes are a
///   prefix of every key below it. Leaf values are inline (in the node) or references.
///
/// Limits (hostile input, §13): manifests and decoded nodes are bounded
/// (`manifestLimit`, `nodeLimit`), the tree's height (`maxHeight`), node count (`maxNodes`),
/// node bytes checked and decoded (`nodeBytesLimit`) and total key bytes (`keyBytesLimit`)
/// are bounded, a node that is its own ancestor is a
/// cycle, every reference is checked against its data file's size, and data file paths must
/// be relative, without `.`/`..`/empty components, and stay inside the directory once
/// symbolic links are resolved. Every error names the file it is in.
public final class OCDBTStore: @unchecked Sendable {
    /// Largest manifest file, and largest decoded manifest body.
    public static let manifestLimit = 64 << 20
    /// Largest B+tree node, encoded or decoded (Orbax configures nodes of up to 10⁸ bytes).
    public static let nodeLimit = 128 << 20
    /// Largest B+tree height (a root of height h has h levels of interior nodes).
    public static let maxHeight = 32
    /// Most B+tree nodes visited.
    public static let maxNodes = 1 << 20
    /// Most bytes of keys, all keys together (keys are prefix-compressed, so a small node
    /// can describe many long keys).
    public static let keyBytesLimit = 256 << 20
    /// Most bytes of B+tree nodes checked and decoded in all, encoded and decoded counted (a
    /// node may be referenced many times: the bound keeps such a tree from taking forever).
    public static let nodeBytesLimit = 2 << 30
    /// Most bytes of data file paths in one table.
    static let pathTableLimit = 16 << 20

    static let manifestMagic: UInt32 = 0x0cdb_3a2a
    static let btreeMagic: UInt32 = 0x0cdb_20de
    static let versionMagic: UInt32 = 0x0cdb_1234

    /// A key's value: `range` of `source`'s bytes (a decoded node, or a mapped data file).
    public struct Value: @unchecked Sendable {
        public let source: ByteSource
        public let range: Range<Int>
        public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: source.all[range]) }
    }

    /// The directory the database lives in.
    public let directory: String
    /// The manifest that was read (`manifest.ocdbt`, or the highest numbered manifest).
    public let manifestPath: String
    /// Every key, in order.
    public let keys: [String]
    private let values: [String: Stored]
    private let files: DataFiles

    /// A (data file, offset, length) reference; `base` is the transitive base path that the
    /// referenced node's own data file table extends.
    struct Ref: Hashable {
        let file: String
        let base: String
        let offset: UInt64
        let length: UInt64
    }

    enum Stored {
        case inline(ByteSource, Range<Int>)
        /// A reference, and the file that holds it (for messages).
        case indirect(Ref, String)
    }

    /// Opens the database in `directory` and lists its keys (every B+tree node is read; values
    /// that live in data files are read by `value(forKey:)`).
    public convenience init(directory: String) throws {
        let fm = FileManager.default
        let top = (directory as NSString).appendingPathComponent("manifest.ocdbt")
        guard fm.fileExists(atPath: top) else {
            let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            if let p = names.sorted().first(where: { $0.hasPrefix("ocdbt.process_") }) {
                throw CheckpointError(path: directory, "OCDBT: no manifest.ocdbt, only per-process databases (\(p)/): orbax merges them into the top-level database when a save is finalised, so this save did not finish")
            }
            throw CheckpointError(path: top, "OCDBT: the manifest is missing")
        }
        var path = top
        var m = try OCDBTStore.readManifest(top)
        if m.numbered {
            // Versions live in manifest.<generation as 16 hex digits>; the highest is current.
            let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
            let numbered = names.filter { n in
                n.count == 25 && n.hasPrefix("manifest.") && n.dropFirst(9).allSatisfy { $0.isHexDigit && !$0.isUppercase }
            }
            guard let last = numbered.max() else {
                throw CheckpointError(path: top, "OCDBT: a numbered manifest, but no manifest.<generation> file beside it")
            }
            path = (directory as NSString).appendingPathComponent(last)
            m = try OCDBTStore.readManifest(path)
            guard !m.numbered else { throw CheckpointError(path: path, "OCDBT: a numbered manifest must hold the versions") }
        }
        try self.init(manifest: m, manifestPath: path, directory: directory,
                      files: DataFiles(directory: directory, provider: nil), verify: true)
    }

    /// A store decoded from memory, for the fuzz harness (Fuzz/Sources/OCDBT): `encoded`
    /// begins with a manifest or a B+tree node (told apart by the magic, as long as its header
    /// says), and every data file it refers to (after the path checks) is `dataFile(path)`.
    /// `verifyChecksums: false` lets a fuzzer reach the parser behind the CRC-32C.
    public convenience init(encoded: ByteSource, verifyChecksums: Bool,
                            dataFile: @escaping @Sendable (String) throws -> ByteSource) throws {
        let files = DataFiles(directory: encoded.path, provider: dataFile)
        let all = encoded.all
        let magic = all.count >= 4 ? UInt32(bigEndian: all.loadUnaligned(as: UInt32.self)) : 0
        let declared = all.count >= 12 ? UInt64(littleEndian: all.loadUnaligned(fromByteOffset: 4, as: UInt64.self)) : 0
        let first = UnsafeRawBufferPointer(rebasing: all[0..<Int(min(declared, UInt64(all.count)))])
        if magic == OCDBTStore.btreeMagic {
            var walker = Walker(files: files, verify: verifyChecksums)
            let ref = Ref(file: "", base: "", offset: 0, length: UInt64(first.count))
            var ancestors: [Ref] = []
            try walker.visit(node: first, at: ref, path: encoded.path, expectedHeight: nil, prefix: [], ancestors: &ancestors)
            self.init(directory: encoded.path, manifestPath: encoded.path, walker: walker, files: files)
        } else {
            let m = try OCDBTStore.decodeManifest(first, path: encoded.path, verify: verifyChecksums)
            try self.init(manifest: m, manifestPath: encoded.path, directory: encoded.path, files: files, verify: verifyChecksums)
        }
    }

    private convenience init(manifest m: Manifest, manifestPath: String, directory: String, files: DataFiles, verify: Bool) throws {
        var walker = Walker(files: files, verify: verify)
        if let root = m.root {
            guard m.rootHeight <= OCDBTStore.maxHeight else {
                throw CheckpointError(path: manifestPath, "OCDBT manifest: B+tree height \(m.rootHeight) exceeds the limit of \(OCDBTStore.maxHeight)")
            }
            var ancestors: [Ref] = []
            try walker.walk(root, expectedHeight: m.rootHeight, prefix: [], ancestors: &ancestors, heldBy: manifestPath)
        }
        self.init(directory: directory, manifestPath: manifestPath, walker: walker, files: files)
    }

    private init(directory: String, manifestPath: String, walker: Walker, files: DataFiles) {
        self.directory = directory
        self.manifestPath = manifestPath
        self.keys = walker.keys
        self.values = walker.values
        self.files = files
    }

    /// Whether `key` is in the store.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// The value of `key`, or nil when the key is absent. A reference into a data file is
    /// checked against the file's size (the error names the data file).
    public func value(forKey key: String) throws -> Value? {
        guard let s = values[key] else { return nil }
        switch s {
        case .inline(let src, let r):
            return Value(source: src, range: r)
        case .indirect(let ref, let heldBy):
            let file = try files.file(ref.file, heldBy: heldBy)
            guard ref.offset <= UInt64(file.count), ref.length <= UInt64(file.count) - ref.offset else {
                throw CheckpointError(path: files.display(ref.file), "OCDBT: the value of key '\(key)' at offset \(ref.offset) (+\(ref.length) bytes) lies past the end of the file (\(file.count) bytes)")
            }
            return Value(source: file, range: Int(ref.offset)..<Int(ref.offset + ref.length))
        }
    }

    // MARK: - Manifest

    struct Manifest {
        var numbered = false
        var root: Ref?
        var rootHeight = 0
    }

    static func readManifest(_ path: String) throws -> Manifest {
        let src = try ByteSource(path: path)
        guard src.count <= manifestLimit else {
            throw CheckpointError(path: path, "OCDBT manifest of \(src.count) bytes exceeds the limit of \(manifestLimit)")
        }
        return try decodeManifest(src.all, path: path, verify: true)
    }

    static func decodeManifest(_ raw: UnsafeRawBufferPointer, path: String, verify: Bool) throws -> Manifest {
        let fail = { (m: String) in CheckpointError(path: path, "OCDBT manifest: \(m)") }
        let body = try unwrap(raw, magic: manifestMagic, limit: manifestLimit, verify: verify, fail: fail)
        var c = Cursor(body.all, fail: fail)
        _ = try c.bytes(16, "uuid")
        let kind = try c.u8("manifest kind")
        guard kind <= 1 else { throw fail("manifest kind \(kind) is not known (0 single, 1 numbered)") }
        _ = try c.varint("max_inline_value_bytes", max: UInt64(UInt32.max))
        _ = try c.varint("max_decoded_node_bytes", max: UInt64(UInt32.max))
        let arity = Int(try c.u8("version_tree_arity_log2"))
        guard (1...16).contains(arity) else { throw fail("version tree arity 2^\(arity) is out of range (2^1 … 2^16)") }
        switch try c.varint("compression method") {
        case 0: break
        case 1: _ = try c.u32le("zstd level")
        case let x: throw fail("compression method \(x) is not known (0 none, 1 zstd)")
        }
        var m = Manifest()
        if kind == 1 {
            m.numbered = true
            guard c.remaining == 0 else { throw fail("\(c.remaining) bytes after the configuration of a numbered manifest") }
            return m
        }
        let table = try readDataFileTable(&c, transitive: "")
        // Inline versions (version tree leaf entries): the last is the current root.
        let n = try c.int("number of versions", max: 1 << arity)
        guard n >= 1 else { throw fail("no version") }
        var prev: UInt64 = 0
        for _ in 0..<n {
            let g = try c.varint("generation number")
            guard g > prev else { throw fail("generation numbers are not increasing") }
            prev = g
        }
        var heights: [Int] = []
        for _ in 0..<n { heights.append(Int(try c.u8("root height"))) }
        let refs = try readRefs(&c, count: n, table: table, allowMissing: true, fail: fail)
        for what in ["num_keys", "num_tree_bytes", "num_indirect_value_bytes"] {
            for _ in 0..<n { _ = try c.varint(what) }
        }
        for _ in 0..<n { _ = try c.u64le("commit time") }
        // Older versions: version tree nodes (not read: only the current version is).
        let v = try c.int("number of version tree nodes", max: 64)
        for _ in 0..<v { _ = try c.varint("generation number") }
        _ = try readRefs(&c, count: v, table: table, allowMissing: false, fail: fail)
        for _ in 0..<v { _ = try c.varint("number of generations") }
        for _ in 0..<v { _ = try c.u64le("commit time") }
        for _ in 0..<v { _ = try c.u8("version tree node height") }
        guard c.remaining == 0 else { throw fail("\(c.remaining) bytes after the version tree") }
        m.root = refs[n - 1]
        m.rootHeight = heights[n - 1]
        return m
    }

    /// `count` references, column by column (file ids, offsets, lengths); a reference whose
    /// offset and length are both 2⁶⁴ − 1 is "missing" (an empty tree) when `allowMissing`.
    static func readRefs(_ c: inout Cursor, count: Int, table: [(full: String, base: String)], allowMissing: Bool,
                         fail: @escaping (String) -> CheckpointError) throws -> [Ref?] {
        let (ids, offsets) = try readFileIdsAndOffsets(&c, count: count, files: table.count, fail: fail)
        var refs: [Ref?] = []
        for i in 0..<count {
            let length = try c.varint("data file length")
            if allowMissing && offsets[i] == .max && length == .max { refs.append(nil); continue }
            guard !offsets[i].addingReportingOverflow(length).overflow else {
                throw fail("reference at offset \(offsets[i]) (+\(length) bytes) overflows")
            }
            refs.append(Ref(file: table[ids[i]].full, base: table[ids[i]].base, offset: offsets[i], length: length))
        }
        return refs
    }

    /// The first two columns of `count` references: data file ids (each checked against the
    /// table of `files`), then offsets.
    static func readFileIdsAndOffsets(_ c: inout Cursor, count: Int, files: Int,
                                      fail: (String) -> CheckpointError) throws -> (ids: [Int], offsets: [UInt64]) {
        var ids: [Int] = [], offsets: [UInt64] = []
        for _ in 0..<count {
            let id = try c.varint("data file id")
            guard id < UInt64(files) else { throw fail("data file id \(id) is outside the table of \(files) files") }
            ids.append(Int(id))
        }
        for _ in 0..<count { offsets.append(try c.varint("data file offset")) }
        return (ids, offsets)
    }

    /// A data file table: paths prefix-compressed against the previous path, each with the
    /// length of its base path; full paths are `transitive + path`.
    static func readDataFileTable(_ c: inout Cursor, transitive: String) throws -> [(full: String, base: String)] {
        // Every file takes at least two bytes (its suffix and base path lengths).
        let n = try c.int("number of data files", max: c.remaining / 2)
        var prefix = [0], suffix: [Int] = [], baseLength: [Int] = []
        for _ in 1..<max(n, 1) { prefix.append(try c.int("data file path prefix length", max: 65535)) }
        for _ in 0..<n { suffix.append(try c.int("data file path suffix length", max: 65535)) }
        for _ in 0..<n { baseLength.append(try c.int("data file base path length", max: 65535)) }
        let t = Array(transitive.utf8)
        var prev: [UInt8] = [], total = 0, table: [(String, String)] = []
        for i in 0..<n {
            guard prefix[i] <= prev.count else {
                throw c.fail("data file path \(i) shares \(prefix[i]) bytes with a previous path of \(prev.count)")
            }
            let s = try c.bytes(suffix[i], "data file path")
            let path = Array(prev[0..<prefix[i]]) + UnsafeRawBufferPointer(rebasing: c.base[s])
            guard baseLength[i] <= path.count else { throw c.fail("data file base path \(i) is longer than its path") }
            guard t.count + path.count <= 65535 else { throw c.fail("data file path \(i) is longer than 65535 bytes") }
            total += t.count + path.count
            guard total <= pathTableLimit else { throw c.fail("data file paths exceed \(pathTableLimit) bytes") }
            guard let full = String(validating: t + path, as: UTF8.self),
                  let base = String(validating: t + path[0..<baseLength[i]], as: UTF8.self) else {
                throw c.fail("data file path \(i) is not UTF-8")
            }
            table.append((full, base))
            prev = path
        }
        return table
    }

    // MARK: - Envelopes

    /// The body of an envelope (magic, length, version, compression, body, CRC-32C), decoded.
    static func unwrap(_ raw: UnsafeRawBufferPointer, magic: UInt32, limit: Int, verify: Bool,
                       fail: @escaping (String) -> CheckpointError) throws -> ByteSource {
        guard raw.count >= 18 else { throw fail("truncated: \(raw.count) bytes, shorter than the smallest envelope (18)") }
        let m = UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self))
        guard m == magic else {
            let kinds: [UInt32: String] = [manifestMagic: "a manifest", btreeMagic: "a B+tree node", versionMagic: "a version tree node"]
            throw fail("magic \(hex(m)) (\(kinds[m] ?? "not OCDBT")), expected \(hex(magic))")
        }
        let length = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        guard length == UInt64(raw.count) else {
            throw fail("the header gives \(length) bytes but \(raw.count) are there\(length > UInt64(raw.count) ? " (truncated)" : "")")
        }
        if verify {
            let stored = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self))
            let actual = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)]))
            guard stored == actual else {
                throw fail("CRC-32C \(hex(actual)) does not match the stored \(hex(stored)) (damaged)")
            }
        }
        var c = Cursor(UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)]), fail: fail)
        c.pos = 12
        let version = try c.varint("format version")
        guard version == 0 else { throw fail("format version \(version) is not read (0 is)") }
        let compression = try c.varint("compression format")
        let body = UnsafeRawBufferPointer(rebasing: c.base[c.pos...])
        switch compression {
        case 0:
            guard body.count <= limit else { throw fail("\(body.count) bytes exceed the limit of \(limit)") }
            return ByteSource(bytes: body, path: "")
        case 1:
            return try unzstd(body, limit: limit, fail: fail)
        default:
            throw fail("compression format \(compression) is not known (0 none, 1 zstd)")
        }
    }

    static func hex(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - h.count) + h
    }

    /// Decompresses a zstd stream (one or more frames) into at most `limit` bytes.
    static func unzstd(_ src: UnsafeRawBufferPointer, limit: Int, fail: (String) -> CheckpointError) throws -> ByteSource {
        guard let ds = ZSTD_createDStream() else { throw fail("zstd failed to initialise") }
        defer { ZSTD_freeDStream(ds) }
        _ = ZSTD_initDStream(ds)
        let declared = src.count > 0 ? ZSTD_getFrameContentSize(src.baseAddress, src.count) : 0
        var capacity = declared < UInt64(limit) ? max(Int(declared), 64) : min(limit, max(src.count * 4, 4096))
        var out = [UInt8](repeating: 0, count: capacity)
        var produced = 0
        var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
        while true {
            let (r, wrote) = out.withUnsafeMutableBytes { o -> (Int, Int) in
                var output = ZSTD_outBuffer(dst: o.baseAddress! + produced, size: capacity - produced, pos: 0)
                let r = ZSTD_decompressStream(ds, &output, &input)
                return (r, output.pos)
            }
            guard ZSTD_isError(r) == 0 else { throw fail("zstd: \(String(cString: ZSTD_getErrorName(r))) (damaged)") }
            produced += wrote
            if input.pos == input.size && r == 0 { break }
            if produced == capacity {
                guard capacity < limit else { throw fail("decompresses to more than the limit of \(limit) bytes") }
                let grown = min(limit, capacity * 2)
                out.append(contentsOf: repeatElement(0, count: grown - capacity))
                capacity = grown
            } else if input.pos == input.size {
                throw fail("the zstd stream is truncated")
            }
        }
        return ByteSource(bytes: out[0..<produced], path: "")
    }

    // MARK: - B+tree

    struct Node {
        var height = 0
        var body: ByteSource
        /// Leaf entries: relative key, and the value (inline range of `body`, or a reference).
        var leaves: [(key: [UInt8], inline: Range<Int>?, ref: Ref?)] = []
        /// Interior entries: relative key, how much of it prefixes the subtree, the child.
        var children: [(key: [UInt8], subtreePrefix: Int, ref: Ref)] = []
    }

    /// Decodes a B+tree node; `transitive` is the base path its data file table extends,
    /// `keyBudget` the key bytes still allowed.
    static func decodeNode(_ raw: UnsafeRawBufferPointer, transitive: String, verify: Bool, keyBudget: inout Int,
                           byteBudget: inout Int, fail: @escaping (String) -> CheckpointError) throws -> Node {
        byteBudget -= raw.count
        guard byteBudget >= 0 else { throw fail("B+tree nodes exceed \(nodeBytesLimit) bytes in all") }
        let body = try unwrap(raw, magic: btreeMagic, limit: min(nodeLimit, byteBudget), verify: verify, fail: fail)
        byteBudget -= body.count
        var c = Cursor(body.all, fail: fail)
        var node = Node(body: body)
        node.height = Int(try c.u8("height"))
        let table = try readDataFileTable(&c, transitive: transitive)
        // Every entry takes at least one byte (its key suffix length).
        let n = try c.int("number of entries", max: min(c.remaining, 1 << 20))
        guard n >= 1 else { throw fail("a node without entries") }
        var prefix = [0], suffix: [Int] = [], subtree: [Int] = []
        for _ in 1..<n { prefix.append(try c.int("key prefix length", max: 65535)) }
        for _ in 0..<n { suffix.append(try c.int("key suffix length", max: 65535)) }
        if node.height > 0 { for _ in 0..<n { subtree.append(try c.int("subtree common prefix length", max: 65535)) } }
        var keys: [[UInt8]] = []
        keys.reserveCapacity(n)
        for i in 0..<n {
            let previous = keys.last ?? []
            guard prefix[i] <= previous.count else { throw fail("key \(i) shares \(prefix[i]) bytes with a previous key of \(previous.count)") }
            let length = prefix[i] + suffix[i]
            guard length <= 65535 else { throw fail("key \(i) is longer than 65535 bytes") }
            keyBudget -= length
            guard keyBudget >= 0 else { throw fail("keys exceed \(keyBytesLimit) bytes in all") }
            let s = try c.bytes(suffix[i], "key suffix")
            let key = Array(previous[0..<prefix[i]]) + UnsafeRawBufferPointer(rebasing: c.base[s])
            guard i == 0 || previous.lexicographicallyPrecedes(key) else { throw fail("keys \(i - 1) and \(i) are out of order") }
            if node.height > 0, subtree[i] > key.count { throw fail("subtree prefix of entry \(i) is longer than its key") }
            keys.append(key)
        }
        if node.height == 0 {
            var lengths: [UInt64] = [], kinds: [UInt8] = []
            for _ in 0..<n { lengths.append(try c.varint("value length")) }
            for _ in 0..<n {
                let k = try c.u8("value kind")
                guard k <= 1 else { throw fail("value kind \(k) is not known (0 inline, 1 in a data file)") }
                kinds.append(k)
            }
            let indirect = kinds.filter { $0 == 1 }.count
            let (ids, offsets) = try readFileIdsAndOffsets(&c, count: indirect, files: table.count, fail: fail)
            var j = 0
            for i in 0..<n {
                if kinds[i] == 1 {
                    guard !offsets[j].addingReportingOverflow(lengths[i]).overflow else {
                        throw fail("value \(i) at offset \(offsets[j]) (+\(lengths[i]) bytes) overflows")
                    }
                    let t = table[ids[j]]
                    node.leaves.append((keys[i], nil, Ref(file: t.full, base: t.base, offset: offsets[j], length: lengths[i])))
                    j += 1
                } else {
                    guard lengths[i] <= UInt64(c.remaining) else {
                        throw fail("inline value \(i) of \(lengths[i]) bytes lies past the end of the node")
                    }
                    node.leaves.append((keys[i], try c.bytes(Int(lengths[i]), "inline value"), nil))
                }
            }
        } else {
            let refs = try readRefs(&c, count: n, table: table, allowMissing: false, fail: fail)
            for what in ["num_keys", "num_tree_bytes", "num_indirect_value_bytes"] {
                for _ in 0..<n { _ = try c.varint(what) }
            }
            for i in 0..<n { node.children.append((keys[i], subtree[i], refs[i]!)) }
        }
        guard c.remaining == 0 else { throw fail("\(c.remaining) bytes after the last entry") }
        return node
    }

    /// Reads every node below a root, collecting keys in order.
    struct Walker {
        let files: DataFiles
        let verify: Bool
        var keys: [String] = []
        var values: [String: Stored] = [:]
        var nodes = 0
        var keyBudget = OCDBTStore.keyBytesLimit
        var byteBudget = OCDBTStore.nodeBytesLimit
        var last: [UInt8]? = nil

        init(files: DataFiles, verify: Bool) { self.files = files; self.verify = verify }

        mutating func walk(_ ref: Ref, expectedHeight: Int, prefix: [UInt8], ancestors: inout [Ref], heldBy: String) throws {
            let path = files.display(ref.file)
            guard !ancestors.contains(ref) else {
                throw CheckpointError(path: path, "OCDBT: the B+tree node at offset \(ref.offset) (+\(ref.length) bytes) is its own ancestor (a reference cycle, from \(heldBy))")
            }
            guard ancestors.count <= OCDBTStore.maxHeight else {
                throw CheckpointError(path: path, "OCDBT: the B+tree is deeper than \(OCDBTStore.maxHeight) levels")
            }
            let file = try files.file(ref.file, heldBy: heldBy)
            guard ref.offset <= UInt64(file.count), ref.length <= UInt64(file.count) - ref.offset else {
                throw CheckpointError(path: path, "OCDBT: the B+tree node at offset \(ref.offset) (+\(ref.length) bytes) lies past the end of the file (\(file.count) bytes, referenced from \(heldBy))")
            }
            guard ref.length <= UInt64(OCDBTStore.nodeLimit) else {
                throw CheckpointError(path: path, "OCDBT: the B+tree node at offset \(ref.offset) has \(ref.length) bytes, above the limit of \(OCDBTStore.nodeLimit)")
            }
            let raw = UnsafeRawBufferPointer(rebasing: file.all[Int(ref.offset)..<Int(ref.offset + ref.length)])
            try withExtendedLifetime(file) {
                try visit(node: raw, at: ref, path: path, expectedHeight: expectedHeight, prefix: prefix, ancestors: &ancestors)
            }
        }

        mutating func visit(node raw: UnsafeRawBufferPointer, at ref: Ref, path: String, expectedHeight: Int?, prefix: [UInt8],
                            ancestors: inout [Ref]) throws {
            nodes += 1
            guard nodes <= OCDBTStore.maxNodes else {
                throw CheckpointError(path: path, "OCDBT: more than \(OCDBTStore.maxNodes) B+tree nodes")
            }
            let at = "B+tree node at offset \(ref.offset) (+\(ref.length) bytes)"
            let fail = { (m: String) in CheckpointError(path: path, "OCDBT \(at): \(m)") }
            let node = try OCDBTStore.decodeNode(raw, transitive: ref.base, verify: verify, keyBudget: &keyBudget,
                                              byteBudget: &byteBudget, fail: fail)
            if let h = expectedHeight, node.height != h {
                throw fail("height \(node.height), where its parent expects \(h)")
            }
            if node.height == 0 {
                for e in node.leaves {
                    keyBudget -= prefix.count
                    guard keyBudget >= 0 else { throw fail("keys exceed \(OCDBTStore.keyBytesLimit) bytes in all") }
                    let full = prefix + e.key
                    if let last { guard last.lexicographicallyPrecedes(full) else { throw fail("keys are out of order across nodes") } }
                    last = full
                    let key = String(decoding: full, as: UTF8.self)
                    guard values[key] == nil else { throw fail("two keys read as '\(key)'") }
                    if let r = e.inline { values[key] = .inline(node.body, r) } else { values[key] = .indirect(e.ref!, path) }
                    keys.append(key)
                }
            } else {
                ancestors.append(ref)
                for child in node.children {
                    keyBudget -= prefix.count + child.subtreePrefix
                    guard keyBudget >= 0 else { throw fail("keys exceed \(OCDBTStore.keyBytesLimit) bytes in all") }
                    try walk(child.ref, expectedHeight: node.height - 1, prefix: prefix + child.key[0..<child.subtreePrefix],
                             ancestors: &ancestors, heldBy: path)
                }
                ancestors.removeLast()
            }
        }
    }
}

/// The data files of one database, mapped once each (thread-safe); a path must be relative,
/// free of empty, `.` and `..` components, and resolve (symbolic links followed) inside the
/// directory.
final class DataFiles: @unchecked Sendable {
    let directory: String
    let provider: (@Sendable (String) throws -> ByteSource)?
    private let lock = NSLock()
    private var cache: [String: ByteSource] = [:]
    private var realDirectory: String?

    init(directory: String, provider: (@Sendable (String) throws -> ByteSource)?) {
        self.directory = directory
        self.provider = provider
    }

    func display(_ rel: String) -> String { (directory as NSString).appendingPathComponent(rel) }

    func file(_ rel: String, heldBy: String) throws -> ByteSource {
        let parts = rel.split(separator: "/", omittingEmptySubsequences: false)
        guard !rel.isEmpty, !rel.hasPrefix("/"), !rel.contains("\0"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw CheckpointError(path: heldBy, "OCDBT: data file path '\(rel)' leaves the checkpoint directory (an absolute path, or an empty, `.` or `..` component)")
        }
        lock.lock(); defer { lock.unlock() }
        if let f = cache[rel] { return f }
        let f: ByteSource
        if let provider {
            f = try provider(rel)
        } else {
            let path = display(rel)
            if realDirectory == nil {
                guard let r = realpath(directory, nil) else { throw CheckpointError(path: directory, "cannot resolve the directory") }
                realDirectory = String(cString: r); free(r)
            }
            guard let r = realpath(path, nil) else {
                throw CheckpointError(path: path, "OCDBT: the data file is missing (referenced from \(heldBy))")
            }
            let real = String(cString: r); free(r)
            guard real.hasPrefix(realDirectory! == "/" ? "/" : realDirectory! + "/") else {
                throw CheckpointError(path: path, "OCDBT: the data file is a link to \(real), outside the checkpoint directory")
            }
            f = try ByteSource(path: real)
        }
        cache[rel] = f
        return f
    }
}

/// Bounds-checked reads of an OCDBT body.
struct Cursor {
    let base: UnsafeRawBufferPointer
    var pos = 0
    let fail: (String) -> CheckpointError

    init(_ base: UnsafeRawBufferPointer, fail: @escaping (String) -> CheckpointError) { self.base = base; self.fail = fail }

    var remaining: Int { base.count - pos }

    mutating func u8(_ what: String) throws -> UInt8 {
        guard pos < base.count else { throw fail("truncated: \(what) lies past the end") }
        pos += 1
        return base[pos - 1]
    }

    /// An unsigned LEB128 varint of at most 64 bits.
    mutating func varint(_ what: String, max: UInt64 = .max) throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard pos < base.count else { throw fail("truncated: \(what) lies past the end") }
            let b = base[pos]
            pos += 1
            if shift == 63 && b > 1 { throw fail("\(what): varint overflows 64 bits") }
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { break }
            shift += 7
        }
        guard v <= max else { throw fail("\(what) \(v) exceeds \(max)") }
        return v
    }

    mutating func int(_ what: String, max: Int) throws -> Int { Int(try varint(what, max: UInt64(Swift.max(max, 0)))) }

    mutating func u32le(_ what: String) throws -> UInt32 {
        let r = try bytes(4, what)
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: r.lowerBound, as: UInt32.self))
    }

    mutating func u64le(_ what: String) throws -> UInt64 {
        let r = try bytes(8, what)
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: r.lowerBound, as: UInt64.self))
    }

    /// The next `n` bytes' range.
    mutating func bytes(_ n: Int, _ what: String) throws -> Range<Int> {
        guard n >= 0, n <= remaining else { throw fail("truncated: \(what) of \(n) bytes lies past the end") }
        pos += n
        return (pos - n)..<pos
    }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as OCDBT envelopes end with.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var c: UInt32 = ~0
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xff)] ^ (c >> 8) }
            return ~c
        }
    }
}
