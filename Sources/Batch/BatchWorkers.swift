#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Analysis
import Checkpoints
import Foundation
import JSONOutput

/// Worker processes for a batch (README, "Whole training runs"; docs/formats.md §13): each
/// checkpoint is analyzed in a child process, so that whatever one file does to its process —
/// a trap, an allocation that exhausts memory, a hang — costs only that file's result.
///
/// The worker is the same binary, started with `arguments` (the CLI passes its hidden
/// `batch-worker` subcommand and the batch's own options). It reads one JSON object per line
/// on stdin, `{"source":…,"path":…,"entry":…,"run":…}`, and answers each with
/// `R <results.jsonl line>` on stdout, after any number of `N <JSON string>` note lines. The
/// line is computed by `BatchRunner.analyze` with the request the in-process path uses, so the
/// records are byte for byte those of an in-process run.
public struct WorkerOptions: Sendable {
    /// The executable to start (the running binary).
    public var executable: String
    /// Its arguments (the worker subcommand and the analysis options).
    public var arguments: [String]
    /// Anonymous memory one worker may use (resident, not counting mapped files): 4 GiB. A
    /// worker above it is killed and the checkpoint recorded as `exceeded 4 GB`.
    public var memoryLimit: Int = 4 << 30
    /// Seconds one checkpoint may take: 600. A worker past it is killed and the checkpoint
    /// recorded as `timed out after 600 s`.
    public var timeout: Double = 600

    public init(executable: String, arguments: [String]) {
        self.executable = executable; self.arguments = arguments
    }

    /// Workers that run this process's own command line again with `command` (e.g. `batch`)
    /// replaced by `worker` (its hidden worker subcommand, which takes the same options); nil
    /// when the command line does not start with `command` (then analyze in process). Each
    /// worker may use `memoryLimit` bytes and `timeout` seconds per checkpoint.
    public static func rerunning(_ arguments: [String], command: String, as worker: String, memoryLimit: Int = 4 << 30,
                                 timeout: Double = 600) -> WorkerOptions? {
        guard arguments.first == command else { return nil }
        var w = WorkerOptions(executable: currentExecutable, arguments: [worker] + arguments.dropFirst())
        w.memoryLimit = memoryLimit
        w.timeout = timeout
        return w
    }

    /// The running binary's path (`/proc/self/exe` on Linux).
    public static var currentExecutable: String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// "4 GB" for 4 GiB, "512 MB" for 512 MiB.
    public static func describe(bytes: Int) -> String {
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30) GB" }
        return "\(max(1, bytes >> 20)) MB"
    }
}

/// One item as the parent sends it to a worker.
struct WorkerRequest: Codable {
    var source: String
    var path: String
    var entry: Int?
    var run: String
    /// Only count the checkpoints the file holds (answered `L <count>`).
    var list: Bool?
}

/// Asks a worker how many checkpoints each file of a batch holds (a list of checkpoints is
/// split into entries), replacing the worker when a file kills it.
final class WorkerListCounter {
    let options: WorkerOptions
    var worker: WorkerProcess?
    init(_ options: WorkerOptions) { self.options = options; signal(SIGPIPE, SIG_IGN) }

    func count(_ path: String) -> Int? {
        if worker == nil { worker = try? WorkerProcess(options) }
        guard let w = worker else { return nil }
        let item = BatchItem(source: path, path: path, entry: nil, run: path)
        switch w.exchange(WorkerRequest(source: path, path: path, entry: nil, run: path, list: true), item: item, options: options, note: nil) {
        case .count(let n): return n
        default: worker = nil; return nil
        }
    }

    func finish() { worker?.finish() }
}

/// The parent's side: `count` slots, each driving one worker process at a time.
enum WorkerPool {
    static func run(_ state: BatchState, count: Int, options: WorkerOptions, note: (@Sendable (String) -> Void)?) {
        // A worker that dies while we write its request must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        DispatchQueue.concurrentPerform(iterations: count) { _ in
            var worker: WorkerProcess?
            while let item = state.take() {
                if worker == nil {
                    do { worker = try WorkerProcess(options) } catch {
                        state.record(item, failure(item, "cannot start a worker process: \(error)"))
                        continue
                    }
                }
                let outcome = worker!.analyze(item, options: options, note: note)
                switch outcome {
                case .record(let r, let line):
                    state.record(item, r, line: line)
                case .count:
                    state.record(item, failure(item, "the worker answered out of turn"))
                    worker?.finish(); worker = nil
                case .failed(let why):
                    // The worker is gone (or was killed): record the file, start a new one.
                    state.record(item, failure(item, why))
                    worker = nil
                }
            }
            worker?.finish()
        }
    }

    static func failure(_ item: BatchItem, _ why: String) -> BatchRecord {
        var r = BatchRecord(source: item.source, run: item.run, step: BatchInputs.stepFromName(item.source))
        r.ok = false
        r.error = "\(item.path): \(why)"
        return r
    }
}

