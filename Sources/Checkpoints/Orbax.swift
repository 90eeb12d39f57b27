import CKernels
import CZlib
import CZstd
import Foundation

/// Where a zarr array's keys (`.zarray` or `zarr.json`, and chunk keys such as `0.0` or
/// `c/0/0`) are read from (docs/formats.md §16): the files of an array directory
/// (`use_ocdbt=False`), or the keys under `<leaf>/` of an OCDBT store (the default layout).
protocol ZarrStorage: Sendable {
    /// The array, in messages.
    var arrayName: String { get }
    /// `key`, in messages: a file path, or the checkpoint directory and the OCDBT key.
    func name(_ key: String) -> String
    func exists(_ key: String) -> Bool
    /// The bytes of `key`; nil when there is none (a missing chunk: the fill value, if any).
    func bytes(_ key: String) throws -> ZarrBytes?
    /// `key` parsed as JSON (at most 16 MiB).
    func json(_ key: String) throws -> KerasJSON
}

/// Bytes of a zarr key; valid while `owner` lives.
struct ZarrBytes {
    let owner: ByteSource
    let bytes: UnsafeRawBufferPointer
}

/// An array directory: each key is a file (mapped; a chunk file that cannot be opened is
/// missing).
struct ZarrDirectory: ZarrStorage {
    let dir: String
    var arrayName: String { dir }
    func name(_ key: String) -> String { (dir as NSString).appendingPathComponent(key) }
    func exists(_ key: String) -> Bool { FileManager.default.fileExists(atPath: name(key)) }
    func bytes(_ key: String) throws -> ZarrBytes? {
        guard let file = try? ByteSource(path: name(key)) else { return nil }
        return ZarrBytes(owner: file, bytes: file.all)
    }
    func json(_ key: String) throws -> KerasJSON { try ZarrArray.readJSON(name(key)) }
}

/// The keys `prefix + key` of an OCDBT store (an absent key is missing; a key whose
/// reference is bad is an error, not a missing chunk).
struct OCDBTArrayKeys: ZarrStorage {
    let store: OCDBTStore
    let prefix: String
    var arrayName: String { "\(store.directory): OCDBT keys \(prefix)*" }
    func name(_ key: String) -> String { "\(store.directory): OCDBT key \(prefix)\(key)" }
    func exists(_ key: String) -> Bool { store.contains(prefix + key) }
    func bytes(_ key: String) throws -> ZarrBytes? {
        guard let v = try store.value(forKey: prefix + key) else { return nil }
        return ZarrBytes(owner: v.source, bytes: v.bytes)
    }
    func json(_ key: String) throws -> KerasJSON {
        let limit = 16 << 20
        guard let v = try store.value(forKey: prefix + key) else { throw CheckpointError(path: name(key), "the key is missing") }
        guard v.range.count <= limit else { throw CheckpointError(path: name(key), "\(v.range.count) bytes of JSON exceed the limit of \(limit)") }
        guard let j = withExtendedLifetime(v.source, { KerasJSON.parse(v.bytes) }) else { throw CheckpointError(path: name(key), "not valid JSON") }
        return j
    }
}

/// One zarr array (zarr v2 `.zarray` or v3 `zarr.json`) as tensorstore writes them
/// for Orbax (docs/formats.md §16), read from a directory or an OCDBT store (`ZarrStorage`):
/// a regular chunk grid, chunks compressed with zstd, zlib or
/// gzip (v2 `compressor`; v3 `bytes` + compression codec, optionally inside
/// `sharding_indexed`). Chunks are decompressed into one C-order buffer whose size is checked
/// before it is allocated; every chunk must decompress to exactly its declared size.
struct ZarrArray {
    let store: any ZarrStorage
    /// The array, in messages.
    let dir: String
    let shape: [Int]
    let chunks: [Int]
    let dtype: DType
    let order: ByteOrder
    let fortran: Bool
    /// `zstd`, `zlib`, `gzip` or nil.
    let codec: String?
    /// Inner chunk shape of a v3 shard (nil: unsharded).
    let shardInner: [Int]?
    /// Whether the shard index ends in a crc32c.
    let shardCRC: Bool
    /// Chunk file names: v2 `0.0` (separator `.` or `/`); v3 `c/0/0`.
    let chunkName: ([Int]) -> String
    let fill: Bool

