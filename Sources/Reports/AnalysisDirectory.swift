import Analysis
import Foundation

/// The files `analyze --out DIR` writes: report.json (the record), neurons.csv, report.html,
/// report.md and one SVG per plot.
public enum AnalysisDirectory {
    /// Writes the record's files into `dir`; `initial` (the same network at initialization)
    /// is drawn next to the final histograms.
    public static func write(_ record: AnalysisRecord, initial: AnalysisRecord?, to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let url = URL(fileURLWithPath: dir)
        try AnalysisRendering.jsonData(record).write(to: url.appendingPathComponent("report.json"), options: .atomic)
        try Data(AnalysisRendering.csv(record).utf8).write(to: url.appendingPathComponent("neurons.csv"), options: .atomic)
        try AnalysisReport.single(record, initial: initial).write(to: dir)
    }
}
