import CKernels
import Foundation
import Testing
@testable import Analysis
import Groups

/// The single kept forward pass that the analysis runs when the attribution is on
/// (`LogitPass`): its margins and accuracy against a direct triple loop written here, its
/// logits and activations against the network's own, independence of the thread count, and
/// the attribution read from it against the attribution that runs the network itself.
@Suite struct LogitPassTests {
    /// f(a, b)[c] = Σ_i σ(u_i[a] + v_i[b]) w_i[c] by the definition (docs/theory.md §1), and the
    /// margin min over pairs of f[c] − max_{c'≠c} f[c'] with the accuracy.
    static func direct(_ net: GroupNetwork, labels: [Int32], set s: Int) -> (accuracy: Double, margin: Double) {
        let n = net.order, m = net.width
        var correct = 0, margin = Double.infinity
        for a in 0..<n { for b in 0..<n {
            var f = [Double](repeating: 0, count: n)
            for i in 0..<m {
                let h = net.activation.apply(net.u[a * m + i] + net.v[b * m + i])
                for c in 0..<n { f[c] += h * net.w[c * m + i] }
            }
            let y = Int(labels[s * n * n + a * n + b])
            let other = (0..<n).filter { $0 != y }.map { f[$0] }.max()!
            if f[y] - other > 0 { correct += 1 }
            margin = min(margin, f[y] - other)
        } }
        return (Double(correct) / Double(n * n), margin)
    }

    @Test(arguments: [("C9", Activation.quadratic), ("S4", .relu), ("D5", .quadratic), ("A4", .relu)])
    func marginsLogitsAndActivations(name: String, activation: Activation) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order
        let net = AttributionIdentities.randomNetwork(n, width: 11, activation: activation, seed: 21)
        let labelling = Labelling(group: g, composition: .rightToLeft, bothConventions: true)
        let pass = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: true, threads: 2)
        #expect(pass.evaluation.count == labelling.sets)
        for s in 0..<labelling.sets {
            let d = Self.direct(net, labels: labelling.labels, set: s)
            #expect(pass.evaluation[s].accuracy == d.accuracy)
            #expect(abs(pass.evaluation[s].margin - d.margin) <= 1e-12 * max(1, abs(d.margin)), "\(name) set \(s)")
            // The family's own (screened) forward pass reports the same.
            let own = net.evaluate(threads: 1, labels: labelling.labels, sets: labelling.sets)[s]
            #expect(own.accuracy == pass.evaluation[s].accuracy)
            #expect(abs(own.margin - pass.evaluation[s].margin) <= 1e-12 * max(1, abs(own.margin)))
        }
        let logits = net.logits(rows: 0..<n)
        for p in 0..<(n * n) {
            let mean = (0..<n).reduce(0.0) { $0 + logits[p * n + $1] } / Double(n)
            for c in 0..<n { #expect(abs(pass.centered[p * n + c] - (logits[p * n + c] - mean)) <= 1e-12) }
        }
        #expect(pass.activations == net.neuronActivations(rows: 0..<n))
        // The same bits on one thread or three.
        for threads in [1, 3] {
            let other = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: true, threads: threads)
            #expect(other.centered == pass.centered)
            #expect(other.evaluation.map(\.margin) == pass.evaluation.map(\.margin))
        }
    }

    /// The analysis reads the attribution from its pass; the library entry point without a
    /// pass runs the network itself: the two agree to rounding.
    @Test(arguments: ["C12", "S4", "D6"])
    func attributionFromThePassEqualsTheDirectOne(name: String) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order
        for activation in [Activation.quadratic, .relu] {
            let net = AttributionIdentities.randomNetwork(n, width: 9, activation: activation, seed: 5)
            var o = GroupAnalysisOptions()
            o.attribution = AttributionOptions()
            o.threads = 2
            let viaPass = GroupAnalysis.run(network: net, group: g, groupName: name, options: o).attribution!
            let direct = Attribution.compute(network: net, group: g, composition: .rightToLeft, options: AttributionOptions(), threads: 1)!
            func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-11 * max(1, abs(b)) }
            #expect(close(viaPass.loss, direct.loss))
            #expect(close(viaPass.restrictedLoss, direct.restrictedLoss))
            #expect(close(viaPass.excludedLoss, direct.excludedLoss))
            #expect(viaPass.keyComponents == direct.keyComponents)
            for (x, y) in zip(viaPass.components, direct.components) {
                #expect(close(x.logitSimilarity, y.logitSimilarity) && close(x.excludedLoss, y.excludedLoss) && close(x.restrictedLoss, y.restrictedLoss))
            }
            #expect(viaPass.hidden?.map(\.component) == direct.hidden?.map(\.component))
        }
    }

    /// The vectorized exponential of the attribution's log-sum-exp against libm over the range
    /// it is used on, [−708, 0]: within 2 ulp, exact at 0, 0 below −708, and the sum in index
    /// order.
    @Test func exponentialKernel() {
        var x = (0..<20_000).map { -708 * Double($0) / 19_999 }
        x += [0, -0.0, -1e-300, -0.34657359027997264, -0.34657359027997265, -1, -2, -745, -1000]
        var out = [Double](repeating: 0, count: x.count)
        let total = irrepscope_exp_shifted(x, x.count, 0, &out)
        var sum = 0.0
        for (t, e) in zip(x, out) {
            let reference = t < -708 ? 0 : exp(t)
            #expect(abs(e - reference) <= 2 * reference.ulp, "e^\(t)")
            sum += e
        }
        #expect(total == sum)
        #expect(out[20_000] == 1 && out[20_001] == 1)
        // The shift: e^{x − s}.
        var shifted = [Double](repeating: 0, count: 3)
        _ = irrepscope_exp_shifted([3, 2, 1], 3, 3, &shifted)
        #expect(shifted[0] == 1 && abs(shifted[1] - exp(-1.0)) <= 2 * exp(-1.0).ulp && abs(shifted[2] - exp(-2.0)) <= 2 * exp(-2.0).ulp)
    }
}

