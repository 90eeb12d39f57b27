#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A read-only view of a whole file's bytes.
///
/// Regular files are memory-mapped (`mmap(PROT_READ, MAP_PRIVATE)`): listing a multi-GB
/// checkpoint touches only the pages its index lives on, and tensors are read in place.
/// The mapping is released when the last reference goes away. Immutable after creation,
/// hence `Sendable`.
public final class ByteSource: @unchecked Sendable {
    /// Start of the bytes (nil only when `count == 0`).
    public let base: UnsafeRawPointer?
    /// Number of bytes.
    public let count: Int
    /// Where the bytes came from, for error messages.
    public let path: String
    private let unmapLength: Int
    private let owned: UnsafeMutableRawPointer?

    /// Maps the file at `path`.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let why = String(cString: strerror(errno))
            throw CheckpointError(path: path, "cannot open file: \(why)")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw CheckpointError(path: path, "cannot stat file: \(String(cString: strerror(errno)))")
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw CheckpointError(path: path, "is a directory, not a file")
        }
        let size = Int(st.st_size)
        if size == 0 || (st.st_mode & S_IFMT) != S_IFREG {
            // Empty files cannot be mapped; pipes and devices are read into memory.
            let data = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).readToEnd() ?? Data()
            let buf = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
            data.copyBytes(to: buf.assumingMemoryBound(to: UInt8.self), count: data.count)
            self.owned = buf
            self.base = UnsafeRawPointer(buf)
            self.count = data.count
            self.unmapLength = 0
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw CheckpointError(path: path, "cannot map file: \(String(cString: strerror(errno)))")
        }
        self.base = UnsafeRawPointer(p)
        self.count = size
        self.unmapLength = size
        self.owned = nil
    }

    /// Wraps a copy of in-memory bytes (decompressed entries, test data). The copy is
    /// 64-byte aligned.
    public init(bytes: some Collection<UInt8>, path: String) {
        self.path = path
        let n = bytes.count
        let buf = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 64)
        _ = UnsafeMutableRawBufferPointer(start: buf, count: n).initializeMemory(as: UInt8.self, from: bytes)
        self.owned = buf
        self.base = UnsafeRawPointer(buf)
        self.count = n
        self.unmapLength = 0
    }

    /// Takes ownership of `buffer`, allocated with `UnsafeMutableRawPointer.allocate`.
    public init(adopting buffer: UnsafeMutableRawPointer, count: Int, path: String) {
        self.path = path
        self.owned = buffer
        self.base = UnsafeRawPointer(buffer)
        self.count = count
        self.unmapLength = 0
    }

    deinit {
        if let owned { owned.deallocate() }
        if unmapLength > 0, let base { munmap(UnsafeMutableRawPointer(mutating: base), unmapLength) }
    }

    /// The bytes `range`, bounds-checked.
    public func bytes(_ range: Range<Int>) throws -> UnsafeRawBufferPointer {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw CheckpointError(path: path, "truncated: needs bytes \(range.lowerBound)..<\(range.upperBound) but the file has \(count)")
        }
        return UnsafeRawBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count)
    }

    /// The whole file.
    public var all: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
