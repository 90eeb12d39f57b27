import Analysis
import ArgumentParser
import Checkpoints
import Foundation
import JSONOutput
import Reports

/// One checkpoint to analyze: a file, or one entry of a file holding a list of checkpoints.
struct BatchItem {
    /// Stable identifier: the path, or `path#index` for an entry of a list.
    let source: String
    let path: String
    /// Index in a list-of-checkpoints file.
    let entry: Int?
}

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Analyze every checkpoint of a training run or sweep, in parallel, with a trajectory report.",
        discussion: """
        PATH may be a directory (every file in it), a glob ('run/*.pt'), a list file (.txt/.lst, one \
        path per line) or one file holding a list of checkpoints. Checkpoints are ordered by the \
        training step found in their metadata (step, global_step, epoch, iteration, or a parallel \
        list such as epochs next to a list of checkpoints) or, failing that, the entry's index in a \
        list file or the last number in the file name.

        Results stream to DIR/results.jsonl, one JSON line per checkpoint, as they complete; at the \
        end the file is rewritten sorted by step and DIR/report.html shows the trajectory. A bad \
        checkpoint is recorded with its error and the run goes on; the exit status is 1 if any \
        failed. --resume skips checkpoints already analyzed. --shard i/N takes a deterministic 1/N \
        of the inputs (for Slurm job arrays or Kubernetes indexed Jobs); `irrepscope merge` joins \
        the shards into exactly the single-machine result.
        """
    )

    @Argument(help: "Checkpoint files, directories, globs or list files.")
    var paths: [String]

    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Directory for results.jsonl and the report.")
    var out: String

    @Flag(help: "Skip checkpoints already analyzed successfully in DIR/results.jsonl.")
    var resume = false

    @Option(help: "Process shard i of N (0-based), e.g. 3/16.")
    var shard: String?

    @Option(help: "Checkpoints analyzed at once (default: all cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be ≥ 1") }
        if let shard { _ = try parseShard(shard) }
    }

    func run() throws {
        let lists = ListFileCache()
        var items = try expandInputs(paths, lists: lists)
        if let shard {
            let (i, n) = try parseShard(shard)
            items = items.enumerated().filter { $0.offset % n == i }.map(\.element)
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let resultsPath = out + "/results.jsonl"
        var previous = try readResults(resultsPath)
        if !resume { previous = [:] }
        let todo = items.filter { previous[$0.source]?["ok"] as? Bool != true }
        if resume && todo.count < items.count {
            diagnostic("irrepscope: resuming: \(items.count - todo.count) of \(items.count) checkpoints already done")
        }
        let sink = try AppendingLineFile(path: resultsPath, truncate: !resume)
        let progress = Progress(total: todo.count, enabled: !quiet && isatty(2) == 1)
        let state = BatchState(todo: todo, sink: sink, progress: progress)
        let options = analysis
        let workers = max(1, min(jobs, todo.count))
        // Each checkpoint's forward pass may still use every core: while one worker loads or
        // decomposes (serial work), the other's matrix products fill the cores (measured:
        // 28–33 checkpoints/s this way against 22–24 with one thread per checkpoint).
        let inner = ProcessInfo.processInfo.activeProcessorCount
        // Each worker takes the next checkpoint, analyzes it, and appends its line: at most
        // `workers` checkpoints are in memory at once.
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let item = state.take() {
                state.record(item, analyzeItem(item, options: options, threads: inner, lists: lists))
            }
        }
        progress.finish()
        let newLines = state.lines
        // Final file: every item's latest line, sorted by (step, source).
        var all = previous
        for (k, v) in newLines { all[k] = v }
        let wanted = Set(items.map(\.source))
        let lines = sortedResults(all.filter { wanted.contains($0.key) || !resume }.map(\.value))
        try writeResults(lines, to: resultsPath)
        try AnalysisReport.trajectory(lines, title: "IrrepScope batch: \(paths.joined(separator: " "))").write(to: out)
        let failed = lines.filter { $0["ok"] as? Bool != true }
        diagnostic("irrepscope: \(lines.count - failed.count) checkpoints analyzed, \(failed.count) failed; results in \(resultsPath), report in \(out)/report.html")
        for f in failed { diagnostic("irrepscope: failed: \(f["source"] as? String ?? "?"): \(f["error"] as? String ?? "")") }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the results of `batch --shard` runs into one results.jsonl and report."
    )

    @Argument(help: "Output directories of the shards.")
    var directories: [String]

    @Option(help: "Directory for the merged results.jsonl and report.")
    var out: String

    func run() throws {
        var all: [String: [String: Any]] = [:]
        for d in directories {
            let path = d + "/results.jsonl"
            guard FileManager.default.fileExists(atPath: path) else { throw UsageError("\(path): no results.jsonl in this directory") }
            for (k, v) in try readResults(path) { all[k] = v }
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let lines = sortedResults(Array(all.values))
        try writeResults(lines, to: out + "/results.jsonl")
        try AnalysisReport.trajectory(lines, title: "IrrepScope batch (merged from \(directories.count) shards)").write(to: out)
        let failed = lines.filter { $0["ok"] as? Bool != true }.count
        diagnostic("irrepscope: merged \(lines.count) checkpoints (\(failed) failed) into \(out)/results.jsonl")
        if failed > 0 { throw ExitCode(1) }
    }
}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Render report.html, report.md and the plots from a saved report.json (or a batch results.jsonl)."
    )

    @Argument(help: "report.json written by `analyze --out`, or results.jsonl written by `batch`.")
    var input: String

    @Option(help: "report.json of the same network at initialization (histograms drawn side by side).")
    var initial: String?

    @Option(help: "Output directory (default: the input's directory).")
    var out: String?

    func run() throws {
        let dir = out ?? URL(fileURLWithPath: input).deletingLastPathComponent().path
        if input.hasSuffix(".jsonl") {
            let lines = sortedResults(Array(try readResults(input).values))
            try AnalysisReport.trajectory(lines, title: "IrrepScope batch").write(to: dir)
        } else {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: input)) } catch { throw UsageError("\(input): cannot read: \(error.localizedDescription)") }
            let first = try parseJSON(data, source: input)
            let ini = try initial.map { try parseJSON(Data(contentsOf: URL(fileURLWithPath: $0)), source: $0) }
            try AnalysisReport.single(first, initial: ini).write(to: dir)
        }
        diagnostic("irrepscope: wrote \(dir)/report.html and report.md")
    }
}

