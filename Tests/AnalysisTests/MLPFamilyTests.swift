import Checkpoints
import Foundation
import Groups
import Testing
@testable import Analysis

/// MLPs as real trainers save them (concatenated one-hot input, biases), written by torch with
/// scripts/make_mlp_fixtures.py; the expected numbers come from that script's numpy forward
/// pass, written from the formula f(a,b)[c] = Σ_i σ(u_i[a] + v_i[b] + β_i)·w_i[c] + β′_c.
@Suite struct MLPFamilyTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mlp")
    nonisolated(unsafe) static let expected: [String: [String: Any]] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
    }()

    static func analyze(_ name: String) throws -> (GroupAnalysis, NetworkLayout, [String: Any]) {
        let e = try #require(expected[name])
        var r = AnalysisRequest(task: .group(e["group"] as! String))
        r.activation = Activation(name: e["activation"] as! String)
        guard case .group(let a, let l) = try Analyzer.analyze(path: dir.appendingPathComponent(name + ".pt").path, r) else {
            throw AnalysisError("not a group analysis")
        }
        return (a, l, e)
    }

    @Test(arguments: ["c11-concat-relu-bias", "c7-concat-quadratic-nobias", "s3-embeddings-output-bias"])
    func accuracyAndMarginAreThoseOfTheNetworkWithItsBiases(name: String) throws {
        let (a, layout, e) = try Self.analyze(name)
        #expect(a.accuracy == e["accuracy"] as! Double)
        let margin = e["margin"] as! Double
        #expect(abs(a.margin - margin) <= 1e-9 * abs(margin), "\(a.margin) vs \(margin)")
        #expect(a.roles == ["u", "v", "w"])
        if name.contains("nobias") {
            #expect(layout.biases.isEmpty)
            #expect(a.bound.value != nil, "no bias: the paper's form, Theorem 7 applies")
        } else {
            #expect(!layout.biases.isEmpty)
            #expect(a.bound.value == nil && a.bound.reason?.contains("non-zero") == true)
        }
    }

    @Test func theLogitsAreTheReferenceForwardPass() throws {
        for name in ["c11-concat-relu-bias", "s3-embeddings-output-bias"] {
            let e = try #require(Self.expected[name])
            let ck = try CheckpointLoader.load(path: Self.dir.appendingPathComponent(name + ".pt").path)
            let n = e["group"] as! String == "S3" ? 6 : 11
            let act = Activation(name: e["activation"] as! String)!
            let net = try Self.network(ck, order: n, activation: act)
            let f = net.logits(rows: 0..<2)
            let ref12 = e["logits_a1_b2"] as! [Double], ref00 = e["logits_a0_b0"] as! [Double]
            for c in 0..<n {
                #expect(abs(f[(1 * n + 2) * n + c] - ref12[c]) <= 1e-9 * max(1, abs(ref12[c])))
                #expect(abs(f[c] - ref00[c]) <= 1e-9 * max(1, abs(ref00[c])))
            }
        }
    }

    /// The fixture discriminates: the same weights without their biases classify worse.
    @Test func droppingTheBiasesWouldBeWrong() throws {
        let e = try #require(Self.expected["c11-concat-relu-bias"])
        let ck = try CheckpointLoader.load(path: Self.dir.appendingPathComponent("c11-concat-relu-bias.pt").path)
        let net = try Self.network(ck, order: 11, activation: .relu)
        let blind = MLPNetwork(order: 11, width: net.width, activation: .relu, u: net.u, v: net.v, w: net.w,
                               hiddenBias: [Double](repeating: 0, count: net.width), outputBias: [Double](repeating: 0, count: 11))
        let labels = Labelling(group: try FiniteGroup.named("C11"), composition: .rightToLeft)
        let acc = blind.evaluate(threads: 1, labels: labels.labels, sets: labels.sets)[0].accuracy
        #expect(abs(acc - (e["accuracy_without_biases"] as! Double)) < 1e-12)
        #expect(acc < 0.9)
        let (a, _, _) = try Self.analyze("c11-concat-relu-bias")
        #expect(a.accuracy == 1)
    }

    static func network(_ ck: Checkpoint, order n: Int, activation: Activation) throws -> MLPNetwork {
        let layout = try MLPFamily.concatenated(in: ck, order: n, request: LayoutRequest())
            ?? NetworkLocator.locate(in: ck, order: n)
        let concat = layout.u.elementOffset != nil
        let u = try NetworkLocator.elementMajor(layout.u, in: ck, rowOfElement: nil, count: n)
        let v = try NetworkLocator.elementMajor(layout.v!, in: ck, rowOfElement: nil, count: n)
        let w = try NetworkLocator.elementMajor(layout.w, in: ck, rowOfElement: nil)
        let m = layout.width
        let beta = concat ? try NetworkLocator.bias(of: layout.u.name, length: m, in: ck)?.doubleValues() : nil
        let betaOut = try NetworkLocator.bias(of: layout.w.name, length: n, in: ck)?.doubleValues()
        return MLPNetwork(order: n, width: m, activation: activation, u: u, v: v, w: w,
                          hiddenBias: beta ?? [Double](repeating: 0, count: m), outputBias: betaOut ?? [Double](repeating: 0, count: n))
    }
}

/// A checkpoint that stores its element order (`elements`, a list of permutations) is read in
/// that order without --elements (scripts/make_element_order_fixture.py shuffles data/'s S_4
/// network and stores the shuffled list): the numbers are the original's.
@Suite struct StoredElementOrderTests {
    @Test func theStoredOrderIsUsedAndSaidSo() throws {
        let shuffled = MLPFamilyTests.dir.deletingLastPathComponent().appendingPathComponent("s4-shuffled-elements.pt").path
        let original = FamilySeamTests.data("s4-quadratic-final.pt")
        let notes = NoteLog()
        var request = AnalysisRequest(task: .group("S4"))
        request.note = { notes.add($0) }
        guard case .group(let a, let layout) = try Analyzer.analyze(path: shuffled, request),
              case .group(let b, _) = try Analyzer.analyze(path: original, AnalysisRequest(task: .group("S4"))) else {
            Issue.record("not group analyses"); return
        }
        #expect(layout.elementOrder == "the checkpoint's metadata 'elements'")
        #expect(notes.lines.contains { $0.contains("using the element order stored in its metadata 'elements'") })
        #expect(a.accuracy == b.accuracy && a.margin == b.margin && a.normPowerNu == b.normPowerNu)
        #expect(a.neuronsPerComponent == b.neuronsPerComponent)
        for (x, y) in zip(a.neurons, b.neurons) { #expect(x.parts[0].maxNormalizedPower! == y.parts[0].maxNormalizedPower!) }
        // The same file read in the default order is a different (worse) network.
        var plain = AnalysisRequest(task: .group("S4"))
        plain.elementOrder = (try FiniteGroup.named("S4")).permutations
        guard case .group(let c, _) = try Analyzer.analyze(path: shuffled, plain) else { return }
        #expect(c.accuracy < 0.5)
    }
}
