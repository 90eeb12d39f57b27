import Foundation
import Testing
@testable import Analysis
import Checkpoints
import Groups

/// The max-margin network of Theorem 7 built explicitly: for each frequency ζ = 1 … (p−1)/2
/// and each pair of phases (θ_u, θ_v) ∈ {0, π/2, π, 3π/2}², one neuron with
/// u(a) = cos(θ_u + 2πζa/p), v(b) = cos(θ_v + 2πζb/p), w(c) = cos(θ_u + θ_v + 2πζc/p).
/// Summing over the 16 phase pairs cancels every term but 8·cos(2πζ(a+b−c)/p), so the margin
/// is 4p, each ‖ω_i‖² = 3p/2, m = 8(p−1), and h/Σ‖ω_i‖³ = √(2/27)/(√p (p−1)) = γ* exactly.
func theorem7Network(p: Int, scale: Double = 1) -> GroupNetwork {
    let quarter = [0.0, Double.pi / 2, Double.pi, 3 * Double.pi / 2]
    var neurons: [(Int, Double, Double)] = []
    for z in 1...((p - 1) / 2) { for tu in quarter { for tv in quarter { neurons.append((z, tu, tv)) } } }
    let m = neurons.count
    var u = [Double](repeating: 0, count: p * m), v = u, w = u
    for (i, (z, tu, tv)) in neurons.enumerated() {
        for a in 0..<p {
            let t = 2 * Double.pi * Double(z * a % p) / Double(p)
            u[a * m + i] = scale * cos(tu + t)
            v[a * m + i] = scale * cos(tv + t)
            w[a * m + i] = scale * cos(tu + tv + t)
        }
    }
    return GroupNetwork(order: p, width: m, activation: .quadratic, u: u, v: v, w: w)
}

@Suite struct TheoryValues {
    @Test(arguments: [(71, 4.6143e-4, 280), (97, 2.8786e-4, 384), (113, 2.2860e-4, 448)])
    func cyclicGammaStarMatchesTheTable(p: Int, gamma: Double, width: Int) {
        let b = MarginBound.cyclic(p: p, width: width, activation: .quadratic)
        #expect(abs(b.value! - gamma) / gamma < 1e-4)
        #expect(b.minimumWidth == width)
        #expect(MarginBound.cyclic(p: p, width: width - 1, activation: .quadratic).value == nil)
        #expect(MarginBound.cyclic(p: p, width: width, activation: .relu).reason!.contains("quadratic"))
    }

    @Test(arguments: [(2, 0.54433, 2), (3, 0.53033, 4), (4, 0.607157, 8), (5, 0.78567, 16)])
    func parityGammaStarMatchesTheTable(k: Int, gamma: Double, width: Int) {
        let b = MarginBound.parity(k: k, width: width, activation: .power(k))
        #expect(abs(b.value! - gamma) / gamma < 2e-5)
        #expect(b.minimumWidth == width)
        #expect(MarginBound.parity(k: k, width: width, activation: .power(k + 1)).value == nil)
    }

