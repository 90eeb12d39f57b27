import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builders of hostile files (issue 15), made in the test so that no large file is committed,
/// and a runner that measures a child's peak memory.

/// A raw deflate stream of `prefix` followed by `mebibytes` MiB of zero bytes, and its CRC-32.
/// Each MiB is compressed after a full flush (which resets the compressor), so every MiB
/// compresses to the same bytes and the stream repeats them: a 1030:1 member in milliseconds.
func deflatedZeros(prefix: [UInt8] = [], mebibytes: Int) -> (bytes: [UInt8], crc: UInt32, size: Int) {
    let chunk = [UInt8](repeating: 0, count: 1 << 20)
    var s = z_stream()
    precondition(deflateInit2_(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&s) }
    func run(_ input: [UInt8], _ flush: Int32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 1 << 16)
        var produced: [UInt8] = []
        var input = input
        input.withUnsafeMutableBufferPointer { inp in
            s.next_in = inp.baseAddress; s.avail_in = UInt32(inp.count)
            repeat {
                out.withUnsafeMutableBufferPointer { o in
                    s.next_out = o.baseAddress; s.avail_out = UInt32(o.count)
                    _ = deflate(&s, flush)
                    produced += o.prefix(o.count - Int(s.avail_out))
                }
            } while s.avail_out == 0
        }
        return produced
    }
    var bytes = prefix.isEmpty ? [] : run(prefix, Z_FULL_FLUSH)
    let again = run(chunk, Z_FULL_FLUSH)
    for _ in 0..<mebibytes { bytes += again }
    bytes += run([], Z_FINISH)
    var crc = prefix.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
    chunk.withUnsafeBufferPointer { c in
        for _ in 0..<mebibytes { crc = crc32(crc, c.baseAddress, UInt32(c.count)) }
    }
    return (bytes, UInt32(crc), prefix.count + mebibytes << 20)
}

/// Writes ZIP archives member by member (no ZIP64: members under 4 GiB).
struct ZipWriter {
    struct Member { var name: String; var data: [UInt8]; var method: UInt16; var crc: UInt32; var size: Int }
    var members: [Member] = []
    /// Extra central-directory entries naming the local header of another member (entries
    /// sharing data).
    var aliases: [(name: String, of: String)] = []

    mutating func stored(_ name: String, _ data: [UInt8]) {
        let crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        members.append(Member(name: name, data: data, method: 0, crc: crc, size: data.count))
    }
    mutating func deflated(_ name: String, _ stream: [UInt8], crc: UInt32, size: Int) {
        members.append(Member(name: name, data: stream, method: 8, crc: crc, size: size))
    }

    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: Int, _ b: inout [UInt8]) { b += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: Int, _ b: inout [UInt8]) { for k in 0..<4 { b.append(UInt8((v >> (8 * k)) & 0xff)) } }
        var offsets: [String: Int] = [:]
        for m in members {
            offsets[m.name] = out.count
            u32(0x0403_4b50, &out); u16(20, &out); u16(0, &out); u16(Int(m.method), &out); u16(0, &out); u16(0, &out)
            u32(Int(m.crc), &out); u32(m.data.count, &out); u32(m.size, &out)
            u16(m.name.utf8.count, &out); u16(0, &out)
            out += Array(m.name.utf8) + m.data
        }
        let cdStart = out.count
        var entries = members.map { ($0.name, $0) }
        for a in aliases { var m = members.first { $0.name == a.of }!; m.name = a.name; entries.append((a.of, m)) }
        for (target, m) in entries {
            u32(0x0201_4b50, &out); u16(20, &out); u16(20, &out); u16(0, &out); u16(Int(m.method), &out); u16(0, &out); u16(0, &out)
            u32(Int(m.crc), &out); u32(m.data.count, &out); u32(m.size, &out)
            u16(m.name.utf8.count, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0, &out); u32(0, &out)
            u32(offsets[target]!, &out)
            out += Array(m.name.utf8)
        }
        let cdSize = out.count - cdStart
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(cdSize, &out); u32(cdStart, &out); u16(0, &out)
        return out
    }
}

/// A `.npy` v1.0 header for `shape` of `descr`, padded as NumPy pads it.
func npyHeader(descr: String, shape: [Int]) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
}

/// The outcome of a child run under limits.
struct LimitedRun {
    var status: Int32?       // exit status, nil when killed by a signal
    var signal: Int32?
    var timedOut: Bool
    var stdout: String
    var stderr: String
    /// Peak resident memory of the child (getrusage through wait4), in MiB.
    var peakMiB: Double
    var seconds: Double
}

/// Runs the CLI with `args` under an address-space limit (`ulimit -v`) and a timeout, and
/// reports its exit, output and peak memory from `wait4`'s rusage of that child alone.
func runLimited(_ args: [String], memoryMiB: Int = 4096, timeout: Double = 30, cwd: String? = nil) throws -> LimitedRun {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outPath = dir.appendingPathComponent("out").path, errPath = dir.appendingPathComponent("err").path
    let script = (cwd.map { "cd '\($0)' && " } ?? "") + "ulimit -v \(memoryMiB * 1024) && exec \"$0\" \"$@\""
    let argv = ["/bin/sh", "-c", script, CLI.binary.path] + args
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var cargs = argv.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, &cargs, environ)
    guard rc == 0 else { throw NSError(domain: "posix_spawn", code: Int(rc)) }
    let start = Date()
    var status: Int32 = 0
    var usage = rusage()
    var timedOut = false
    while true {
        let r = wait4(pid, &status, WNOHANG, &usage)
        if r == pid { break }
        if Date().timeIntervalSince(start) > timeout, !timedOut { timedOut = true; kill(pid, SIGKILL) }
        usleep(5_000)
    }
    let seconds = Date().timeIntervalSince(start)
    let exited = (status & 0x7f) == 0
    return LimitedRun(status: exited ? (status >> 8) & 0xff : nil, signal: exited ? nil : status & 0x7f,
                      timedOut: timedOut,
                      stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                      peakMiB: Double(usage.ru_maxrss) / 1024, seconds: seconds)
}

/// The CheckpointsTests fixtures directory (read in place).
let checkpointFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("CheckpointsTests/Fixtures")

/// Pickle opcodes, emitted by hand (protocol 2).
struct PickleBuilder {
    var b: [UInt8] = [0x80, 2]
    mutating func string(_ s: String) { let u = Array(s.utf8); b.append(0x58); le32(u.count); b += u }
    mutating func float(_ d: Double) { b.append(0x47); b += withUnsafeBytes(of: d.bitPattern.bigEndian) { Array($0) } }
    mutating func put(_ i: Int) { b.append(0x72); le32(i) }
    mutating func get(_ i: Int) { b.append(0x6A); le32(i) }
    mutating func dict() { b.append(0x7D) }
    mutating func list() { b.append(0x5D) }
    mutating func none() { b.append(0x4E) }
    mutating func mark() { b.append(0x28) }
    mutating func setitem() { b.append(0x73) }
    mutating func setitems() { b.append(0x75) }
    mutating func appends() { b.append(0x65) }
    mutating func stop() { b.append(0x2E) }
    mutating func le32(_ v: Int) { for k in 0..<4 { b.append(UInt8((v >> (8 * k)) & 0xff)) } }
}

/// A torch.save-style zip holding only `archive/data.pkl` = `pickle`.
func torchZip(_ pickle: [UInt8]) -> [UInt8] {
    var w = ZipWriter()
    w.stored("archive/data.pkl", pickle)
    w.stored("archive/byteorder", Array("little".utf8))
    return w.bytes()
}