/// One running worker process and its pipes.
final class WorkerProcess {
    enum Outcome { case record(BatchRecord, [UInt8]), count(Int), failed(String) }

    let process = Process()
    let input = Pipe(), output = Pipe(), errors = Pipe()
    private var pending: [UInt8] = []
    private let stderrTail = StderrTail()

    init(_ options: WorkerOptions) throws {
        process.executableURL = URL(fileURLWithPath: options.executable)
        process.arguments = options.arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let tail = stderrTail, handle = errors.fileHandleForReading
        Thread.detachNewThread {
            while true {
                let d = handle.availableData
                if d.isEmpty { break }
                tail.append(d)
            }
        }
    }

    /// Sends `item`, waits for its record, watching the clock and the worker's memory.
    func analyze(_ item: BatchItem, options: WorkerOptions, note: (@Sendable (String) -> Void)?) -> Outcome {
        exchange(WorkerRequest(source: item.source, path: item.path, entry: item.entry, run: item.run), item: item, options: options, note: note)
    }

    func exchange(_ request: WorkerRequest, item: BatchItem, options: WorkerOptions, note: (@Sendable (String) -> Void)?) -> Outcome {
        guard var line = try? JSONEncoder().encode(request) else { return .failed("cannot encode the request") }
        line.append(0x0A)
        let wfd = input.fileHandleForWriting.fileDescriptor
        let sent = line.withUnsafeBytes { b -> Bool in
            var off = 0
            while off < b.count {
                let n = write(wfd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return true
        }
        guard sent else { return .failed(kill(reason: nil)) }
        let fd = output.fileHandleForReading.fileDescriptor
        let start = DispatchTime.now()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            // Whole lines already received?
            while let nl = pending.firstIndex(of: 0x0A) {
                let l = Array(pending[..<nl])
                pending.removeSubrange(...nl)
                if l.starts(with: [UInt8(ascii: "N"), 0x20]) {
                    if let s = try? JSONDecoder().decode(String.self, from: Data(l.dropFirst(2))) { note?(s) }
                } else if l.starts(with: [UInt8(ascii: "R"), 0x20]) {
                    let recordLine = Array(l.dropFirst(2)) + [0x0A]
                    guard let r = try? JSONDecoder().decode(BatchRecord.self, from: Data(recordLine)) else {
                        return .failed(kill(reason: "the worker answered with an unreadable line"))
                    }
                    return .record(r, recordLine)
                } else if l.starts(with: [UInt8(ascii: "L"), 0x20]) {
                    return .count(Int(String(decoding: l.dropFirst(2), as: UTF8.self)) ?? 0)
                }
            }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 50)
            if ready > 0 {
                let n = read(fd, &buffer, buffer.count)
                if n > 0 { pending += buffer[0..<n]; continue }
                if n < 0 && errno == EINTR { continue }
                return .failed(deathReason(options))  // EOF: the worker died
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            if elapsed > options.timeout {
                return .failed(kill(reason: "timed out after \(WorkerProcess.seconds(options.timeout)) s"))
            }
            if let anon = WorkerProcess.anonymousMemory(process.processIdentifier), anon > options.memoryLimit {
                return .failed(kill(reason: "exceeded \(WorkerOptions.describe(bytes: options.memoryLimit)) of memory (killed at \(anon >> 20) MB)"))
            }
        }
    }

    static func seconds(_ t: Double) -> String { t == t.rounded() ? String(Int(t)) : String(t) }

    /// Kills the worker; `reason`, or what its death says when nil.
    private func kill(reason: String?) -> String {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return reason ?? describeExit()
    }

    private func deathReason(_ options: WorkerOptions) -> String {
        process.waitUntilExit()
        let tail = stderrTail.text.lowercased()
        if tail.contains("could not allocate") || tail.contains("cannot allocate") || tail.contains("out of memory") {
            return "exceeded \(WorkerOptions.describe(bytes: options.memoryLimit)) of memory (an allocation failed)"
        }
        return describeExit()
    }

    private func describeExit() -> String {
        let status = process.terminationStatus
        if process.terminationReason == .uncaughtSignal {
            return "crashed: signal \(status) (\(WorkerProcess.signalName(status)))"
        }
        return "the worker exited with status \(status) before answering"
    }

    static func signalName(_ s: Int32) -> String {
        switch s {
        case SIGILL: return "SIGILL, a trap"
        case SIGTRAP: return "SIGTRAP, a trap"
        case SIGABRT: return "SIGABRT"
        case SIGSEGV: return "SIGSEGV"
        case SIGBUS: return "SIGBUS"
        case SIGKILL: return "SIGKILL"
        case SIGFPE: return "SIGFPE"
        default: return "signal \(s)"
        }
    }

    /// RssAnon of `pid` in bytes (Linux), nil elsewhere.
    static func anonymousMemory(_ pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// Closes the worker's input (it exits at end of input) and waits for it.
    func finish() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// The last few kilobytes a worker wrote to stderr (to tell a failed allocation from a crash).
final class StderrTail: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func append(_ d: Data) {
        lock.lock(); defer { lock.unlock() }
        bytes += d
        if bytes.count > 8192 { bytes.removeFirst(bytes.count - 8192) }
    }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: bytes, as: UTF8.self) }
}

