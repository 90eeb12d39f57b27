import Checkpoints
import Foundation
import Groups
import Testing
@testable import Analysis

/// The transformer's forward pass as the analysis uses it (issue 12): one pass yielding logits
/// and MLP activations, both readouts of the one-block route, the statistics recorded without
/// `evaluate`, and the per-pair logit kernel. Expected numbers from
/// scripts/make_transformer_fixtures.py's numpy reference (TransformerFamilyTests) or from
/// first principles.
@Suite struct TransformerPassTests {
    static let dir = TransformerFamilyTests.dir
    static func close(_ x: Double, _ y: Double, _ tol: Double = 1e-9) -> Bool { abs(x - y) <= tol * max(1, abs(y)) }

    static func network(_ name: String, readout: TransformerNetwork.Readout = .automatic) throws -> (TransformerNetwork, [String: Any]) {
        let e = try #require(TransformerFamilyTests.expected[name])
        let ck = try CheckpointLoader.load(path: dir.appendingPathComponent(name + ".pt").path)
        let g = try FiniteGroup.named(e["group"] as! String)
        let loaded = try TransformerFamily.load(ck, order: g.order, request: TransformerFamilyTests.request(e)).network
        let net = TransformerNetwork(order: loaded.order, weights: loaded.weights, activation: loaded.activation,
                                     tokenOfElement: loaded.tokenOfElement, equalsToken: loaded.equalsToken, readout: readout)
        return (net, e)
    }

