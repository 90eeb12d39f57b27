import Checkpoints
import Foundation

/// One checkpoint of a batch: a file, or one entry of a file holding a list of checkpoints.
public struct BatchItem: Sendable, Equatable {
    /// Stable identifier: the path, or `path#index` for an entry of a list.
    public let source: String
    public let path: String
    /// Index in a list-of-checkpoints file.
    public let entry: Int?
    /// The run the checkpoint belongs to: the directory or list file it was found through,
    /// the file holding the list, or the file itself.
    public let run: String

    public init(source: String, path: String, entry: Int?, run: String) {
        self.source = source; self.path = path; self.entry = entry; self.run = run
    }
}

/// Turns the paths a user gives into ordered batch items (README, "Whole training runs").
public enum BatchInputs {
    /// Expands directories (every file in them), globs, list files (`.txt`/`.lst`, one path per
    /// line, `#` comments) and files holding a list of checkpoints (one item per entry) into
    /// items sorted by source, so that shards are deterministic. Missing files are items too:
    /// they are reported as failures, not dropped. Files found in a directory or by a glob
    /// whose content is no checkpoint format and whose extension is not a checkpoint's (a
    /// trainer's log, a plot) are skipped and listed in `skipped`; a file named explicitly or
    /// in a list file is always an item.
    public static func expand(_ paths: [String], lists: ListFileCache) throws -> [BatchItem] {
        try discover(paths, lists: lists).items
    }