    @Test(arguments: [("S3", 2.3605e-2, 18, 6.657), ("S4", 2.0766e-3, 126, 37.834), ("S5", 1.32598e-4, 1190, 264.985),
                      ("D5", 9.8846e-3, 34, -1)])
    func groupGammaStarMatchesTheTable(name: String, gamma: Double, width: Int, sum: Double) throws {
        let g = try FiniteGroup.named(name)
        if sum > 0 { #expect(abs(g.sumNonTrivialDegreePow25 - sum) < 1e-3) }
        let b = MarginBound.group(g, width: width, activation: .quadratic)
        #expect(abs(b.value! - gamma) / gamma < 1e-4)
        #expect(b.minimumWidth == width)
    }

    @Test(arguments: ["S6", "A5"])
    func theorem9ConditionFailsWhereTheoryMDSaysSo(name: String) throws {
        let g = try FiniteGroup.named(name)
        let b = MarginBound.group(g, width: 100_000, activation: .quadratic)
        #expect(b.value == nil)
        #expect(b.reason != nil)
    }

    @Test func activationsParseAndHaveTheirHomogeneity() {
        #expect(Activation(name: "quadratic") == .quadratic && Activation.quadratic.nu == 3)
        #expect(Activation(name: "relu")?.nu == 2)
        #expect(Activation(name: "x^4") == .power(4) && Activation.power(4).nu == 5)
        #expect(Activation(name: "x^2") == .quadratic)
        #expect(Activation(name: "tanh") == nil)
        #expect(Activation.power(3).apply(-2) == -8)
    }
}

@Suite struct MaxMarginNetworks {
    @Test(arguments: [5, 7, 11])
    func theorem7ConstructionAttainsGammaStar(p: Int) throws {
        let net = theorem7Network(p: p, scale: 0.37)
        let a = GroupAnalysis.run(network: net, group: try FiniteGroup.named("C\(p)"), groupName: "C\(p)", options: .init())
        #expect(a.accuracy == 1)
        #expect(abs(a.margin - 4 * Double(p) * pow(0.37, 3)) < 1e-9)
        #expect(abs(a.marginRatio! - 1) < 1e-9)
        #expect(a.unusedComponents.isEmpty)
        #expect(a.neuronsPerComponent.dropFirst().allSatisfy { $0 == 16 })
        for n in a.neurons {
            #expect(n.agree)
            #expect(abs(a.part("u", of: n)!.maxNormalizedPower! - 1) < 1e-9 && abs(a.part("w", of: n)!.maxNormalizedPower! - 1) < 1e-9)
            #expect(abs(n.normShares[0] - 1.0 / 3) < 1e-9 && abs(n.normShares[2] - 1.0 / 3) < 1e-9)
            #expect(abs(n.phaseResidual!) < 1e-9)
        }
        #expect(a.statistics("u")!.fractionAtLeast099 == 1)
        // Addition is commutative: both conventions fit equally.
        #expect(!a.alternativeFitsBetter)
    }

    @Test func randomNetworksStayBelowGammaStar() throws {
        var g = SystemRandomNumberGenerator()
        let p = 7, m = 56
        for _ in 0..<5 {
            let r = { (0..<(p * m)).map { _ in Double.random(in: -1...1, using: &g) } }
            let net = GroupNetwork(order: p, width: m, activation: .quadratic, u: r(), v: r(), w: r())
            let a = GroupAnalysis.run(network: net, group: try FiniteGroup.named("C7"), groupName: "C7", options: .init())
            #expect(a.normalizedMargin < a.bound.value!)
        }
    }

    @Test func parityNetworkOnItsSupport() {
        // (4, 2)-parity, S = {1, 3}: neurons u = (0, s1, 0, s2) with w = ±(1, −1)/... chosen by
        // the sign condition; the x² network then separates the classes.
        let n = 4, k = 2
        var u: [Double] = [], w: [Double] = []
        for (s1, s2) in [(1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0)] {
            u += [0, s1, 0, s2]
            let sign = s1 * s2  // Π u[S]·(w₊ − w₋) ≥ 0
            w += [sign * 1 / 2.0.squareRoot(), -sign * 1 / 2.0.squareRoot()]
        }
        let net = ParityNetwork(inputs: n, width: 4, activation: .power(k), u: u, w: w)
        let a = ParityAnalysis.run(network: net, k: k, support: nil, plusClass: nil)
        #expect(a.support == [1, 3])
        #expect(a.supportInferred)
        #expect(a.accuracy == 1)
        #expect(a.fractionSupportMass099 == 1 && a.fractionSignCondition == 1)
        #expect(a.plusClass == 0)
        #expect(a.normalizedMargin <= a.bound.value! + 1e-12)
    }
}

@Suite struct LocatingNetworks {
    func tensor(_ name: String, _ shape: [Int], _ values: [Float]? = nil) throws -> Tensor {
        let count = shape.reduce(1, *)
        let v = values ?? (0..<count).map { Float($0 % 13) }
        let bytes = v.withUnsafeBytes { Array($0) }
        return try Tensor(name: name, dtype: .float32, shape: shape, source: ByteSource(bytes: bytes, path: "mem"),
                          storageStart: 0, storageLength: bytes.count)
    }