/// The hidden layer's two routes on cyclic groups — FFTW's 2-D transforms (|G| > 160) and the
/// products with the isotypic basis (smaller groups) — give the same blocks, components and
/// shares.
@Suite struct HiddenLayerRoutes {
    @Test(arguments: [11, 12, 167])
    func transformsAndBasisAgree(n: Int) throws {
        let g = try FiniteGroup.named("C\(n)")
        let net = AttributionIdentities.randomNetwork(n, width: 4, activation: .relu, seed: 9)
        let (T, degrees) = Attribution.characters(g, cyclic: true)
        let table = g.multiplicationTable
        var label = [Int32](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { label[a * n + b] = Int32(table[a, b]) } }
        let h1 = net.neuronActivations(rows: 0..<n)!
        let fft = Attribution.hiddenLayer(activations: h1, n: n, m: 4, group: g, cyclic: true, T: T, degrees: degrees, label: label,
                                          threads: 2, transforms: true)
        let basis = Attribution.hiddenLayer(activations: h1, n: n, m: 4, group: g, cyclic: true, T: T, degrees: degrees, label: label,
                                            threads: 2, transforms: false)
        let K = T.count
        let fftBlocks = fft.blocks.dense(count: 4, K: K), basisBlocks = basis.blocks.dense(count: 4, K: K)
        for i in 0..<4 {
            let variance = fftBlocks[(i * K * K)..<((i + 1) * K * K)].reduce(0, +)
            #expect(variance > 0)
            for j in 0..<(K * K) { #expect(abs(fftBlocks[i * K * K + j] - basisBlocks[i * K * K + j]) <= 1e-10 * variance) }
            #expect(fft.neurons[i].component == basis.neurons[i].component)
            #expect(abs(fft.neurons[i].fraction! - basis.neurons[i].fraction!) <= 1e-10)
        }
    }
}

/// The hidden-layer measures streamed a chunk of neurons at a time from the network
/// (`writeNeuronActivations`) against the same measures read from all |G|²·m activations kept
/// at once: equal bit for bit, for every chunk boundary (m not a multiple of the chunk) and
/// any number of threads, on both routes (the isotypic basis and FFTW's 2-D transforms).
@Suite struct StreamedHiddenLayer {
    static func mlp(_ n: Int, width m: Int, activation: Activation, seed: UInt64) -> MLPNetwork {
        let g = AttributionIdentities.randomNetwork(n, width: m, activation: activation, seed: seed)
        let beta = (0..<m).map { 0.3 * sin(Double($0) * 1.7) }, betaOut = (0..<n).map { 0.1 * cos(Double($0)) }
        return MLPNetwork(order: n, width: m, activation: activation, u: g.u, v: g.v, w: g.w, hiddenBias: beta, outputBias: betaOut)
    }

