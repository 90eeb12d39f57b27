#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered byte sink writing to a file descriptor (stdout by default) or collecting
/// bytes in memory. Large machine-readable outputs (a 5604 × 5604 character table, 100 000
/// neurons) are written without building strings first.
public final class ByteSink {
    public private(set) var buffer: [UInt8] = []
    private let fd: Int32?
    private let flushThreshold = 1 << 16
    /// Set when a write to the descriptor failed (e.g. a closed pipe).
    public private(set) var failed = false

    /// A sink that writes to `fd` (1 = stdout).
    public init(fd: Int32 = 1) {
        self.fd = fd
        buffer.reserveCapacity(flushThreshold + 4096)
    }

    /// A sink that keeps everything in `buffer`.
    public init(collecting: Void) { self.fd = nil }

    deinit { flush() }

    @inline(__always) public func write(_ s: String) {
        var s = s
        s.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= flushThreshold { flushIfWriting() }
    }

    @inline(__always) public func write(byte: UInt8) {
        buffer.append(byte)
    }

    @inline(__always) public func write<S: Sequence>(bytes: S) where S.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { flushIfWriting() }
    }

    private func flushIfWriting() { if fd != nil { flush() } }

    /// Writes out what is buffered (no-op for a collecting sink).
    public func flush() {
        guard let fd, !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let r = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if r < 0 { if errno == EINTR { continue }; failed = true; break }
                off += r
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// The collected text (collecting sinks).
    public var string: String { String(decoding: buffer, as: UTF8.self) }
}

/// A streaming JSON writer: call `beginObject`/`key`/values in order; commas are handled.
///
/// Numbers: integers exactly; doubles in the shortest form that reads back to the same
/// value (Swift's `description`), non-finite doubles as `null` (JSON has no NaN).
public final class JSONWriter {
    public let sink: ByteSink
    private var needsComma: [Bool] = [false]
    private var afterKey = false

    public init(sink: ByteSink) { self.sink = sink }

    @inline(__always) private func separate() {
        if afterKey { afterKey = false; return }
        if needsComma[needsComma.count - 1] { sink.write(byte: UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    public func beginObject() { separate(); sink.write(byte: UInt8(ascii: "{")); needsComma.append(false) }
    public func endObject() { needsComma.removeLast(); sink.write(byte: UInt8(ascii: "}")) }
    public func beginArray() { separate(); sink.write(byte: UInt8(ascii: "[")); needsComma.append(false) }
    public func endArray() { needsComma.removeLast(); sink.write(byte: UInt8(ascii: "]")) }

    public func key(_ k: String) {
        separate()
        writeString(k)
        sink.write(byte: UInt8(ascii: ":"))
        afterKey = true
    }

    public func value(_ s: String) { separate(); writeString(s) }
    public func value(_ v: Int) { separate(); sink.write(String(v)) }
    public func value(_ v: Int64) { separate(); sink.write(String(v)) }
    public func value(_ b: Bool) { separate(); sink.write(b ? "true" : "false") }
    public func null() { separate(); sink.write("null") }
    public func value(_ v: Double) {
        separate()
        if v.isFinite {
            if v == v.rounded(), abs(v) < 1e15 { sink.write(String(Int64(v))); return }
            sink.write(v.description)
        } else { sink.write("null") }
    }
    public func value(_ v: Double?) { if let v { value(v) } else { null() } }
    public func value(_ v: Int?) { if let v { value(v) } else { null() } }
    public func value(_ s: String?) { if let s { value(s) } else { null() } }

    /// A `"key": value` pair.
    public func field(_ k: String, _ v: Int) { key(k); value(v) }
    public func field(_ k: String, _ v: Int?) { key(k); value(v) }
    public func field(_ k: String, _ v: Double) { key(k); value(v) }
    public func field(_ k: String, _ v: Double?) { key(k); value(v) }
    public func field(_ k: String, _ v: String) { key(k); value(v) }
    public func field(_ k: String, _ v: String?) { key(k); value(v) }
    public func field(_ k: String, _ v: Bool) { key(k); value(v) }

    /// An array of integers.
    public func array(_ xs: [Int]) {
        beginArray()
        for x in xs { value(x) }
        endArray()
    }
    /// An array of doubles.
    public func array(_ xs: [Double]) {
        beginArray()
        for x in xs { value(x) }
        endArray()
    }

    private func writeString(_ s: String) {
        sink.write(byte: UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): sink.write("\\\"")
            case UInt8(ascii: "\\"): sink.write("\\\\")
            case 0x0A: sink.write("\\n")
            case 0x0D: sink.write("\\r")
            case 0x09: sink.write("\\t")
            case 0..<0x20:
                let hex = String(b, radix: 16)
                sink.write("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: sink.write(byte: b)
            }
        }
        sink.write(byte: UInt8(ascii: "\""))
    }
}
