import CKernels
import Foundation
import Testing
@testable import Analysis
import Groups

/// The C kernels of the attribution's passes (CKernels/kernels.c) against plain loops written
/// here, and the losses of a network whose losses are known in closed form and tiny (where
/// rounding in the log-sum-exp shows first).
@Suite struct AttributionKernels {
    /// Deterministic values in [lo, hi).
    static func values(_ count: Int, seed: UInt64, lo: Double, hi: Double) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return lo + (hi - lo) * Double(state >> 11) / Double(1 << 53)
        }
    }

    /// Σ log x as the log of the product: against the sum of libm's logs, for lengths around the
    /// eight lanes, values over a wide range of exponents; NaN for a non-positive, subnormal,
    /// infinite or NaN entry; 0 for no entries.
    @Test func sumOfLogs() {
        for n in [1, 7, 8, 9, 63, 113, 1000] {
            let x = Self.values(n, seed: UInt64(n), lo: -600, hi: 600).map { exp($0) }
            let reference = x.reduce(0.0) { $0 + log($1) }
            let magnitude = x.reduce(0.0) { $0 + abs(log($1)) }
            let got = irrepscope_sum_log(x, n)
            #expect(abs(got - reference) <= 1e-15 * magnitude + Double(n) * 1e-16, "n = \(n)")
        }
        // Values near 1 (a loss near 0): the product keeps them to about one unit in the last place each.
        let near = Self.values(100, seed: 3, lo: 0, hi: 1e-6).map { 1 + $0 }
        #expect(abs(irrepscope_sum_log(near, 100) - near.reduce(0.0) { $0 + log($1) }) <= 100 * 2.3e-16)
        #expect(irrepscope_sum_log([], 0) == 0)
        for bad in [0.0, -1.0, 1e-310, .infinity, .nan] {
            #expect(irrepscope_sum_log([2, bad, 3], 3).isNaN, "\(bad)")
        }
    }

    /// The least and the largest value, NaNs skipped.
    @Test func range() {
        for n in [1, 5, 8, 17, 120] {
            var x = Self.values(n, seed: UInt64(40 + n), lo: -5, hi: 5)
            if n > 3 { x[2] = .nan }
            var lo = 0.0, hi = 0.0
            irrepscope_range(x, n, &lo, &hi)
            let finite = x.filter { !$0.isNaN }
            #expect(lo == finite.min()! && hi == finite.max()!, "n = \(n)")
        }
        var lo = 0.0, hi = 0.0
        irrepscope_range([.nan], 1, &lo, &hi)
        #expect(lo == .infinity && hi == -.infinity)
        irrepscope_range([-.infinity, 1], 2, &lo, &hi)
        #expect(lo == -.infinity && hi == 1)
    }

    /// Per row: the two largest values by the scalar rule (first index of the largest, a tie
    /// gives second = top), the row less its mean, and the sum of squares of that.
    @Test func centeredRows() {
        for n in [1, 3, 8, 13, 113] {
            let rows = 5
            var x = Self.values(rows * n, seed: UInt64(n), lo: -3, hi: 3)
            if n > 2 { x[n + 1] = x[n]; x[2 * n] = .nan }   // a tie in row 1, a NaN in row 2
            var y = [Double](repeating: 0, count: rows * n), top = [Double](repeating: 0, count: rows)
            var second = top, squares = top, arg = [Int32](repeating: 0, count: rows)
            irrepscope_center_rows_f64(x, rows, n, &y, &top, &arg, &second, &squares)
            for j in 0..<rows {
                let row = Array(x[(j * n)..<((j + 1) * n)])
                var m1 = -Double.infinity, i1 = 0, m2 = -Double.infinity
                for (c, v) in row.enumerated() { if v > m1 { m2 = m1; m1 = v; i1 = c } else if v > m2 { m2 = v } }
                #expect(top[j] == m1 && Int(arg[j]) == i1 && second[j] == m2, "n = \(n) row \(j)")
                guard !row.contains(where: \.isNaN) else { continue }
                let mean = row.reduce(0, +) / Double(n)
                var q = 0.0
                for c in 0..<n {
                    #expect(abs(y[j * n + c] - (row[c] - mean)) <= 1e-15 * 8)
                    q += (row[c] - mean) * (row[c] - mean)
                }
                #expect(abs(squares[j] - q) <= 1e-13 * max(1, q))
            }
        }
    }

    /// The raw sums over the pairs of each label of (p + q)², against the scalar loop bit for bit
    /// (the same order of sums), for chunks that are not multiples of the 64- and 8-neuron blocks.
    @Test func labelSquares() throws {
        let g = try FiniteGroup.named("D5")
        let n = g.order, m = 150
        let p = Self.values(n * m, seed: 1, lo: -1, hi: 1), q = Self.values(n * m, seed: 2, lo: -1, hi: 1)
        let table = g.multiplicationTable
        var pair = [Int32](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n { pair[table[a, b] * n + a] = Int32(b) } }
        var f = [Double](repeating: -1, count: n * m)
        irrepscope_label_squares_f64(p, q, m, n, pair, 0, 137, &f)
        irrepscope_label_squares_f64(p, q, m, n, pair, 137, 13, &f)
        for g0 in 0..<n { for i in 0..<m {
            var acc = 0.0
            for a in 0..<n { let t = p[a * m + i] + q[Int(pair[g0 * n + a]) * m + i]; acc += t * t }
            #expect(f[g0 * m + i] == acc, "label \(g0) neuron \(i)")
        } }
    }

    /// Theorem 7's network on C_11 scaled so that every pair's loss is 1e-8 … 1e-5: its logits are
    /// 8s³ Σ_ζ cos(2πζ(a + b − c)/11), so the loss is log1p(10 e^{−44 s³}) and the loss without
    /// frequency ζ is log1p(Σ_{d ≠ 0} e^{−8s³ (4.5 + cos(2πζd/11))}), the same for every pair:
    /// the losses to 6e-16 and 5e-16 absolute (a few units in the last place of the sums
    /// 1 + Σ e^{…} their logs are taken of). Taking max x + log Σ − x_g instead, as the pass did
    /// before, rounds at the scale of max x ≈ 15 and errs by 7e-16 to 1.7e-15 at these scales.
    @Test(arguments: [0.705, 0.71, 0.75, 0.77])
    func tinyLossesInClosedForm(scale: Double) throws {
        let p = 11
        let g = try FiniteGroup.named("C\(p)")
        let s3 = scale * scale * scale
        let loss = log1p(10 * exp(-44 * s3))
        #expect(loss > 1e-8 && loss < 1e-5)
        let r = attribution(theorem7Network(p: p, scale: scale), g, threads: 2)
        #expect(abs(r.loss - loss) <= 6e-16, "loss \(r.loss) vs \(loss)")
        for z in 1...5 {
            var sum = 0.0
            for d in 1..<p { sum += exp(-8 * s3 * (4.5 + cos(2 * Double.pi * Double(z * d) / Double(p)))) }
            let excluded = log1p(sum)
            let got = r.components[z].excludedLoss
            #expect(abs(got - excluded) <= 5e-16, "frequency \(z): \(got) vs \(excluded)")
        }
    }

    /// The route of groups whose logits are not kept (|G| > 512: rows recomputed block by block,
    /// one matrix–vector product per pair) against the kept route, with and without a pairs
    /// subset, on a random network (some pairs' logits span more than 300: the direct route too).
    @Test(arguments: ["C13", "S4", "D6"])
    func recomputedRowsMatchTheKeptLogits(name: String) throws {
        let g = try FiniteGroup.named(name)
        let n = g.order
        for scale in [1.0, 400.0] {
            let (net, wide) = AttributionIdentities.scaledNetwork(n, width: 9, activation: .relu, seed: 17, scale: scale)
            #expect(scale == 1 ? wide == 0 : wide > 0, "\(name) ×\(scale): \(wide) pairs span more than 300")
            var o = AttributionOptions()
            o.pairs = PairList((0..<(n * n / 3)).map { ($0 % n, ($0 * 7) % n) })
            let kept = Attribution.compute(network: net, group: g, composition: .rightToLeft, options: o, threads: 2, pass: nil)!
            let rows = Attribution.compute(network: net, group: g, composition: .rightToLeft, options: o, threads: 2, pass: nil,
                                           logitCache: 0)!
            func close(_ a: Double?, _ b: Double?) -> Bool {
                guard let a, let b else { return a == nil && b == nil }
                return abs(a - b) <= 1e-12 * max(1, abs(b))
            }
            #expect(close(kept.loss, rows.loss) && close(kept.excludedLoss, rows.excludedLoss), "\(name) ×\(scale)")
            #expect(close(kept.onPairs?.loss, rows.onPairs?.loss) && close(kept.onPairs?.excludedLoss, rows.onPairs?.excludedLoss))
            for (x, y) in zip(kept.components, rows.components) {
                #expect(close(x.logitSimilarity, y.logitSimilarity) && close(x.excludedLoss, y.excludedLoss)
                        && close(x.excludedLossOnPairs, y.excludedLossOnPairs), "\(name) ×\(scale) component \(x.component)")
            }
        }
    }
}