    @Test func plainPyTorchEmbeddingsAndLinearAreFoundWithoutFlags() throws {
        let ck = Checkpoint(format: "test", path: "model.pt", tensors: [
            try tensor("model.embed_a.weight", [7, 12]), try tensor("model.embed_b.weight", [7, 12]),
            try tensor("model.out.weight", [7, 12]), try tensor("other", [3, 3]),
        ])
        let l = try NetworkLocator.locate(in: ck, order: 7)
        #expect(l.u.name == "model.embed_a.weight" && l.v?.name == "model.embed_b.weight" && l.w.name == "model.out.weight")
        #expect(l.u.elementAxis == 0 && l.w.elementAxis == 0)
    }

    @Test func namesDecideOverFileOrder() throws {
        let ck = Checkpoint(format: "test", path: "m.pt", tensors: [
            try tensor("unembed.W_U", [12, 7]), try tensor("right", [7, 12]), try tensor("left", [7, 12]),
        ])
        let l = try NetworkLocator.locate(in: ck, order: 7)
        #expect(l.u.name == "left" && l.v?.name == "right" && l.w.name == "unembed.W_U")
        #expect(l.w.elementAxis == 1)
    }

    @Test func paperLayoutWithInstanceAxis() throws {
        let ck = Checkpoint(format: "test", path: "m.pt", tensors: [
            try tensor("embedding_left", [3, 5, 8]), try tensor("embedding_right", [3, 5, 8]), try tensor("unembedding", [3, 8, 5]),
        ])
        var r = LayoutRequest(); r.instance = 2
        let l = try NetworkLocator.locate(in: ck, order: 5, request: r)
        #expect(l.instances == 3 && l.u.instance == 2 && l.w.elementAxis == 2)
        let uw = try NetworkLocator.elementMajor(l.u, in: ck, rowOfElement: nil)
        // Instance 2, element 1, neuron 3 of a C-order (3, 5, 8) tensor: flat index 2·40 + 1·8 + 3.
        #expect(uw[1 * 8 + 3] == Double((2 * 40 + 8 + 3) % 13))
        r.instance = 3
        #expect(throws: LayoutError.self) { try NetworkLocator.locate(in: ck, order: 5, request: r) }
    }

    /// The universality MLP (W_x, W_y, hidden W, W_U) computes the paper's network with
    /// u = W_x·W[:d], v = W_y·W[d:]: built around Theorem 7's network (W_x = W_y = I, W = [U; V],
    /// W_U = Wᵀ, stored as float32) it attains γ*.
    @Test func universalityMLPIsThePaperNetworkItComputes() throws {
        let p = 7
        let net = theorem7Network(p: p, scale: 0.37)
        let m = net.width
        var eye = [Float](repeating: 0, count: p * p)
        for a in 0..<p { eye[a * p + a] = 1 }
        var hidden = [Float](repeating: 0, count: 2 * p * m)
        for a in 0..<p { for i in 0..<m {
            hidden[a * m + i] = Float(net.u[a * m + i]); hidden[(p + a) * m + i] = Float(net.v[a * m + i])
        } }
        var unembed = [Float](repeating: 0, count: m * p)
        for i in 0..<m { for c in 0..<p { unembed[i * p + c] = Float(net.w[c * m + i]) } }
        let ck = Checkpoint(format: "test", path: "universality.pt", tensors: [
            try tensor("model.W_x", [p, p], eye), try tensor("model.W_y", [p, p], eye),
            try tensor("model.W", [2 * p, m], hidden), try tensor("model.W_U", [m, p], unembed),
        ])
        let l = try NetworkLocator.locate(in: ck, order: p)
        #expect(l.hidden?.name == "model.W" && l.hidden?.inputWidth == p && l.width == m && l.w.elementAxis == 1)
        let (u, v) = try NetworkLocator.inputs(l, in: ck, rowOfElement: nil)
        let w = try NetworkLocator.elementMajor(l.w, in: ck, rowOfElement: nil)
        for k in 0..<(p * m) {
            #expect(u[k] == Double(Float(net.u[k])) && v[k] == Double(Float(net.v[k])) && w[k] == Double(Float(net.w[k])))
        }
        let a = GroupAnalysis.run(network: GroupNetwork(order: p, width: m, activation: .quadratic, u: u, v: v, w: w),
                                  group: try FiniteGroup.named("C\(p)"), groupName: "C\(p)", options: .init())
        #expect(a.accuracy == 1)
        #expect(abs(a.marginRatio! - 1) < 1e-5)
    }

