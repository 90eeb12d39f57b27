#if canImport(Glibc)
import Glibc
#endif
import Analysis
import Checkpoints
import Foundation

/// What a batch run needs besides its inputs.
public struct BatchRequest: Sendable {
    /// The analysis of each checkpoint (its `threads` is set per checkpoint by the runner).
    public var analysis: AnalysisRequest
    /// Directory for results.jsonl.
    public var out: String
    /// Skip checkpoints already analyzed successfully in out/results.jsonl.
    public var resume = false
    /// Process shard `index` of `count` of the inputs.
    public var shard: (index: Int, count: Int)?
    /// Checkpoints analyzed at once.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Called after each checkpoint with (done, total, failed so far), under a lock.
    public var progress: (@Sendable (Int, Int, Int) -> Void)?
    /// Notes for the user (resuming, unreadable lines), and the analyses' own notes.
    public var note: (@Sendable (String) -> Void)?
    /// Run each analysis in a worker process (nil: in this process). See `WorkerOptions`.
    public var workers: WorkerOptions?

    /// The records keep the attribution's logit-level findings only (key components and
    /// losses), so the hidden-layer measures are not computed in a batch.
    public init(analysis: AnalysisRequest, out: String) {
        var a = analysis
        a.attribution?.hidden = false
        self.analysis = a; self.out = out
    }
}

/// The outcome of a batch run.
public struct BatchOutcome: Sendable {
    /// Every record of the final results.jsonl, ordered by step.
    public let records: [BatchRecord]
    public let resultsPath: String
    public var failed: [BatchRecord] { records.filter { !$0.ok } }
}

/// Runs a batch: items → workers → results.jsonl (README, "Whole training runs").
///
/// Each worker takes the next checkpoint, analyzes it and appends its line to results.jsonl
/// at once (a killed run keeps what it finished); a checkpoint that fails is recorded with its
/// error and the run goes on. At the end the file is rewritten sorted by step.
public enum BatchRunner {
    public static func run(_ paths: [String], _ request: BatchRequest) throws -> BatchOutcome {
        let lists = ListFileCache()
        var counter: WorkerListCounter?
        if let w = request.workers { counter = WorkerListCounter(w) }
        defer { counter?.finish() }
        var (items, skipped) = try BatchInputs.discover(paths, lists: lists, listEntries: counter.map { c in { c.count($0) } })
        if !skipped.isEmpty {
            let names = skipped.prefix(10).map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
            request.note?("skipped \(skipped.count) file(s) that hold no checkpoint format: \(names)\(skipped.count > 10 ? ", …" : "")")
        }
        if let s = request.shard { items = BatchInputs.shard(items, index: s.index, count: s.count) }
        return try run(items: items, lists: lists, request)
    }

    public static func run(items: [BatchItem], lists: ListFileCache, _ request: BatchRequest) throws -> BatchOutcome {
        let out = request.out
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw BatchError("\(out): cannot create the output directory: \(error.localizedDescription)")
        }
        let resultsPath = out + "/results.jsonl"
        let previous = request.resume ? try BatchResults.read(resultsPath, note: request.note) : [:]
        let todo = items.filter { previous[$0.source]?.ok != true }
        if request.resume && todo.count < items.count {
            request.note?("resuming: \(items.count - todo.count) of \(items.count) checkpoints already done")
        }
        let sink = try AppendingLineFile(path: resultsPath, truncate: !request.resume, note: request.note)
        let state = BatchState(todo: todo, sink: sink, progress: request.progress)
        let workers = max(1, min(request.jobs, todo.count))
        if let options = request.workers {
            WorkerPool.run(state, count: workers, options: options, note: request.note)
        } else {
            var analysis = perItemRequest(request)
            analysis.note = request.note
            let perItem = analysis
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while let item = state.take() {
                    state.record(item, analyze(item, perItem, lists: lists))
                }
            }
        }
        // Final file: every item's latest record, sorted by (step, source).
        var all = previous
        for (k, v) in state.records { all[k] = v }
        let wanted = Set(items.map(\.source))
        let records = BatchResults.sorted(all.filter { wanted.contains($0.key) || !request.resume }.map(\.value))
        try BatchResults.write(records, to: resultsPath)
        return BatchOutcome(records: records, resultsPath: resultsPath)
    }

    /// The analysis request of each checkpoint, the same in process and in a worker.
    /// Each checkpoint's forward pass may still use every core: while one worker loads or
    /// decomposes (serial work), the other's matrix products fill the cores (measured:
    /// 28–33 checkpoints/s this way against 22–24 with one thread per checkpoint).
    public static func perItemRequest(_ request: BatchRequest) -> AnalysisRequest {
        var analysis = request.analysis
        analysis.threads = ProcessInfo.processInfo.activeProcessorCount
        analysis.whileMarginsCompute = nil
        return analysis
    }

    /// Analyzes one item; every failure becomes a record with its error.
    public static func analyze(_ item: BatchItem, _ request: AnalysisRequest, lists: ListFileCache) -> BatchRecord {
        var record = BatchRecord(source: item.source, run: item.run, step: nil)
        do {
            let ck = try item.entry.map { try lists.entry($0, of: item.path) } ?? CheckpointLoader.load(path: item.path)
            let step = BatchInputs.trainingStep(ck, source: item.source)
            record.step = step
            let result = try Analyzer.analyze(ck, request)
            record = BatchRecord(source: item.source, run: item.run, step: step, result: result)
        } catch {
            record.ok = false
            record.error = "\(error)"
            if record.step == nil { record.step = BatchInputs.stepFromName(item.source) }
        }
        return record
    }

    /// Joins the results of shard directories into one list, ordered by step: exactly what
    /// one machine would have written.
    public static func merge(_ directories: [String]) throws -> [BatchRecord] {
        var all: [String: BatchRecord] = [:]
        for d in directories {
            let path = d + "/results.jsonl"
            guard FileManager.default.fileExists(atPath: path) else { throw BatchError("\(path): no results.jsonl in this directory") }
            for (k, v) in try BatchResults.read(path) { all[k] = v }
        }
        return BatchResults.sorted(Array(all.values))
    }
}

