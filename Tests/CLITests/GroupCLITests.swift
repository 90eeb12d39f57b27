import Foundation
import Testing

@Suite struct GroupCLITests {
    /// S_5's published character table (e.g. James & Kerber), by cycle type.
    static let s5: [String: [String: Int]] = [
        "[5]": ["1,1,1,1,1": 1, "2,1,1,1": 1, "2,2,1": 1, "3,1,1": 1, "3,2": 1, "4,1": 1, "5": 1],
        "[4,1]": ["1,1,1,1,1": 4, "2,1,1,1": 2, "2,2,1": 0, "3,1,1": 1, "3,2": -1, "4,1": 0, "5": -1],
        "[3,2]": ["1,1,1,1,1": 5, "2,1,1,1": 1, "2,2,1": 1, "3,1,1": -1, "3,2": 1, "4,1": -1, "5": 0],
        "[3,1,1]": ["1,1,1,1,1": 6, "2,1,1,1": 0, "2,2,1": -2, "3,1,1": 0, "3,2": 0, "4,1": 0, "5": 1],
    ]

    @Test func charactersOfS5MatchThePublishedTable() throws {
        let r = try CLI.run(["characters", "S5", "--format", "json"])
        #expect(r.status == 0)
        let j = try #require(r.json)
        #expect(j["order"] as? Int == 120)
        let classes = try #require(j["classes"] as? [[String: Any]])
        let irreps = try #require(j["irreps"] as? [[String: Any]])
        let table = try #require(j["table"] as? [[Int]])
        #expect(classes.count == 7 && irreps.count == 7)
        #expect(classes.map { $0["size"] as? Int ?? 0 }.reduce(0, +) == 120)
        let types = classes.map { ($0["cycle_type"] as? [Int] ?? []).map(String.init).joined(separator: ",") }
        for (row, irrep) in irreps.enumerated() {
            guard let expected = GroupCLITests.s5[irrep["label"] as? String ?? ""] else { continue }
            for (c, t) in types.enumerated() { #expect(table[row][c] == expected[t], "\(irrep["label"]!) on \(t)") }
        }
        #expect(irreps.allSatisfy { $0["indicator"] as? Int == 1 })
    }

    @Test func a5HasGoldenRatioValues() throws {
        let r = try CLI.run(["characters", "A5", "--format", "json"])
        let table = try #require(r.json?["table"] as? [[Any]])
        let golden = (1 + 5.0.squareRoot()) / 2
        let values = table.flatMap { $0 }.compactMap { ($0 as? NSNumber)?.doubleValue }
        #expect(values.contains { abs($0 - golden) < 1e-12 })
        #expect(values.contains { abs($0 - (1 - golden)) < 1e-12 })
    }

    @Test func badGroupNamesAreArgumentErrors() throws {
        for name in ["Q8", "S", "D0x", "C-3"] {
            let r = try CLI.run(["characters", name])
            #expect(r.status == 2, "\(name)")
            #expect(r.stdout.isEmpty)
            #expect(!r.stderr.isEmpty)
        }
    }

    @Test func decomposingDeltaAtIdentityGivesSquaredDegreesOverOrder() throws {
        // δ_e on S_4 (identity = element 0): fractions d²/24 = 1, 9, 4, 9, 1 over 24 (docs/theory.md §7).
        let dir = ScratchDirectory()
        var w = [Float](repeating: 0, count: 24 * 2)
        w[0] = 1            // neuron 0: δ_e
        w[24 + 5] = 2       // neuron 1: 2·δ_g for another element (same fractions)
        writeNPY(dir.path("d.npy"), float32: w, shape: [2, 24])
        let r = try CLI.run(["decompose", dir.path("d.npy"), "--group", "S4", "--neuron-axis", "0", "--include-trivial", "--top", "5", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let neurons = try #require(r.json?["neurons"] as? [[String: Any]])
        let expected = ["[4]": 1.0, "[3,1]": 9, "[2,2]": 4, "[2,1,1]": 9, "[1,1,1,1]": 1]
        for n in neurons {
            let top = try #require(n["top"] as? [[String: Any]])
            #expect(top.count == 5)
            for t in top {
                let label = t["irrep"] as? String ?? ""
                #expect(abs((t["share"] as? Double ?? 0) - expected[label]! / 24) < 1e-6, "\(label)")
            }
        }
    }

    @Test func decomposeOnCyclicGroupEqualsSpectrum() throws {
        let dir = ScratchDirectory()
        var state: UInt64 = 7
        let w: [Float] = (0..<(6 * 13)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int(state >> 40) % 2000 - 1000) / 1000
        }
        writeNPY(dir.path("c.npy"), float32: w, shape: [6, 13])
        let d = try CLI.run(["decompose", dir.path("c.npy"), "--group", "C13", "--neuron-axis", "0", "--format", "json"])
        let s = try CLI.run(["spectrum", dir.path("c.npy"), "--neuron-axis", "0", "--format", "json"])
        let dn = try #require(d.json?["neurons"] as? [[String: Any]])
        let sn = try #require(s.json?["neurons"] as? [[String: Any]])
        for (a, b) in zip(dn, sn) {
            #expect(abs((a["max_normalized_power"] as! Double) - (b["max_normalized_power"] as! Double)) < 1e-6)
        }
    }

    @Test func irrepMatricesAreOrthogonal() throws {
        let r = try CLI.run(["irreps", "S4", "--elements", "all", "--format", "json"])
        #expect(r.status == 0)
        let irreps = try #require(r.json?["irreps"] as? [[String: Any]])
        #expect(irreps.count == 5)
        for irrep in irreps {
            for m in irrep["matrices"] as? [[String: Any]] ?? [] {
                let a = (m["matrix"] as? [[Double]]) ?? []
                let d = a.count
                for i in 0..<d { for j in 0..<d {
                    let dot = (0..<d).reduce(0.0) { $0 + a[i][$1] * a[j][$1] }
                    #expect(abs(dot - (i == j ? 1 : 0)) < 1e-12)
                } }
            }
        }
    }
}