    static func fail(_ dir: String, _ m: String) -> CheckpointError { CheckpointError(path: dir, "zarr: \(m)") }

    static func readJSON(_ path: String, limit: Int = 16 << 20) throws -> KerasJSON {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path), let size = attrs[.size] as? Int else {
            throw CheckpointError(path: path, "cannot read the file")
        }
        guard size <= limit else { throw CheckpointError(path: path, "\(size) bytes of JSON exceed the limit of \(limit)") }
        guard let d = FileManager.default.contents(atPath: path), let j = KerasJSON.parse(d) else {
            throw CheckpointError(path: path, "not valid JSON")
        }
        return j
    }

    static func ints(_ j: KerasJSON?, _ what: String, _ dir: String) throws -> [Int] {
        guard case .array(let a)? = j else { throw fail(dir, "\(what) is missing") }
        guard a.count <= 32 else { throw fail(dir, "\(what) has \(a.count) dimensions") }
        return try a.map {
            guard case .int(let v) = $0, v >= 0, v <= Int64(Int32.max) * 1024 else { throw fail(dir, "\(what) holds a negative or absurd value") }
            return Int(v)
        }
    }

    static let v3Types: [String: DType] = [
        "bool": .bool, "int8": .int8, "int16": .int16, "int32": .int32, "int64": .int64, "uint8": .uint8,
        "uint16": .uint16, "uint32": .uint32, "uint64": .uint64, "float16": .float16, "bfloat16": .bfloat16,
        "float32": .float32, "float64": .float64, "complex64": .complex64, "complex128": .complex128,
        "float8_e4m3fn": .float8_e4m3fn, "float8_e5m2": .float8_e5m2,
    ]

    init(store: any ZarrStorage) throws {
        self.store = store
        let dir = store.arrayName
        self.dir = dir
        let v2 = store.name(".zarray"), v3 = store.name("zarr.json")
        if store.exists(".zarray") {
            let j = try store.json(".zarray")
            shape = try ZarrArray.ints(j["shape"], "shape", v2)
            chunks = try ZarrArray.ints(j["chunks"], "chunks", v2)
            guard let descr = j["dtype"]?.string else { throw ZarrArray.fail(v2, "dtype is not a string (structured dtypes are not read)") }
            if let t = ZarrArray.v3Types[descr] { dtype = t; order = .little }
            else { (dtype, order) = try NPYFormat.parseDescr(descr) { ZarrArray.fail(v2, $0) } }
            fortran = j["order"]?.string == "F"
            if case .array(let f)? = j["filters"], !f.isEmpty { throw ZarrArray.fail(v2, "filters \(f.count) are not supported (codec layout: zarr v2 with filters)") }
            switch j["compressor"] {
            case nil, .null?: codec = nil
            case .object(let c)?:
                let id = c["id"]?.string ?? "?"
                guard ["zstd", "zlib", "gzip"].contains(id) else {
                    throw ZarrArray.fail(v2, "compressor '\(id)' is not supported (zarr v2 layout; zstd, zlib and gzip are read): rewrite the checkpoint as docs/formats.md §16 shows")
                }
                codec = id
            default: throw ZarrArray.fail(v2, "malformed compressor")
            }
            let sep = j["dimension_separator"]?.string ?? "."
            guard sep == "." || sep == "/" else { throw ZarrArray.fail(v2, "dimension separator '\(sep)'") }
            let rank = shape.count
            chunkName = { idx in rank == 0 ? "0" : idx.map(String.init).joined(separator: sep) }
            shardInner = nil
            shardCRC = false
            if case .null? = j["fill_value"] { fill = false } else { fill = j["fill_value"] != nil }
        } else if store.exists("zarr.json") {
            let j = try store.json("zarr.json")
            guard j["node_type"]?.string == "array" else { throw ZarrArray.fail(v3, "not an array node") }
            shape = try ZarrArray.ints(j["shape"], "shape", v3)
            guard j["chunk_grid"]?["name"]?.string == "regular" else { throw ZarrArray.fail(v3, "only regular chunk grids are read") }
            chunks = try ZarrArray.ints(j["chunk_grid"]?["configuration"]?["chunk_shape"], "chunk_shape", v3)
            guard let tn = j["data_type"]?.string, let t = ZarrArray.v3Types[tn] else {
                throw ZarrArray.fail(v3, "data type \(j["data_type"]?.string ?? "?") is not supported")
            }
            dtype = t
            let enc = j["chunk_key_encoding"]
            let sep = enc?["configuration"]?["separator"]?.string ?? (enc?["name"]?.string == "v2" ? "." : "/")
            let v2Keys = enc?["name"]?.string == "v2"
            let rank = shape.count
            chunkName = { idx in
                if v2Keys { return rank == 0 ? "0" : idx.map(String.init).joined(separator: sep) }
                return (["c"] + idx.map(String.init)).joined(separator: sep)
            }
            guard case .array(var codecs)? = j["codecs"] else { throw ZarrArray.fail(v3, "codecs missing") }
            var inner: [Int]? = nil
            var crc = false
            if codecs.count == 1, codecs[0]["name"]?.string == "sharding_indexed" {
                let c = codecs[0]["configuration"]
                inner = try ZarrArray.ints(c?["chunk_shape"], "sharding chunk_shape", v3)
                guard (c?["index_location"]?.string ?? "end") == "end" else { throw ZarrArray.fail(v3, "shard index at the start is not supported") }
                guard case .array(let ic)? = c?["index_codecs"],
                      ic.allSatisfy({ ["bytes", "crc32c"].contains($0["name"]?.string ?? "") }),
                      ic.first?["configuration"]?["endian"]?.string ?? "little" == "little" else {
                    throw ZarrArray.fail(v3, "shard index codecs other than little-endian bytes (+ crc32c) are not supported")
                }
                crc = ic.contains { $0["name"]?.string == "crc32c" }
                guard case .array(let innerCodecs)? = c?["codecs"] else { throw ZarrArray.fail(v3, "sharding codecs missing") }
                codecs = innerCodecs
            }
            shardInner = inner
            shardCRC = crc
            var endian = "little", comp: String? = nil, fort = false
            for c in codecs {
                switch c["name"]?.string ?? "" {
                case "bytes": endian = c["configuration"]?["endian"]?.string ?? "little"
                case "zstd", "gzip": comp = c["name"]?.string
                case "transpose":
                    // Only the full reversal (Fortran order) is read.
                    let o = try ZarrArray.ints(c["configuration"]?["order"], "transpose order", v3)
                    guard o == Array((0..<shape.count).reversed()) else { throw ZarrArray.fail(v3, "transpose \(o) is not supported") }
                    fort = true
                default:
                    throw ZarrArray.fail(v3, "codec '\(c["name"]?.string ?? "?")' is not supported (zarr v3 layout; bytes, zstd, gzip, transpose and sharding_indexed are read): rewrite the checkpoint as docs/formats.md §16 shows")
                }
            }
            order = endian == "big" ? .big : .little
            fortran = fort
            codec = comp
            fill = true
        } else {
            throw ZarrArray.fail(dir, "neither .zarray (zarr v2) nor zarr.json (zarr v3) \(store is ZarrDirectory ? "in the array directory" : "among the OCDBT keys")")
        }
        guard chunks.count == shape.count, chunks.allSatisfy({ $0 > 0 }) || shape.isEmpty else {
            throw ZarrArray.fail(dir, "chunk shape \(chunks) does not fit shape \(shape)")
        }
        if let s = shardInner, s.count != shape.count || s.contains(where: { $0 <= 0 }) || zip(chunks, s).contains(where: { $0 % $1 != 0 }) {
            throw ZarrArray.fail(dir, "shard inner chunks \(s) do not divide the shard \(chunks)")
        }
    }

    static func product(_ xs: [Int], _ what: String, _ dir: String) throws -> Int {
        var n = 1
        for x in xs {
            let (p, o) = n.multipliedReportingOverflow(by: x)
            guard !o else { throw fail(dir, "\(what) \(xs) overflows") }
            n = p
        }
        return n
    }

    /// Decompresses `src` into exactly `expected` bytes at `dst`.
    func decode(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawPointer, expected: Int, chunk: String) throws {
        switch codec {
        case nil:
            guard src.count == expected else { throw ZarrArray.fail(chunk, "chunk holds \(src.count) bytes, \(expected) expected") }
            if expected > 0 { dst.copyMemory(from: src.baseAddress!, byteCount: expected) }
        case "zstd"?:
            let declared = ZSTD_getFrameContentSize(src.baseAddress, src.count)
            // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest values.
            if declared < UInt64.max - 1, declared != UInt64(expected) {
                throw ZarrArray.fail(chunk, "zstd frame declares \(declared) bytes, the chunk is \(expected)")
            }
            let n = ZSTD_decompress(dst, expected, src.baseAddress, src.count)
            guard ZSTD_isError(n) == 0 else {
                throw ZarrArray.fail(chunk, "zstd: \(String(cString: ZSTD_getErrorName(n))) (damaged chunk, or larger than its declared \(expected) bytes)")
            }
            guard n == expected else { throw ZarrArray.fail(chunk, "zstd chunk decompressed to \(n) bytes, \(expected) expected") }
        default:
            var s = z_stream()
            guard inflateInit2_(&s, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw ZarrArray.fail(chunk, "zlib failed to initialise")
            }
            defer { inflateEnd(&s) }
            var inPos = 0, outPos = 0
            var rc: Int32 = Z_OK
            while rc == Z_OK {
                let inN = min(src.count - inPos, Int(UInt32.max)), outN = min(expected - outPos, Int(UInt32.max))
                s.next_in = UnsafeMutablePointer(mutating: src.baseAddress!.advanced(by: inPos).assumingMemoryBound(to: Bytef.self))
                s.avail_in = uInt(inN)
                s.next_out = dst.advanced(by: outPos).assumingMemoryBound(to: Bytef.self)
                s.avail_out = uInt(outN)
                rc = inflate(&s, Z_NO_FLUSH)
                inPos += inN - Int(s.avail_in); outPos += outN - Int(s.avail_out)
                if rc == Z_OK && (outN == 0 || (inN == 0 && s.avail_in == 0)) { rc = Z_BUF_ERROR }
            }
            guard rc == Z_STREAM_END, outPos == expected else {
                throw ZarrArray.fail(chunk, "\(codec!) chunk is damaged or does not decompress to its \(expected) bytes")
            }
        }
    }

    /// The array as a tensor whose bytes are decoded on first use (`ByteSource(lazyCount:)`):
    /// the sizes are checked here, the chunks are read and decompressed by `decodeAll` when a
    /// value is first needed (`inspect` lists an array without decompressing it;
    /// `Checkpoint.loadAll` decodes every array concurrently).
    func read(name: String) throws -> Tensor {
        let item = dtype.itemSize
        let count = try ZarrArray.product(shape, "shape", dir)
        let (bytes, o) = count.multipliedReportingOverflow(by: item)
        guard !o, bytes <= Tensor.materializationLimit else {
            throw ZarrArray.fail(dir, "array of shape \(shape) would take \(o ? "more than 2^63" : String(bytes)) bytes, above the limit of \(Tensor.materializationLimit) (IRREPSCOPE_MAX_TENSOR_BYTES)")
        }
        let chunkCount = try ZarrArray.product(chunks, "chunk shape", dir)
        let (chunkBytes, o2) = chunkCount.multipliedReportingOverflow(by: item)
        guard !o2, chunkBytes <= Tensor.materializationLimit else { throw ZarrArray.fail(dir, "chunk shape \(chunks) overflows") }
        let unitCount = try ZarrArray.product(shardInner ?? chunks, "inner chunk", dir)
        try locateChunks(unitBytes: unitCount * item)
        let outStrides = fortran ? Tensor.fortranStrides(shape) : Tensor.contiguousStrides(shape)
        nonisolated(unsafe) let array = self
        let src = ByteSource(lazyCount: bytes, path: dir) { try array.decodeAll(bytes: bytes) }
        return try Tensor(name: name, dtype: dtype, shape: shape, strides: outStrides, source: src, storageStart: 0,
                          storageLength: bytes, byteOrder: order)
    }

    /// Finds every chunk now, so that what is wrong with the layout is an error of the load: a
    /// missing chunk without a fill value, a reference outside its data file or directory (an
    /// OCDBT store checks it on lookup), a zstd frame that declares another size than its chunk.
    /// Only the decompression waits. Arrays of more than 4096 chunks are checked as they decode.
    func locateChunks(unitBytes: Int) throws {
        let rank = shape.count
        let grid = (0..<rank).map { (shape[$0] + chunks[$0] - 1) / chunks[$0] }
        var total = 1
        for g in grid { total = total.multipliedReportingOverflow(by: g).overflow ? Int.max : total * g }
        guard total <= 4096 else { return }
        var idx = [Int](repeating: 0, count: rank)
        for _ in 0..<(rank == 0 ? 1 : total) {
            let key = chunkName(idx)
            if let chunk = try store.bytes(key) {
                try withExtendedLifetime(chunk.owner) {
                    if shardInner == nil, codec == "zstd", let base = chunk.bytes.baseAddress {
                        let declared = ZSTD_getFrameContentSize(base, chunk.bytes.count)
                        // ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are the two largest values.
                        if declared < UInt64.max - 1, declared != UInt64(unitBytes) {
                            throw ZarrArray.fail(store.name(key), "zstd frame declares \(declared) bytes, the chunk is \(unitBytes)")
                        }
                    }
                }
            } else if !fill {
                throw ZarrArray.fail(store.name(key), "chunk \(idx) is missing and the array has no fill value")
            }
            var d = rank - 1
            while d >= 0 { idx[d] += 1; if idx[d] < grid[d] { break }; idx[d] = 0; d -= 1 }
        }
    }

    /// Every chunk into one buffer of `bytes` (checked by `read`), in C order (or Fortran order
    /// when the array is stored so).
    func decodeAll(bytes: Int) throws -> ByteSource {
        let item = dtype.itemSize
        let out = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        irrepscope_prefault(out, bytes, 1)
        var adopted = false
        defer { if !adopted { out.deallocate() } }
        let rank = shape.count
        let grid = (0..<rank).map { (shape[$0] + chunks[$0] - 1) / chunks[$0] }
        // The unit that is compressed on its own: the inner chunk of a shard, else the chunk.
        let unit = shardInner ?? chunks
        let unitCount = try ZarrArray.product(unit, "inner chunk", dir)
        let unitBytes = unitCount * item
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: chunks == shape && shardInner == nil ? 1 : max(unitBytes, 1), alignment: 64)
        defer { scratch.deallocate() }
        // Logical (C-order) strides of the output; a Fortran-stored array keeps Fortran layout.
        let outStrides = fortran ? Tensor.fortranStrides(shape) : Tensor.contiguousStrides(shape)
        let unitStrides = fortran ? Tensor.fortranStrides(unit) : Tensor.contiguousStrides(unit)
        var idx = [Int](repeating: 0, count: rank)
        let total = grid.reduce(1, *)
        for _ in 0..<(rank == 0 ? 1 : total) {
            let key = chunkName(idx)
            let path = store.name(key)
            if let chunk = try store.bytes(key) {
                let data = chunk.bytes
                defer { withExtendedLifetime(chunk.owner) {} }
                if let inner = shardInner {
                    let per = (0..<rank).map { chunks[$0] / inner[$0] }
                    let n = per.reduce(1, *)
                    let (indexBytes, o3) = n.multipliedReportingOverflow(by: 16)
                    guard !o3 else { throw ZarrArray.fail(path, "shard index overflows") }
                    let crc = shardCRC ? 4 : 0
                    guard data.count >= indexBytes + crc else { throw ZarrArray.fail(path, "shard of \(data.count) bytes is shorter than its index of \(indexBytes)") }
                    let indexStart = data.count - indexBytes - crc
                    var j = [Int](repeating: 0, count: rank)
                    for k in 0..<n {
                        let off = data.loadUnaligned(fromByteOffset: indexStart + 16 * k, as: UInt64.self).littleEndian
                        let len = data.loadUnaligned(fromByteOffset: indexStart + 16 * k + 8, as: UInt64.self).littleEndian
                        let origin = (0..<rank).map { idx[$0] * chunks[$0] + j[$0] * inner[$0] }
                        if off == UInt64.max && len == UInt64.max {
                            memset(scratch, 0, max(unitBytes, 1))
                            copyUnit(origin: origin, unit: unit, unitStrides: unitStrides, outStrides: outStrides, out: out)
                        } else {
                            guard off <= UInt64(indexStart), len <= UInt64(indexStart) - off else {
                                throw ZarrArray.fail(path, "inner chunk \(k) at \(off) (+\(len)) lies outside the shard")
                            }
                            try decode(UnsafeRawBufferPointer(rebasing: data[Int(off)..<Int(off + len)]), into: scratch, expected: unitBytes, chunk: path)
                            copyUnit(origin: origin, unit: unit, unitStrides: unitStrides, outStrides: outStrides, out: out)
                        }
                        // next inner index (row-major)
                        var d = rank - 1
                        while d >= 0 { j[d] += 1; if j[d] < per[d] { break }; j[d] = 0; d -= 1 }
                    }
                } else if chunks == shape {
                    // One chunk holds the whole array (what Orbax writes by default): decoded in place.
                    try decode(data, into: out, expected: bytes, chunk: path)
                } else {
                    try decode(data, into: scratch, expected: unitBytes, chunk: path)
                    copyUnit(origin: (0..<rank).map { idx[$0] * chunks[$0] }, unit: unit, unitStrides: unitStrides, outStrides: outStrides, out: out)
                }
            } else if !fill {
                throw ZarrArray.fail(path, "chunk \(idx) is missing and the array has no fill value")
            } else if bytes > 0 {
                // A missing chunk is the fill value (zeros: the fill values Orbax writes).
                memset(scratch, 0, max(unitBytes, 1))
                if let inner = shardInner {
                    let per = (0..<rank).map { chunks[$0] / inner[$0] }
                    var j = [Int](repeating: 0, count: rank)
                    for _ in 0..<per.reduce(1, *) {
                        copyUnit(origin: (0..<rank).map { idx[$0] * chunks[$0] + j[$0] * inner[$0] }, unit: unit,
                                 unitStrides: unitStrides, outStrides: outStrides, out: out)
                        var d = rank - 1
                        while d >= 0 { j[d] += 1; if j[d] < per[d] { break }; j[d] = 0; d -= 1 }
                    }
                } else {
                    copyUnit(origin: (0..<rank).map { idx[$0] * chunks[$0] }, unit: unit, unitStrides: unitStrides, outStrides: outStrides, out: out)
                }
            }
            var d = rank - 1
            while d >= 0 { idx[d] += 1; if idx[d] < grid[d] { break }; idx[d] = 0; d -= 1 }
        }

        func copyUnit(origin: [Int], unit: [Int], unitStrides: [Int], outStrides: [Int], out: UnsafeMutableRawPointer) {
            // Element-wise copy of the part of the unit inside the array (edge units are clipped).
            let extent = (0..<rank).map { min(unit[$0], shape[$0] - origin[$0]) }
            if extent.contains(where: { $0 <= 0 }) { return }
            let n = extent.reduce(1, *)
            var e = [Int](repeating: 0, count: rank)
            // Copy along the innermost storage axis in runs.
            let inner = fortran ? 0 : rank - 1
            let run = rank == 0 ? 1 : extent[inner]
            var i = 0
            while i < max(n, 1) {
                var so = 0, doff = 0
                for d in 0..<rank { so += e[d] * unitStrides[d]; doff += (origin[d] + e[d]) * outStrides[d] }
                (out + doff * item).copyMemory(from: scratch + so * item, byteCount: run * item)
                i += run
                if rank == 0 { break }
                // advance all axes but the inner one
                let axes = fortran ? Array(1..<rank) : Array((0..<(rank - 1)).reversed())
                var carried = true
                for d in axes where carried {
                    e[d] += 1
                    if e[d] < extent[d] { carried = false } else { e[d] = 0 }
                }
                if carried { break }
            }
        }

        adopted = true
        return ByteSource(adopting: out, count: bytes, path: dir)
    }
}