// MARK: - inputs

func parseShard(_ s: String) throws -> (Int, Int) {
    let parts = s.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
        throw ValidationError("--shard must be i/N with 0 ≤ i < N, e.g. 0/4")
    }
    return (i, n)
}

/// Expands directories, globs and list files into items, sorted by source so that shards are
/// deterministic. Files holding a list of checkpoints become one item per entry.
func expandInputs(_ paths: [String], lists: ListFileCache) throws -> [BatchItem] {
    var files: [String] = []
    let fm = FileManager.default
    for p in paths {
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: p, isDirectory: &isDir) {
            if isDir.boolValue {
                let names = try fm.contentsOfDirectory(atPath: p).filter { !$0.hasPrefix(".") }.sorted()
                files += names.map { (p as NSString).appendingPathComponent($0) }.filter {
                    var d: ObjCBool = false
                    return fm.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
                }
            } else if p.hasSuffix(".txt") || p.hasSuffix(".lst") {
                let text = try String(contentsOfFile: p, encoding: .utf8)
                let base = URL(fileURLWithPath: p).deletingLastPathComponent()
                files += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty && !$0.hasPrefix("#") }
                    .map { $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).path }
            } else {
                files.append(p)
            }
        } else if p.contains("*") || p.contains("?") || p.contains("[") {
            var g = glob_t()
            defer { globfree(&g) }
            if glob(p, 0, nil, &g) == 0 {
                for i in 0..<Int(g.gl_pathc) { if let c = g.gl_pathv[i] { files.append(String(cString: c)) } }
            }
            if g.gl_pathc == 0 { throw UsageError("\(p): no file matches") }
        } else {
            // Missing files are items too: they are reported as failures, not dropped.
            files.append(p)
        }
    }
    var items: [BatchItem] = []
    for f in files {
        // Each file is opened once here to find lists of checkpoints (a memory map and the
        // pickle index; tensor data is not read); a list is split once and kept.
        if let ck = try? CheckpointLoader.load(path: f), let entries = splitList(ck) {
            lists.store(entries, for: f)
            items += entries.indices.map { BatchItem(source: "\(f)#\($0)", path: f, entry: $0) }
        } else {
            items.append(BatchItem(source: f, path: f, entry: nil))
        }
    }
    return items.sorted { $0.source.localizedStandardCompare($1.source) == .orderedAscending }
}

