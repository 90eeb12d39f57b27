import Analysis
import Checkpoints
import Foundation

extension BatchRunner {
    /// The last checkpoint of a batch, analyzed again in full with `profiledNeurons` neurons
    /// profiled (their weights and spectra, for the report's neuron panels): the successful
    /// record with the largest step (ties: the last in results order). nil when no checkpoint
    /// succeeded or when the record is not a group task; an error when the checkpoint can no
    /// longer be read.
    public static func lastCheckpoint(_ records: [BatchRecord], request: AnalysisRequest,
                                      profiledNeurons: Int) throws -> (line: BatchRecord, record: AnalysisRecord)? {
        guard profiledNeurons > 0 else { return nil }
        let sorted = BatchResults.sorted(records.filter { $0.ok && $0.task == nil })
        guard let last = sorted.last else { return nil }
        var r = request
        r.profiledNeurons = profiledNeurons
        r.whileMarginsCompute = nil
        let lists = ListFileCache()
        let ck: Checkpoint
        if FileManager.default.fileExists(atPath: last.source) {
            ck = try CheckpointLoader.load(path: last.source)
        } else if let hash = last.source.lastIndex(of: "#"), let entry = Int(last.source[last.source.index(after: hash)...]) {
            ck = try lists.entry(entry, of: String(last.source[..<hash]))
        } else {
            throw BatchError("\(last.source): no such file")
        }
        return (last, AnalysisRecord(try Analyzer.analyze(ck, r), file: last.source))
    }
}
