#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CKernels

/// A buffered byte sink writing to a file descriptor (stdout by default) or collecting
/// bytes in memory. Large machine-readable outputs (a 5604 × 5604 character table, 100 000
/// neurons) are written without building strings first.
public final class ByteSink {
    // All mutable state lives behind one pointer: appends are plain stores, with no array
    // uniqueness or dynamic exclusivity checks per byte (they dominated multi-megabyte outputs).
    private struct State {
        var storage: UnsafeMutablePointer<UInt8>
        var capacity: Int
        var count: Int
        var failed: Bool
    }
    private let state: UnsafeMutablePointer<State>
    private let fd: Int32?
    private let flushThreshold = 1 << 16

    /// Set when a write to the descriptor failed (e.g. a closed pipe).
    public var failed: Bool { state.pointee.failed }

    /// A sink that writes to `fd` (1 = stdout).
    public init(fd: Int32 = 1) {
        self.fd = fd
        state = .allocate(capacity: 1)
        let capacity = flushThreshold + 4096
        state.initialize(to: State(storage: .allocate(capacity: capacity), capacity: capacity, count: 0, failed: false))
    }

    /// A sink that keeps everything in `buffer`; `capacity` is a hint of the final size.
    public init(collecting: Void, capacity: Int = 4096) {
        fd = nil
        state = .allocate(capacity: 1)
        let c = max(capacity, 64)
        state.initialize(to: State(storage: .allocate(capacity: c), capacity: c, count: 0, failed: false))
        irrepscope_prefault(state.pointee.storage, c, 1)
    }

    /// The bytes held (everything, for a collecting sink), without copying them.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(start: state.pointee.storage, count: state.pointee.count))
    }

    deinit {
        flush()
        state.pointee.storage.deallocate()
        state.deallocate()
    }

    /// How many bytes are held (for a collecting sink: everything written so far).
    public var count: Int { state.pointee.count }

    /// The bytes not yet written out (everything, for a collecting sink).
    public var buffer: [UInt8] { Array(UnsafeBufferPointer(start: state.pointee.storage, count: state.pointee.count)) }

    /// Room for `extra` more bytes; returns where they go.
    @inline(__always) private func reserve(_ extra: Int) -> UnsafeMutablePointer<UInt8> {
        if state.pointee.count + extra > state.pointee.capacity { grow(state.pointee.count + extra) }
        return state.pointee.storage + state.pointee.count
    }

    private func grow(_ needed: Int) {
        var c = state.pointee.capacity
        while c < needed { c *= 2 }
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        p.update(from: state.pointee.storage, count: state.pointee.count)
        state.pointee.storage.deallocate()
        state.pointee.storage = p
        state.pointee.capacity = c
    }

    @inline(__always) public func write(_ s: String) {
        var s = s
        s.withUTF8 { write(buffer: $0) }
    }

    @inline(__always) public func write(buffer bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        if n >= flushThreshold, let fd {
            // Large blocks go straight to the descriptor, not through the buffer.
            flush()
            writeAll(fd, bytes.baseAddress!, n)
            return
        }
        let at = reserve(n)
        if let base = bytes.baseAddress { at.update(from: base, count: n) }
        state.pointee.count += n
        if state.pointee.count >= flushThreshold { flushIfWriting() }
    }

    @inline(__always) public func write(byte: UInt8) {
        reserve(1).pointee = byte
        state.pointee.count += 1
    }

    public func write<S: Sequence>(bytes: S) where S.Element == UInt8 {
        // Arrays, slices and buffers: one copy (not one generic iteration step per byte).
        if bytes.withContiguousStorageIfAvailable({ write(buffer: $0) }) != nil { return }
        for b in bytes { write(byte: b) }
        if state.pointee.count >= flushThreshold { flushIfWriting() }
    }

    private func flushIfWriting() { if fd != nil { flush() } }

    /// Writes out what is buffered (no-op for a collecting sink).
    public func flush() {
        guard let fd, state.pointee.count > 0 else { return }
        writeAll(fd, state.pointee.storage, state.pointee.count)
        state.pointee.count = 0
    }

    private func writeAll(_ fd: Int32, _ base: UnsafePointer<UInt8>, _ count: Int) {
        var off = 0
        while off < count {
            let r = Glibc.write(fd, base + off, count - off)
            if r < 0 { if errno == EINTR { continue }; state.pointee.failed = true; break }
            off += r
        }
    }

    /// The collected text (collecting sinks).
    public var string: String {
        String(decoding: UnsafeBufferPointer(start: state.pointee.storage, count: state.pointee.count), as: UTF8.self)
    }
}

