import Foundation
import Testing
@testable import Analysis
import Checkpoints
import Groups

/// A network whose logits are given directly: f(a, b)[c] = `f(a, b, c)` (no weights, no hidden
/// layer), for the closed-form cases of docs/attribution.md.
struct LogitNetwork: GroupTaskNetwork {
    let order: Int
    var width: Int { 0 }
    var activation: Activation { .quadratic }
    var roles: [WeightRole] { [] }
    let f: @Sendable (Int, Int, Int) -> Double
    func logits(rows: Range<Int>) -> [Double] {
        let n = order
        var out = [Double](repeating: 0, count: rows.count * n * n)
        for (r, a) in rows.enumerated() { for b in 0..<n { for c in 0..<n { out[(r * n + b) * n + c] = f(a, b, c) } } }
        return out
    }
}

/// The real-valued characters of a group's components, in the analysis' order, built here
/// from the character table (for the cyclic group: 2cos as docs/attribution.md §2 writes).
func componentCharacters(_ g: FiniteGroup) -> [[Double]] {
    Attribution.characters(g, cyclic: g.isCyclic).values
}

func attribution(_ net: any GroupTaskNetwork, _ g: FiniteGroup, threshold: Double = 0.005, pairs: PairList? = nil,
                 composition: Composition = .rightToLeft, threads: Int = 2) -> Attribution {
    var o = AttributionOptions()
    o.threshold = threshold
    o.pairs = pairs
    return Attribution.compute(network: net, group: g, composition: composition, options: o, threads: threads)!
}

