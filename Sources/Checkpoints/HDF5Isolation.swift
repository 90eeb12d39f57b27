import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keras HDF5 files read in a child process (docs/formats.md §15).
///
/// libhdf5 is C and not memory-safe on damaged files: fuzzing the Keras reader found a file
/// whose variable-length string attribute points into the global heap with a length of 2⁴⁰
/// bytes, which libhdf5 1.10.8 copies (`H5HG_read`), killing the process with SIGSEGV. No
/// check on IrrepScope's side can see that before libhdf5 follows it, so when
/// `childCommand` is set (the command line sets it to its own hidden `hdf5-read`), every HDF5
/// file is opened in a fresh process that writes the checkpoint back on a pipe: a crash there is
/// an error naming the file and the signal, and the parent goes on. Without it (a Swift user
/// calling the library), files are read in the calling process.
public enum HDF5Isolation {
    /// The executable and leading arguments of the child; the file's path is appended. nil:
    /// read in this process.
    nonisolated(unsafe) public static var childCommand: [String]? = nil
    /// Seconds the child may take before it is killed.
    nonisolated(unsafe) public static var timeout: Double = 600
    /// Set in the child's environment: it reads in its own process.
    static let childMarker = "IRREPSCOPE_HDF5_CHILD"
    static let magic = Array("IRSHDF5\u{1}".utf8)

    /// Reads `path` in a child process when one is configured (and this is not the child),
    /// else with `inProcess`.
    static func read(path: String, inProcess: () throws -> Checkpoint) throws -> Checkpoint {
        guard let command = childCommand, !command.isEmpty, getenv(childMarker) == nil else { return try inProcess() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst()) + [path]
        var environment = ProcessInfo.processInfo.environment
        environment[childMarker] = "1"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        // The child's own diagnostics are not shown: its error comes back on the pipe.
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw CheckpointError(path: path, "HDF5: cannot start the reading process (\(error.localizedDescription))")
        }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        if process.terminationReason == .uncaughtSignal {
            let s = process.terminationStatus
            let name = s == SIGSEGV ? " (SIGSEGV)" : s == SIGBUS ? " (SIGBUS)" : s == SIGABRT ? " (SIGABRT)" : s == SIGTERM ? " (SIGTERM: over \(Int(timeout)) s)" : ""
            throw CheckpointError(path: path, "HDF5: libhdf5 crashed reading this file (signal \(s)\(name)): it is damaged or hostile")
        }
        return try decode(data, path: path)
    }

    /// The child's side: reads `path` in this process and writes the checkpoint (or the error)
    /// to stdout; returns the exit status (0, or 1 after an error).
    public static func serve(path: String) -> Int32 {
        setenv(childMarker, "1", 1)
        var message: [UInt8] = magic
        do {
            let c = try CheckpointLoader.load(path: path)
            var payload: [UInt8] = []
            var tensors: [[String: Any]] = []
            for t in c.tensors {
                let bytes = try t.contiguousLittleEndianBytes()
                tensors.append(["name": t.name, "dtype": t.dtype.rawValue, "shape": t.shape, "offset": payload.count, "length": bytes.count])
                payload += bytes
            }
            let metadata: [[String: Any]] = c.metadata.map { entry in
                switch entry.value {
                case .int(let v): return ["key": entry.key, "int": v]
                case .bigInt(let s): return ["key": entry.key, "bigInt": s]
                case .double(let v): return ["key": entry.key, "double": v.bitPattern]
                case .string(let s): return ["key": entry.key, "string": s]
                case .bool(let b): return ["key": entry.key, "bool": b]
                case .null: return ["key": entry.key]
                case .bytes(let n): return ["key": entry.key, "bytes": n]
                }
            }
            let header = try JSONSerialization.data(withJSONObject: ["format": c.format, "tensors": tensors, "metadata": metadata])
            message.append(0)
            append(UInt64(header.count), to: &message)
            message += header
            message += payload
        } catch {
            let text = Array(((error as? CheckpointError)?.message ?? "\(error)").utf8)
            message.append(1)
            append(UInt64(text.count), to: &message)
            message += text
        }
        let ok = message.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        return ok && message[magic.count] == 0 ? 0 : 1
    }

    static func append(_ v: UInt64, to out: inout [UInt8]) {
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    /// The parent's side: the child's stream back into a checkpoint; every length is checked.
    static func decode(_ data: Data, path: String) throws -> Checkpoint {
        func bad(_ what: String) -> CheckpointError { CheckpointError(path: path, "HDF5: the reading process returned \(what)") }
        // One copy of the payload, straight from the pipe's bytes into the tensors' buffer.
        let (status, body, buffer, payloadCount): (UInt8, [UInt8], UnsafeMutableRawPointer, Int) = try data.withUnsafeBytes { raw in
            guard raw.count >= magic.count + 9, Array(raw.prefix(magic.count)) == magic else { throw bad("no result") }
            var length: UInt64 = 0
            for k in 0..<8 { length |= UInt64(raw[magic.count + 1 + k]) << (8 * k) }
            let start = magic.count + 9
            guard length <= UInt64(raw.count - start) else { throw bad("a truncated result") }
            let payloadStart = start + Int(length), count = raw.count - payloadStart
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64)
            if count > 0 { buffer.copyMemory(from: raw.baseAddress! + payloadStart, byteCount: count) }
            return (raw[magic.count], Array(raw[start..<payloadStart]), buffer, count)
        }
        let source = ByteSource(adopting: buffer, count: payloadCount, path: path)
        if status != 0 { throw CheckpointError(path: path, String(decoding: body, as: UTF8.self)) }
        guard let header = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let format = header["format"] as? String, let list = header["tensors"] as? [[String: Any]],
              let meta = header["metadata"] as? [[String: Any]] else { throw bad("a malformed header") }
        var tensors: [Tensor] = []
        for entry in list {
            guard let name = entry["name"] as? String, let dt = (entry["dtype"] as? String).flatMap(DType.init(rawValue:)),
                  let shape = entry["shape"] as? [Int], let offset = entry["offset"] as? Int, let count = entry["length"] as? Int,
                  offset >= 0, count >= 0, offset <= payloadCount, count <= payloadCount - offset, shape.allSatisfy({ $0 >= 0 }) else {
                throw bad("a malformed tensor entry")
            }
            tensors.append(try Tensor(name: name, dtype: dt, shape: shape, strides: Tensor.contiguousStrides(shape), source: source,
                                      storageStart: offset, storageLength: count, byteOrder: .little))
        }
        let metadata: [(key: String, value: MetadataValue)] = meta.compactMap { m in
            guard let key = m["key"] as? String else { return nil }
            if let v = m["int"] as? Int64 { return (key, .int(v)) }
            if let v = m["bigInt"] as? String { return (key, .bigInt(v)) }
            if let v = m["double"] as? UInt64 { return (key, .double(Double(bitPattern: v))) }
            if let v = m["string"] as? String { return (key, .string(v)) }
            if let v = m["bool"] as? Bool { return (key, .bool(v)) }
            if let v = m["bytes"] as? Int { return (key, .bytes(v)) }
            return (key, .null)
        }
        return Checkpoint(format: format, path: path, tensors: tensors, metadata: metadata)
    }
}
