import CZlib
import Foundation

/// One member of a ZIP archive, as its central directory describes it.
public struct ZipEntry: Sendable {
    public var name: String
    /// 0 = stored, 8 = deflate.
    public var method: UInt16
    public var flags: UInt16
    public var crc32: UInt32
    public var compressedSize: Int
    public var uncompressedSize: Int
    /// Offset of the entry's local header.
    public var localHeaderOffset: Int
}

/// A ZIP archive read from its central directory, over a memory-mapped `ByteSource`.
///
/// Sizes and offsets come from the central directory (ZIP64 records and 0x0001 extras
/// included), never from local headers: PyTorch writes local headers with zero sizes and
/// data descriptors (flag 0x08). Stored members are returned as ranges of the mapped file,
/// without copying; deflated members are inflated with zlib into a new buffer, never larger
/// than the size the directory announces (docs/formats.md §13): `lazyContents` inflates on
/// first use and only the prefix asked for, `contents` at once. Members whose data overlap
/// (several directory entries sharing one deflated stream, a classic zip bomb) are refused
/// when the archive is opened, and so is inflating more than `maxCompressionRatio` times the
/// compressed bytes of a member beyond `ratioFreeBytes`.
public struct ZipArchive: Sendable {
    public let source: ByteSource
    /// Members in central-directory order.
    public let entries: [ZipEntry]

    static let localSignature: UInt32 = 0x0403_4b50
    static let centralSignature: UInt32 = 0x0201_4b50
    static let endSignature: UInt32 = 0x0605_4b50
    static let zip64EndSignature: UInt32 = 0x0606_4b50
    static let zip64LocatorSignature: UInt32 = 0x0706_4b50

    /// The largest ratio of inflated to compressed bytes accepted for a member once more than
    /// `ratioFreeBytes` are inflated: 100, or the environment's
    /// `IRREPSCOPE_MAX_COMPRESSION_RATIO`. Weights compress by 1.1:1 or so; deflate's own limit
    /// is 1032:1, reached only by runs of one byte value.
    public static let maxCompressionRatio: Int = {
        if let c = getenv("IRREPSCOPE_MAX_COMPRESSION_RATIO"), let n = Int(String(cString: c)), n > 0 { return n }
        return 100
    }()
    /// Inflated bytes of a member below which any ratio is accepted (16 MiB).
    public static let ratioFreeBytes = 16 << 20

    /// True when the source starts with a local header (or is an empty archive).
    public static func looksLikeZip(_ source: ByteSource) -> Bool {
        guard source.count >= 22, let b = source.base else { return false }
        let sig = b.loadUnaligned(as: UInt32.self).littleEndian
        return sig == localSignature || sig == endSignature
    }

