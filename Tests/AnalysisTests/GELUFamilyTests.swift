import Checkpoints
import Foundation
import Groups
import Testing
@testable import Analysis

/// GELU in the one-hidden-layer families (`--activation gelu` / `gelu_new`): tiny networks
/// trained by torch with F.gelu (erf) and its tanh approximation, written by
/// scripts/make_gelu_mlp_fixtures.py; the expected numbers — every logit, the accuracy and the
/// margin — come from that script's numpy forward pass written from
/// f(a,b)[c] = Σ_i σ(u_i[a] + v_i[b] + β_i)·w_i[c] + β′_c with σ(x) = x/2·(1 + erf(x/√2)), or
/// x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
@Suite struct GELUFamilyTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mlp-gelu")
    nonisolated(unsafe) static let expected: [String: [String: Any]] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        return (try! JSONSerialization.jsonObject(with: data) as! [String: Any])["networks"] as! [String: [String: Any]]
    }()
    static let names = ["c7-concat-gelu-bias", "c7-concat-gelu_new-bias", "c5-embeddings-gelu", "c5-embeddings-gelu_new"]

    /// The network as its family builds it (file order), with activation σ.
    static func network(_ name: String, _ activation: Activation) throws -> any GroupTaskNetwork {
        let e = try #require(expected[name])
        let ck = try CheckpointLoader.load(path: dir.appendingPathComponent(name + ".pt").path)
        let n = Int((e["group"] as! String).dropFirst())!
        if e["family"] as! String == "MLP" { return try MLPFamilyTests.network(ck, order: n, activation: activation) }
        let layout = try NetworkLocator.locate(in: ck, order: n)
        let (u, v) = try NetworkLocator.inputs(layout, in: ck, rowOfElement: nil)
        let w = try NetworkLocator.elementMajor(layout.w, in: ck, rowOfElement: nil)
        return GroupNetwork(order: n, width: layout.width, activation: activation, u: u, v: v, w: w)
    }

    @Test(arguments: names)
    func accuracyAndMarginAreTheReference(name: String) throws {
        let e = try #require(Self.expected[name])
        var r = AnalysisRequest(task: .group(e["group"] as! String))
        r.activation = Activation(name: e["activation"] as! String)
        #expect(r.activation == (name.contains("gelu_new") ? .geluTanh : .gelu))
        guard case .group(let a, let layout) = try Analyzer.analyze(path: Self.dir.appendingPathComponent(name + ".pt").path, r) else {
            Issue.record("not a group analysis"); return
        }
        let pairs = Double(a.order * a.order)
        #expect((a.accuracy * pairs).rounded() == ((e["accuracy"] as! Double) * pairs).rounded())
        let margin = e["margin"] as! Double
        #expect(abs(a.margin - margin) <= 1e-9 * max(1, abs(margin)), "\(a.margin) vs \(margin)")
        #expect(a.activation == r.activation && a.width == e["width"] as! Int && a.roles == ["u", "v", "w"])
        #expect(a.bound.value == nil, "GELU is not homogeneous: no γ*")
        // The concatenated fixtures are the MLP family's (biases read), the embeddings the paper's layout.
        #expect((e["family"] as! String == "MLP") == !layout.biases.isEmpty)
    }

    @Test(arguments: names)
    func everyLogitIsTheReference(name: String) throws {
        let e = try #require(Self.expected[name])
        let act = Activation(name: e["activation"] as! String)!
        let net = try Self.network(name, act)
        let n = net.order
        let f = net.logits(rows: 0..<n), ref = e["logits"] as! [Double]
        #expect(f.count == ref.count)
        for k in ref.indices { #expect(abs(f[k] - ref[k]) <= 1e-9 * max(1, abs(ref[k])), "\(name) logit \(k)") }
        // The fixtures tell the two GELUs apart: the other one misses the reference.
        let other = try Self.network(name, act == .gelu ? .geluTanh : .gelu).logits(rows: 0..<n)
        #expect(zip(other, ref).map { abs($0 - $1) }.max()! > 1e-6)
    }
}
