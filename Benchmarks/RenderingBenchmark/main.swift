// The report's JSON: IrrepScope's streaming writer (JSONOutput) against Foundation's
// JSONEncoder on the same Codable record, in one process, best of N runs each.
//
//   swift run -c release rendering-benchmark data/c71-quadratic-final.pt C71 [REPS]
//
// Both produce the record's JSON (the writer in its fixed key order, the encoder in
// Codable's); the figure is the ratio of their best times. Used by Benchmarks/rendering.sh.
import Analysis
import Foundation
import Reports

let args = CommandLine.arguments
guard args.count >= 3 else {
    FileHandle.standardError.write(Data("usage: rendering-benchmark CHECKPOINT GROUP [REPS]\n".utf8))
    exit(2)
}
let reps = args.count > 3 ? Int(args[3]) ?? 20 : 20
var request = AnalysisRequest(task: .group(args[2]))
request.profiledNeurons = 6
let record = AnalysisRecord(try Analyzer.analyze(path: args[1], request), file: args[1])

func best(_ body: () throws -> Int) rethrows -> (seconds: Double, bytes: Int) {
    var t = Double.infinity, bytes = 0
    for _ in 0..<reps {
        let start = DispatchTime.now().uptimeNanoseconds
        bytes = try body()
        t = min(t, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (t, bytes)
}

let writer = best { AnalysisRendering.jsonData(record).count }
let encoder = try best { try JSONEncoder().encode(record).count }
let html = best { AnalysisReport.single(record).html().utf8.count }
print(String(format: "report JSON, streaming writer:  %.5f s  (%d bytes)", writer.seconds, writer.bytes))
print(String(format: "report JSON, Foundation JSONEncoder: %.5f s  (%d bytes)", encoder.seconds, encoder.bytes))
print(String(format: "ratio JSONEncoder / writer: %.1f×", encoder.seconds / writer.seconds))
print(String(format: "report.html with every SVG plot: %.5f s  (%d bytes)", html.seconds, html.bytes))
