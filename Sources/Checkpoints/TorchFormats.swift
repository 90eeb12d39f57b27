import Foundation

/// Shared pieces of the PyTorch readers.
enum TorchPickle {
    /// Runs one pickle from `bytes[start...]`, mapping VM failures to `CheckpointError`.
    static func unpickle(_ bytes: UnsafeRawBufferPointer, at start: Int = 0, path: String, what: String,
                         limits: PickleLimits = PickleLimits()) throws -> (PickleObject, end: Int, objects: Int) {
        var vm = PickleMachine(bytes, at: start, limits: limits)
        do {
            let root = try vm.run()
            return (root, vm.position, vm.objectCount)
        } catch let e as PickleMachine.Failure {
            throw CheckpointError(path: path, "\(what): \(e.message)")
        }
    }

    static func stem(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    /// The directory prefix of the archive's single `*/data.pkl` (e.g. `model/`).
    static func archivePrefix(_ zip: ZipArchive) -> String? {
        let pickles = zip.entries.filter { e in
            e.name.hasSuffix("/data.pkl") && !e.name.dropLast("/data.pkl".count).contains("/")
        }
        guard pickles.count == 1 else { return nil }
        return String(pickles[0].name.dropLast("data.pkl".count))
    }

    /// Reads `<prefix><pickleName>` with storages under `<prefix><storageDir>/<key>`.
    static func readArchivePickle(_ zip: ZipArchive, prefix: String, pickleName: String, storageDir: String,
                                  byteOrder: ByteOrder, rootName: String, continuing reader: PickleTreeReader?,
                                  keyPrefix: String = "") throws -> PickleTreeReader {
        let path = zip.source.path
        guard let entry = zip.entry(named: prefix + pickleName) else {
            throw CheckpointError(path: path, "archive has no \(prefix + pickleName)")
        }
        let (src, range) = try zip.contents(of: entry)
        let bytes = try src.bytes(range)
        let (root, _, objects) = try unpickle(bytes, path: path, what: pickleName)
        var byName: [String: ZipEntry] = [:]
        for e in zip.entries { byName[e.name] = e }
        var cache: [String: StorageSlice] = [:]
        var r = PickleTreeReader(path: path, rootName: rootName) { sid in
            if let s = cache[sid.key] { return s }
            guard let e = byName[prefix + storageDir + "/" + sid.key] else {
                throw CheckpointError(path: path, "storage '\(sid.key)' is missing from the archive (\(prefix)\(storageDir)/\(sid.key))")
            }
            // A deflated storage is inflated when its values are first used, and then only the
            // bytes its declared element count covers (docs/formats.md §13).
            let (needed, o) = sid.numel.multipliedReportingOverflow(by: sid.dtype?.itemSize ?? 1)
            let (s, range) = try zip.lazyContents(of: e, prefix: o ? nil : needed)
            let slice = StorageSlice(source: s, start: range.lowerBound, length: range.count, dtype: sid.dtype, byteOrder: byteOrder)
            cache[sid.key] = slice
            return slice
        }
        r.maxVisits = min(r.maxVisits, 16 * objects + 100_000)
        r.textBudget = PickleTreeReader.textBudget(forFileOf: zip.source.count)
        if let prev = reader { r.tensors = prev.tensors; r.metadata = prev.metadata; r.opaque = prev.opaque }
        try r.walk(root, key: keyPrefix)
        return r
    }

    static func byteOrder(_ zip: ZipArchive, prefix: String) throws -> ByteOrder {
        guard let e = zip.entry(named: prefix + "byteorder") else { return .little }
        let (s, range) = try zip.contents(of: e)
        let text = String(decoding: try s.bytes(range), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch text {
        case "little": return .little
        case "big": return .big
        default: throw CheckpointError(path: zip.source.path, "byteorder entry says '\(text.prefix(20))'")
        }
    }
}

/// `torch.save` zip archives (PyTorch ≥ 1.6): `<stem>/data.pkl` plus one member per storage,
/// `<stem>/data/<key>`, stored uncompressed and 64-byte aligned so tensors are read in place.
public enum TorchZipFormat: CheckpointFormat {
    public static let name = "torch-zip"

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard ZipArchive.looksLikeZip(source), let zip = try? ZipArchive(source) else { return false }
        return TorchPickle.archivePrefix(zip) != nil
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let zip = try ZipArchive(source)
        guard let prefix = TorchPickle.archivePrefix(zip) else {
            throw CheckpointError(path: source.path, "zip archive without a single */data.pkl: not a torch.save file")
        }
        let order = try TorchPickle.byteOrder(zip, prefix: prefix)
        let r = try TorchPickle.readArchivePickle(zip, prefix: prefix, pickleName: "data.pkl", storageDir: "data",
                                                  byteOrder: order, rootName: TorchPickle.stem(source.path), continuing: nil)
        return Checkpoint(format: name, path: source.path, tensors: r.tensors, metadata: r.metadata, opaque: r.opaque)
    }
}

/// TorchScript archives (`torch.jit.save`): the module's attributes in `data.pkl` (tensors
/// under `data/`), tensor constants in `constants.pkl` (under `constants/`), and compiled
/// code under `code/`, which is ignored. Tensors are named by their attribute path
/// (`mlp.0.weight`), as in the module's `state_dict`.
public enum TorchScriptFormat: CheckpointFormat {
    public static let name = "torchscript"