    /// The reference's sums and selected pairs, for logits and (when given) activations.
    static func expectReference(_ f: [Double], _ h: [Double]?, _ e: [String: Any], n: Int, width: Int, _ what: String) {
        #expect(close(f.reduce(0, +), e["logit_sum"] as! Double), "\(what) logit sum")
        #expect(close(f.reduce(0) { $0 + $1 * $1 }, e["logit_square_sum"] as! Double), "\(what) logit squares")
        let picks = e["selected_pairs"] as! [Int], logits = e["selected_logits"] as! [[Double]]
        for (k, p) in picks.enumerated() { for c in 0..<n { #expect(close(f[p * n + c], logits[k][c]), "\(what) pair \(p) output \(c)") } }
        guard let h else { return }
        #expect(close(h.reduce(0, +), e["hidden_sum"] as! Double), "\(what) hidden sum")
        let hidden = e["selected_hidden"] as! [[Double]]
        for (k, p) in picks.enumerated() { for i in 0..<width { #expect(close(h[p * width + i], hidden[k][i]), "\(what) pair \(p) neuron \(i)") } }
    }

    @Test(arguments: TransformerFamilyTests.names)
    func onePassYieldsLogitsAndActivations(name: String) throws {
        let (net, e) = try Self.network(name)
        let n = net.order, m = net.width
        let both = net.forward(rows: 0..<n, activations: true)
        let h = try #require(both.activations)
        #expect(both.logits.count == n * n * n && h.count == n * n * m)
        Self.expectReference(both.logits, h, e, n: n, width: m, name)
        // Asking for the activations does not change the logits, and the pieces are the same pass.
        #expect(net.forward(rows: 0..<n, activations: false).logits == both.logits)
        #expect(net.forward(rows: 0..<n, activations: false).activations == nil)
        #expect(net.logits(rows: 0..<n) == both.logits && net.neuronActivations(rows: 0..<n) == h)
        // Blocks of rows into caller memory give the full pass's numbers (1e-13: dgemm's rounding
        // may depend on where a row falls in a block).
        let split = max(1, n / 3)
        var f = [Double](repeating: .nan, count: n * n * n), a = [Double](repeating: .nan, count: n * n * m)
        f.withUnsafeMutableBufferPointer { fb in a.withUnsafeMutableBufferPointer { ab in
            for rows in [0..<split, split..<n] {
                net.forward(rows: rows, logits: fb.baseAddress! + rows.lowerBound * n * n, activations: ab.baseAddress! + rows.lowerBound * n * m)
            }
        } }
        for k in f.indices { #expect(abs(f[k] - both.logits[k]) <= 1e-13 * max(1, abs(both.logits[k]))) }
        for k in a.indices { #expect(abs(a[k] - h[k]) <= 1e-13 * max(1, abs(h[k]))) }
    }

    /// The one-block route (one block, no LN2) reads the logits out fused, through W_Uᵀ W_out,
    /// or through the residual stream and LN_final: both are the reference's numbers.
    @Test(arguments: ["pm-c7-relu", "tl-s3-relu", "pm-c5-gelu"])
    func bothReadoutsOfTheOneBlockRouteAreTheReference(name: String) throws {
        for readout in [TransformerNetwork.Readout.fused, .residual] {
            let (net, e) = try Self.network(name, readout: readout)
            let t = try #require(net.single)
            #expect(t.fused == (readout == .fused))
            let r = net.forward(rows: 0..<net.order, activations: true)
            Self.expectReference(r.logits, r.activations, e, n: net.order, width: net.width, "\(name) \(readout)")
        }
        // With a final LayerNorm only the residual readout applies.
        let (ln, _) = try Self.network("tl-c5-ln1-lnfinal-gelu_new")
        #expect(ln.single?.fused == false)
        // Two blocks, or LN2: the general route.
        #expect(try Self.network("pm-c11-gelu-2blocks").0.single == nil && Self.network("tl-c7-ln-gelu-module").0.single == nil)
    }

    /// Without `evaluate`: a pass records the head attention (what `evaluate` records), and
    /// `recordLoss` the loss from the pass's logits (the reference's mean cross-entropy).
    @Test(arguments: ["pm-c7-relu", "tl-s3-relu", "pm-c11-gelu-2blocks", "tl-c5-ln1-lnfinal-gelu_new"])
    func theStatisticsComeFromAnyPass(name: String) throws {
        let (net, e) = try Self.network(name)
        let n = net.order
        let labels = Labelling(group: try FiniteGroup.named(e["group"] as! String), composition: .rightToLeft, bothConventions: false).labels
        #expect(net.statistics.loss == nil && net.statistics.headAttention.isEmpty)
        let half = max(1, n / 2)
        let first = net.forward(rows: 0..<half, activations: false)
        #expect(net.statistics.headAttention.isEmpty, "rows \(half)..<\(n) not yet measured")
        net.recordLoss(rows: 0..<half, logits: first.logits, labels: labels)
        #expect(net.statistics.loss == nil)
        let second = net.forward(rows: half..<n, activations: true)
        net.recordLoss(rows: half..<n, logits: second.logits, labels: labels)
        let loss = try #require(net.statistics.loss)
        #expect(Self.close(loss, e["loss"] as! Double))
        let attention = net.statistics.headAttention
        #expect(attention.count == net.weights.heads)
        // A pass over rows already measured replaces their numbers: nothing counts twice.
        _ = net.logits(rows: 0..<half)
        #expect(net.statistics.headAttention.map(\.toA.mean) == attention.map(\.toA.mean))
        // `evaluate` measures the same.
        let (fresh, _) = try Self.network(name)
        _ = fresh.evaluate(threads: 2, labels: labels, sets: 1)
        #expect(Self.close(try #require(fresh.statistics.loss), loss, 1e-13))
        for (x, y) in zip(fresh.statistics.headAttention, attention) {
            #expect(Self.close(x.toA.mean, y.toA.mean, 1e-13) && Self.close(x.toB.mean, y.toB.mean, 1e-13))
            #expect(abs(x.toA.sd - y.toA.sd) <= 1e-9 && abs(x.toB.sd - y.toB.sd) <= 1e-9)
            #expect(x.toA.mean >= 0 && x.toB.mean >= 0 && x.toA.mean + x.toB.mean <= 1 + 1e-12)
        }
    }

    /// The analysis reports the loss whichever pass measured it: with the attribution on, the
    /// attribution's own loss is the same mean cross-entropy as the reference's.
    @Test func theReportedLossIsTheReferenceWithAndWithoutTheAttribution() throws {
        let e = try #require(TransformerFamilyTests.expected["tl-s3-relu"])
        for attribution in [false, true] {
            var r = TransformerFamilyTests.request(e)
            r.attribution = attribution ? AttributionOptions() : nil
            guard case .group(let a, _) = try Analyzer.analyze(path: Self.dir.appendingPathComponent("tl-s3-relu.pt").path, r) else {
                Issue.record("not a group analysis"); return
            }
            let t = try #require(a.transformer)
            #expect(Self.close(try #require(t.loss), e["loss"] as! Double), "attribution \(attribution)")
            #expect(t.headAttention.count == t.heads)
            if let at = a.attribution { #expect(Self.close(at.loss, e["loss"] as! Double)) }
        }
    }

    /// The per-pair kernel: the largest logit, its first index, the largest of the others (the
    /// rule of the scalar loop it replaces: ties give second = top, NaN is never taken) and
    /// Σ exp(x − max) against Foundation's exp.
    @Test func theLogitRowKernel() {
        func measure(_ row: [Double]) -> (top: Double, arg: Int, second: Double, sum: Double) {
            let r = LogitRows(capacity: 1)
            defer { r.deallocate() }
            row.withUnsafeBufferPointer { r.measure($0.baseAddress!, 1, row.count) }
            return (r.top[0], Int(r.arg[0]), r.second[0], r.sumExp[0])
        }
        let tie = measure([1, 3, 3, 2])
        #expect(tie.top == 3 && tie.arg == 1 && tie.second == 3)
        let one = measure([5])
        #expect(one.top == 5 && one.arg == 0 && one.second == -.infinity && one.sum == 1)
        let nan = measure([.nan, 1, 0, .nan, -1, -2, -3, -4, -5, 0.5])
        #expect(nan.top == 1 && nan.arg == 1 && nan.second == 0.5)
        let none = measure([-.infinity, -.infinity, -.infinity])
        #expect(none.top == -.infinity && none.arg == 0 && none.second == -.infinity)
        // The largest in the tail beyond the eight-lane part, the runner-up in a lane.
        var long = (0..<21).map { Double($0 % 5) }
        long[19] = 7; long[3] = 6.5
        let l = measure(long)
        #expect(l.top == 7 && l.arg == 19 && l.second == 6.5)
        // Equal largest values in two lanes and the tail: the first index.
        let lanes = measure([0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 9])
        #expect(lanes.top == 9 && lanes.arg == 2 && lanes.second == 9)
        // Σ exp(x − max) within 1e-15 of the plain sum, rows of 1 … 40 values over 60 units,
        // and far below the largest (terms under e^−708 count 0, next to the 1 of the maximum).
        var seed: UInt64 = 12
        func uniform() -> Double { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Double(seed >> 11) / Double(1 << 53) }
        for count in 1...40 {
            let row = (0..<count).map { _ in 60 * uniform() - 30 }
            let top = row.max()!
            let plain = row.reduce(0.0) { $0 + Foundation.exp($1 - top) }
            #expect(abs(measure(row).sum - plain) <= 1e-15 * plain, "\(count) values")
        }
        let far: [Double] = [0, -720, -1000, -.infinity, -708.1, -707, -30]
        let farSum = far.reduce(0.0) { $0 + Foundation.exp($1) }
        #expect(abs(measure(far).sum - farSum) <= 1e-15 * farSum)
    }
}