/// Splits a list-of-checkpoints file into its entries: all tensor names start with
/// `[prefix.]i.` for consecutive i.
func splitList(_ ck: Checkpoint) -> [Checkpoint]? {
    guard let first = ck.tensors.first?.name else { return nil }
    let parts = first.split(separator: ".")
    guard parts.count >= 2 else { return nil }
    let prefix = Int(parts[0]) != nil ? "" : (parts.count >= 3 && Int(parts[1]) != nil ? String(parts[0]) + "." : nil)
    guard let prefix else { return nil }
    var entries: [Int: [Tensor]] = [:]
    for t in ck.tensors {
        guard t.name.hasPrefix(prefix) else { return nil }
        let rest = t.name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: "."), let i = Int(rest[..<dot]) else { return nil }
        var renamed = t
        renamed.name = String(rest[rest.index(after: dot)...])
        entries[i, default: []].append(renamed)
    }
    guard entries.count > 1, entries.keys.sorted() == Array(0..<entries.count) else { return nil }
    // Checkpoints of one run share their structure; layers of an nn.Sequential (also keyed
    // 0., 1., …) do not.
    let structure = { (ts: [Tensor]) in ts.map { "\($0.name)\($0.shape)" }.sorted() }
    let first0 = structure(entries[0]!)
    guard entries.values.allSatisfy({ structure($0) == first0 }) else { return nil }
    return (0..<entries.count).map { i in
        let key = "\(prefix)\(i)."
        var meta = ck.metadata.filter { $0.key.hasPrefix(key) }.map { (key: String($0.key.dropFirst(key.count)), value: $0.value) }
        // Parallel lists next to the checkpoints: {'checkpoints': [...], 'epochs': [0, 10, …]}.
        for (plural, singular) in [("steps", "step"), ("epochs", "epoch"), ("iterations", "iteration"), ("step", "step"), ("epoch", "epoch")] {
            if let v = ck.metadata.first(where: { $0.key == "\(plural).\(i)" }) { meta.append((key: singular, value: v.value)) }
        }
        return Checkpoint(format: ck.format, path: "\(ck.path)#\(i)", tensors: entries[i]!, metadata: meta, opaque: [])
    }
}

/// The training step of a checkpoint: metadata `step`, `global_step`, `iteration`, `epoch`
/// (at any depth, first match in that order of preference), else `stepFromName`.
func trainingStep(_ ck: Checkpoint, source: String) -> Double? {
    for key in ["step", "global_step", "iteration", "iter", "epoch"] {
        for (k, v) in ck.metadata where k == key || k.hasSuffix("." + key) {
            switch v {
            case .int(let i): return Double(i)
            case .double(let d): return d
            default: continue
            }
        }
    }
    return stepFromName(source)
}

// MARK: - one item

/// List-of-checkpoints files, read and split once however many of their entries are analyzed.
final class ListFileCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: [Checkpoint]] = [:]

    func store(_ list: [Checkpoint], for path: String) {
        lock.lock(); entries[path] = list; lock.unlock()
    }

    func entry(_ index: Int, of path: String) throws -> Checkpoint {
        lock.lock()
        let cached = entries[path]
        lock.unlock()
        let list: [Checkpoint]
        if let cached { list = cached } else {
            guard let split = splitList(try CheckpointLoader.load(path: path)) else {
                throw CheckpointError(path: path, "no longer holds a list of checkpoints")
            }
            store(split, for: path)
            list = split
        }
        guard index < list.count else { throw CheckpointError(path: path, "entry \(index) not found") }
        return list[index]
    }
}

func analyzeItem(_ item: BatchItem, options: AnalysisOptions, threads: Int, lists: ListFileCache) -> [String: Any] {
    var line: [String: Any] = ["source": item.source]
    do {
        let ck = try item.entry.map { try lists.entry($0, of: item.path) } ?? CheckpointLoader.load(path: item.path)
        line["step"] = trainingStep(ck, source: item.source) ?? NSNull()
        let outcome = try options.analyze(checkpoint: ck, threads: threads)
        line["ok"] = true
        switch outcome {
        case .group(let a, _):
            line["group"] = a.groupName
            line["width"] = a.width
            line["accuracy"] = a.accuracy
            line["normalized_margin"] = a.normalizedMargin
            line["theoretical_max"] = a.bound.value ?? NSNull()
            line["margin_ratio"] = a.marginRatio ?? NSNull()
            line["fraction_u_ge_0_9"] = a.statisticsU.fractionAtLeast090 ?? NSNull()
            line["fraction_v_ge_0_9"] = a.statisticsV.fractionAtLeast090 ?? NSNull()
            line["fraction_w_ge_0_9"] = a.statisticsW.fractionAtLeast090 ?? NSNull()
            line["fraction_u_ge_0_99"] = a.statisticsU.fractionAtLeast099 ?? NSNull()
            line["mean_max_power_u"] = a.statisticsU.mean ?? NSNull()
            line["components_used"] = a.neuronsPerComponent.enumerated().filter { $0.offset != 0 && $0.element > 0 }.count
            line["components_unused"] = a.unusedComponents.map { a.componentLabels[$0] }
            line["histogram_edges"] = a.histogramU.edges
            line["histogram_u"] = a.histogramU.counts
            line["histogram_w"] = a.histogramW.counts
        case .parity(let a, _):
            line["task"] = "parity"
            line["width"] = a.width
            line["accuracy"] = a.accuracy
            line["normalized_margin"] = a.normalizedMargin
            line["theoretical_max"] = a.bound.value ?? NSNull()
            line["margin_ratio"] = a.marginRatio ?? NSNull()
            line["fraction_support_mass_ge_0_9"] = a.fractionSupportMass090
        }
    } catch {
        line["ok"] = false
        line["error"] = "\(error)"
        if line["step"] == nil { line["step"] = stepFromName(item.source) ?? NSNull() }
    }
    return line
}