@Suite struct AttributionClosedForms {
    /// Logits β_ρ T_ρ(a·b·c⁻¹) summed over chosen components, plus a term constant in c (which
    /// centering removes): s_ρ = β_ρ ‖T_ρ‖ / √(Σ_σ β_σ² ‖T_σ‖²), with ‖T_ρ‖² = |G|² Σ_g T_ρ(g)²;
    /// the key set is the chosen components, Σ s² = 1, and the excluded logits vanish (excluded
    /// loss log |G|) while the restricted ones are the centered logits (restricted loss = loss).
    @Test(arguments: [("C7", [1: 1.0, 3: -0.5]), ("C8", [2: 0.7, 4: 1.3]), ("S4", [1: 1.0, 2: 2.0, 4: 0.3]),
                      ("A4", [1: 0.8, 2: 1.1]), ("D5", [2: 1.5, 3: 0.4]), ("S3xC2", [1: 0.6, 4: 1.0])])
    func sumOfCubesHasClosedFormSimilarities(name: String, beta: [Int: Double]) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order
        let T = componentCharacters(g)
        let table = g.multiplicationTable, inv = g.inverses
        let net = LogitNetwork(order: n) { a, b, c in
            let x = table[table[a, b], Int(inv[c])]
            return beta.reduce(0.0) { $0 + $1.value * T[$1.key][x] } + 0.25 * Double(a + 2 * b)
        }
        let r = attribution(net, g)
        let norms = T.map { t in (Double(n * n) * t.reduce(0) { $0 + $1 * $1 }).squareRoot() }
        let total = beta.reduce(0.0) { $0 + $1.value * $1.value * norms[$1.key] * norms[$1.key] }.squareRoot()
        for c in r.components {
            let expected = (beta[c.component] ?? 0) * norms[c.component] / total
            #expect(abs(c.logitSimilarity - expected) < 1e-12, "\(name) component \(c.component)")
        }
        #expect(Set(r.keyComponents) == Set(beta.filter { $0.value > 0 }.keys))
        let sumSquares = r.components.reduce(0.0) { $0 + $1.logitSimilarity * $1.logitSimilarity }
        #expect(abs(sumSquares - 1) < 1e-12)
        if beta.values.allSatisfy({ $0 > 0 }) {
            #expect(abs(r.excludedLoss - log(Double(n))) < 1e-12)
            #expect(abs(r.restrictedLoss - r.loss) < 1e-12)
        }
    }

    /// On C_p the cube of frequency k has ‖T_k‖² = 2p³ (docs/attribution.md §3), and the
    /// per-component restricted logits of a one-frequency network are the whole centered logits.
    @Test func cyclicCubeNorm() throws {
        let p = 11
        let g = try FiniteGroup.named("C\(p)")
        let T = componentCharacters(g)
        for k in 1...5 { #expect(abs(Double(p * p) * T[k].reduce(0) { $0 + $1 * $1 } - 2 * Double(p * p * p)) < 1e-9) }
        let net = LogitNetwork(order: p) { a, b, c in 3 * cos(2 * Double.pi * Double(2 * (a + b - c)) / Double(p)) }
        let r = attribution(net, g)
        #expect(r.keyComponents == [2])
        #expect(abs(r.components[2].logitSimilarity - 1) < 1e-12)
        #expect(abs(r.components[2].restrictedLoss - r.loss) < 1e-12)
        #expect(abs(r.components[2].excludedLoss - log(Double(p))) < 1e-12)
        // Another component's restricted logits are zero: loss log p.
        #expect(abs(r.components[1].restrictedLoss - log(Double(p))) < 1e-12)
    }

    /// Theorem 7's network (f = Σ_ζ 8 cos(2πζ(a+b−c)/p)): every frequency is key with
    /// s_ζ = √(2/(p−1)), restricted = centered logits; each neuron (u+v)², u = cos(θ_u + ζa),
    /// v = cos(θ_v + ζb) has frequency ζ, fraction 1/(1 + 1/8 + 1/8) = 0.8 of its variance in the
    /// blocks (ζ,0), (0,ζ), (ζ,ζ) and product share 0.5/1.25 = 0.4; embedding share 2/(p−1) each.
    @Test(arguments: [7, 11, 13])
    func theorem7Construction(p: Int) throws {
        let g = try FiniteGroup.named("C\(p)")
        let net = theorem7Network(p: p, scale: 0.37)
        let r = attribution(net, g)
        #expect(r.keyComponents == Array(1...((p - 1) / 2)))
        for c in r.components.dropFirst() {
            #expect(abs(c.logitSimilarity - (2 / Double(p - 1)).squareRoot()) < 1e-12)
            #expect(abs(c.embeddingShare! - 2 / Double(p - 1)) < 1e-12)
            #expect(abs(c.unembeddingShare! - 2 / Double(p - 1)) < 1e-12)
            #expect(c.neurons == 16)
        }
        #expect(abs(r.restrictedLoss - r.loss) < 1e-12)
        #expect(r.restrictedLoss <= r.loss + 1e-12)
        #expect(abs(r.excludedLoss - log(Double(p))) < 1e-12)
        let quarter = 16
        for (i, h) in r.hidden!.enumerated() {
            #expect(h.component == 1 + i / quarter)
            #expect(abs(h.fraction! - 0.8) < 1e-12)
            #expect(abs(h.productShare! - 0.4) < 1e-12)
        }
    }

    /// Theorem 9's construction f = Σ_ρ d_ρ χ_ρ(a b c⁻¹): s_ρ = d_ρ / √(|G| − 1) for every
    /// non-trivial ρ (‖T_ρ‖² = |G|³ for real irreps), all key, restricted = centered logits.
    @Test(arguments: ["S3", "S4", "D5"])
    func theorem9Construction(name: String) throws {
        let g = try FiniteGroup.named(name)
        let r = attribution(theorem9Network(g), g)
        let comps = g.characterTable.realComponents
        #expect(r.keyComponents == Array(1..<comps.count))
        for c in r.components.dropFirst() {
            #expect(abs(c.logitSimilarity - Double(comps[c.component].degree) / Double(g.order - 1).squareRoot()) < 1e-12)
        }
        #expect(abs(r.restrictedLoss - r.loss) < 1e-12)
        #expect(abs(r.excludedLoss - log(Double(g.order))) < 1e-12)
        #expect(r.hidden!.allSatisfy { $0.component != nil && $0.fraction! <= 1 + 1e-12 })
    }
}

@Suite struct AttributionIdentities {
    static func randomNetwork(_ n: Int, width m: Int, activation: Activation, seed: UInt64) -> GroupNetwork {
        var state = seed
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        let u = (0..<(n * m)).map { _ in next() }, v = (0..<(n * m)).map { _ in next() }, w = (0..<(n * m)).map { _ in next() }
        return GroupNetwork(order: n, width: m, activation: activation, u: u, v: v, w: w)
    }

