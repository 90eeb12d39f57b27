import Checkpoints
import Foundation
import Groups
import Testing
@testable import Analysis

/// Transformers in the two layouts of docs/networks.md §6, written by torch with
/// scripts/make_transformer_fixtures.py; the expected numbers come from that script's numpy
/// forward pass (full causal attention at every position, float64), written from the
/// equations of the docs, not from the Swift code.
@Suite struct TransformerFamilyTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/transformer")
    nonisolated(unsafe) static let expected: [String: [String: Any]] = {
        let data = try! Data(contentsOf: dir.appendingPathComponent("expected.json"))
        let root = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        return root["networks"] as! [String: [String: Any]]
    }()
    static let names = ["pm-c7-relu", "pm-c11-gelu-2blocks", "tl-c11-ln-gelu_new-2blocks", "tl-s3-relu", "tl-c7-ln-gelu-module",
                        "tl-c5-ln1-lnfinal-gelu_new", "pm-c5-gelu"]

    static func request(_ e: [String: Any]) -> AnalysisRequest {
        var r = AnalysisRequest(task: .group(e["group"] as! String))
        if e["needs_activation_flag"] as! Bool { r.activation = Activation(name: e["activation"] as! String) }
        return r
    }

    static func close(_ x: Double, _ y: Double, _ tol: Double = 1e-9) -> Bool { abs(x - y) <= tol * max(1, abs(y)) }

    @Test(arguments: names)
    func accuracyMarginAndLossAreTheReferenceForwardPass(name: String) throws {
        let e = try #require(Self.expected[name])
        guard case .group(let a, let layout) = try Analyzer.analyze(path: Self.dir.appendingPathComponent(name + ".pt").path, Self.request(e)) else {
            Issue.record("not a group analysis"); return
        }
        // Correct pairs (JSONSerialization's doubles are not always the nearest double).
        #expect((a.accuracy * Double(a.order * a.order)).rounded() == ((e["accuracy"] as! Double) * Double(a.order * a.order)).rounded())
        #expect(Self.close(a.margin, e["margin"] as! Double), "\(a.margin) vs \(e["margin"]!)")
        let t = try #require(a.transformer)
        #expect(Self.close(try #require(t.loss), e["loss"] as! Double))
        #expect(t.layout == (e["layout"] as! String == "tl" ? .transformerLens : .progressMeasures))
        #expect(t.blocks == e["blocks"] as! Int && t.heads == e["heads"] as! Int && t.dHead == e["d_head"] as! Int)
        #expect(t.dMLP == e["d_mlp"] as! Int && t.dModel == e["d_model"] as! Int)
        #expect(t.layerNorm == e["layer_norm"] as! Bool)
        #expect(t.activation == e["activation"] as! String)
        #expect(a.roles == ["u", "w"] && a.width == e["d_mlp"] as! Int)
        #expect(a.bound.value == nil && a.bound.reason?.contains("transformer") == true)
        #expect(layout.kind.hasPrefix("transformer"))
        // The buffers are named as ignored, nothing else is.
        #expect(t.ignored.allSatisfy { $0.tensor.hasSuffix("attn.mask") || $0.tensor.hasSuffix("attn.IGNORE") })
        #expect(t.ignored.count >= t.blocks)
        // Attention of the last position: the shares to a and b are in [0, 1] and sum to ≤ 1, and
        // per head the reference's mean and standard deviation over pairs.
        #expect(t.headAttention.count == t.heads)
        #expect(t.headAttention.allSatisfy { $0.toAMean >= 0 && $0.toBMean >= 0 && $0.toAMean + $0.toBMean <= 1 + 1e-12 })
        let attention = e["head_attention"] as! [[Double]]
        for (h, ref) in zip(t.headAttention, attention) {
            #expect(Self.close(h.toAMean, ref[0]) && Self.close(h.toBMean, ref[2]), "head \(h.head) means")
            #expect(abs(h.toASD - ref[1]) <= 1e-9 && abs(h.toBSD - ref[3]) <= 1e-9, "head \(h.head) standard deviations")
        }
    }

    @Test(arguments: names)
    func logitsAndNeuronActivationsAreTheReference(name: String) throws {
        let e = try #require(Self.expected[name])
        let ck = try CheckpointLoader.load(path: Self.dir.appendingPathComponent(name + ".pt").path)
        let g = try FiniteGroup.named(e["group"] as! String)
        let net = try TransformerFamily.load(ck, order: g.order, request: Self.request(e)).network
        let n = g.order
        let f = net.logits(rows: 0..<n)
        let h = try #require(net.neuronActivations(rows: 0..<n))
        #expect(f.count == n * n * n && h.count == n * n * net.width)
        #expect(Self.close(f.reduce(0, +), e["logit_sum"] as! Double))
        #expect(Self.close(f.reduce(0) { $0 + $1 * $1 }, e["logit_square_sum"] as! Double))
        #expect(Self.close(h.reduce(0, +), e["hidden_sum"] as! Double))
        #expect(Self.close(h.reduce(0) { $0 + $1 * $1 }, e["hidden_square_sum"] as! Double))
        let picks = e["selected_pairs"] as! [Int]
        let logits = e["selected_logits"] as! [[Double]], hidden = e["selected_hidden"] as! [[Double]]
        for (k, p) in picks.enumerated() {
            for c in 0..<n { #expect(Self.close(f[p * n + c], logits[k][c]), "\(name) pair \(p) output \(c)") }
            for i in 0..<net.width { #expect(Self.close(h[p * net.width + i], hidden[k][i]), "\(name) pair \(p) neuron \(i)") }
            // A block of rows is the same pass: rows a..<a+1 give the pair's row of the full pass,
            // up to the rounding of OpenBLAS's dgemm, whose micro-kernel (and so its summation
            // order) depends on where a row falls in the block: 1e-13 relative.
            let a = p / n, b = p % n
            let one = net.logits(rows: a..<(a + 1))
            for c in 0..<n { #expect(abs(one[b * n + c] - f[p * n + c]) <= 1e-13 * max(1, abs(f[p * n + c]))) }
        }
    }

    @Test func twoTokenInputsLeaveTheEqualsTokenOut() throws {
        let e = try #require(Self.expected["pm-c7-relu"])
        let ref = e["no_equals"] as! [String: Any]
        let ck = try CheckpointLoader.load(path: Self.dir.appendingPathComponent("pm-c7-relu.pt").path)
        var r = Self.request(e)
        r.twoTokenInput = true
        let net = try TransformerFamily.load(ck, order: 7, request: r).network
        #expect(net.equalsToken == nil)
        let f = net.logits(rows: 0..<7)
        #expect(Self.close(f.reduce(0, +), ref["logit_sum"] as! Double))
        #expect(Self.close(f.reduce(0) { $0 + $1 * $1 }, ref["logit_square_sum"] as! Double))
        let picks = e["selected_pairs"] as! [Int], logits = ref["selected_logits"] as! [[Double]]
        for (k, p) in picks.enumerated() { for c in 0..<7 { #expect(Self.close(f[p * 7 + c], logits[k][c])) } }
    }

    @Test func theActivationComesFromTheConfigOrTheRequest() throws {
        // The module-prefixed fixture has no config: ReLU by default, its own GELU by request.
        let path = Self.dir.appendingPathComponent("tl-c7-ln-gelu-module.pt").path
        let ck = try CheckpointLoader.load(path: path)
        let plain = try TransformerFamily.load(ck, order: 7, request: AnalysisRequest(task: .group("C7")))
        #expect(plain.network.activation == .relu && plain.summary.activationSource == "default")
        #expect(plain.summary.prefix == "module.")
        let cfg = try TransformerFamily.load(try CheckpointLoader.load(path: Self.dir.appendingPathComponent("tl-c11-ln-gelu_new-2blocks.pt").path),
                                             order: 11, request: AnalysisRequest(task: .group("C11")))
        #expect(cfg.network.activation == .geluTanh && cfg.summary.activationSource.contains("config"))
        #expect(cfg.summary.prefix == "state_dict.")
    }

    /// Both routes: the general one (two blocks, LayerNorm; C_11 is one block of rows) and the
    /// tabulated one-block route on the trained p = 53 network (blocks of 9 rows: six blocks).
    @Test(arguments: [("tl-c11-ln-gelu_new-2blocks", "C11"), ("transformer-p53-final", "C53")])
    func theForwardPassDoesNotDependOnTheNumberOfThreads(name: String, group: String) throws {
        let path = name.hasPrefix("transformer-") ? TrainedTransformerTests.data.appendingPathComponent(name + ".pt").path
            : Self.dir.appendingPathComponent(name + ".pt").path
        let g = try FiniteGroup.named(group)
        let net = try TransformerFamily.load(try CheckpointLoader.load(path: path), order: g.order, request: AnalysisRequest(task: .group(group))).network
        #expect((net.single != nil) == (group == "C53"))
        let labels = Labelling(group: g, composition: .rightToLeft).labels
        let one = net.evaluate(threads: 1, labels: labels, sets: 1)
        let loss = try #require(net.statistics.loss)
        let four = net.evaluate(threads: 4, labels: labels, sets: 1)
        #expect(one[0].accuracy == four[0].accuracy && one[0].margin == four[0].margin && net.statistics.loss == loss)
    }

    @Test func anEqualsTokenOutsideTheVocabularyIsAClearError() throws {
        let path = Self.dir.appendingPathComponent("pm-c7-relu.pt").path
        var r = AnalysisRequest(task: .group("C7"))
        r.equalsToken = 8
        #expect { _ = try TransformerFamily.load(try CheckpointLoader.load(path: path), order: 7, request: r) } throws: { e in
            "\(e)".contains(path) && "\(e)".contains("= token id 8") && "\(e)".contains("8 tokens")
        }
        // A group larger than the vocabulary.
        #expect { _ = try TransformerFamily.load(try CheckpointLoader.load(path: path), order: 11, request: AnalysisRequest(task: .group("C11"))) } throws: { e in
            "\(e)".contains("fewer than the 11 group elements")
        }
    }
}

/// The transformer trained by examples/train/train_transformer_modadd.py (data/README.md):
/// accuracy and the embedding's key frequencies pinned against scripts/transformer_expected.py
/// (numpy: its own forward pass and np.fft on W_E).
@Suite struct TrainedTransformerTests {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data")
    nonisolated(unsafe) static let expected: [String: Any] = {
        let d = try! Data(contentsOf: data.appendingPathComponent("expected/transformer-p53.json"))
        return try! JSONSerialization.jsonObject(with: d) as! [String: Any]
    }()

    @Test(arguments: ["final", "init"])
    func accuracyAndKeyFrequencies(which: String) throws {
        let e = try #require(Self.expected[which] as? [String: Any])
        let path = Self.data.appendingPathComponent("transformer-p53-\(which).pt").path
        guard case .group(let a, _) = try Analyzer.analyze(path: path, AnalysisRequest(task: .group("C53"))) else {
            Issue.record("not a group analysis"); return
        }
        #expect((a.accuracy * 2809).rounded() == ((e["accuracy"] as! Double) * 2809).rounded())
        let t = try #require(a.transformer)
        #expect(t.layout == .progressMeasures && t.prefix == "model.")
        let emb = try #require(t.embedding)
        #expect(emb.key == (e["key_frequencies"] as! [Int]).map(String.init))
        let shares = e["key_shares"] as! [Double]
        for (k, label) in emb.key.enumerated() {
            #expect(abs(emb.shares[emb.labels.firstIndex(of: label)!] - shares[k]) <= 1e-9)
        }
        if which == "final" {
            #expect(a.accuracy == 1 && emb.key.count <= 6, "sparse key frequencies, 100% accuracy (progress-measures paper)")
        }
    }
}
