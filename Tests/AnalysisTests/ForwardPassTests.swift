import Foundation
import Testing
@testable import Analysis
import Groups

/// The single-precision screen (`ForwardPrecision.filtered`) must give the double pass's
/// accuracy and margin: its error bound decides which pairs are recomputed in double, so any
/// flaw in the bound shows up as a different minimum or count on some network.
@Suite struct MixedPrecisionForwardPass {
    static func labelings(_ group: FiniteGroup) -> [(Int, Int) -> Int] {
        [{ group.multiply($0, $1, composition: .rightToLeft) }, { group.multiply($0, $1, composition: .leftToRight) }]
    }

    static func expectSame(_ a: [(accuracy: Double, margin: Double)], _ b: [(accuracy: Double, margin: Double)],
                           tolerance: Double, _ what: String) {
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.accuracy == y.accuracy, "\(what): accuracy \(x.accuracy) vs \(y.accuracy)")
            #expect(abs(x.margin - y.margin) <= tolerance * max(abs(y.margin), 1e-300), "\(what): margin \(x.margin) vs \(y.margin)")
        }
    }

    @Test(arguments: ["C7", "C12", "S3", "S4", "D5", "A4"])
    func filteredEqualsDoubleOnRandomNetworks(name: String) throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named(name)
        let n = group.order, m = 37
        for activation in [Activation.quadratic, .relu, .power(3), .power(4)] {
            // Exact powers of two keep the double pass itself scale-free, so the three scales
            // must agree with each other as well.
            for scale in [1.0, 0x1p-100, 0x1p100] {
                let r = { (0..<(n * m)).map { _ in scale * Double.random(in: -1...1, using: &g) } }
                let net = GroupNetwork(order: n, width: m, activation: activation, u: r(), v: r(), w: r())
                let exact = net.evaluate(precision: .double, labelings: Self.labelings(group))
                let screened = net.evaluate(precision: .filtered, labelings: Self.labelings(group))
                let automatic = net.evaluate(precision: .automatic, labelings: Self.labelings(group))
                Self.expectSame(screened, exact, tolerance: 1e-12, "\(name) \(activation) scale \(scale) filtered")
                Self.expectSame(automatic, exact, tolerance: 1e-12, "\(name) \(activation) scale \(scale) automatic")
            }
        }
    }

    /// Theorem 7's network: every pair has the same margin, so every pair is a candidate for the
    /// minimum and the screen must hand all of them to the double pass.
    @Test func everyPairTiedStillGivesTheExactMargin() {
        let p = 11
        let net = theorem7Network(p: p, scale: 0.37)
        let add: (Int, Int) -> Int = { ($0 + $1) % p }
        let exact = net.evaluate(precision: .double, label: add)
        let screened = net.evaluate(precision: .filtered, label: add)
        #expect(exact.accuracy == 1 && screened.accuracy == 1)
        #expect(abs(screened.margin - 4 * Double(p) * pow(0.37, 3)) < 1e-12)
        #expect(abs(screened.margin - exact.margin) < 1e-13)
        // The probe sees that nearly every pair would need a re-check and runs in double.
        #expect(!net.forwardReport(label: add).screened)
    }

    /// A neuron that adds the same large score to every class leaves the margins unchanged but
    /// swamps single precision: the screen can settle almost nothing and must say so.
    @Test func marginsBelowSinglePrecisionAreRecomputed() throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named("S3")
        // Scores are ~4·10⁶; double resolves them to ~10⁻⁹, single to ~0.5.
        let net = Self.swamped(group, width: 12, input: 1000, output: 1, &g)
        Self.expectFilteredMatchesDouble(net, group, within: 1e-8)
    }

    /// Random weights in [−1, 1] plus neuron 0 with u = v = `input` and w = `output` for every
    /// element: it adds the same score to every class.
    static func swamped(_ group: FiniteGroup, width m: Int, input: Double, output: Double,
                        _ g: inout SystemRandomNumberGenerator) -> GroupNetwork {
        let n = group.order
        var u = (0..<(n * m)).map { _ in Double.random(in: -1...1, using: &g) }
        var v = (0..<(n * m)).map { _ in Double.random(in: -1...1, using: &g) }
        var w = (0..<(n * m)).map { _ in Double.random(in: -1...1, using: &g) }
        for a in 0..<n { u[a * m] = input; v[a * m] = input; w[a * m] = output }
        return GroupNetwork(order: n, width: m, activation: .quadratic, u: u, v: v, w: w)
    }

    static func expectFilteredMatchesDouble(_ net: GroupNetwork, _ group: FiniteGroup, within tolerance: Double) {
        let exact = net.evaluate(precision: .double, labelings: labelings(group))
        let screened = net.evaluate(precision: .filtered, labelings: labelings(group))
        for (x, y) in zip(screened, exact) {
            #expect(x.accuracy == y.accuracy)
            #expect(abs(x.margin - y.margin) < tolerance)
        }
    }

    /// Small integer weights: scores are exact in both precisions and ties (margin 0, not
    /// correct) are common; the bound must send every tie to the double pass.
    @Test func exactTiesAreCountedAsInDouble() throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named("D4")
        let n = group.order, m = 6
        for _ in 0..<20 {
            let r = { (0..<(n * m)).map { _ in Double(Int.random(in: -1...1, using: &g)) } }
            let net = GroupNetwork(order: n, width: m, activation: .quadratic, u: r(), v: r(), w: r())
            let exact = net.evaluate(precision: .double, labelings: Self.labelings(group))
            let screened = net.evaluate(precision: .filtered, labelings: Self.labelings(group))
            for (x, y) in zip(screened, exact) {
                #expect(x.accuracy == y.accuracy)
                #expect(x.margin == y.margin)
            }
        }
    }

    /// The block partition, the precision mode and the re-checked pairs do not depend on the
    /// number of threads: the numbers are bit for bit the same.
    @Test func resultsDoNotDependOnTheNumberOfThreads() throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named("S4")
        let n = group.order, m = 300
        let r = { (0..<(n * m)).map { _ in Double.random(in: -1...1, using: &g) } }
        let net = GroupNetwork(order: n, width: m, activation: .quadratic, u: r(), v: r(), w: r())
        for precision in [ForwardPrecision.automatic, .double, .filtered] {
            let one = net.evaluate(threads: 1, precision: precision, labelings: Self.labelings(group))
            for threads in [2, 3, 5] {
                let many = net.evaluate(threads: threads, precision: precision, labelings: Self.labelings(group))
                for (x, y) in zip(one, many) {
                    #expect(x.accuracy == y.accuracy)
                    #expect(x.margin.bitPattern == y.margin.bitPattern)
                }
            }
        }
    }

    /// Non-finite weights cannot be screened in single precision; the double pass handles them.
    @Test func nonFiniteWeightsFallBackToDouble() {
        let n = 5, m = 3
        var u = [Double](repeating: 0.5, count: n * m)
        u[4] = .infinity
        let net = GroupNetwork(order: n, width: m, activation: .quadratic, u: u, v: u, w: u)
        #expect(SingleFilter(network: net) == nil)
        // u = 0 but v ≠ 0: still screened (v sets the scale).
        let half = [Double](repeating: 0.5, count: n * m)
        let zero = GroupNetwork(order: n, width: m, activation: .relu, u: [Double](repeating: 0, count: n * m),
                                v: half, w: half)
        #expect(SingleFilter(network: zero) != nil)
        let r = zero.evaluate(precision: .filtered) { ($0 + $1) % n }
        let d = zero.evaluate(precision: .double) { ($0 + $1) % n }
        #expect(r.accuracy == d.accuracy && r.margin.bitPattern == d.margin.bitPattern)
    }

    /// The bound itself: every single-precision score lies within E(a, b) of the score computed
    /// directly in double, for every activation, across scales, and with a neuron that swamps
    /// single precision.
    @Test func everySingleScoreIsWithinItsBound() throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named("S4")
        let n = group.order, m = 150
        for activation in [Activation.quadratic, .relu, .power(3), .power(5)] {
            for (scale, swamp) in [(1.0, false), (0x1p-60, false), (0x1p70, false), (1.0, true)] {
                var u = (0..<(n * m)).map { _ in scale * Double.random(in: -1...1, using: &g) }
                var v = (0..<(n * m)).map { _ in scale * Double.random(in: -1...1, using: &g) }
                var w = (0..<(n * m)).map { _ in scale * Double.random(in: -1...1, using: &g) }
                if swamp { for a in 0..<n { u[a * m] = 64 * scale; v[a * m] = 64 * scale; w[a * m] = scale } }
                let net = GroupNetwork(order: n, width: m, activation: activation, u: u, v: v, w: w)
                let filter = try #require(SingleFilter(network: net))
                var labels = [Int32](repeating: 0, count: n * n)
                for a in 0..<n { for b in 0..<n { labels[a * n + b] = Int32(group.multiply(a, b)) } }
                var worst = 0.0
                labels.withUnsafeBufferPointer { lab in
                    let pass = ForwardPass(network: net, sets: 1, labels: lab.baseAddress!)
                    let buf = Buffers(rows: pass.blockA * n, m: m, n: n, sets: 1, single: true)
                    defer { buf.release() }
                    for a0 in stride(from: 0, to: n, by: pass.blockA) {
                        let rows = min(pass.blockA, n - a0)
                        _ = filter.screen(pass: pass, a0: a0, rows: rows, buf)
                        for r in 0..<(rows * n) {
                            let a = a0 + r / n, b = r % n
                            let row = buf.scoresF + r * (n + 1)
                            let e = filter.scoreBound(a: a, b: b, extra: row[n])
                            for c in 0..<n {
                                var s = 0.0
                                for i in 0..<m { s += activation.apply(u[a * m + i] + v[b * m + i]) * w[c * m + i] }
                                let err = abs(Double(row[c]) - s * filter.scoreScale)
                                worst = max(worst, err / e)
                            }
                        }
                    }
                }
                #expect(worst <= 1, "\(activation) scale \(scale) swamp \(swamp): error/bound \(worst)")
                // Not vacuous either: the bound is within a few hundred times the worst error seen.
                #expect(worst > 1e-4, "\(activation) scale \(scale) swamp \(swamp): error/bound \(worst)")
            }
        }
    }

    /// Scores near 2²⁰ round to steps of 1/8 in single precision, well above the gaps between
    /// the smallest margins: the screen must re-check enough pairs to find the true minimum.
    @Test func theMinimumIsFoundWhenSinglePrecisionMisordersMargins() throws {
        var g = SystemRandomNumberGenerator()
        let group = try FiniteGroup.named("S3")
        for _ in 0..<20 {
            Self.expectFilteredMatchesDouble(Self.swamped(group, width: 40, input: 256, output: 4, &g), group, within: 1e-9)
        }
    }
}