/// Orbax checkpoints (`orbax.checkpoint` StandardCheckpointer / PyTreeCheckpointer step
/// directories, docs/formats.md §16): `_METADATA` names the pytree's leaves; each array is a
/// zarr array named by its key path joined with `.`: a directory of that name
/// (`use_ocdbt=False`), or the keys `<name>/…` of the item's OCDBT store (`manifest.ocdbt`,
/// the default; `OCDBTStore`).
public enum OrbaxFormat {
    public static let name = "orbax"

    /// The checkpoint directories inside `path`: itself when it holds `_METADATA`, else its
    /// items (`ckpt/1000/default/_METADATA`, as CheckpointManager writes them).
    static func itemDirectories(_ path: String) -> [(name: String, dir: String)]? {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return nil }
        if fm.fileExists(atPath: (path as NSString).appendingPathComponent("_METADATA")) { return [("", path)] }
        guard fm.fileExists(atPath: (path as NSString).appendingPathComponent("_CHECKPOINT_METADATA")),
              let names = try? fm.contentsOfDirectory(atPath: path) else { return nil }
        let items = names.sorted().compactMap { n -> (String, String)? in
            let d = (path as NSString).appendingPathComponent(n)
            return fm.fileExists(atPath: (d as NSString).appendingPathComponent("_METADATA")) ? (n, d) : nil
        }
        return items.isEmpty ? nil : items
    }

    /// Whether `path` is an Orbax step directory.
    public static func isCheckpointDirectory(_ path: String) -> Bool { itemDirectories(path) != nil }

    /// The step of an Orbax step directory: its name when it is a number (`ckpt/1000`).
    public static func step(of path: String) -> Int? {
        let last = URL(fileURLWithPath: path).lastPathComponent
        return Int(last.split(separator: "_").last ?? "")
    }

    public static func read(directory path: String) throws -> Checkpoint {
        guard let items = itemDirectories(path) else { throw CheckpointError(path: path, "not an Orbax checkpoint directory (no _METADATA)") }
        var tensors: [Tensor] = []
        var metadata: [(key: String, value: MetadataValue)] = []
        for (itemName, dir) in items {
            let metaPath = (dir as NSString).appendingPathComponent("_METADATA")
            let meta = try ZarrArray.readJSON(metaPath)
            let fm = FileManager.default
            // OCDBT (the default): one key-value store for the whole item, the arrays' keys
            // under `<leaf>/`; else one directory per array.
            let storage: (String) -> any ZarrStorage
            if meta["use_ocdbt"]?.bool == true || fm.fileExists(atPath: (dir as NSString).appendingPathComponent("manifest.ocdbt")) {
                let store = try OCDBTStore(directory: dir)
                storage = { OCDBTArrayKeys(store: store, prefix: $0 + "/") }
            } else {
                storage = { ZarrDirectory(dir: (dir as NSString).appendingPathComponent($0)) }
            }
            guard case .object(let tree)? = meta["tree_metadata"] else {
                throw CheckpointError(path: metaPath, "no tree_metadata: an Orbax layout this reader does not know")
            }
            // jax flattens dicts in sorted key order; sequences by index.
            var leaves: [(keys: [String], type: String)] = []
            for (_, v) in tree {
                guard case .array(let km)? = v["key_metadata"] else { throw CheckpointError(path: metaPath, "a leaf without key_metadata") }
                let keys = km.map { k -> String in
                    switch k["key"] { case .string(let s)?: return s; case .int(let i)?: return String(i); default: return "?" }
                }
                leaves.append((keys, v["value_metadata"]?["value_type"]?.string ?? "?"))
            }
            leaves.sort { a, b in
                for (x, y) in zip(a.keys, b.keys) where x != y {
                    if let i = Int(x), let j = Int(y) { return i < j }
                    return x < y
                }
                return a.keys.count < b.keys.count
            }
            // Arrays are read concurrently (each decompresses on its own); results keep leaf order.
            struct Job: Sendable { let name: String; let type: String; let storage: any ZarrStorage }
            var jobs: [Job] = []
            for leaf in leaves {
                let keyPath = (itemName.isEmpty || items.count == 1 ? [] : [itemName]) + leaf.keys
                let name = keyPath.joined(separator: ".")
                let dirName = leaf.keys.joined(separator: ".")
                // The array directory must be a plain child of the item directory.
                guard !dirName.isEmpty, !dirName.contains("/"), !dirName.contains("\0"),
                      leaf.keys.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
                    throw CheckpointError(path: metaPath, "leaf '\(name)' names a directory outside the checkpoint")
                }
                jobs.append(Job(name: name, type: leaf.type, storage: storage(dirName)))
            }
            /// One slot per job, each written by one iteration only.
            final class Slots: @unchecked Sendable {
                var r: [Result<Tensor, Error>?]
                init(_ n: Int) { r = Array(repeating: nil, count: n) }
            }
            let slots = Slots(jobs.count), all = jobs
            let arrays = ["jax.Array", "np.ndarray", "scalar"]
            slots.r.withUnsafeMutableBufferPointer { buf in
                nonisolated(unsafe) let b = buf
                DispatchQueue.concurrentPerform(iterations: all.count) { i in
                    guard arrays.contains(all[i].type) else { return }
                    b[i] = Result { try ZarrArray(store: all[i].storage).read(name: all[i].name) }
                }
            }
            let results = slots.r
            for (i, job) in jobs.enumerated() {
                let name = job.name
                switch job.type {
                case "jax.Array", "np.ndarray", "scalar":
                    let t = try results[i]!.get()
                    if job.type == "scalar", t.shape.isEmpty {
                        let v = try t.doubleValues()[0]
                        if t.dtype.isFloatingPoint { metadata.append((name, .double(v))) }
                        else if t.dtype == .bool { metadata.append((name, .bool(v != 0))) }
                        else { metadata.append((name, .int(Int64(v)))) }
                    } else {
                        tensors.append(t)
                    }
                default:
                    metadata.append((name, .string("<\(job.type)>")))
                }
            }
        }
        // The step directory's number, for `batch` ordering, unless the tree holds a step.
        if let s = step(of: path), !metadata.contains(where: { $0.key == "step" }) { metadata.append(("step", .int(Int64(s)))) }
        return Checkpoint(format: name, path: path, tensors: tensors, metadata: metadata)
    }
}
