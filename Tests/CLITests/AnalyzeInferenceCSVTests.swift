import Foundation
import XCTest

/// `analyze` without --group on the data/ checkpoints (their metadata names the group), and
/// `--format csv` against the JSON of the same analysis.
final class AnalyzeInferenceCSVTests: XCTestCase {
    let root = RecordedOutputTests.root

    func testTheGroupIsInferredFromTheCheckpointAndSaidSo() throws {
        for (file, group) in [("data/c71-quadratic-final.pt", "C71"), ("data/s4-quadratic-final.pt", "S4")] {
            let inferred = try CLI.run(["analyze", file, "--format", "json"], cwd: root)
            let given = try CLI.run(["analyze", file, "--group", group, "--format", "json"], cwd: root)
            XCTAssertEqual(inferred.status, 0, inferred.stderr)
            XCTAssertEqual(inferred.stdout, given.stdout)
            XCTAssert(inferred.stderr.contains("analyzing as \(group): the checkpoint's metadata config.group names \(group)"), inferred.stderr)
        }
        let contradicted = try CLI.run(["analyze", "data/s4-quadratic-final.pt", "--group", "D12", "--format", "json"], cwd: root)
        XCTAssertEqual(contradicted.status, 0)
        XCTAssert(contradicted.stderr.contains("warning: data/s4-quadratic-final.pt: its metadata config.group names S4, but the group given is D12"), contradicted.stderr)
        let npy = try CLI.run(["analyze", "data/example-c71-weights.npy"], cwd: root)
        XCTAssertEqual(npy.status, 1)
        XCTAssertEqual(npy.stdout, "")
    }

    /// The fields of one CSV line (RFC 4180 quoting).
    static func fields(_ line: String) -> [String] {
        var out: [String] = [], cur = "", quoted = false
        var chars = Array(line)[...]
        while let ch = chars.popFirst() {
            if quoted {
                if ch == "\"" { if chars.first == "\"" { cur.append("\""); chars.removeFirst() } else { quoted = false } } else { cur.append(ch) }
            } else if ch == "\"" { quoted = true } else if ch == "," { out.append(cur); cur = "" } else { cur.append(ch) }
        }
        out.append(cur)
        return out
    }

    func testTheCSVHoldsTheJSONsNumbers() throws {
        for args in [["data/s4-quadratic-final.pt", "--group", "S4"], ["data/c71-relu-final.pt", "--group", "C71", "--activation", "relu"],
                     ["data/parity-10-4-final.pt", "--task", "parity", "--n", "10", "--k", "4"]] {
            let csv = try CLI.run(["analyze"] + args + ["--format", "csv"], cwd: root)
            let json = try XCTUnwrap(try CLI.run(["analyze"] + args + ["--format", "json"], cwd: root).json)
            XCTAssertEqual(csv.status, 0)
            let lines = csv.stdout.split(separator: "\n").map { Self.fields(String($0)) }
            let header = lines[0], rows = lines.dropFirst()
            let neurons = try XCTUnwrap(json["neurons"] as? [[String: Any]])
            XCTAssertEqual(rows.count, neurons.count)
            func value(_ n: [String: Any], _ column: String) -> Any? {
                if let r = column.firstIndex(of: "_"), ["u", "v", "w"].contains(String(column[..<r])), column.hasSuffix("_max_normalized_power") || column.hasSuffix("_dominant") {
                    let part = n[String(column[..<r])] as? [String: Any]
                    return part?[column.hasSuffix("_dominant") ? "dominant" : "max_normalized_power"]
                }
                if column.hasPrefix("share_") { return (n["norm_shares"] as? [String: Any])?[String(column.dropFirst(6))] }
                return n[column]
            }
            for (row, n) in zip(rows, neurons) {
                for (c, column) in header.enumerated() {
                    let expected = value(n, column)
                    let cell = row[c]
                    switch expected {
                    case let d as NSNumber where String(cString: d.objCType) != "c":
                        let x = try XCTUnwrap(Double(cell), "\(column) = '\(cell)'")
                        XCTAssert(abs(x - d.doubleValue) <= 1e-9 * max(abs(x), 1e-300), "\(column): \(cell) vs \(d)")
                    case let b as NSNumber: XCTAssertEqual(cell, b.boolValue ? "true" : "false", column)
                    case let s as String: XCTAssertEqual(cell, s, column)
                    case nil, is NSNull: XCTAssertEqual(cell, "", column)
                    default: XCTFail("\(column): unexpected \(String(describing: expected))")
                    }
                }
            }
        }
    }
}