/// Whole lines to a file descriptor, one at a time.
final class LineWriter: @unchecked Sendable {
    private let lock = NSLock()
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func write(_ line: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        line.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}

/// The worker's side (`irrepscope batch-worker`): serves requests until its input ends.
public enum BatchWorker {
    /// Reads requests from stdin and answers each on stdout (see `WorkerOptions`), analyzing
    /// with `request.analysis` exactly as `BatchRunner` does in process. `memoryLimit` also
    /// caps the process's data segment (RLIMIT_DATA, with 1 GiB of slack for the runtime), so
    /// that an allocation far past the limit fails at once instead of being watched.
    public static func serve(_ request: BatchRequest, memoryLimit: Int?) {
        if let limit = memoryLimit {
            var rl = rlimit()
            let (cap, o) = limit.addingReportingOverflow(1 << 30)
            rl.rlim_cur = rlim_t(o ? Int.max : cap); rl.rlim_max = rlim_t(o ? Int.max : cap)
            _ = setrlimit(Int32(RLIMIT_DATA.rawValue), &rl)
        }
        let out = LineWriter(fd: 1)
        var analysis = BatchRunner.perItemRequest(request)
        analysis.note = { text in
            guard let json = try? JSONEncoder().encode(text) else { return }
            out.write(Array("N ".utf8) + Array(json) + [0x0A])
        }
        let lists = ListFileCache()
        let faults = testFaults()
        while let line = readLine(strippingNewline: true) {
            guard !line.isEmpty else { continue }
            guard let req = try? JSONDecoder().decode(WorkerRequest.self, from: Data(line.utf8)) else {
                FileHandle.standardError.write(Data("irrepscope batch-worker: unreadable request\n".utf8))
                exit(2)
            }
            if req.list == true {
                let n = (try? CheckpointLoader.load(path: req.path)).flatMap { BatchInputs.splitList($0)?.count } ?? 0
                out.write(Array("L \(n)\n".utf8))
                continue
            }
            let item = BatchItem(source: req.source, path: req.path, entry: req.entry, run: req.run)
            if let f = faults[URL(fileURLWithPath: req.path).lastPathComponent] { injectFault(f) }
            let record = BatchRunner.analyze(item, analysis, lists: lists)
            out.write(Array("R ".utf8) + record.jsonLine())
        }
    }

    /// Faults for testing the parent (IRREPSCOPE_BATCH_WORKER_FAULTS="file=trap,other=hang,x=alloc"):
    /// the worker traps, hangs or allocates without bound when it reaches that file name.
    /// Nothing else reads this variable.
    static func testFaults() -> [String: String] {
        guard let c = getenv("IRREPSCOPE_BATCH_WORKER_FAULTS") else { return [:] }
        var out: [String: String] = [:]
        for pair in String(cString: c).split(separator: ",") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    static func injectFault(_ kind: String) {
        switch kind {
        case "trap":
            let zero = Int(getenv("IRREPSCOPE_BATCH_WORKER_FAULTS") == nil ? 1 : 0)
            _ = 1 / zero  // an integer trap, as the view arithmetic of issue 15 once did
        case "hang":
            while true { sleep(1000) }
        case "alloc":
            var blocks: [UnsafeMutableRawPointer] = []
            while true {
                let b = UnsafeMutableRawPointer.allocate(byteCount: 64 << 20, alignment: 64)
                memset(b, 1, 64 << 20)
                blocks.append(b)
                usleep(1000)
            }
        default:
            break
        }
    }
}