    /// `randomNetwork` with its unembedding scaled by `scale`, and the number of pairs whose
    /// logits then span more than 300 (those take the attribution's direct route).
    static func scaledNetwork(_ n: Int, width m: Int, activation: Activation, seed: UInt64, scale: Double) -> (GroupNetwork, wide: Int) {
        let base = randomNetwork(n, width: m, activation: activation, seed: seed)
        let net = GroupNetwork(order: n, width: m, activation: activation, u: base.u, v: base.v, w: base.w.map { $0 * scale })
        let f = net.logits(rows: 0..<n)
        let wide = (0..<(n * n)).filter { p in
            let row = f[(p * n)..<((p + 1) * n)]
            return row.max()! - row.min()! > 300
        }.count
        return (net, wide)
    }

    /// Σ s² ≤ 1 (strictly, for a generic network); the blocks (ρ, σ) of each neuron's power over
    /// G × G sum to its variance (Plancherel on the product group); the product shares sum to at
    /// most 1; results do not depend on the number of threads.
    @Test(arguments: ["C9", "C10", "S4", "D5", "A4"])
    func identitiesOnARandomNetwork(name: String) throws {
        let g = try FiniteGroup.named(name)
        let net = Self.randomNetwork(g.order, width: 13, activation: .relu, seed: 7)
        let r = attribution(net, g, threads: 1)
        let sumSquares = r.components.reduce(0.0) { $0 + $1.logitSimilarity * $1.logitSimilarity }
        #expect(sumSquares < 1 - 1e-6)
        #expect(abs(r.components[0].logitSimilarity) < 1e-12)
        let K = r.components.count
        let blocks = r.blockPowers!
        // Variance of each neuron from the activations directly.
        let h = net.neuronActivations(rows: 0..<g.order)!
        let n = g.order, m = net.width
        for i in 0..<m {
            var mean = 0.0
            for p in 0..<(n * n) { mean += h[p * m + i] }
            mean /= Double(n * n)
            var variance = 0.0
            for p in 0..<(n * n) { variance += (h[p * m + i] - mean) * (h[p * m + i] - mean) }
            let sum = blocks[(i * K * K)..<((i + 1) * K * K)].reduce(0, +)
            #expect(abs(sum - variance) < 1e-10 * variance, "\(name) neuron \(i)")
            #expect(abs(blocks[i * K * K]) < 1e-10 * variance)
            let shares = r.hidden![i].productShares
            #expect(shares.reduce(0, +) <= 1 + 1e-12)
            #expect(abs(shares[0]) < 1e-12)
        }
        let other = attribution(net, g, threads: 2)
        #expect(other.components.map(\.excludedLoss) == r.components.map(\.excludedLoss))
        #expect(other.loss == r.loss)
    }