    /// Embeddings of width d ≠ |G| and a hidden matrix stored either way round ((2d × m) as the
    /// universality study's W, or (m × 2d) as nn.Linear's weight): u and v are the products,
    /// bit for bit those of the scalar sum over j in order (product, then sum, each rounded).
    @Test func hiddenMatrixEitherWayRound() throws {
        let n = 5, d = 3, m = 4
        // Values that are not small integers, so that the order of the sums shows in the bits.
        let x = (0..<(n * d)).map { Float(sin(Double($0) + 0.3)) }, y = (0..<(n * d)).map { Float(cos(1.7 * Double($0))) }
        let hT = (0..<(m * 2 * d)).map { Float(sin(0.9 * Double($0) - 2)) * 3 }  // (m × 2d): hT[i·2d + j] = W[j, i]
        let h = (0..<(2 * d * m)).map { k in hT[(k % m) * 2 * d + k / m] }         // (2d × m): h[j·m + i] = W[j, i]
        for transposed in [true, false] {
            let ck = Checkpoint(format: "test", path: "u.pt", tensors: [
                try tensor("W_x", [n, d], x), try tensor("W_y", [n, d], y),
                transposed ? try tensor("W", [m, 2 * d], hT) : try tensor("W", [2 * d, m], h), try tensor("W_U", [m, n]),
            ])
            let l = try NetworkLocator.locate(in: ck, order: n)
            #expect(l.hidden?.transposed == transposed && l.width == m)
            let (u, v) = try NetworkLocator.inputs(l, in: ck, rowOfElement: nil)
            for a in 0..<n { for i in 0..<m {
                var su = 0.0, sv = 0.0
                for j in 0..<d {
                    su += Double(x[a * d + j]) * Double(hT[i * 2 * d + j])
                    sv += Double(y[a * d + j]) * Double(hT[i * 2 * d + d + j])
                }
                #expect(u[a * m + i] == su && v[a * m + i] == sv)
            } }
            // A hand-made map that does not fit the tensors is refused, not read out of bounds.
            var wrong = l
            wrong.hidden!.inputWidth = d + 1
            #expect(throws: LayoutError.self) { try NetworkLocator.inputs(wrong, in: ck, rowOfElement: nil) }
        }
        // A hidden matrix without an axis of 2d is refused with the shapes named.
        let bad = Checkpoint(format: "test", path: "bad.pt", tensors: [
            try tensor("W_x", [n, d]), try tensor("W_y", [n, d]), try tensor("W", [m, 5]), try tensor("W_U", [m, n]),
        ])
        #expect(throws: LayoutError.self) { try NetworkLocator.locate(in: bad, order: n) }
    }

