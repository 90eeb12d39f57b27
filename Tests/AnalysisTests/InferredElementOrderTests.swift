import Checkpoints
import Foundation
import Groups
import Testing
@testable import Analysis

/// `--elements infer` (docs/groups-from-data.md §4): the network's own predictions give the
/// element order.
@Suite struct InferredElementOrderTests {
    /// data/s4-quadratic-final.pt with the rows of u, v and w permuted (new row r = old row
    /// p[r]) and no stored element order, written as safetensors (one file per permutation:
    /// the tests of this suite run in parallel).
    static func shuffledS4(_ p: [Int], corruptPairs: Bool = false) throws -> String {
        let ck = try CheckpointLoader.load(path: TrainedData.path("s4-quadratic-final.pt"))
        var out: [Tensor] = []
        for name in ["model.embed_a.weight", "model.embed_b.weight", "model.unembed.weight"] {
            let t = try ck.tensor(named: name)
            let v = try t.doubleValues()
            let (n, m) = (t.shape[0], t.shape[1])
            var w = [Double](repeating: 0, count: n * m)
            for r in 0..<n { for i in 0..<m { w[r * m + i] = v[p[r] * m + i] } }
            if corruptPairs && name == "model.unembed.weight" { for i in 0..<m { w[i] = 0 } }   // row 0 never wins
            let bytes = w.withUnsafeBytes { Array($0) }
            out.append(try Tensor(name: name, dtype: .float64, shape: [n, m], source: ByteSource(bytes: bytes, path: name),
                                  storageStart: 0, storageLength: bytes.count))
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s4-shuffled-\(ProcessInfo.processInfo.processIdentifier)-\(corruptPairs)-\(p.prefix(6).map(String.init).joined(separator: "_")).safetensors").path
        try CheckpointWriter.writeSafetensors(out, to: path)
        return path
    }

    @Test("a trained S_4 network in a shuffled row order, --elements infer: the numbers of its true order")
    func inferredOrderGivesTheTrueNumbers() throws {
        var rng = SeededGenerator14(seed: 4)
        let p = Array(0..<24).shuffled(using: &rng)
        let path = try Self.shuffledS4(p)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let truth = try TrainedData.analyze("s4-quadratic-final.pt", group: "S4")
        var request = AnalysisRequest(task: .group("S4"))
        request.activation = .quadratic
        request.inferElementOrder = true
        guard case .group(let a, _) = try Analyzer.analyze(path: path, request) else { Issue.record("not a group analysis"); return }
        #expect(a.accuracy == 1)
        #expect(a.neuronsPerComponent == truth.neuronsPerComponent)
        #expect(a.normalizedMargin == truth.normalizedMargin)
        #expect(a.marginRatio == truth.marginRatio)
        for (x, y) in zip(a.neurons, truth.neurons) {
            // The isomorphism found may differ from the true order by an (inner) automorphism,
            // which fixes every power; only the summation order differs (last bits).
            for (px, py) in zip(x.parts, y.parts) { #expect(abs(px.maxNormalizedPower! - py.maxNormalizedPower!) < 1e-12) }
            #expect(x.parts.map(\.dominant) == y.parts.map(\.dominant))
        }
        // Without infer the shuffled file is not at 100%.
        var plain = AnalysisRequest(task: .group("S4"))
        plain.activation = .quadratic
        guard case .group(let b, _) = try Analyzer.analyze(path: path, plain) else { return }
        #expect(b.accuracy < 1)
    }

    /// `--elements table:FILE`: the trainer's multiplication table over its shuffled rows gives
    /// the numbers of the true order; a table of another group or size is refused by name.
    @Test func trainersTableGivesTheTrueNumbers() throws {
        var rng = SeededGenerator14(seed: 11)
        let p = Array(0..<24).shuffled(using: &rng)
        let path = try Self.shuffledS4(p)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let g = try FiniteGroup.named("S4")
        var rowOf = [Int](repeating: 0, count: 24)
        for (r, e) in p.enumerated() { rowOf[e] = r }
        // Row r holds element p[r]; the trainer's table: T[r][s] = the row of p[r]·p[s].
        let table = (0..<24).map { r in (0..<24).map { s in rowOf[g.multiply(p[r], p[s])] } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mult-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tablePath = dir.appendingPathComponent("mult_table.json").path
        try JSONSerialization.data(withJSONObject: table).write(to: URL(fileURLWithPath: tablePath))
        let truth = try TrainedData.analyze("s4-quadratic-final.pt", group: "S4")
        var request = AnalysisRequest(task: .group("S4"))
        request.activation = .quadratic
        request.elementTable = "table:" + tablePath
        guard case .group(let a, let layout) = try Analyzer.analyze(path: path, request) else { Issue.record("not a group analysis"); return }
        #expect(a.accuracy == 1)
        #expect(a.neuronsPerComponent == truth.neuronsPerComponent)
        #expect(a.normalizedMargin == truth.normalizedMargin)
        #expect(a.marginRatio == truth.marginRatio)
        #expect(layout.elementOrder?.contains("mult_table.json") == true)
        for (x, y) in zip(a.neurons, truth.neurons) {
            for (px, py) in zip(x.parts, y.parts) { #expect(abs(px.maxNormalizedPower! - py.maxNormalizedPower!) < 1e-12) }
        }
        // --pairs in the file's rows are the element pairs (p[r], p[s]) of the true order.
        let rows = (0..<24).flatMap { r in (0..<24).filter { ($0 * 7 + r) % 5 == 0 }.map { (r, $0) } }
        var withPairs = request
        withPairs.attribution?.pairs = PairList(rows)
        var truthRequest = AnalysisRequest(task: .group("S4"))
        truthRequest.activation = .quadratic
        truthRequest.attribution?.pairs = PairList(rows.map { (p[$0.0], p[$0.1]) })
        guard case .group(let ap, _) = try Analyzer.analyze(path: path, withPairs),
              case .group(let tp, _) = try Analyzer.analyze(path: TrainedData.path("s4-quadratic-final.pt"), truthRequest) else { return }
        let (x, y) = (try #require(ap.attribution?.onPairs), try #require(tp.attribution?.onPairs))
        #expect(x.count == rows.count && y.count == rows.count)
        #expect(abs(x.loss - y.loss) < 1e-12 * max(1, y.loss))
        #expect(abs(x.restrictedLoss - y.restrictedLoss) < 1e-12 * max(1, y.restrictedLoss))
        #expect(abs(x.excludedLoss - y.excludedLoss) < 1e-12 * max(1, y.excludedLoss))
        // C_24's table (a + b mod 24) is a group table, of another group; a 6-row table has the wrong size.
        for (rows, message) in [((0..<24).map { a in (0..<24).map { (a + $0) % 24 } }, "not isomorphic to S4"),
                                ((0..<6).map { a in (0..<6).map { (a + $0) % 6 } }, "has 6 rows")] {
            let bad = dir.appendingPathComponent("bad.json").path
            try JSONSerialization.data(withJSONObject: rows).write(to: URL(fileURLWithPath: bad))
            request.elementTable = "table:" + bad
            do {
                _ = try Analyzer.analyze(path: path, request)
                Issue.record("expected a refusal: \(message)")
            } catch let e as CheckpointError {
                #expect(e.message.contains(message), "\(e.message)")
                #expect(e.path == bad)
            }
        }
    }

    /// `--elements infer` in the other families: the trained transformer (100% on C_53) in its
    /// own order is mapped onto C_53 by an automorphism a ↦ k·a, which permutes the frequencies:
    /// accuracy, loss and the multiset of neurons per frequency stay those of the file's order.
    @Test func inferWorksForTransformers() throws {
        let path = TrainedData.path("transformer-p53-final.pt")
        var request = AnalysisRequest(task: .group("C53"))
        request.attribution = nil
        guard case .group(let truth, _) = try Analyzer.analyze(path: path, request) else { Issue.record("not a group analysis"); return }
        request.inferElementOrder = true
        guard case .group(let a, let layout) = try Analyzer.analyze(path: path, request) else { Issue.record("not a group analysis"); return }
        #expect(a.accuracy == 1)
        #expect(layout.elementOrder?.contains("--elements infer") == true)
        #expect(abs(a.transformer!.loss! - truth.transformer!.loss!) <= 1e-12 * truth.transformer!.loss!)
        #expect(a.neuronsPerComponent.sorted() == truth.neuronsPerComponent.sorted())
        #expect(abs(a.normalizedMargin - truth.normalizedMargin) <= 1e-12 * abs(truth.normalizedMargin))
    }

    @Test("below 100% accuracy --elements infer refuses, naming the pairs that break the axioms")
    func refusesBelowFullAccuracy() throws {
        let path = try Self.shuffledS4(Array(0..<24), corruptPairs: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var request = AnalysisRequest(task: .group("S4"))
        request.activation = .quadratic
        request.inferElementOrder = true
        do {
            _ = try Analyzer.analyze(path: path, request)
            Issue.record("expected a refusal")
        } catch let e as CheckpointError {
            #expect(e.message.contains("do not form a group table"))
            #expect(e.message.contains("below 100%"))
        }
    }
}

struct SeededGenerator14: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