    /// Restricted + excluded = centered logits: when every component is key the excluded logits
    /// are what no cube explains — for a network in the span they vanish (above); for a
    /// threshold of 0 and a generic network the restricted logits are the projection on the
    /// span of all cubes, so each per-component restricted and excluded loss is that of L̃
    /// split into α_ρ T_ρ and the rest, checked here by recomputing both from the logits.
    /// Weights scaled by 12 make logits in the hundreds: the library's direct log-sum-exp route
    /// (instead of the factored one) must give the same numbers.
    @Test(arguments: [1.0, 12.0])
    func restrictedPlusExcludedIsCentered(scale: Double) throws {
        let g = try FiniteGroup.named("S3")
        let n = g.order
        let base = Self.randomNetwork(n, width: 5, activation: .quadratic, seed: 3)
        let net = GroupNetwork(order: n, width: 5, activation: .quadratic, u: base.u.map { $0 * scale }, v: base.v.map { $0 * scale },
                               w: base.w.map { $0 * scale })
        let r = attribution(net, g, threshold: 0)
        let T = componentCharacters(g)
        let table = g.multiplicationTable, inv = g.inverses
        let L = net.logits(rows: 0..<n)
        // α_ρ from the similarity: α = s ‖L̃‖ / ‖T‖.
        var normL = 0.0
        var centered = L
        for p in 0..<(n * n) {
            let mean = (0..<n).reduce(0.0) { $0 + L[p * n + $1] } / Double(n)
            for c in 0..<n { centered[p * n + c] -= mean; normL += centered[p * n + c] * centered[p * n + c] }
        }
        normL = normL.squareRoot()
        var restricted = [Double](repeating: 0, count: n * n * n)
        for comp in r.components where comp.key {
            let tn = (Double(n * n) * T[comp.component].reduce(0) { $0 + $1 * $1 }).squareRoot()
            let alpha = comp.logitSimilarity * normL / tn
            for a in 0..<n { for b in 0..<n { for c in 0..<n {
                restricted[(a * n + b) * n + c] += alpha * T[comp.component][table[table[a, b], Int(inv[c])]]
            } } }
        }
        func ce(_ x: ArraySlice<Double>, _ y: Int) -> Double {
            let mx = x.max()!
            return mx + log(x.reduce(0.0) { $0 + exp($1 - mx) }) - x[x.startIndex + y]
        }
        var rl = 0.0, el = 0.0
        for a in 0..<n { for b in 0..<n {
            let p = (a * n + b) * n
            let y = table[a, b]
            rl += ce(restricted[p..<(p + n)], y)
            let e = (0..<n).map { centered[p + $0] - restricted[p + $0] }
            el += ce(e[...], y)
        } }
        #expect(abs(rl / Double(n * n) - r.restrictedLoss) < 1e-12 * max(1, abs(r.restrictedLoss)))
        #expect(abs(el / Double(n * n) - r.excludedLoss) < 1e-12 * max(1, abs(r.excludedLoss)))
        if scale > 1 {
            let range = (0..<(n * n)).map { p in (0..<n).map { centered[p * n + $0] }.max()! - (0..<n).map { centered[p * n + $0] }.min()! }
            #expect(range.max()! > 300, "the scaled network should exercise the direct route")
        }
    }
}

/// The numpy reference (scripts/attribution_reference.py, brute force over |G|³ from the
/// definitions; outputs in data/expected/attribution-*.json) against the library, to 1e-9.
@Suite struct AttributionReference {
    /// `group` and `activation` nil: the ones the checkpoint itself names.
    @discardableResult
    static func check(_ file: String, group: String?, activation: Activation?, pairs: String?) throws -> GroupAnalysis {
        // A checkpoint in a run directory ("run/step") has its numbers in attribution-run--step.json.
        let ref = try TrainedData.expected("attribution-" + file.replacingOccurrences(of: "/", with: "--"))
        var request = AnalysisRequest(task: group.map { .group($0) } ?? .inferredGroup)
        request.activation = activation
        request.attribution?.pairsFile = pairs.map { TrainedData.path($0) }
        guard case .group(let a, _) = try Analyzer.analyze(path: TrainedData.path(file + ".pt"), request),
              let r = a.attribution else { throw AnalysisError("no attribution") }
        func close(_ x: Double?, _ y: Any?, _ what: String) {
            let e = (y as! NSNumber).doubleValue
            #expect(abs(x! - e) <= 1e-9 * max(1, abs(e)), "\(file) \(what): \(x!) vs \(e)")
        }
        close(r.loss, ref["loss"], "loss")
        close(r.restrictedLoss, ref["restricted_loss"], "restricted loss")
        close(r.excludedLoss, ref["excluded_loss"], "excluded loss")
        let label = ComponentLabel.labeller(cyclic: a.isCyclic, labels: a.componentLabels)
        let refKey = (ref["key_components"] as! [Any]).map { "\($0)" }
        #expect(r.keyComponents.map { label($0).description } == refKey)
        for (c, e) in zip(r.components, ref["components"] as! [[String: Any]]) {
            #expect(label(c.component).description == "\(e["label"]!)")
            close(c.logitSimilarity, e["logit_similarity"], "s \(c.component)")
            close(c.restrictedLoss, e["restricted_loss"], "restricted \(c.component)")
            close(c.excludedLoss, e["excluded_loss"], "excluded \(c.component)")
            close(c.embeddingShare, e["embedding_share"], "embedding \(c.component)")
            close(c.unembeddingShare, e["unembedding_share"], "unembedding \(c.component)")
            #expect(c.neurons == (e["neurons"] as! Int))
            if pairs != nil {
                close(c.restrictedLossOnPairs, e["restricted_loss_on_pairs"], "restricted on pairs \(c.component)")
                close(c.excludedLossOnPairs, e["excluded_loss_on_pairs"], "excluded on pairs \(c.component)")
            }
        }
        if pairs != nil {
            let p = ref["pairs"] as! [String: Any]
            #expect(r.onPairs!.count == p["count"] as! Int)
            close(r.onPairs!.loss, p["loss"], "loss on pairs")
            close(r.onPairs!.restrictedLoss, p["restricted_loss"], "restricted loss on pairs")
            close(r.onPairs!.excludedLoss, p["excluded_loss"], "excluded loss on pairs")
            // The pairs the list leaves out: their number and the network's loss on them.
            #expect(r.otherPairs?.count == p["other_count"] as? Int)
            close(r.otherPairs?.loss, p["other_loss"], "loss on the other pairs")
        }
        for (h, e) in zip(r.hidden!, ref["hidden"] as! [[String: Any]]) {
            #expect(h.component.map { label($0).description } == "\(e["component"]!)")
            close(h.fraction, e["fraction"], "fraction")
            close(h.productShare, e["product_share"], "product share")
        }
        return a
    }

