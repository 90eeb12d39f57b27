import Analysis
import Batch
import Foundation

/// The report of a finished batch (README, "Whole training runs"): the trajectory or sweep
/// report of its results, with the paper's neuron panels of its last checkpoint.
public enum BatchReport {
    /// The full record of a batch's last checkpoint, next to results.jsonl (its profiled neurons).
    public static let lastCheckpointFile = "last-checkpoint.json"

    /// Writes `dir`/report.html, report.md and the plots for `records`. The last checkpoint
    /// (analyzed successfully already) is read again with its `profiledNeurons` largest neurons
    /// profiled and its record saved as `lastCheckpointFile`; when that fails, `note` says why and
    /// the report goes on without its panels.
    public static func write(_ records: [BatchRecord], title: String, request: AnalysisRequest, profiledNeurons: Int,
                             to dir: String, note: (String) -> Void) throws {
        var last: AnalysisRecord? = nil
        do {
            if let found = try BatchRunner.lastCheckpoint(records, request: request, profiledNeurons: profiledNeurons) {
                last = found.record
                try AnalysisRendering.jsonData(found.record).write(to: URL(fileURLWithPath: dir).appendingPathComponent(lastCheckpointFile),
                                                                     options: .atomic)
            }
        } catch {
            note("the last checkpoint's neuron panels are left out: \(error)")
        }
        try AnalysisReport.trajectory(records, title: title, last: last).write(to: dir)
    }

    /// Renders the report of a saved results.jsonl again into `dir`, with the panels of the
    /// `lastCheckpointFile` next to it when there is one.
    public static func rerender(results path: String, to dir: String, note: @escaping @Sendable (String) -> Void) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw AnalysisError("\(path): no such file") }
        let records = BatchResults.sorted(Array(try BatchResults.read(path, note: note).values))
        let lastPath = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(lastCheckpointFile).path
        let last = FileManager.default.fileExists(atPath: lastPath) ? try AnalysisRecord.read(lastPath) : nil
        try AnalysisReport.trajectory(records, title: "IrrepScope batch", last: last).write(to: dir)
    }
}

/// A progress bar on stderr (only when `enabled`, i.e. stderr is a terminal): count, rate, ETA.
public final class ProgressBar: @unchecked Sendable {
    let enabled: Bool
    let start = Date()
    public init(enabled: Bool) { self.enabled = enabled }
    public func show(done: Int, total: Int, failed: Int) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30, filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        FileHandle.standardError.write(Data(String(format: "\r[%@] %d/%d  %.1f/s  ETA %.0fs  failed %d ", bar, done, total, rate, eta, failed).utf8))
    }
    public func finish() { if enabled { FileHandle.standardError.write(Data("\n".utf8)) } }
}