/// The step a source's name implies: the entry index of `file#i`, else the last number in
/// the file name (`epoch_12.pt` → 12).
func stepFromName(_ source: String) -> Double? {
    let parts = source.components(separatedBy: "#")
    if parts.count > 1, let i = Double(parts.last!) { return i }
    let name = URL(fileURLWithPath: parts[0]).deletingPathExtension().lastPathComponent
    return name.split(whereSeparator: { !$0.isNumber }).compactMap { Double($0) }.last
}

// MARK: - results.jsonl

/// One line of JSON with sorted keys (deterministic bytes for merging).
func jsonLine(_ o: [String: Any]) -> Data {
    var d = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    d.append(0x0A)
    return d
}

func readResults(_ path: String) throws -> [String: [String: Any]] {
    guard FileManager.default.fileExists(atPath: path) else { return [:] }
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var out: [String: [String: Any]] = [:]
    for (n, l) in text.split(separator: "\n").enumerated() where !l.trimmingCharacters(in: .whitespaces).isEmpty {
        // A torn last line (a killed run) is skipped; that checkpoint is simply redone.
        guard let o = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any], let s = o["source"] as? String else {
            diagnostic("irrepscope: note: \(path):\(n + 1): skipping an unreadable line")
            continue
        }
        out[s] = o
    }
    return out
}

func sortedResults(_ lines: [[String: Any]]) -> [[String: Any]] {
    lines.sorted { a, b in
        let sa = stepKey(a), sb = stepKey(b)
        if sa != sb { return sa < sb }
        return (a["source"] as? String ?? "") < (b["source"] as? String ?? "")
    }
}

/// Sort key of a results line: its step, failures without one last.
func stepKey(_ o: [String: Any]) -> Double { (o["step"] as? NSNumber)?.doubleValue ?? .infinity }

func writeResults(_ lines: [[String: Any]], to path: String) throws {
    var data = Data()
    for l in lines { data.append(jsonLine(l)) }
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
}

/// Appends lines to a file, flushed line by line (so a killed run keeps what it finished).
final class AppendingLineFile: @unchecked Sendable {
    let handle: FileHandle
    init(path: String, truncate: Bool) throws {
        if truncate || !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let h = FileHandle(forWritingAtPath: path) else { throw UsageError("\(path): cannot write") }
        handle = h
        handle.seekToEndOfFile()
    }
    func append(_ line: String) { handle.write(Data(line.utf8)) }
}

/// A progress bar on stderr (only when it is a terminal): count, rate, ETA.
final class Progress: @unchecked Sendable {
    let total: Int
    let enabled: Bool
    var done = 0, failed = 0
    let start = Date()
    init(total: Int, enabled: Bool) { self.total = total; self.enabled = enabled }
    func step(failed f: Bool) {
        done += 1
        if f { failed += 1 }
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data(String(format: "\r[%@] %d/%d  %.1f/s  ETA %.0fs  failed %d ", bar, done, total, rate, eta, failed).utf8))
    }
    func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// The shared state of a batch run's workers, behind one lock.
final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private let todo: [BatchItem]
    private var next = 0
    private let sink: AppendingLineFile
    private let progress: Progress
    private(set) var lines: [String: [String: Any]] = [:]

    init(todo: [BatchItem], sink: AppendingLineFile, progress: Progress) {
        self.todo = todo; self.sink = sink; self.progress = progress
    }

    func take() -> BatchItem? {
        lock.lock(); defer { lock.unlock() }
        guard next < todo.count else { return nil }
        next += 1
        return todo[next - 1]
    }

    func record(_ item: BatchItem, _ line: [String: Any]) {
        let text = String(decoding: jsonLine(line), as: UTF8.self)
        lock.lock(); defer { lock.unlock() }
        sink.append(text)
        lines[item.source] = line
        progress.step(failed: line["ok"] as? Bool != true)
    }
}
