import Foundation
import Testing

/// `table:FILE` and `perm:…` wherever --group is (docs/groups-from-data.md).
@Suite struct GroupsFromDataCLITests {
    static func temp(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("irrepscope-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// S_5 as a Cayley table in a shuffled element order (products right to left).
    static func shuffledS5Table() -> [[Int]] {
        var perms: [[Int]] = []
        func build(_ p: [Int], _ rest: [Int]) {
            if rest.isEmpty { perms.append(p); return }
            for x in rest { build(p + [x], rest.filter { $0 != x }) }
        }
        build([], Array(0..<5))
        var state: UInt64 = 5
        var order = Array(0..<120)
        for i in stride(from: 119, to: 0, by: -1) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            order.swapAt(i, Int((state >> 33) % UInt64(i + 1)))
        }
        let rows = order.map { perms[$0] }   // row r is the permutation rows[r]
        var index: [[Int]: Int] = [:]
        for (r, p) in rows.enumerated() { index[p] = r }
        return rows.map { a in rows.map { b in index[(0..<5).map { a[b[$0]] }]! } }
    }

    @Test func aShuffledS5TableIsIdentifiedAsS5() throws {
        let t = Self.shuffledS5Table()
        let path = try Self.temp("s5.json", "[" + t.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["characters", "table:\(path)", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        #expect(j["identified_as"] as? String == "S5")
        #expect(j["order"] as? Int == 120)
        let classes = try #require(j["classes"] as? [[String: Any]])
        #expect(classes.map { $0["size"] as! Int } == [1, 10, 15, 20, 30, 24, 20])
        // a table group's representative is its row index; the identity's row is class 0's
        let idRow = try #require(classes[0]["representative"] as? Int)
        #expect(t[idRow] == Array(0..<120))
    }

    @Test func permutationGeneratorsInCycleNotationAndJSON() throws {
        let a = try CLI.run(["characters", "perm:(0 1 2 3 4),(0 1)", "--format", "json"])
        #expect(a.status == 0)
        let ja = try #require(a.json)
        #expect(ja["identified_as"] as? String == "S5")
        let reps = (ja["classes"] as! [[String: Any]]).map { $0["representative"] as! [Int] }
        #expect(reps[0] == [0, 1, 2, 3, 4])
        let path = try Self.temp("q8.json", "[[1,3,7,5,2,0,4,6],[2,4,3,6,5,7,0,1],[3,5,6,0,7,1,2,4]]")   // Q_8 (Tests/GroupsTests/Fixtures/gap/Q8.json, GAP)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let q = try CLI.run(["characters", "perm:\(path)"])
        #expect(q.status == 0, "\(q.stderr)")
        #expect(q.stdout.contains("order 8, 5 classes"))
        #expect(q.stdout.contains("ι=-1"))             // the quaternionic irrep
        #expect(!q.stdout.contains("identified as"))     // Q_8 is not D_4 (element orders differ)
    }

    @Test func exactValuesAreWrittenAsGAPWritesThem() throws {
        // C_7 ⋊ C_3 (Frobenius group of order 21): values E(7)+E(7)^2+E(7)^4 and its conjugate
        let r = try CLI.run(["characters", "perm:(0 1 2 3 4 5 6),(1 2 4)(3 6 5)"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("E(7)+E(7)^2+E(7)^4"))
        #expect(r.stdout.contains("E(7)^3+E(7)^5+E(7)^6"))
        #expect(r.stdout.contains("E(3)^2"))
    }

    @Test func badTablesAreRefusedNamingTheFileAndTheProblem() throws {
        let cases: [(String, String, String)] = [
            ("notlatin.json", "[[0,1],[0,1]]", "column 0 holds 0 twice"),
            ("range.json", "[[0,1],[1,2]]", "not an element index"),
            ("ragged.json", "[[0,1],[1]]", "row 1 has 1 entries"),
            // a Latin square with identity 0 that is not associative (a loop of order 5)
            ("loop.json", "[[0,1,2,3,4],[1,0,3,4,2],[2,4,0,1,3],[3,2,4,0,1],[4,3,1,2,0]]", "not associative"),
            ("noid.json", "[[0,2,1],[2,1,0],[1,0,2]]", "no identity"),
        ]
        for (name, text, message) in cases {
            let path = try Self.temp(name, text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let r = try CLI.run(["characters", "table:\(path)"])
            #expect(r.status == 1, "\(name)")
            #expect(r.stdout.isEmpty, "\(name)")
            #expect(r.stderr.contains(path) && r.stderr.contains(message), "\(name): \(r.stderr)")
        }
        let loop = try CLI.run(["characters", "table:\(try Self.temp("loop2.json", "[[0,1,2,3,4],[1,0,3,4,2],[2,4,0,1,3],[3,2,4,0,1],[4,3,1,2,0]]"))"])
        #expect(loop.stderr.contains("(a, b, c) = ("))
    }

    @Test func generatorsBeyondTheLimitsAreRefused() throws {
        let big = try CLI.run(["characters", "perm:(0 1 2 3 4 5 6 7 8 9 10),(0 1)"])   // S_11: 39916800 elements
        #expect(big.status != 0)
        #expect(big.stderr.contains("more than 1000000 elements"))
        let far = try CLI.run(["characters", "perm:(0 70000)"])
        #expect(far.status != 0)
        #expect(far.stderr.contains("2¹⁶"))
        let garbage = try CLI.run(["characters", "perm:(0 1"])
        #expect(garbage.status != 0 && garbage.stderr.contains("unclosed"))
    }

    /// A little-endian .npy file (format 1.0) of `values` with `shape`.
    static func npy(_ name: String, descr: String, shape: [Int], bytes: [UInt8]) throws -> String {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", ")),), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)]
        data += Array(header.utf8) + bytes
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("irrepscope-\(ProcessInfo.processInfo.processIdentifier)-\(name)").path
        try Data(data).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func anNPYTableDecomposesAsTheNamedGroup() throws {
        // C_6 as an int64 table; decompose equals C6's (component labels differ: X.i vs k)
        let n = 6
        var t: [Int64] = []
        for a in 0..<n { for b in 0..<n { t.append(Int64((a + b) % n)) } }
        let table = try Self.npy("c6.npy", descr: "<i8", shape: [n, n], bytes: t.withUnsafeBytes { Array($0) })
        let w: [Float] = (0..<(n * 4)).map { Float(sin(Double($0) * 1.7)) }
        let weights = try Self.npy("w6.npy", descr: "<f4", shape: [n, 4], bytes: w.withUnsafeBytes { Array($0) })
        defer { try? FileManager.default.removeItem(atPath: table); try? FileManager.default.removeItem(atPath: weights) }
        let c = try CLI.run(["characters", "table:\(table)", "--format", "json"])
        #expect(c.json?["identified_as"] as? String == "C6")
        let a = try CLI.run(["decompose", weights, "--group", "table:\(table)", "--neuron-axis", "1", "--format", "json"])
        let b = try CLI.run(["decompose", weights, "--group", "C6", "--neuron-axis", "1", "--format", "json"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        let na = try #require(a.json?["neurons"] as? [[String: Any]]), nb = try #require(b.json?["neurons"] as? [[String: Any]])
        #expect(na.count == 4)
        for (x, y) in zip(na, nb) {
            let px = try #require(x["max_normalized_power"] as? Double), py = try #require(y["max_normalized_power"] as? Double)
            #expect(abs(px - py) < 1e-12)
        }
    }

    @Test func decomposeOnAGroupFromGenerators() throws {
        // irreps has no matrices for such a group and says so
        let i = try CLI.run(["irreps", "perm:(0 1 2),(0 1)"])
        #expect(i.status != 0)
        #expect(i.stderr.contains("no explicit irreps"))
    }
}