    @Test func failureListsCandidatesAndFlags() throws {
        let ck = Checkpoint(format: "test", path: "m.pt", tensors: [try tensor("a", [7, 4]), try tensor("b", [9, 9])])
        do {
            _ = try NetworkLocator.locate(in: ck, order: 7)
            Issue.record("expected a failure")
        } catch let e as LayoutError {
            #expect(e.message.contains("a [7, 4]") && e.message.contains("--u NAME --v NAME --w NAME"))
        }
    }
}

/// The Theorem 8 network: for every sign pattern s ∈ {±1}^k one neuron with u = s on the
/// support S (zero elsewhere) and w = Π s_j · (1, −1)/√2, so |u[j]| = ‖w‖ = 1. Summing over the
/// 2^k patterns leaves only the multilinear term: f₀ − f₁ = √2 · k! · 2^k · Π_{j∈S} x_j, and
/// with ‖ω_i‖² = k + 1 the normalized margin is k!·√(2 (k+1)^{−(k+1)}) = γ* exactly.
func theorem8Network(n: Int, k: Int, support: [Int]) -> ParityNetwork {
    var u: [Double] = [], w: [Double] = []
    for pattern in 0..<(1 << k) {
        var row = [Double](repeating: 0, count: n)
        var sign = 1.0
        for (t, j) in support.enumerated() {
            let s: Double = (pattern >> t) & 1 == 1 ? -1 : 1
            row[j] = s
            sign *= s
        }
        u += row
        w += [sign / 2.0.squareRoot(), -sign / 2.0.squareRoot()]
    }
    return ParityNetwork(inputs: n, width: 1 << k, activation: .power(k), u: u, w: w)
}

@Suite struct KnownAnswerNetworks {
    @Test(arguments: [(5, 2, [1, 3]), (6, 3, [0, 2, 5]), (7, 4, [0, 1, 4, 6]), (8, 5, [1, 2, 3, 5, 7])])
    func theorem8ConstructionAttainsGammaStar(n: Int, k: Int, support: [Int]) {
        let a = ParityAnalysis.run(network: theorem8Network(n: n, k: k, support: support), k: k, support: nil, plusClass: nil)
        #expect(a.support == support)
        #expect(a.accuracy == 1)
        #expect(abs(a.marginRatio! - 1) < 1e-9)
        #expect(a.fractionSupportMass099 == 1 && a.fractionSignCondition == 1)
        #expect(a.neurons.allSatisfy { abs($0.supportToW! - 1) < 1e-12 && $0.supportSpread! < 1e-12 && $0.wOffSpan! < 1e-12 })
    }

    @Test func perturbedMaxMarginNetworksScoreLower() throws {
        var g = SystemRandomNumberGenerator()
        let p = 7
        let ideal = theorem7Network(p: p)
        for scale in [0.01, 0.05, 0.2] {
            let jitter = { (x: [Double]) in x.map { $0 + scale * Double.random(in: -1...1, using: &g) } }
            let net = GroupNetwork(order: p, width: ideal.width, activation: .quadratic, u: jitter(ideal.u), v: jitter(ideal.v), w: jitter(ideal.w))
            let a = GroupAnalysis.run(network: net, group: try FiniteGroup.named("C\(p)"), groupName: "C\(p)", options: .init())
            #expect(a.marginRatio! < 1)
        }
        let parity = theorem8Network(n: 6, k: 3, support: [0, 2, 5])
        let noisy = ParityNetwork(inputs: 6, width: parity.width, activation: .power(3),
                                  u: parity.u.map { $0 + 0.05 * Double.random(in: -1...1, using: &g) }, w: parity.w)
        #expect(ParityAnalysis.run(network: noisy, k: 3, support: [0, 2, 5], plusClass: nil).marginRatio! < 1)
    }

    /// The BLAS forward pass against a direct triple loop, on S_3 in both conventions.
    @Test func marginsByBLASEqualADirectLoop() throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named("S3")
        let n = group.order, m = 9
        let r = { (0..<(n * m)).map { _ in Double.random(in: -1...1, using: &g) } }
        for activation in [Activation.quadratic, .relu, .power(3)] {
            let net = GroupNetwork(order: n, width: m, activation: activation, u: r(), v: r(), w: r())
            for composition in [Composition.rightToLeft, .leftToRight] {
                let fast = net.evaluate { group.multiply($0, $1, composition: composition) }
                var correct = 0, margin = Double.infinity
                for a in 0..<n {
                    for b in 0..<n {
                        var f = [Double](repeating: 0, count: n)
                        for c in 0..<n {
                            for i in 0..<m { f[c] += activation.apply(net.u[a * m + i] + net.v[b * m + i]) * net.w[c * m + i] }
                        }
                        let label = group.multiply(a, b, composition: composition)
                        let other = (0..<n).filter { $0 != label }.map { f[$0] }.max()!
                        if f[label] > other { correct += 1 }
                        margin = min(margin, f[label] - other)
                    }
                }
                #expect(abs(fast.margin - margin) < 1e-12)
                #expect(fast.accuracy == Double(correct) / Double(n * n))
            }
        }
    }

