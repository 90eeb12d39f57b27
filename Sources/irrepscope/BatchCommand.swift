import Analysis
import ArgumentParser
import Checkpoints
import Batch
import Foundation
import Reports

struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Analyze every checkpoint of a training run or sweep, in parallel, with a trajectory report.",
        discussion: """
        PATH may be a directory (every file in it), a glob ('run/*.pt'), a list file (.txt/.lst, one \
        path per line) or one file holding a list of checkpoints. Checkpoints are ordered by the \
        training step found in their metadata (step, global_step, epoch, iteration, or a parallel \
        list such as epochs next to a list of checkpoints) or, failing that, the entry's index in a \
        list file or the last number in the file name. Files found in a directory or by a glob that \
        hold no checkpoint format and are not named like one (a trainer's log, a plot) are skipped \
        and listed in one note.

        Results stream to DIR/results.jsonl, one JSON line per checkpoint, as they complete; at the \
        end the file is rewritten sorted by step and DIR/report.html shows the trajectory. A bad \
        checkpoint is recorded with its error and the run goes on; the exit status is 1 if any \
        failed. --resume skips checkpoints already analyzed. --shard i/N takes a deterministic 1/N \
        of the inputs (for Slurm job arrays or Kubernetes indexed Jobs); `irrepscope merge` joins \
        the shards into exactly the single-machine result.

        Each checkpoint is analyzed in a worker process (this binary again), so that a file that \
        crashes, exhausts memory or hangs its analysis costs only its own result: it is recorded \
        as `crashed: signal 4`, `exceeded 4 GB of memory` or `timed out after 600 s`, the worker \
        is replaced and the run goes on. The numbers are those of --in-process, byte for byte.
        """
    )

    @OptionGroup var options: BatchArguments

    func run() throws {
        var request = try options.request()
        if !options.inProcess {
            request.workers = WorkerOptions.rerunning(Array(CommandLine.arguments.dropFirst()), command: "batch", as: "batch-worker",
                                                      memoryLimit: options.memoryLimitBytes, timeout: options.timeout)
            if request.workers == nil { diagnostic("irrepscope: note: analyzing in process (the command line does not start with 'batch')") }
        }
        let bar = ProgressBar(enabled: !options.quiet && isatty(2) == 1)
        request.progress = { bar.show(done: $0, total: $1, failed: $2) }
        let out = options.out
        let inputs = try options.paths + (options.runs.map { try BatchInputs.runList($0) } ?? [])
        let outcome = try BatchRunner.run(inputs, request)
        bar.finish()
        try BatchReport.write(outcome.records, title: "IrrepScope batch: \(inputs.joined(separator: " "))", request: request.analysis,
                              profiledNeurons: options.analysis.neurons ?? AnalysisOptions.defaultProfiledNeurons, to: out,
                              note: { diagnostic("irrepscope: note: " + $0) })
        try finish(outcome.records, summary: "\(outcome.records.count - outcome.failed.count) checkpoints analyzed, \(outcome.failed.count) failed; results in \(outcome.resultsPath), report in \(out)/report.html")
    }
}

/// The hidden worker of `batch`: the same options, requests on stdin, records on stdout.
struct BatchWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-worker",
        abstract: "Analyze the checkpoints named on stdin, one JSON line each (internal to batch).",
        shouldDisplay: false
    )

    @OptionGroup var options: BatchArguments

    func run() throws {
        var request = try options.request()
        request.workers = nil
        BatchWorker.serve(request, memoryLimit: options.memoryLimitBytes)
    }
}

/// The options of `batch` (and of its worker, which receives them verbatim).
struct BatchArguments: ParsableArguments {
    @Argument(help: "Checkpoint files, directories, globs or list files.")
    var paths: [String] = []

    @Option(help: "A sweep: a file listing its runs, one directory, glob or list file per line (each one run, its path the run id).")
    var runs: String?

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

    @Option(name: .customLong("memory-limit"), help: "Memory one checkpoint's analysis may use, in GB; above it the file is recorded as a failure.")
    var memoryLimit: Double = 4

    @Option(help: "Seconds one checkpoint's analysis may take; past it the file is recorded as a failure.")
    var timeout: Double = 600

    @Flag(name: .customLong("in-process"), help: "Analyze in this process instead of worker processes (no protection against a crashing file).")
    var inProcess = false

    var memoryLimitBytes: Int { Int(memoryLimit * Double(1 << 30)) }

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be ≥ 1") }
        if paths.isEmpty && runs == nil { throw ValidationError("give checkpoint paths or --runs FILE") }
        if let shard { do { _ = try BatchInputs.parseShard(shard) } catch { throw ValidationError("\(error)") } }
        if !(memoryLimit > 0 && memoryLimit < 1e9) { throw ValidationError("--memory-limit must be a positive number of GB") }
        if !(timeout > 0 && timeout < 1e9) { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func request() throws -> BatchRequest {
        var request = BatchRequest(analysis: try analysis.request(), out: out)
        request.resume = resume
        request.shard = try shard.map { try BatchInputs.parseShard($0) }
        request.jobs = jobs
        request.note = { diagnostic("irrepscope: note: " + $0) }
        return request
    }
}

/// Prints the summary and the failures; exit status 1 if any checkpoint failed.
func finish(_ records: [BatchRecord], summary: String) throws {
    let failed = records.filter { !$0.ok }
    diagnostic("irrepscope: " + summary)
    for f in failed {
        // Errors name their file already: say it once.
        let error = f.error ?? ""
        diagnostic("irrepscope: failed: " + (error.hasPrefix(f.source + ":") || error.hasPrefix(f.path + ":") ? error : "\(f.source): \(error)"))
    }
    if !failed.isEmpty { throw ExitCode(1) }
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
        let records = try BatchRunner.merge(directories)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try BatchResults.write(records, to: out + "/results.jsonl")
        try AnalysisReport.trajectory(records, title: "IrrepScope batch (merged from \(directories.count) shards)").write(to: out)
        try finish(records, summary: "merged \(records.count) checkpoints (\(records.filter { !$0.ok }.count) failed) into \(out)/results.jsonl")
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
            try BatchReport.rerender(results: input, to: dir, note: { diagnostic("irrepscope: note: " + $0) })
        } else {
            let record = try AnalysisRecord.read(input)
            let ini = try initial.map { try AnalysisRecord.read($0) }
            try AnalysisReport.single(record, initial: ini).write(to: dir)
        }
        diagnostic("irrepscope: wrote \(dir)/report.html and report.md")
    }
}

/// The hidden reader of HDF5 files: libhdf5 runs in this process, so a damaged file that
/// crashes it cannot take the calling command down (`HDF5Isolation`).
struct HDF5ReadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hdf5-read",
        abstract: "Read one HDF5 checkpoint and write it to stdout (internal).",
        shouldDisplay: false
    )

    @Argument var path: String

    func run() throws { throw ExitCode(HDF5Isolation.serve(path: path)) }
}