    /// Each chunk written by the network equals the slice of `neuronActivations(rows:)`.
    @Test func writtenChunksAreTheRowActivations() throws {
        let nets: [any GroupTaskNetwork] = [AttributionIdentities.randomNetwork(7, width: 11, activation: .relu, seed: 3),
                                            Self.mlp(7, width: 11, activation: .gelu, seed: 4)]
        for net in nets {
            #expect(net.writesNeuronActivationsByChunk)
            let n = net.order, m = net.width
            let all = net.neuronActivations(rows: 0..<n)!
            for range in [0..<11, 0..<1, 3..<8, 10..<11] {
                var buffer = [Double](repeating: .nan, count: n * n * range.count)
                #expect(buffer.withUnsafeMutableBufferPointer { net.writeNeuronActivations(neurons: range, into: $0.baseAddress!) })
                for p in 0..<(n * n) { for (j, i) in range.enumerated() {
                    #expect(buffer[p * range.count + j].bitPattern == all[p * m + i].bitPattern)
                } }
            }
        }
        let (t, _) = try TransformerPassTests.network("pm-c7-relu")
        #expect(!t.writesNeuronActivationsByChunk)
    }

    @Test(arguments: [("S4", 70, Optional<Bool>.none), ("C12", 130, false), ("C167", 37, true), ("D5", 3, nil)])
    func streamedEqualsKept(group name: String, width m: Int, transforms: Bool?) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order
        let (T, degrees) = Attribution.characters(g, cyclic: g.isCyclic)
        let table = g.multiplicationTable
        var label = [Int32](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { label[a * n + b] = Int32(table[a, b]) } }
        let nets: [any GroupTaskNetwork] = [AttributionIdentities.randomNetwork(n, width: m, activation: .relu, seed: 21),
                                            Self.mlp(n, width: m, activation: .geluTanh, seed: 22)]
        for net in nets {
            let kept = Attribution.hiddenLayer(activations: net.neuronActivations(rows: 0..<n)!, n: n, m: m, group: g, cyclic: g.isCyclic,
                                               T: T, degrees: degrees, label: label, threads: 1, transforms: transforms)
            let K = T.count
            let reference = kept.blocks.dense(count: m, K: K)
            #expect(reference.contains { $0 > 0 })
            for threads in [1, 3] {
                let streamed = Attribution.hiddenLayer(network: net, group: g, cyclic: g.isCyclic, T: T, degrees: degrees, label: label,
                                                       threads: threads, transforms: transforms)
                #expect(streamed.blocks.dense(count: m, K: K).map(\.bitPattern) == reference.map(\.bitPattern))
                for i in 0..<m {
                    #expect(streamed.neurons[i].component == kept.neurons[i].component)
                    #expect(streamed.neurons[i].fraction?.bitPattern == kept.neurons[i].fraction?.bitPattern)
                    #expect(streamed.neurons[i].productShares.map(\.bitPattern) == kept.neurons[i].productShares.map(\.bitPattern))
                }
            }
        }
    }

    /// Where the chunks fall does not change a bit: one chunk of all neurons, chunks of 1 and 7
    /// on the isotypic basis; 16 and 32 on the transforms (their batch).
    @Test(arguments: [("S4", false, [1, 7, 40]), ("C11", false, [1, 7, 40]), ("C113", false, [3, 24, 40]), ("C167", true, [16, 32, 40])])
    func chunksDoNotChangeTheNumbers(group name: String, transforms: Bool, chunks: [Int]) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order, m = 40
        let (T, degrees) = Attribution.characters(g, cyclic: g.isCyclic)
        let table = g.multiplicationTable
        var label = [Int32](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { label[a * n + b] = Int32(table[a, b]) } }
        let h = AttributionIdentities.randomNetwork(n, width: m, activation: .relu, seed: 5).neuronActivations(rows: 0..<n)!
        let runs = chunks.map { c in
            Attribution.hiddenLayer(activations: h, n: n, m: m, group: g, cyclic: g.isCyclic, T: T, degrees: degrees, label: label,
                                    threads: 2, transforms: transforms, chunk: c)
        }
        let K = T.count
        for (k, r) in runs.enumerated().dropFirst() {
            let a = r.blocks.dense(count: m, K: K), b = runs[0].blocks.dense(count: m, K: K)
            let differ = zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differ == 0, "chunks of \(chunks[k]) against \(chunks[0]): \(differ) of \(a.count) blocks differ")
            #expect(zip(r.neurons, runs[0].neurons).allSatisfy { $0.fraction?.bitPattern == $1.fraction?.bitPattern
                && $0.productShares.map(\.bitPattern) == $1.productShares.map(\.bitPattern) })
        }
    }
}