/// A streaming JSON writer: call `beginObject`/`key`/values in order; commas are handled.
///
/// Numbers: integers exactly; doubles in the shortest form that reads back to the same
/// value (Swift's `description`), non-finite doubles as `null` (JSON has no NaN).
public final class JSONWriter {
    public let sink: ByteSink
    // Nesting state behind one pointer (see ByteSink): comma[d] says whether level d already
    // has an element.
    private struct State {
        var comma: UnsafeMutablePointer<Bool>
        var capacity: Int
        var depth: Int
        var afterKey: Bool
    }
    private let state: UnsafeMutablePointer<State>

    public init(sink: ByteSink) {
        self.sink = sink
        state = .allocate(capacity: 1)
        let comma = UnsafeMutablePointer<Bool>.allocate(capacity: 64)
        comma[0] = false
        state.initialize(to: State(comma: comma, capacity: 64, depth: 0, afterKey: false))
    }

    deinit {
        state.pointee.comma.deallocate()
        state.deallocate()
    }

    @inline(__always) private func separate() {
        if state.pointee.afterKey { state.pointee.afterKey = false; return }
        let d = state.pointee.depth
        if state.pointee.comma[d] { sink.write(byte: UInt8(ascii: ",")) }
        state.pointee.comma[d] = true
    }

    private func push() {
        if state.pointee.depth + 1 == state.pointee.capacity {
            let c = state.pointee.capacity * 2
            let p = UnsafeMutablePointer<Bool>.allocate(capacity: c)
            p.update(from: state.pointee.comma, count: state.pointee.capacity)
            state.pointee.comma.deallocate()
            state.pointee.comma = p
            state.pointee.capacity = c
        }
        state.pointee.depth += 1
        state.pointee.comma[state.pointee.depth] = false
    }

    public func beginObject() { separate(); sink.write(byte: UInt8(ascii: "{")); push() }
    public func endObject() { state.pointee.depth -= 1; sink.write(byte: UInt8(ascii: "}")) }
    public func beginArray() { separate(); sink.write(byte: UInt8(ascii: "[")); push() }
    public func endArray() { state.pointee.depth -= 1; sink.write(byte: UInt8(ascii: "]")) }

    public func key(_ k: String) {
        separate()
        writeString(k)
        sink.write(byte: UInt8(ascii: ":"))
        state.pointee.afterKey = true
    }

    public func value(_ s: String) { separate(); writeString(s) }
    /// A value already rendered as JSON by another writer on a collecting sink.
    public func rawValue(from rendered: ByteSink) { separate(); rendered.withBytes { sink.write(buffer: $0) } }
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
        var s = s
        s.withUTF8 { bytes in
            // Most keys and labels need no escaping: one copy.
            if !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                sink.write(byte: UInt8(ascii: "\""))
                sink.write(buffer: bytes)
                sink.write(byte: UInt8(ascii: "\""))
                return
            }
            sink.write(byte: UInt8(ascii: "\""))
            for b in bytes {
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
}

/// `s` as a JSON string literal, quotes included: the escaping of `JSONWriter` (the one JSON
/// string escaper of the project).
public func jsonQuoted(_ s: String) -> String {
    let sink = ByteSink(collecting: (), capacity: s.utf8.count + 2)
    JSONWriter(sink: sink).value(s)
    return sink.string
}
