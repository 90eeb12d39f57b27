import Analysis
import Batch
import Foundation
import JSONOutput
import Testing
@testable import Reports

/// Typed records: files written before the records existed (Tests/Recorded, recorded with the
/// build of commit 2f1dc7a) still decode and render; records written now round-trip through
/// both the fast writer and Codable.
enum RecordFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func data(_ path: String) -> String { root.appendingPathComponent("data/" + path).path }
    /// A recorded output, decompressed.
    static func recorded(_ name: String) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-dc", root.appendingPathComponent("Tests/Recorded/outputs/\(name).gz").path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let d = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return d
    }
}

@Suite struct RecordTests {
    @Test func anOldReportJSONDecodesAndRenders() throws {
        let data = try RecordFiles.recorded("analyze-out-s4-report.json")
        let record = try JSONDecoder().decode(AnalysisRecord.self, from: data)
        guard case .group(let r) = record else { Issue.record("not a group record"); return }
        #expect(r.schemaVersion == 1)
        #expect(r.group == "S4" && r.order == 24 && r.width == 200 && r.roles == ["u", "v", "w"])
        #expect(r.neurons.count == 200 && r.neurons.allSatisfy { $0.roles.map(\.role) == ["u", "v", "w"] })
        // The numbers of the file, as an untyped parse reads them (Foundation's
        // JSONSerialization on Linux may round the last digit, JSONDecoder does not: hence 1e-15).
        func same(_ a: Double?, _ b: Any?) -> Bool { guard let a, let b = b as? Double else { return false }; return abs(a - b) <= 1e-15 * abs(b) }
        let raw = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let summary = raw["summary"] as! [String: Any], margin = summary["margin"] as! [String: Any]
        #expect(same(r.summary.accuracy, summary["accuracy"]))
        #expect(same(r.summary.margin.normalized, margin["normalized"]))
        #expect(same(r.summary.margin.theoreticalMax, margin["theoretical_max"]))
        let n0 = (raw["neurons"] as! [[String: Any]])[0]
        #expect(same(r.neurons[0].part("v")?.maxNormalizedPower, (n0["v"] as! [String: Any])["max_normalized_power"]))
        #expect(r.neurons[0].component == .irrep(n0["component"] as! String))
        let report = AnalysisReport.single(record)
        #expect(report.figures.map(\.id) == ["histogram-u", "histogram-v", "histogram-w", "components", "spectra"])
        #expect(report.summary.contains { $0.0 == "accuracy" && $0.1 == String(format: "%.1f%%", (summary["accuracy"] as! Double) * 100) })
        #expect(report.html().contains("<svg"))
    }

    @Test func anOldResultsFileDecodesAndRendersItsTrajectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("irrepscope-records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.jsonl").path
        try RecordFiles.recorded("batch-c71-run.jsonl").write(to: URL(fileURLWithPath: path))
        let records = BatchResults.sorted(Array(try BatchResults.read(path).values))
        #expect(records.map(\.step) == [0, 394, 926, 2175, 5109, 12000])
        #expect(records.allSatisfy { $0.ok && $0.group == "C71" && $0.schemaVersion == nil })
        #expect(records.last!.accuracy == 1)
        let report = AnalysisReport.trajectory(records, title: "old run")
        #expect(report.figures.first?.id == "histogram-u")
        #expect(report.figures.count == 6)
        // Rewritten by this build, each line holds the same values (and the schema version).
        try BatchResults.write(records, to: path)
        let again = BatchResults.sorted(Array(try BatchResults.read(path).values))
        for (a, b) in zip(records, again) {
            var a = a; a.schemaVersion = b.schemaVersion
            #expect(a == b)
        }
    }

    @Test(arguments: ["s4-quadratic-final.pt", "c71-relu-final.pt", "parity-10-4-final.pt"])
    func aNewRecordRoundTripsThroughTheWriterAndCodable(file: String) throws {
        var request = AnalysisRequest(task: file.hasPrefix("parity") ? .parity(n: 10, k: 4, support: nil)
                                      : .group(file.hasPrefix("s4") ? "S4" : "C71"))
        if file.hasPrefix("c71") { request.activation = .relu }
        let record = AnalysisRecord(try Analyzer.analyze(path: RecordFiles.data(file), request), file: file)
        let written = AnalysisRendering.jsonData(record)
        let decoded = try JSONDecoder().decode(AnalysisRecord.self, from: written)
        #expect(decoded == record)
        let encoded = try JSONEncoder().encode(record)
        #expect(try JSONDecoder().decode(AnalysisRecord.self, from: encoded) == record)
        if case .group(let g) = decoded { #expect(g.schemaVersion == recordSchemaVersion) }
    }

    @Test func aFileThatIsNoRecordGetsAnErrorNamingIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-record-\(UUID().uuidString).json").path
        try Data("{\"group\": \"C5\"}".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect { try AnalysisRecord.read(path) } throws: { "\($0)".hasPrefix(path + ": not an IrrepScope analysis record") }
    }
}
