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
///
/// A source may also be *lazy* (a deflated zip member, docs/formats.md §13): its length is
/// known, but its bytes are produced on first use, by `load()` (which throws when they cannot
/// be), `bytes(_:)`, or `base`. Readers of values call `load()` first; listing a file never
/// does, so `inspect` inflates nothing it does not show.
public final class ByteSource: @unchecked Sendable {
    /// Start of the bytes (nil only when `count == 0`, or for a lazy source whose bytes could
    /// not be produced: call `load()` first to get the reason).
    public var base: UnsafeRawPointer? {
        if let lazy { return (try? lazy.get())?.base }
        return stored
    }
    private let stored: UnsafeRawPointer?
    /// Number of bytes.
    public let count: Int
    /// Where the bytes came from, for error messages.
    public let path: String
    private let unmapLength: Int
    private let owned: UnsafeMutableRawPointer?
    private let lazy: LazyBytes?

    /// A source of `count` bytes that `make` produces on first use (once, under a lock);
    /// `make` must return a source of exactly `count` bytes.
    public init(lazyCount count: Int, path: String, make: @escaping @Sendable () throws -> ByteSource) {
        self.path = path; self.count = count
        self.stored = nil; self.unmapLength = 0; self.owned = nil
        self.lazy = LazyBytes(make)
    }

    /// Whether the bytes are there already (always, except for a lazy source not yet used).
    public var isLoaded: Bool { lazy?.isMade ?? true }

    /// Produces a lazy source's bytes (no-op otherwise); throws the reason they cannot be.
    public func load() throws {
        guard let lazy else { return }
        let made = try lazy.get()
        guard made.count == count else {
            throw CheckpointError(path: path, "produced \(made.count) bytes where \(count) were announced")
        }
    }

    /// Maps the file at `path`.
    ///
    /// Only regular files are read (symbolic links are followed): a FIFO would block `open`
    /// forever, and `/dev/zero` or `/dev/urandom` never end, so they, directories, sockets
    /// and other devices are refused with a message naming the file and what it is
    /// (docs/formats.md §13).
    public init(path: String) throws {
        self.path = path
        var st = stat()
        guard stat(path, &st) == 0 else {
            let why = String(cString: strerror(errno))
            throw CheckpointError(path: path, "cannot open file: \(why)")
        }
        if let kind = ByteSource.nonRegularKind(st.st_mode) {
            throw CheckpointError(path: path, "is \(kind), not a regular file")
        }
        // O_NONBLOCK: should the path be swapped for a FIFO after the check, open must not block.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let why = String(cString: strerror(errno))
            throw CheckpointError(path: path, "cannot open file: \(why)")
        }
        defer { close(fd) }
        guard fstat(fd, &st) == 0 else {
            throw CheckpointError(path: path, "cannot stat file: \(String(cString: strerror(errno)))")
        }
        if let kind = ByteSource.nonRegularKind(st.st_mode) {
            throw CheckpointError(path: path, "is \(kind), not a regular file")
        }
        let size = Int(st.st_size)
        if size == 0 {
            // Empty files cannot be mapped.
            let buf = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 64)
            self.owned = buf
            self.stored = UnsafeRawPointer(buf)
            self.count = 0
            self.unmapLength = 0
            self.lazy = nil
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw CheckpointError(path: path, "cannot map file: \(String(cString: strerror(errno)))")
        }
        self.stored = UnsafeRawPointer(p)
        self.count = size
        self.unmapLength = size
        self.owned = nil
        self.lazy = nil
    }

    /// What a file that is not regular is, in words ("a FIFO (named pipe)", "a directory",
    /// "a character device"); nil for a regular file.
    public static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a plain file"
        }
    }

    /// Why `path` cannot be read as a weight file without opening it (it is missing, or not
    /// a regular file after following links), or nil when it is a regular file.
    public static func unreadableReason(path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return "cannot open file: \(String(cString: strerror(errno)))" }
        return nonRegularKind(st.st_mode).map { "is \($0), not a regular file" }
    }

    /// Wraps a copy of in-memory bytes (decompressed entries, test data). The copy is
    /// 64-byte aligned.
    public init(bytes: some Collection<UInt8>, path: String) {
        self.path = path
        let n = bytes.count
        let buf = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 64)
        _ = UnsafeMutableRawBufferPointer(start: buf, count: n).initializeMemory(as: UInt8.self, from: bytes)
        self.owned = buf
        self.stored = UnsafeRawPointer(buf)
        self.count = n
        self.unmapLength = 0
        self.lazy = nil
    }

    /// Takes ownership of `buffer`, allocated with `UnsafeMutableRawPointer.allocate`.
    public init(adopting buffer: UnsafeMutableRawPointer, count: Int, path: String) {
        self.path = path
        self.owned = buffer
        self.stored = UnsafeRawPointer(buffer)
        self.count = count
        self.unmapLength = 0
        self.lazy = nil
    }

    deinit {
        if let owned { owned.deallocate() }
        if unmapLength > 0, let stored { munmap(UnsafeMutableRawPointer(mutating: stored), unmapLength) }
    }

    /// The bytes `range`, bounds-checked.
    public func bytes(_ range: Range<Int>) throws -> UnsafeRawBufferPointer {
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw CheckpointError(path: path, "truncated: needs bytes \(range.lowerBound)..<\(range.upperBound) but the file has \(count)")
        }
        try load()
        return UnsafeRawBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count)
    }

    /// The whole file.
    public var all: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// The bytes of a lazy `ByteSource`, produced once.
final class LazyBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var make: (@Sendable () throws -> ByteSource)?
    private var result: Result<ByteSource, Error>?

    init(_ make: @escaping @Sendable () throws -> ByteSource) { self.make = make }

    var isMade: Bool { lock.lock(); defer { lock.unlock() }; return result != nil }

    func get() throws -> ByteSource {
        lock.lock(); defer { lock.unlock() }
        if let result { return try result.get() }
        let r = Result { try make!() }
        result = r
        make = nil
        return try r.get()
    }
}