    @Test func c71Quadratic() throws { try Self.check("c71-quadratic-final", group: "C71", activation: .quadratic, pairs: "attribution-pairs-c71.json") }
    @Test func c71ReLU() throws { try Self.check("c71-relu-final", group: "C71", activation: .relu, pairs: nil) }

    /// The trained transformer of issue 12 (data/transformer-p53-final.pt) against numpy's
    /// forward pass (scripts/transformer_expected.py) and brute-force cubes: the logit-level
    /// measures, the shares of u = W_in·W_E and w = W_U·W_out, and the MLP neurons at the last
    /// position over C_53 × C_53 (2-D FFT). Key frequencies 4, 14, 15, 20, those its W_E holds;
    /// every neuron's frequency is one of them (the progress-measures paper's neuron clusters),
    /// and the restricted loss is below the network's own (the paper's finding after grokking).
    @Test func transformerP53() throws {
        let a = try Self.check("transformer-p53-final", group: "C53", activation: nil, pairs: "transformer-p53-train-pairs.json")
        let r = try #require(a.attribution)
        #expect(r.keyComponents == [4, 14, 15, 20])
        #expect(r.components.filter { ($0.neurons ?? 0) > 0 }.map { $0.component } == [4, 14, 15, 20])
        #expect(r.components.map { $0.neurons ?? 0 }.reduce(0, +) == 512)
        let fractions = try #require(r.hidden).compactMap { $0.fraction }.sorted()
        #expect(fractions.count == 512 && fractions[256] > 0.9)
        #expect(r.restrictedLoss < r.loss && r.excludedLoss > log(53.0))
        // Its 1123 training pairs (40% of 2809) and the 1686 held out: the losses there are the
        // trainer's own train and test loss at its last epoch (data/logs/transformer-p53-log.json),
        // up to what the trainer does differently: softmax over all 54 outputs (the '=' token's
        // too), a float32 forward pass, and a train loss logged before that epoch's step.
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TrainedData.path("logs/transformer-p53-log.json")))) as! [String: Any]
        let last = (log["log"] as! [[String: Any]]).last!
        #expect(last["epoch"] as? Int == 7000)
        let (train, test) = ((last["train_loss"] as! NSNumber).doubleValue, (last["test_loss"] as! NSNumber).doubleValue)
        #expect(r.onPairs?.count == 1123 && r.otherPairs?.count == 1686)
        #expect(abs(r.onPairs!.loss - train) < 1e-3 * train, "\(r.onPairs!.loss) vs the trainer's \(train)")
        #expect(abs(r.otherPairs!.loss - test) < 1e-3 * test, "\(r.otherPairs!.loss) vs the trainer's \(test)")
    }
    /// The universality study's MLP (data/universality-c113-final.pt, a pickled whole module
    /// trained by examples/train/train_universality_mlp.py with that study's C_113 recipe),
    /// analyzed with no flags: C_113 from its prime axis, ReLU from its nn.ReLU submodule, the
    /// losses also on its training pairs. Its function uses 11 frequencies, its neurons'
    /// dominant frequencies only 8 (13, 22, 25 are key with no neuron of their own): the
    /// disagreement the function-level measures exist for.
    @Test func universalityMLPOnC113() throws {
        let a = try Self.check("universality-c113-final", group: nil, activation: nil, pairs: "universality-c113-train-pairs.json")
        #expect(a.groupName == "C113" && a.activation == .relu && a.accuracy == 1)
        let r = try #require(a.attribution)
        #expect(r.keyComponents == [4, 11, 13, 22, 25, 32, 34, 41, 44, 49, 50])
        let used = a.neuronsPerComponent.indices.filter { a.neuronsPerComponent[$0] > 0 }
        #expect(used == [4, 11, 32, 34, 41, 44, 49, 50])
        #expect(r.restrictedLoss < r.loss && r.excludedLoss > log(113.0))
        #expect(r.onPairs?.count == 3830)
    }
    /// The same MLP trained on D_59 (data/universality-d59-final.pt, order 118, `--group
    /// dihedral --n 59` of the same script): the dihedral irreps and the ReLU hidden layer's
    /// products with the isotypic basis (no 2-D transforms: not cyclic) against the numpy
    /// reference. 13 irreps are key by function, 8 are some neuron's dominant irrep: E6, E16,
    /// E19, E28 and E29 are key with no neuron of their own. No axis has prime length, so the
    /// group must be named: without --group the analysis stops with that request.
    @Test func universalityMLPOnD59() throws {
        let a = try Self.check("universality-d59-final", group: "D59", activation: nil, pairs: "universality-d59-train-pairs.json")
        #expect(a.groupName == "D59" && a.activation == .relu && a.accuracy == 1)
        let r = try #require(a.attribution)
        let label = ComponentLabel.labeller(cyclic: a.isCyclic, labels: a.componentLabels)
        #expect(r.keyComponents.map { label($0).description }
                == ["A2", "E3", "E6", "E7", "E8", "E14", "E15", "E16", "E18", "E19", "E20", "E28", "E29"])
        let used = a.neuronsPerComponent.indices.filter { a.neuronsPerComponent[$0] > 0 }.map { label($0).description }
        #expect(used == ["A2", "E3", "E7", "E8", "E14", "E15", "E18", "E20"])
        #expect(r.restrictedLoss < r.loss && r.excludedLoss > log(118.0))
        #expect(r.onPairs?.count == 4177)
        let error = #expect(throws: AnalysisError.self) {
            try Analyzer.analyze(path: TrainedData.path("universality-d59-final.pt"), AnalysisRequest(task: .inferredGroup))
        }
        #expect("\(error!)".hasSuffix("give --group G (an axis of length 118 is shared by W_x, W_y, W_U; groups of that order include C118, D59)"),
                "\(error!)")
    }
    /// Two checkpoints along that D_59 run (data/universality-d59-run/), pinned against the numpy
    /// reference like the final network, and the progress measures of both papers on them. At
    /// epoch 3000 the network memorizes (30% of all pairs right, loss above 20 over all pairs)
    /// while its restricted loss is already below 0.2 (the key irreps alone generalize) and its
    /// excluded loss is above its loss over all pairs; on the training pairs the excluded logits
    /// alone still fit (the memorizing part lies outside the key cubes). At epoch 30,000 it
    /// generalizes and the restricted loss has fallen to the final network's level. The key set
    /// shrinks 29 → 18 → 13 as weight decay removes the irreps the function does not need.
    @Test func universalityD59AlongTheRun() throws {
        let pairs = "universality-d59-train-pairs.json"
        let early = try Self.check("universality-d59-run/epoch_3000", group: "D59", activation: nil, pairs: pairs)
        let middle = try Self.check("universality-d59-run/epoch_30000", group: "D59", activation: nil, pairs: pairs)
        let last = try TrainedData.analyze("universality-d59-final.pt", group: "D59", activation: .relu)
        let (e, m, f) = (try #require(early.attribution), try #require(middle.attribution), try #require(last.attribution))
        #expect(early.accuracy > 0.29 && early.accuracy < 0.31 && e.loss > 20)
        // The training pairs are fitted, and by what the key cubes leave out (the memorization):
        // the excluded logits alone still classify them.
        #expect(e.onPairs!.loss < 1e-3 && e.onPairs!.excludedLoss < 0.01)
        #expect(e.restrictedLoss < 0.2 && e.excludedLoss > e.loss)
        #expect(middle.accuracy > 0.999 && m.restrictedLoss < 1e-5 && f.restrictedLoss < 1e-5)
        #expect([e, m, f].map(\.keyComponents.count) == [29, 18, 13])
        #expect(m.excludedLoss > log(118.0) && f.excludedLoss > log(118.0))
    }
    @Test func s4Quadratic() throws { try Self.check("s4-quadratic-final", group: "S4", activation: .quadratic, pairs: nil) }
    /// The S_5 network of the paper (issue 16): [3,1,1] is the dominant irrep of 531 neurons
    /// but not key by function (s = 0.0043 < τ; its neurons hold 0.4% of ‖θ‖^3).
    @Test func s5Quadratic() throws { try Self.check("s5-quadratic-final", group: "S5", activation: .quadratic, pairs: nil) }

    /// The pairs as a .npy integer array (k, 2) give the same losses as the JSON list.
    @Test func npyPairsMatchJSONPairs() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let json = try PairList.read(TrainedData.path("attribution-pairs-c71.json"), order: 71)
        let npy = try PairList.read(fixtures.appendingPathComponent("attribution-pairs-c71.npy").path, order: 71)
        #expect(json == npy)
        #expect(json.count == 1512)
    }

    /// The trained checkpoints' function-level findings, pinned (and shown in REPRODUCTION.md):
    /// every non-trivial frequency of C_71 is key for both activations, every non-trivial irrep
    /// of S_4; the restricted loss stays at the network's loss, the excluded loss near log |G|.
    @Test func trainedCheckpointsFindings() throws {
        let q = try TrainedData.analyze("c71-quadratic-final.pt", group: "C71").attribution!
        #expect(q.keyComponents == Array(1...35))
        #expect(abs(q.loss - 0.244262) < 1e-6 && abs(q.restrictedLoss - 0.244262) < 1e-6 && abs(q.excludedLoss - 4.26268) < 1e-5)
        let relu = try TrainedData.analyze("c71-relu-final.pt", group: "C71", activation: .relu).attribution!
        #expect(relu.keyComponents == Array(1...35))
        #expect(relu.restrictedLoss < relu.loss)
        let s4 = try TrainedData.analyze("s4-quadratic-final.pt", group: "S4").attribution!
        #expect(s4.keyComponents == [1, 2, 3, 4])
        // Neuron frequencies of the quadratic C_71 network: as many neurons per frequency as the
        // weight-dominance count (each neuron is one frequency, fraction 0.8 as Theorem 7's).
        let a = try TrainedData.analyze("c71-quadratic-final.pt", group: "C71")
        var perFrequency = [Int](repeating: 0, count: 36)
        for h in a.attribution!.hidden! { perFrequency[h.component!] += 1 }
        #expect(perFrequency == a.neuronsPerComponent)
    }
}