    /// S_3 is not abelian: a network fitted to one convention is told that the other fits worse.
    @Test func otherCompositionIsDetected() throws {
        let group = try FiniteGroup.named("S3")
        let n = 6
        // A "lookup table" network: neuron (a, b) fires only on that pair and votes for a·b
        // under the left-to-right convention.
        var u = [Double](repeating: 0, count: n * n * n), v = u, w = u
        let m = n * n
        for a in 0..<n { for b in 0..<n {
            let i = a * n + b
            u[a * m + i] = 1; v[b * m + i] = 1
            w[group.multiply(a, b, composition: .leftToRight) * m + i] = 1
        } }
        let net = GroupNetwork(order: n, width: m, activation: .quadratic, u: u, v: v, w: w)
        let a = GroupAnalysis.run(network: net, group: group, groupName: "S3", options: .init())
        #expect(a.accuracy < 1)
        #expect(a.alternative.accuracy == 1)
        #expect(a.alternativeFitsBetter)
    }
}

/// A max-margin network for a group whose irreps are all real (the construction behind
/// Theorem 9): for every non-trivial irrep ρ (real orthogonal, degree d) and every index
/// triple (i, j, k) ∈ [d]³, the neuron pair u(a) = λ ρ(a)_{ij}, v(b) = ±λ ρ(b)_{jk},
/// w(c) = ±λ ρ(c)_{ik}. Each pair contributes (u+v)²w − (u−v)²w = 4uvw, so
/// f(a, b)[c] = Σ_ρ 4λ_ρ³ tr(ρ(a)ρ(b)ρ(c)ᵀ) = Σ_ρ 4λ_ρ³ χ_ρ(a b c⁻¹). With 4λ_ρ³ = d_ρ every wrong
/// class scores −1·(…) alike and the margin is |G|; by Schur orthogonality ‖ω‖² = 3|G|λ²/d, so
/// h/Σ‖ω‖³ = 2/(3√(3|G|)) / Σ_ρ d_ρ^{2.5} = γ*, at width 2 Σ_ρ d_ρ³ — the theorem's minimum.
func theorem9Network(_ group: FiniteGroup) -> GroupNetwork {
    let n = group.order
    let components = group.characterTable.realComponents
    var columns: [(u: [Double], v: [Double], w: [Double])] = []
    for (c, comp) in components.enumerated() where !comp.isTrivial {
        let d = comp.degree
        let lambda = pow(Double(d) / 4, 1.0 / 3)
        let mats = (0..<n).map { group.realComponentMatrix(c, $0)! }  // row-major d × d
        for i in 0..<d { for j in 0..<d { for k in 0..<d {
            let u = (0..<n).map { lambda * mats[$0][i * d + j] }
            let v = (0..<n).map { lambda * mats[$0][j * d + k] }
            let w = (0..<n).map { lambda * mats[$0][i * d + k] }
            columns.append((u, v, w))
            columns.append((u, v.map { -$0 }, w.map { -$0 }))
        } } }
    }
    let m = columns.count
    var u = [Double](repeating: 0, count: n * m), v = u, w = u
    for (i, col) in columns.enumerated() {
        for a in 0..<n { u[a * m + i] = col.u[a]; v[a * m + i] = col.v[a]; w[a * m + i] = col.w[a] }
    }
    return GroupNetwork(order: n, width: m, activation: .quadratic, u: u, v: v, w: w)
}

@Suite struct Theorem9Networks {
    @Test(arguments: ["S3", "S4", "D5", "D7"])
    func constructionAttainsGammaStar(name: String) throws {
        let g = try FiniteGroup.named(name)
        let net = theorem9Network(g)
        #expect(net.width == g.sumNonTrivialDegreeCubed * 2)
        let a = GroupAnalysis.run(network: net, group: g, groupName: name, options: .init())
        #expect(a.accuracy == 1)
        #expect(abs(a.margin - Double(g.order)) < 1e-9 * Double(g.order))
        #expect(abs(a.marginRatio! - 1) < 1e-9)
        #expect(a.unusedComponents.isEmpty)
        // Each neuron lies in one irrep's matrix coefficients.
        #expect(a.neurons.allSatisfy { $0.agree && abs(a.part("u", of: $0)!.maxNormalizedPower! - 1) < 1e-9 })
        // The fitted convention is the right one (ρ(ab) = ρ(a)ρ(b), right to left).
        #expect(!a.alternativeFitsBetter)
    }
}