    public init(_ source: ByteSource) throws {
        self.source = source
        let path = source.path
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: path, "zip archive: \(m)") }
        let n = source.count
        guard n >= 22, let base = source.base else { throw fail("too short to be a zip archive (\(n) bytes)") }
        func u16(_ o: Int) -> Int { Int(base.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian) }
        func u32(_ o: Int) -> Int { Int(base.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian) }
        func u64(_ o: Int) throws -> Int {
            let v = base.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian
            guard v <= UInt64(Int.max) else { throw fail("64-bit field \(v) out of range") }
            return Int(v)
        }

        // End of central directory: the last 22 bytes plus up to 65535 bytes of comment.
        var eocd = -1
        var p = n - 22
        let lowest = max(0, n - 22 - 65535)
        while p >= lowest {
            if u32(p) == Int(ZipArchive.endSignature), p + 22 + u16(p + 20) <= n { eocd = p; break }
            p -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record (truncated file?)") }
        var count = u16(eocd + 10)
        var cdSize = u32(eocd + 12)
        var cdOffset = u32(eocd + 16)
        // ZIP64: locator right before the end record points at the ZIP64 end record.
        if eocd >= 20, u32(eocd - 20) == Int(ZipArchive.zip64LocatorSignature) {
            let z = try u64(eocd - 20 + 8)
            guard z <= n - 56, u32(z) == Int(ZipArchive.zip64EndSignature) else {
                throw fail("ZIP64 end record missing at offset \(z)")
            }
            count = try u64(z + 32)
            cdSize = try u64(z + 40)
            cdOffset = try u64(z + 48)
        }
        guard cdOffset <= n, cdSize <= n - cdOffset else {
            throw fail("central directory (\(cdSize) bytes at \(cdOffset)) lies outside the file of \(n) bytes")
        }
        guard count <= cdSize / 46 else { throw fail("central directory claims \(count) entries in \(cdSize) bytes") }

        var entries: [ZipEntry] = []
        entries.reserveCapacity(count)
        var q = cdOffset
        let cdEnd = cdOffset + cdSize
        for i in 0..<count {
            guard q + 46 <= cdEnd, u32(q) == Int(ZipArchive.centralSignature) else {
                throw fail("central directory entry \(i) is malformed")
            }
            let flags = UInt16(u16(q + 8)), method = UInt16(u16(q + 10))
            let crc = UInt32(u32(q + 16))
            var csize = u32(q + 20), usize = u32(q + 24)
            let nameLen = u16(q + 28), extraLen = u16(q + 30), commentLen = u16(q + 32)
            var offset = u32(q + 42)
            let nameStart = q + 46
            guard nameStart + nameLen + extraLen + commentLen <= cdEnd else {
                throw fail("central directory entry \(i) runs past the directory")
            }
            let name = String(decoding: UnsafeRawBufferPointer(start: base + nameStart, count: nameLen), as: UTF8.self)
            // ZIP64 extra (0x0001): only the fields that overflowed, in order usize, csize, offset.
            var e = nameStart + nameLen
            let extraEnd = e + extraLen
            while e + 4 <= extraEnd {
                let tag = u16(e), size = u16(e + 2)
                guard e + 4 + size <= extraEnd else { break }
                if tag == 1 {
                    var f = e + 4
                    let fEnd = f + size
                    if usize == 0xFFFF_FFFF { guard f + 8 <= fEnd else { throw fail("'\(name)': short ZIP64 extra") }; usize = try u64(f); f += 8 }
                    if csize == 0xFFFF_FFFF { guard f + 8 <= fEnd else { throw fail("'\(name)': short ZIP64 extra") }; csize = try u64(f); f += 8 }
                    if offset == 0xFFFF_FFFF { guard f + 8 <= fEnd else { throw fail("'\(name)': short ZIP64 extra") }; offset = try u64(f); f += 8 }
                }
                e += 4 + size
            }
            entries.append(ZipEntry(name: name, method: method, flags: flags, crc32: crc,
                                    compressedSize: csize, uncompressedSize: usize, localHeaderOffset: offset))
            q = extraEnd + commentLen
        }
        // Two members of one name: which one a reader takes would be arbitrary.
        var names = Set<String>()
        for e in entries where !names.insert(e.name).inserted {
            throw fail("two members are named '\(DisplayText.truncated(e.name, limit: 80))'")
        }
        // Members must not share data: sort their extents (local header through the end of
        // the compressed bytes) and refuse any that begins before the previous one ends.
        var extents: [(start: Int, end: Int, name: String)] = []
        extents.reserveCapacity(entries.count)
        for e in entries {
            let o = e.localHeaderOffset
            guard o >= 0, o <= n - 30, u32(o) == Int(ZipArchive.localSignature) else { continue }  // reported when read
            let (a, o1) = (o + 30 + u16(o + 26) + u16(o + 28)).addingReportingOverflow(e.compressedSize)
            extents.append((o, o1 ? Int.max : a, e.name))
        }
        extents.sort { $0.start != $1.start ? $0.start < $1.start : $0.end < $1.end }
        for i in extents.indices.dropFirst() where extents[i].start < extents[i - 1].end {
            throw fail("members '\(DisplayText.truncated(extents[i - 1].name, limit: 80))' and '\(DisplayText.truncated(extents[i].name, limit: 80))' overlap (directory entries sharing data: refused as a zip bomb)")
        }
        self.entries = entries
    }

    /// The member called `name`.
    public func entry(named name: String) -> ZipEntry? { entries.first { $0.name == name } }

    /// Byte range of the member's (possibly compressed) data in `source`.
    public func dataRange(of entry: ZipEntry) throws -> Range<Int> {
        let n = source.count
        let o = entry.localHeaderOffset
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: source.path, "zip member '\(entry.name)': \(m)") }
        guard o >= 0, o <= n - 30, let base = source.base,
              base.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian == ZipArchive.localSignature else {
            throw fail("no local header at offset \(o)")
        }
        let nameLen = Int(base.loadUnaligned(fromByteOffset: o + 26, as: UInt16.self).littleEndian)
        let extraLen = Int(base.loadUnaligned(fromByteOffset: o + 28, as: UInt16.self).littleEndian)
        let start = o + 30 + nameLen + extraLen
        guard start <= n, entry.compressedSize <= n - start else {
            throw fail("data (\(entry.compressedSize) bytes at \(start)) runs past the end of the file (\(n) bytes)")
        }
        return start..<(start + entry.compressedSize)
    }

    /// The member's uncompressed bytes: a range of `source` for stored members (no copy),
    /// or a fresh buffer for deflated ones.
    public func contents(of entry: ZipEntry) throws -> (source: ByteSource, range: Range<Int>) {
        let range = try dataRange(of: entry)
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: source.path, "zip member '\(entry.name)': \(m)") }
        switch entry.method {
        case 0:
            guard entry.uncompressedSize == entry.compressedSize else {
                throw fail("stored member with different sizes (\(entry.compressedSize) vs \(entry.uncompressedSize))")
            }
            return (source, range)
        case 8:
            let inflated = try inflate(entry, range, count: entry.uncompressedSize, fail: fail)
            return (inflated, 0..<inflated.count)
        default:
            throw fail("unsupported compression method \(entry.method) (only stored and deflate)")
        }
    }

    /// The member's first `prefix` uncompressed bytes (all of them when `prefix` is nil or
    /// not below the announced size), produced only when first used: a range of `source` for
    /// stored members, a lazy `ByteSource` for deflated ones that inflates exactly that many
    /// bytes on `load()` (the CRC is checked when the whole member is inflated). A torch
    /// storage of 112 elements in a member announcing gigabytes costs 448 bytes.
    public func lazyContents(of entry: ZipEntry, prefix: Int? = nil) throws -> (source: ByteSource, range: Range<Int>) {
        let range = try dataRange(of: entry)
        func fail(_ m: String) -> CheckpointError { CheckpointError(path: source.path, "zip member '\(entry.name)': \(m)") }
        let count = min(max(prefix ?? entry.uncompressedSize, 0), entry.uncompressedSize)
        switch entry.method {
        case 0:
            guard entry.uncompressedSize == entry.compressedSize else {
                throw fail("stored member with different sizes (\(entry.compressedSize) vs \(entry.uncompressedSize))")
            }
            return (source, range.lowerBound..<(range.lowerBound + count))
        case 8:
            // Deflate cannot expand data by more than 1032:1; a larger announced size is forged.
            guard entry.uncompressedSize / 1032 <= range.count + 64 else {
                throw fail("claims \(entry.uncompressedSize) bytes from \(range.count) compressed bytes")
            }
            // The other limits are checked when the bytes are produced: listing a bomb is harmless.
            let zip = self
            let name = entry.name, path = source.path
            let lazy = ByteSource(lazyCount: count, path: source.path) {
                try zip.inflate(entry, range, count: count) { CheckpointError(path: path, "zip member '\(name)': \($0)") }
            }
            return (lazy, 0..<count)
        default:
            throw fail("unsupported compression method \(entry.method) (only stored and deflate)")
        }
    }

    /// Refuses to inflate `count` bytes from `compressed`: more than deflate can produce (a
    /// forged size), more than the materialization limit, or above the compression-ratio cap.
    private func checkInflation(_ count: Int, compressed: Int, fail: (String) -> CheckpointError) throws {
        // Deflate cannot expand data by more than 1032:1; a larger claim is forged.
        guard count >= 0, count / 1032 <= compressed + 64 else {
            throw fail("claims \(count) bytes from \(compressed) compressed bytes")
        }
        guard count <= Tensor.materializationLimit else {
            throw fail("inflates to \(count) bytes, above the limit of \(Tensor.materializationLimit) bytes (raise it with IRREPSCOPE_MAX_TENSOR_BYTES)")
        }
        if count > ZipArchive.ratioFreeBytes, count / max(compressed, 1) >= ZipArchive.maxCompressionRatio {
            throw fail("inflates \(compressed) bytes to \(count), a ratio of \(count / max(compressed, 1)):1 above the limit of \(ZipArchive.maxCompressionRatio):1 (a decompression bomb? raise it with IRREPSCOPE_MAX_COMPRESSION_RATIO)")
        }
    }

    /// Inflates the first `count` bytes of `entry` (whose data is `range`); when that is the
    /// whole member, checks that the stream ends there and that the CRC matches.
    private func inflate(_ entry: ZipEntry, _ range: Range<Int>, count expected: Int,
                         fail: (String) -> CheckpointError) throws -> ByteSource {
        try checkInflation(expected, compressed: range.count, fail: fail)
        let whole = expected == entry.uncompressedSize
        let out = UnsafeMutableRawPointer.allocate(byteCount: max(expected, 1), alignment: 64)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            out.deallocate()
            throw fail("zlib initialisation failed")
        }
        defer { inflateEnd(&stream) }
        let input = try source.bytes(range)
        var inPos = 0, outPos = 0
        var status = Z_OK
        while true {
            let inChunk = min(input.count - inPos, Int(UInt32.max >> 1))
            let outChunk = min(expected - outPos, Int(UInt32.max >> 1))
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + inPos })
            stream.avail_in = UInt32(inChunk)
            stream.next_out = (out + outPos).assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(outChunk)
            status = CZlib.inflate(&stream, Z_NO_FLUSH)
            inPos += inChunk - Int(stream.avail_in)
            let produced = outChunk - Int(stream.avail_out)
            outPos += produced
            if status == Z_STREAM_END { break }
            if !whole && outPos == expected { break }
            if status == Z_BUF_ERROR && outPos == expected {
                out.deallocate(); throw fail("inflates to more than the \(expected) bytes the directory announces")
            }
            guard status == Z_OK || (status == Z_BUF_ERROR && produced > 0) else {
                out.deallocate()
                throw fail(status == Z_BUF_ERROR ? "compressed data is truncated" : "corrupt deflate data (zlib status \(status))")
            }
            if inChunk == 0 && produced == 0 { out.deallocate(); throw fail("compressed data is truncated") }
        }
        guard outPos == expected else {
            out.deallocate()
            throw fail("inflated to \(outPos) bytes, the directory announces \(entry.uncompressedSize)")
        }
        if whole {
            var c: UInt = CZlib.crc32(0, nil, 0)
            var off = 0
            while off < expected {
                let chunk = min(expected - off, 1 << 30)
                c = CZlib.crc32(c, (out + off).assumingMemoryBound(to: UInt8.self), UInt32(chunk))
                off += chunk
            }
            guard UInt32(truncatingIfNeeded: c) == entry.crc32 else {
                out.deallocate(); throw fail("CRC mismatch after inflating (corrupt data)")
            }
        }
        return ByteSource(adopting: out, count: expected, path: source.path)
    }
}