@Suite struct PairFiles {
    static func write(_ text: String) -> String {
        let path = NSTemporaryDirectory() + "pairs-\(UUID().uuidString).json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test(arguments: [("[[0, 1], [2, 71]]", "entry 1"), ("[[0, 1, 2]]", "entry 0 is not a pair"), ("{\"a\": 1}", "JSON list"),
                      ("not json", "not JSON"), ("[]", "no pairs"), ("[[0.5, 1]]", "entry 0"), ("[[true, 1]]", "entry 0"),
                      ("[[-1, 1]]", "entry 0")])
    func badJSONPairsAreRefused(text: String, message: String) {
        let path = Self.write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try PairList.read(path, order: 71)
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".contains(path) && "\(error)".contains(message), "\(error)")
        }
    }

    @Test(arguments: [("attribution-pairs-float.npy", "integers"), ("attribution-pairs-shape.npy", "shape (k, 2)")])
    func badNPYPairsAreRefused(file: String, message: String) {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(file)").path
        do {
            _ = try PairList.read(path, order: 71)
            Issue.record("accepted \(file)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func missingFileIsNamed() {
        do { _ = try PairList.read("/nonexistent/pairs.json", order: 5); Issue.record("accepted") } catch {
            #expect("\(error)".contains("/nonexistent/pairs.json"))
        }
    }
}