    static func isScript(_ zip: ZipArchive, prefix: String) -> Bool {
        zip.entries.contains { $0.name == prefix + "constants.pkl" || $0.name.hasPrefix(prefix + "code/") }
    }

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard ZipArchive.looksLikeZip(source), let zip = try? ZipArchive(source),
              let prefix = TorchPickle.archivePrefix(zip) else { return false }
        return isScript(zip, prefix: prefix)
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let zip = try ZipArchive(source)
        guard let prefix = TorchPickle.archivePrefix(zip) else {
            throw CheckpointError(path: source.path, "zip archive without a single */data.pkl: not a TorchScript file")
        }
        let order = try TorchPickle.byteOrder(zip, prefix: prefix)
        var r: PickleTreeReader? = try TorchPickle.readArchivePickle(
            zip, prefix: prefix, pickleName: "data.pkl", storageDir: "data", byteOrder: order,
            rootName: TorchPickle.stem(source.path), continuing: nil)
        if zip.entry(named: prefix + "constants.pkl") != nil {
            r = try TorchPickle.readArchivePickle(zip, prefix: prefix, pickleName: "constants.pkl", storageDir: "constants",
                                                  byteOrder: order, rootName: "constants", continuing: r, keyPrefix: "constants")
        }
        let rr = r!
        return Checkpoint(format: name, path: source.path, tensors: rr.tensors, metadata: rr.metadata, opaque: rr.opaque)
    }
}

/// The legacy `torch.save` format (before 1.6, or `_use_new_zipfile_serialization=False`):
/// pickles in a row — magic number, protocol version 1001, sys_info, the object (persistent
/// ids are 6-tuples), the list of storage keys — then per key an int64 LE element count and
/// the raw elements.
public enum TorchLegacyFormat: CheckpointFormat {
    public static let name = "torch-legacy"
    /// 0x1950a86a20f9469cfc6c, little-endian, as LONG1 writes it.
    static let magic: [UInt8] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]

    public static func recognizes(_ source: ByteSource) -> Bool {
        guard source.count >= 15 else { return false }
        let b = Array(source.all.prefix(14))
        return b[0] == 0x80 && b[2] == 0x8a && b[3] == 10 && Array(b[4..<14]) == magic
    }

    public static func read(_ source: ByteSource) throws -> Checkpoint {
        let path = source.path
        let all = source.all
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, "legacy torch file: \(m)") }
        let (magicObj, p1, _) = try TorchPickle.unpickle(all, path: path, what: "magic number")
        guard case .bigInt(let m) = magicObj.kind, m == magic else { throw fail("wrong magic number") }
        let (proto, p2, _) = try TorchPickle.unpickle(all, at: p1, path: path, what: "protocol version")
        guard case .int(1001) = proto.kind else { throw fail("unsupported protocol version (expected 1001)") }
        let (sysInfo, p3, _) = try TorchPickle.unpickle(all, at: p2, path: path, what: "sys_info")
        var order = ByteOrder.little
        for (k, v) in sysInfo.pairs {
            if case .string("little_endian") = k.kind, case .bool(let le) = v.kind { order = le ? .little : .big }
        }
        let (root, p4, objects) = try TorchPickle.unpickle(all, at: p3, path: path, what: "object")
        let (keyList, p5, _) = try TorchPickle.unpickle(all, at: p4, path: path, what: "storage key list")
        guard case .list = keyList.kind else { throw fail("storage key list is not a list") }

        // Element sizes come from the storage types named in the persistent ids.
        var itemSize: [String: Int] = [:]
        for pid in try PickleTreeReader.persistentIDs(root, limit: PickleLimits().maxObjects) {
            let sid = try StorageID(pid) { fail($0) }
            itemSize[sid.key] = sid.dtype?.itemSize ?? 1
        }
        var storages: [String: (start: Int, length: Int)] = [:]
        var pos = p5
        for k in keyList.items {
            guard case .string(let key) = k.kind else { throw fail("storage key is not a string") }
            guard let size = itemSize[key] else { throw fail("storage '\(key)' is listed but never used") }
            let countBytes = try source.bytes(pos..<(pos + 8))
            let count = Int64(littleEndian: countBytes.loadUnaligned(as: Int64.self))
            let c = order == .little ? count : Int64(bigEndian: countBytes.loadUnaligned(as: Int64.self))
            let (bytes, o) = Int(clamping: c).multipliedReportingOverflow(by: size)
            guard c >= 0, !o, bytes <= source.count - pos - 8 else {
                throw fail("storage '\(key)' claims \(c) elements; only \(source.count - pos - 8) bytes remain")
            }
            storages[key] = (pos + 8, bytes)
            pos += 8 + bytes
        }
        var r = PickleTreeReader(path: path, rootName: TorchPickle.stem(path)) { sid in
            guard let s = storages[sid.key] else { throw fail("storage '\(sid.key)' has no data") }
            var slice = StorageSlice(source: source, start: s.start, length: s.length, dtype: sid.dtype, byteOrder: order)
            if let v = sid.view {
                let size = sid.dtype?.itemSize ?? 1
                let (a, o1) = v.offset.multipliedReportingOverflow(by: size)
                let (n, o2) = v.count.multipliedReportingOverflow(by: size)
                guard !o1, !o2, a <= s.length, n <= s.length - a else { throw fail("view '\(v.key)' lies outside storage '\(sid.key)'") }
                slice.start += a; slice.length = n
            }
            return slice
        }
        r.maxVisits = min(r.maxVisits, 16 * objects + 100_000)
        r.textBudget = PickleTreeReader.textBudget(forFileOf: source.count)
        try r.walk(root)
        return Checkpoint(format: name, path: path, tensors: r.tensors, metadata: r.metadata, opaque: r.opaque)
    }
}
