import Foundation
import Testing

@Suite struct SpectrumCLITests {
    @Test func jsonHasTheDocumentedFieldsInNeuronOrder() throws {
        let dir = ScratchDirectory()
        let freqs = [1, 5, 17, 35, 2, 2, 30, 9]
        let phases = [0.1, -0.7, 2.0, 3.0, -3.0, 0.0, 1.2, 0.4]
        let path = dir.path("w.npy")
        writeNPY(path, float32: cosineRows(p: 71, freqs: freqs, phases: phases), shape: [8, 71])
        let r = try CLI.run(["spectrum", path, "--format", "json", "--top", "2", "--neuron-axis", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try #require(r.json)
        #expect(j["p"] as? Int == 71)
        #expect(j["neuron_axis"] as? Int == 0)
        let neurons = try #require(j["neurons"] as? [[String: Any]])
        #expect(neurons.count == 8)
        for (i, n) in neurons.enumerated() {
            #expect(n["index"] as? Int == i)
            #expect(n["dominant_frequency"] as? Int == freqs[i])
            #expect(abs((n["max_normalized_power"] as? Double ?? 0) - 1) < 1e-6)
            #expect(abs((n["phase"] as? Double ?? 99) - phases[i]) < 1e-5)
            #expect(abs((n["ipr"] as? Double ?? 0) - 1) < 1e-6)
            let top = try #require(n["top"] as? [[String: Any]])
            #expect(top.count == 2)
            #expect(top[0]["frequency"] as? Int == freqs[i])
        }
        let h = try #require(j["histogram"] as? [String: Any])
        #expect((h["edges"] as? [Double])?.count == 21)
        #expect((h["counts"] as? [Int])?.last == 8)
    }

    @Test func columnsLayoutAndDefaultAxisFromPrimeLength() throws {
        let dir = ScratchDirectory()
        let rows = cosineRows(p: 13, freqs: [3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4], phases: .init(repeating: 0, count: 20))
        // Store as (p × neurons) = 13 × 20.
        var t = [Float](repeating: 0, count: rows.count)
        for n in 0..<20 { for a in 0..<13 { t[a * 20 + n] = rows[n * 13 + a] } }
        let path = dir.path("cols.npy")
        writeNPY(path, float32: t, shape: [13, 20])
        let r = try CLI.run(["spectrum", path, "--format", "json"])
        #expect(r.status == 0)
        let j = try #require(r.json)
        #expect(j["neuron_axis"] as? Int == 1)
        #expect(j["p"] as? Int == 13)
        let neurons = try #require(j["neurons"] as? [[String: Any]])
        #expect(neurons.map { $0["dominant_frequency"] as? Int } == [3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4])
        #expect(r.stderr.contains("taking axis 1"))
    }

    @Test func constantNeuronIsNullInJSONAndEmptyInCSV() throws {
        let dir = ScratchDirectory()
        var w = cosineRows(p: 7, freqs: [2], phases: [0])
        w += [Float](repeating: 1.5, count: 7)
        let path = dir.path("c.npy")
        writeNPY(path, float32: w, shape: [2, 7])
        let r = try CLI.run(["spectrum", path, "--neuron-axis", "0", "--format", "json"])
        let neurons = try #require(r.json?["neurons"] as? [[String: Any]])
        #expect(neurons[1]["max_normalized_power"] is NSNull)
        #expect(neurons[1]["dominant_frequency"] is NSNull)
        #expect(!r.stdout.lowercased().contains(":nan"))
        let c = try CLI.run(["spectrum", path, "--neuron-axis", "0", "--format", "csv", "--top", "1"])
        let lines = c.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == "index,dominant_frequency,max_normalized_power,phase,ipr,top1_frequency,top1_share")
        #expect(lines[2] == "1,,,,,,")
    }

    @Test func histogramJSONHasStatistics() throws {
        let dir = ScratchDirectory()
        var w = cosineRows(p: 11, freqs: [1, 2, 3], phases: [0, 0, 0])
        // A neuron with equal power in frequencies 1 and 2: max normalized power 1/2.
        w += (0..<11).map { Float(cos(2 * Double.pi * Double($0) / 11) + cos(4 * Double.pi * Double($0) / 11)) }
        let path = dir.path("h.npy")
        writeNPY(path, float32: w, shape: [4, 11])
        let r = try CLI.run(["histogram", path, "--p", "11", "--bins", "3", "--format", "json"])
        #expect(r.status == 0)
        let j = try #require(r.json)
        let h = try #require(j["histogram"] as? [String: Any])
        #expect(h["counts"] as? [Int] == [0, 1, 3])
        let s = try #require(j["statistics"] as? [String: Any])
        #expect(abs((s["fraction_ge_0_9"] as? Double ?? 0) - 0.75) < 1e-12)
        #expect(abs((s["median"] as? Double ?? 0) - 1) < 1e-6)
        #expect(abs((s["mean"] as? Double ?? 0) - 0.875) < 1e-6)
        #expect(r.stderr.isEmpty)
    }

    @Test func badInputGetsOneClearLineAndNoOutput() throws {
        let dir = ScratchDirectory()
        FileManager.default.createFile(atPath: dir.path("magic.npy"), contents: Data("not numpy at all".utf8))
        writeNPY(dir.path("trunc.npy"), descr: "<f4", shape: [4, 8], data: [UInt8](repeating: 0, count: 10))
        writeNPY(dir.path("cplx.npy"), descr: "<c8", shape: [4, 8], data: [UInt8](repeating: 0, count: 256))
        writeNPY(dir.path("rank3.npy"), descr: "<f4", shape: [2, 2, 2], data: [UInt8](repeating: 0, count: 32))
        writeNPY(dir.path("p1.npy"), descr: "<f4", shape: [4, 1], data: [UInt8](repeating: 0, count: 16))
        writeNPY(dir.path("square.npy"), descr: "<f4", shape: [4, 4], data: [UInt8](repeating: 0, count: 64))
        writeNPY(dir.path("odd.npy"), descr: "<U3", shape: [2], data: [UInt8](repeating: 0, count: 24))
        let cases: [(String, String)] = [
            (dir.path("missing.npy"), "No such file"),
            (dir.path("magic.npy"), "unrecognised file format"),
            (dir.path("trunc.npy"), "truncated"),
            (dir.path("cplx.npy"), "complex64"),
            (dir.path("rank3.npy"), "rank 3"),
            (dir.path("p1.npy"), "p ≥ 2"),
            (dir.path("square.npy"), "--neuron-axis"),
            (dir.path("odd.npy"), "unsupported dtype"),
        ]
        for (path, phrase) in cases {
            for cmd in ["spectrum", "histogram"] {
                let r = try CLI.run([cmd, path, "--format", "json"])
                #expect(r.status == 1, "\(path)")
                #expect(r.stdout.isEmpty, "\(path): \(r.stdout)")
                #expect(r.stderr.contains(path) && r.stderr.contains(phrase), "\(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
        }
    }

    @Test func argumentErrorsExitWithStatus2() throws {
        let r = try CLI.run(["spectrum", "x.npy", "--neuron-axis", "3"])
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        let r2 = try CLI.run(["spectrum"])
        #expect(r2.status == 2)
        let r3 = try CLI.run(["histogram", "x.npy", "--bins", "0"])
        #expect(r3.status == 2)
    }
}