    /// `expand`, also returning the files skipped because they hold no checkpoint format.
    ///
    /// `listEntries`, when given, says how many checkpoints a file holds (nil or 1: it is one
    /// checkpoint) instead of loading it here: batch asks a worker process, so that not even
    /// opening a hostile file happens in the process that holds the results.
    public static func discover(_ paths: [String], lists: ListFileCache,
                                listEntries: ((String) -> Int?)? = nil) throws -> (items: [BatchItem], skipped: [String]) {
        var files: [(path: String, run: String)] = []
        var found: [(path: String, run: String)] = []
        let fm = FileManager.default
        for p in paths {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: p, isDirectory: &isDir) {
                if isDir.boolValue, OrbaxFormat.isCheckpointDirectory(p) {
                    files.append((p, p))  // one Orbax step directory
                } else if isDir.boolValue {
                    let names = try fm.contentsOfDirectory(atPath: p).filter { !$0.hasPrefix(".") }.sorted()
                    found += names.map { (p as NSString).appendingPathComponent($0) }.filter {
                        var d: ObjCBool = false
                        return fm.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue
                    }.map { ($0, p) }
                    // Orbax step directories (ckpt/0, ckpt/1000, …): one run, ordered by step below.
                    files += names.map { (p as NSString).appendingPathComponent($0) }
                        .filter { OrbaxFormat.isCheckpointDirectory($0) }.map { ($0, p) }
                } else if p.hasSuffix(".txt") || p.hasSuffix(".lst") {
                    // A FIFO named like a list would block the read forever.
                    if let why = ByteSource.unreadableReason(path: p) { throw BatchError("\(p): \(why)") }
                    let text = try String(contentsOfFile: p, encoding: .utf8)
                    let base = URL(fileURLWithPath: p).deletingLastPathComponent()
                    files += text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
                        .map { ($0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).path, p) }
                } else {
                    files.append((p, p))
                }
            } else if p.contains("*") || p.contains("?") || p.contains("[") {
                var g = glob_t()
                defer { globfree(&g) }
                if glob(p, 0, nil, &g) == 0 {
                    for i in 0..<Int(g.gl_pathc) { if let c = g.gl_pathv[i] { found.append((String(cString: c), p)) } }
                }
                if g.gl_pathc == 0 { throw BatchError("\(p): no file matches") }
            } else {
                files.append((p, p))
            }
        }
        var ignored: [String] = []
        for (f, run) in found {
            // A file named like a checkpoint is one, even when damaged (it is then a failure).
            let ext = URL(fileURLWithPath: f).pathExtension.lowercased()
            if checkpointExtensions.contains(ext) || CheckpointLoader.recognizes(path: f) { files.append((f, run)) } else { ignored.append(f) }
        }
        var items: [BatchItem] = []
        for (f, run) in files {
            // Each file is opened once here to find lists of checkpoints (a memory map and the
            // pickle index; tensor data is not read); a list is split once and kept.
            if let listEntries {
                if let n = listEntries(f), n > 1 {
                    items += (0..<n).map { BatchItem(source: "\(f)#\($0)", path: f, entry: $0, run: f) }
                } else {
                    items.append(BatchItem(source: f, path: f, entry: nil, run: run))
                }
            } else if let ck = try? CheckpointLoader.load(path: f), let entries = splitList(ck) {
                lists.store(entries, for: f)
                items += entries.indices.map { BatchItem(source: "\(f)#\($0)", path: f, entry: $0, run: f) }
            } else {
                items.append(BatchItem(source: f, path: f, entry: nil, run: run))
            }
        }
        return (items.sorted { $0.source.localizedStandardCompare($1.source) == .orderedAscending }, ignored)
    }

    /// Extensions of checkpoint files: a file found with one is analyzed (and reported as a
    /// failure when it cannot be read), whatever its content.
    public static let checkpointExtensions: Set<String> = ["pt", "pth", "bin", "ckpt", "safetensors", "npy", "npz", "msgpack", "flax"]

    /// Shard `index` of `count`: every count-th item from `index` (deterministic).
    public static func shard(_ items: [BatchItem], index: Int, count: Int) -> [BatchItem] {
        items.enumerated().filter { $0.offset % count == index }.map(\.element)
    }

    /// Parses "i/N" with 0 ≤ i < N.
    public static func parseShard(_ s: String) throws -> (index: Int, count: Int) {
        let parts = s.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
            throw BatchError("--shard must be i/N with 0 ≤ i < N, e.g. 0/4")
        }
        return (i, n)
    }

    /// Splits a list-of-checkpoints file into its entries: all tensor names start with
    /// `[prefix.]i.` for consecutive i, and every entry has the same structure (layers of an
    /// nn.Sequential, also keyed 0., 1., …, do not).
    public static func splitList(_ ck: Checkpoint) -> [Checkpoint]? {
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

    /// The training step of a checkpoint: metadata `step`, `global_step`, `iteration`, `iter`,
    /// `epoch` (at any depth, first match in that order of preference), else `stepFromName`.
    public static func trainingStep(_ ck: Checkpoint, source: String) -> Double? {
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

    /// The step a source's name implies: the entry index of `file#i`, else the last number in
    /// the file name (`epoch_12.pt` → 12).
    public static func stepFromName(_ source: String) -> Double? {
        let parts = source.components(separatedBy: "#")
        if parts.count > 1, let i = Double(parts.last!) { return i }
        let name = URL(fileURLWithPath: parts[0]).deletingPathExtension().lastPathComponent
        return name.split(whereSeparator: { !$0.isNumber }).compactMap { Double($0) }.last
    }
}

/// List-of-checkpoints files, read and split once however many of their entries are analyzed.
public final class ListFileCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: [Checkpoint]] = [:]
    public init() {}

    public func store(_ list: [Checkpoint], for path: String) {
        lock.lock(); entries[path] = list; lock.unlock()
    }

    /// Entry `index` of the list in `path` (split now when it was not before).
    public func entry(_ index: Int, of path: String) throws -> Checkpoint {
        lock.lock()
        let cached = entries[path]
        lock.unlock()
        let list: [Checkpoint]
        if let cached { list = cached } else {
            guard let split = BatchInputs.splitList(try CheckpointLoader.load(path: path)) else {
                throw CheckpointError(path: path, "no longer holds a list of checkpoints")
            }
            store(split, for: path)
            list = split
        }
        guard index < list.count else { throw CheckpointError(path: path, "entry \(index) not found") }
        return list[index]
    }
}

extension BatchInputs {
    /// The runs of a sweep listed in a file (`batch --runs FILE`): one input per line (a
    /// directory, glob or list file; `#` comments, blank lines skipped), relative paths taken
    /// from the file's directory. Each input is one run: its path is the `run` id of its records.
    public static func runList(_ path: String) throws -> [String] {
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue
        guard let size else { throw BatchError("\(path): cannot read the list of runs") }
        guard size <= 1 << 24 else { throw BatchError("\(path): \(size) bytes is too large for a list of runs") }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch { throw BatchError("\(path): not a readable text file of runs") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        let runs = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).path }
        guard !runs.isEmpty else { throw BatchError("\(path): the list of runs is empty") }
        return runs
    }
}

/// An error of a batch run's inputs or outputs.
public struct BatchError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