/// Appends whole lines to a file, one write each, as they complete (so a killed run keeps
/// what it finished). A partial last line left by an earlier kill is cut off when the file
/// is opened to append to (`--resume`), so that the next line starts on a line of its own.
final class AppendingLineFile: @unchecked Sendable {
    let fd: Int32
    let path: String
    init(path: String, truncate: Bool, note: ((String) -> Void)? = nil) throws {
        self.path = path
        if let why = ByteSource.unreadableReason(path: path), FileManager.default.fileExists(atPath: path) {
            throw BatchError("\(path): \(why)")
        }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw BatchError("\(path): cannot write: \(String(cString: strerror(errno)))") }
        if !truncate { try repairTail(note: note) }
    }
    deinit { close(fd) }

    /// Truncates the file after its last newline when it does not end in one.
    private func repairTail(note: ((String) -> Void)?) throws {
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        let rfd = open(path, O_RDONLY | O_CLOEXEC)
        guard rfd >= 0 else { return }
        defer { close(rfd) }
        var end = Int(size)
        var chunk = [UInt8](repeating: 0, count: 4096)
        var cut = 0
        // Scan back for the last newline.
        while end > 0 {
            let start = max(0, end - chunk.count)
            let n = pread(rfd, &chunk, end - start, off_t(start))
            guard n == end - start else { return }
            if let i = chunk[0..<n].lastIndex(of: 0x0A) { cut = start + i + 1; break }
            end = start
        }
        if cut < Int(size) {
            guard ftruncate(fd, off_t(cut)) == 0 else { throw BatchError("\(path): cannot repair its last line: \(String(cString: strerror(errno)))") }
            note?("\(path): removed a partial last line (\(Int(size) - cut) bytes) left by an interrupted run")
        }
    }

    func append(_ line: [UInt8]) {
        line.withUnsafeBytes { b in
            var off = 0
            while off < b.count {
                let n = write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}

/// The shared state of a batch run's workers, behind one lock.
final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private let todo: [BatchItem]
    private var next = 0
    private let sink: AppendingLineFile
    private let progress: (@Sendable (Int, Int, Int) -> Void)?
    private var done = 0, failed = 0
    private(set) var records: [String: BatchRecord] = [:]

    init(todo: [BatchItem], sink: AppendingLineFile, progress: (@Sendable (Int, Int, Int) -> Void)?) {
        self.todo = todo; self.sink = sink; self.progress = progress
    }

    func take() -> BatchItem? {
        lock.lock(); defer { lock.unlock() }
        guard next < todo.count else { return nil }
        next += 1
        return todo[next - 1]
    }

    func record(_ item: BatchItem, _ r: BatchRecord, line given: [UInt8]? = nil) {
        let line = given ?? r.jsonLine()
        lock.lock(); defer { lock.unlock() }
        sink.append(line)
        records[item.source] = r
        done += 1
        if !r.ok { failed += 1 }
        progress?(done, todo.count, failed)
    }
}
