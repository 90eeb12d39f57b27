import Foundation
import Testing
@testable import Analysis
import Groups

/// The closed form of docs/attribution.md §6 for quadratic neurons against the general path (the
/// 2-D transforms on C_n, the isotypic-basis products otherwise) on the same activations.
@Suite struct AttributionQuadraticClosedForm {
    /// The general path's neuron measures and blocks from the network's activations.
    static func general(_ net: any GroupTaskNetwork, _ g: FiniteGroup, composition: Composition)
        -> (neurons: [HiddenNeuronAttribution], blocks: [Double]) {
        let n = g.order
        let (T, degrees) = Attribution.characters(g, cyclic: g.isCyclic)
        let table = g.multiplicationTable
        var label = [Int32](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { label[a * n + b] = Int32(composition == .rightToLeft ? table[a, b] : table[b, a]) } }
        let h = net.neuronActivations(rows: 0..<n)!
        let r = Attribution.hiddenLayer(activations: h, n: n, m: net.width, group: g, cyclic: g.isCyclic, T: T, degrees: degrees,
                                        label: label, threads: 1)
        return (r.neurons, r.blocks.dense(count: net.width, K: T.count))
    }

    static func compare(_ net: any GroupTaskNetwork, _ g: FiniteGroup, composition: Composition, _ what: String) {
        #expect(net.quadraticNeuronTerms != nil)
        let r = attribution(net, g, composition: composition, threads: 2)
        let reference = general(net, g, composition: composition)
        let K = r.components.count, m = net.width
        let blocks = r.blockPowers!
        #expect(blocks.count == reference.blocks.count)
        for i in 0..<m {
            let scale = reference.blocks[(i * K * K)..<((i + 1) * K * K)].reduce(0, +)
            #expect(scale > 0)
            for j in 0..<(K * K) {
                #expect(abs(blocks[i * K * K + j] - reference.blocks[i * K * K + j]) <= 1e-11 * scale, "\(what) neuron \(i) block \(j)")
            }
            let a = r.hidden![i], b = reference.neurons[i]
            #expect(a.component == b.component, "\(what) neuron \(i)")
            #expect(abs(a.fraction! - b.fraction!) < 1e-11, "\(what) neuron \(i)")
            #expect(a.productShares.count == b.productShares.count)
            for (x, y) in zip(a.productShares, b.productShares) { #expect(abs(x - y) < 1e-11, "\(what) neuron \(i)") }
        }
        // One neuron's blocks and their sum, without forming every neuron's.
        for i in [0, m / 2, m - 1] {
            let row = Array(blocks[(i * K * K)..<((i + 1) * K * K)])
            #expect(r.blockPowers(ofNeuron: i) == row)
            let total = row.reduce(0, +)
            #expect(abs(r.blockTotal(ofNeuron: i)! - total) <= 1e-13 * total)
        }
        #expect(r.blockPowers(ofNeuron: m) == nil && r.blockTotal(ofNeuron: -1) == nil)
        // Thread-count independence of the closed-form path.
        let one = attribution(net, g, composition: composition, threads: 1)
        #expect(one.blockPowers! == blocks)
        #expect(one.hidden!.map(\.productShares) == r.hidden!.map(\.productShares))
    }

    /// Random quadratic networks (130 neurons: the closed form splits them over 2 workers) with u shifted off zero mean (so that the cross terms 2q̄p and
    /// 2p̄q of the blocks (ρ, 1) and (1, σ) matter), cyclic and non-abelian groups, both
    /// compositions.
    @Test(arguments: ["C7", "C10", "S3", "S4", "D5", "A4"])
    func groupNetworkMatchesTheTransforms(name: String) throws {
        let g = try FiniteGroup.named(name)
        let base = AttributionIdentities.randomNetwork(g.order, width: 130, activation: .quadratic, seed: 11)
        let net = GroupNetwork(order: base.order, width: base.width, activation: .quadratic, u: base.u.map { $0 + 0.3 },
                               v: base.v, w: base.w)
        for composition in [Composition.rightToLeft, .leftToRight] { Self.compare(net, g, composition: composition, name) }
    }

    /// The MLP variant with a hidden bias inside σ: p = u + β.
    @Test func mlpWithHiddenBias() throws {
        let g = try FiniteGroup.named("S4")
        let base = AttributionIdentities.randomNetwork(g.order, width: 9, activation: .quadratic, seed: 3)
        let bias = (0..<9).map { 0.1 * Double($0) - 0.4 }
        let net = MLPNetwork(order: g.order, width: 9, activation: .quadratic, u: base.u, v: base.v, w: base.w,
                             hiddenBias: bias, outputBias: [Double](repeating: 0.05, count: g.order))
        Self.compare(net, g, composition: .rightToLeft, "MLP S4")
    }

    /// ReLU keeps the general path.
    @Test func reluHasNoClosedForm() {
        let net = AttributionIdentities.randomNetwork(7, width: 3, activation: .relu, seed: 1)
        #expect(net.quadraticNeuronTerms == nil)
    }
}