/// The margin of the attribution's kept pass against that of every other pass that prints one
/// (`analyze --no-attribution`): the screened pass with its double-precision re-check, the
/// double pass, `evaluate` of the MLPs and transformers — bit for bit, since a BLAS may round a
/// row differently in another call's shape (OpenBLAS's edge kernels do; before the re-check went
/// through the kept pass's chunks, C_71 ReLU in data/ printed 5.78027596211244 with the
/// attribution and 5.780275962112439 without).
@Suite struct MarginsAgreeAcrossPasses {
    static func networks(_ n: Int) -> [any GroupTaskNetwork] {
        [AttributionIdentities.randomNetwork(n, width: 37, activation: .relu, seed: 41),
         AttributionIdentities.randomNetwork(n, width: 2001, activation: .quadratic, seed: 42),
         AttributionIdentities.randomNetwork(n, width: 64, activation: .power(3), seed: 44),
         StreamedHiddenLayer.mlp(n, width: 45, activation: .gelu, seed: 43)]
    }

    @Test(arguments: ["C71", "S4", "C13", "D7"])
    func keptPassAndEveryOtherPass(name: String) throws {
        let g = try FiniteGroup.named(name)
        let labelling = Labelling(group: g, composition: .rightToLeft, bothConventions: true)
        for net in Self.networks(g.order) {
            let kept = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: false, threads: 2)
            var others = [net.evaluate(threads: 2, labels: labelling.labels, sets: labelling.sets)]
            if let p = net as? GroupNetwork {
                others.append(p.evaluate(threads: 1, precision: .double, labels: labelling.labels, sets: labelling.sets))
                others.append(p.evaluate(threads: 3, precision: .filtered, labels: labelling.labels, sets: labelling.sets))
            }
            for other in others { for s in 0..<labelling.sets {
                #expect(kept.evaluation[s].margin.bitPattern == other[s].margin.bitPattern, "\(name) \(net.activation) set \(s)")
                #expect(kept.evaluation[s].accuracy == other[s].accuracy)
            } }
        }
    }

    @Test(arguments: ["pm-c7-relu", "tl-c11-ln-gelu_new-2blocks", "tl-s3-relu", "pm-c11-gelu-2blocks"])
    func transformers(name: String) throws {
        let (net, _) = try TransformerPassTests.network(name)
        let g = try FiniteGroup.named(name.contains("s3") ? "S3" : "C\(net.order)")
        let labelling = Labelling(group: g, composition: .rightToLeft, bothConventions: true)
        let kept = LogitPass.run(network: net, labels: labelling.labels, sets: labelling.sets, activations: true, threads: 2)
        let evaluated = net.evaluate(threads: 2, labels: labelling.labels, sets: labelling.sets)
        for s in 0..<labelling.sets { #expect(kept.evaluation[s].margin.bitPattern == evaluated[s].margin.bitPattern, "\(name)") }
    }

    /// The checkpoint in data/ where the two differed.
    @Test func c71ReLUMarginWithAndWithoutTheAttribution() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("data/c71-relu-final.pt").path
        var with = AnalysisRequest(task: .group("C71"))
        with.activation = .relu
        var without = with
        without.attribution = nil
        guard case .group(let a, _) = try Analyzer.analyze(path: path, with),
              case .group(let b, _) = try Analyzer.analyze(path: path, without) else { throw AnalysisError("not a group analysis") }
        #expect(a.attribution != nil && b.attribution == nil)
        #expect(a.margins.margin.bitPattern == b.margins.margin.bitPattern)
        #expect(a.margins.margin == 5.78027596211244)
    }
}
