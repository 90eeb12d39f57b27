import CBLAS
import CKernels
import Foundation
import Fourier

/// How `GroupNetwork.evaluate` computes the scores f(a, b)[c] of all |G|² pairs (docs/theory.md
/// §1) and from them the accuracy and the margin h = min over pairs of f[c] − max_{c'≠c} f[c']
/// (docs/theory.md §2).
///
/// Whatever the choice, the reported accuracy and margin are those of the double-precision
/// forward pass: single precision is only ever used as a filter whose error is bounded
/// rigorously, and every pair the bound cannot settle is recomputed in double.
public enum ForwardPrecision: Sendable, Equatable {
    /// The first block of pairs is screened as a probe: `filtered` when at most a quarter of
    /// its pairs need a re-check (its screen is then kept), `double` otherwise (e.g. for
    /// networks at the maximum margin, whose pairs all have nearly the same margin).
    case automatic
    /// Every score in double precision: `logits(rows:)` on the blocks of the attribution's kept
    /// pass (`LogitPass`), hence the same bits.
    case double
    /// Scores in single precision (one sgemm per block, half the time of dgemm) with a bound
    /// E(a, b) on the error of every score of the pair; a pair is recomputed in double when
    /// its margin could be the minimum (g̃ − 2E ≤ min over the block of g̃ + 2E) or its sign is
    /// unsettled (|g̃| ≤ 2E) — the pairs that could still decide the counts or the minimum then
    /// through the very product of the kept pass, so that the numbers are that pass's bit for
    /// bit (`recheckTally`). The bound is rigorous for any summation order of the sgemm
    /// (Higham's γ_m), covers the rounding of the weights to single precision, of the
    /// activation and underflow, and is computed on weights scaled by powers of two
    /// (exact) so that nothing overflows.
    case filtered
}

/// The forward pass over all pairs, in blocks of left inputs a; see `GroupNetwork.evaluate`.
///
/// The block partition depends only on |G| and m (not on the number of threads), the
/// precision mode is decided once, and the pairs re-checked in double are chosen against the
/// minimum over all blocks, so the results do not depend on the number of threads.
struct ForwardPass: @unchecked Sendable {
    let network: GroupNetwork
    let n: Int
    let m: Int
    let sets: Int
    /// `labels[s·n² + a·n + b]`: the label of (a, b) in labeling s.
    let labels: UnsafePointer<Int32>
    /// Left inputs per block.
    let blockA: Int

    init(network: GroupNetwork, sets: Int, labels: UnsafePointer<Int32>) {
        self.network = network
        n = network.order; m = network.width
        self.sets = sets; self.labels = labels
        // About 2^19 hidden activations per block (2 MiB in single precision, 4 MiB in
        // double): large enough that packing W is a small share of each GEMM, small enough
        // to stay in cache and to balance the blocks over the cores.
        blockA = max(1, min(n, (1 << 19) / max(n * m, 1)))
    }

    var blocks: Int { (n + blockA - 1) / blockA }

    /// Per labeling: (number of correct pairs, minimum margin).
    typealias Tally = [(correct: Int, margin: Double)]

    /// What a run did: whether the single-precision screen was used, and how many pairs it
    /// left to the double pass (all n² without the screen).
    struct Report {
        var screened: Bool
        var recomputedPairs: Int
    }

    func run(threads: Int, precision: ForwardPrecision) -> [(accuracy: Double, margin: Double)] {
        runReporting(threads: threads, precision: precision).results
    }

    func runReporting(threads: Int, precision: ForwardPrecision)
        -> (results: [(accuracy: Double, margin: Double)], report: Report) {
        useSingleThreadedBLAS()
        var filter = precision == .double ? nil : SingleFilter(network: network)
        // The probe: block 0 screened first, on this thread. The filter pays when at most a
        // quarter of its pairs need a re-check; then its screen is kept, not redone.
        var first: BlockScreen? = nil
        if precision == .automatic, let f = filter {
            let buf = Buffers(rows: blockA * n, m: m, n: n, sets: sets, single: true)
            let screen = screenBlock(0, f, buf)
            buf.release()
            if screen.pairs.count * 4 <= range(0).rows * n { first = screen } else { filter = nil }
        }
        var report = Report(screened: filter != nil, recomputedPairs: n * n)
        let tally = filter.map { filtered($0, threads: threads, first: first, recomputed: &report.recomputedPairs) }
            ?? doublePass(threads: threads)
        return (tally.map { (Double($0.correct) / Double(n * n), $0.margin) }, report)
    }

    /// The single-precision screen of block k: counts of the pairs it settles, its thresholds
    /// and the pairs it leaves to the double pass.
    private func screenBlock(_ k: Int, _ f: SingleFilter, _ buf: Buffers) -> BlockScreen {
        let (a0, rows) = range(k)
        let (_, thresholds) = f.screen(pass: self, a0: a0, rows: rows, buf)
        var screen = BlockScreen()
        screen.thresholds = thresholds
        screen.correct = [Int](repeating: 0, count: sets)
        for r in 0..<(rows * n) {
            if buf.flagged[r] {
                screen.pairs.append(a0 * n + r)
                for s in 0..<sets { screen.bounds.append(buf.lower[r * sets + s]); screen.bounds.append(buf.upper[r * sets + s]) }
            } else {
                for s in 0..<sets where buf.lower[r * sets + s] > 0 { screen.correct[s] += 1 }
            }
        }
        return screen
    }

    /// Rows of the block k: left inputs a0 ..< a0 + rows.
    private func range(_ k: Int) -> (a0: Int, rows: Int) {
        let a0 = k * blockA
        return (a0, min(blockA, n - a0))
    }

    /// Runs `body(item, buffers)` for items 0..<count on up to `threads` workers, each with its
    /// own scratch buffers; items are handed out in order.
    private func parallel(_ count: Int, threads: Int, rows: Int, single: Bool, _ body: @escaping (Int, Buffers) -> Void) {
        guard count > 0 else { return }
        let next = BlockCounter()
        let workers = max(1, min(threads, count))
        let pass = self
        let work = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let buffers = Buffers(rows: rows, m: pass.m, n: pass.n, sets: pass.sets, single: single)
            defer { buffers.release() }
            while let k = next.take(below: count) { work.value(k, buffers) }
        }
    }

    private func combine(_ parts: UnsafeMutablePointer<(correct: Int, margin: Double)>, count: Int) -> Tally {
        (0..<sets).map { s in
            var correct = 0, margin = Double.infinity
            for k in 0..<count {
                correct += parts[k * sets + s].correct
                margin = min(margin, parts[k * sets + s].margin)
            }
            return (correct, margin)
        }
    }

    /// Every score in double precision: `logits(rows:)` on the blocks of the attribution's kept
    /// pass (`LogitPass.rowsPerBlock`), so the same bits as that pass.
    func doublePass(threads: Int) -> Tally {
        let step = LogitPass.rowsPerBlock(n)
        let count = (n + step - 1) / step
        let parts = UnsafeMutablePointer<(correct: Int, margin: Double)>.allocate(capacity: count * sets)
        defer { parts.deallocate() }
        let shared = SharedMutablePointer(parts)
        // `logits(rows:)` allocates its own scratch: no per-worker buffers.
        let next = BlockCounter()
        let pass = self
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            while let k = next.take(below: count) {
                let rows = (k * step)..<min(pass.n, (k + 1) * step)
                let f = pass.network.logits(rows: rows)
                var t = Tally(repeating: (0, .infinity), count: pass.sets)
                f.withUnsafeBufferPointer { fb in
                    for q in 0..<(rows.count * pass.n) {
                        pass.margins(fb.baseAddress! + q * pass.n, pair: rows.lowerBound * pass.n + q) { s, g in
                            if g > 0 { t[s].correct += 1 }
                            t[s].margin = min(t[s].margin, g)
                        }
                    }
                }
                for s in 0..<pass.sets { shared.pointer[k * pass.sets + s] = t[s] }
            }
        }
        return combine(parts, count: count)
    }

    /// The margin g_s = f[c] − max_{c'≠c} f[c'] of pair p (index a·n + b) against each labeling s,
    /// from its scores `row`, handed to `body(s, g_s)`.
    @inline(__always)
    private func margins(_ row: UnsafePointer<Double>, pair p: Int, _ body: (Int, Double) -> Void) {
        let (m1, i1, m2) = topTwo(row, n)
        for s in 0..<sets {
            let c = Int(labels[s * n * n + p])
            body(s, row[c] - (c == i1 ? m2 : m1))
        }
    }

    /// Pairs per dgemm of the first stage of the re-check.
    static let recheckChunk = 256

    /// Accuracy counts and the minimum margin of the pairs `recheck` (index a·n + b), with the
    /// margins of the attribution's kept pass bit for bit, whatever the BLAS's kernels (a BLAS
    /// may round a row differently in a product of another shape: OpenBLAS's edge kernels do).
    ///
    /// First every pair's margins g_s in double precision by one dgemm per 256 pairs, with
    /// δ = 4.5 γ_m Σ_i |h_i| max_c |w_ic| + 2⁻⁵¹ |g_s|: two double-precision evaluations of the
    /// same scores in any summation orders (γ_m = m u/(1 − m u), u = 2⁻⁵³) differ by at most
    /// 2 γ_m Σ_i |h_i w_ic| per score, so their margins by twice that plus the subtractions'
    /// rounding. A pair whose |g_s| ≤ δ (its sign could differ) or whose g_s − δ is within reach
    /// of the smallest g + δ (it could be the minimum) is then recomputed through the chunk of
    /// `logits(rows:)` that holds it in the kept pass's blocks (`GroupNetwork.logitChunk`): the
    /// very product of that pass. Every other pair's sign is the kept pass's, and the minimum
    /// is among the recomputed pairs, so the counts and the minimum are the kept pass's.
    private func recheckTally(_ recheck: [Int], threads: Int) -> Tally {
        let count = recheck.count
        guard count > 0 else { return Tally(repeating: (0, .infinity), count: sets) }
        var margins = [Double](repeating: 0, count: count * sets), slack = [Double](repeating: 0, count: count)
        let chunk = ForwardPass.recheckChunk
        let chunks = (count + chunk - 1) / chunk
        let u = 0x1p-53, mu = Double(m) * u
        let gamma = mu / (1 - mu)
        let wStar = (0..<m).map { i in (0..<n).reduce(0.0) { max($0, abs(network.w[$1 * m + i])) } }
        margins.withUnsafeMutableBufferPointer { gb in slack.withUnsafeMutableBufferPointer { db in
            let G = SharedMutablePointer(gb.baseAddress!), D = SharedMutablePointer(db.baseAddress!)
            parallel(chunks, threads: threads, rows: chunk, single: false) { k, buf in
                let pairs = Array(recheck[(k * chunk)..<min(count, (k + 1) * chunk)])
                self.exactScores(pairs, buf)
                for (j, p) in pairs.enumerated() {
                    let row = buf.scoresD + j * self.n, h = buf.hiddenD + j * self.m
                    var a = 0.0
                    for i in 0..<self.m { a += abs(h[i]) * wStar[i] }
                    var widest = 0.0
                    self.margins(row, pair: p) { s, g in
                        G.pointer[(k * chunk + j) * self.sets + s] = g
                        widest = max(widest, abs(g))
                    }
                    // a was summed in double: (1 + γ_m) covers its own rounding; the last term
                    // the products' underflow (at most one subnormal unit each).
                    D.pointer[k * chunk + j] = 4.5 * gamma * a * (1 + gamma) + 0x1p-51 * widest
                        + 4 * Double(self.m + 2) * Double.leastNonzeroMagnitude
                }
            }
        } }
        // The pairs whose sign or whose being the minimum the first stage cannot settle.
        var reach = [Double](repeating: .infinity, count: sets)
        for j in 0..<count { for s in 0..<sets { reach[s] = min(reach[s], margins[j * sets + s] + slack[j]) } }
        var critical: [Int] = []
        for j in 0..<count {
            if (0..<sets).contains(where: { s in
                let g = margins[j * sets + s]
                return abs(g) <= slack[j] || g - slack[j] <= reach[s]
            }) { critical.append(j) }
        }
        // The critical pairs through their chunks, grouped by chunk (keyed by the chunk's first
        // pair a0·n + first).
        var groups: [Int: (rows: Range<Int>, first: Int, count: Int, members: [Int])] = [:]
        var widest = 1
        for j in critical {
            let p = recheck[j], rows = LogitPass.block(containing: p / n, order: n)
            let pairs = rows.count * n, size = network.logitChunk(pairs: pairs)
            let first = (p - rows.lowerBound * n) / size * size
            let key = rows.lowerBound * n + first
            if groups[key] == nil { groups[key] = (rows, first, min(size, pairs - first), []) }
            groups[key]!.members.append(j)
            widest = max(widest, size)
        }
        let list = groups.keys.sorted().map { groups[$0]! }
        margins.withUnsafeMutableBufferPointer { gb in
            let G = SharedMutablePointer(gb.baseAddress!)
            parallel(list.count, threads: threads, rows: widest, single: false) { k, buf in
                let g = list[k]
                self.network.logitChunk(rows: g.rows, first: g.first, count: g.count, hidden: buf.hiddenD, into: buf.scoresD)
                let offset = g.rows.lowerBound * self.n + g.first
                for j in g.members {
                    let p = recheck[j]
                    self.margins(buf.scoresD + (p - offset) * self.n, pair: p) { s, g in G.pointer[j * self.sets + s] = g }
                }
            }
        }
        var out = Tally(repeating: (0, .infinity), count: sets)
        for j in 0..<count { for s in 0..<sets {
            let g = margins[j * sets + s]
            if g > 0 { out[s].correct += 1 }
            out[s].margin = min(out[s].margin, g)
        } }
        return out
    }

    /// The double-precision scores of `pairs` (index a·n + b) into `buf.scoresD` (their hidden
    /// activations into `buf.hiddenD`): one dgemm in whatever shape the pairs make.
    private func exactScores(_ pairs: [Int], _ buf: Buffers) {
        // The activations of `logits(rows:)` (`hiddenRow`), bit for bit: the bound δ of
        // `recheckTally` covers the products' summation order, not other activations.
        for (j, p) in pairs.enumerated() { network.hiddenRow(a: p / n, b: p % n, into: buf.hiddenD + j * m) }
        network.w.withUnsafeBufferPointer { w in
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(pairs.count), Int32(n), Int32(m), 1,
                        buf.hiddenD, Int32(m), w.baseAddress, Int32(m), 0, buf.scoresD, Int32(n))
        }
    }

    /// The single-precision screen over all blocks, then the double-precision re-check of the
    /// pairs whose margin could be the global minimum or whose sign is unsettled.
    func filtered(_ f: SingleFilter, threads: Int, first: BlockScreen? = nil, recomputed: inout Int) -> Tally {
        let count = blocks
        let screens = UnsafeMutablePointer<BlockScreen>.allocate(capacity: count)
        screens.initialize(repeating: BlockScreen(), count: count)
        defer { screens.deinitialize(count: count); screens.deallocate() }
        let shared = SharedMutablePointer(screens)
        let skip = first == nil ? 0 : 1
        if let first { screens[0] = first }
        parallel(count - skip, threads: threads, rows: blockA * n, single: true) { k, buf in
            shared.pointer[k + skip] = self.screenBlock(k + skip, f, buf)
        }
        // Thresholds over all blocks: the minimum's upper bound.
        var tally = Tally(repeating: (0, .infinity), count: sets)
        var threshold = [Double](repeating: .infinity, count: sets)
        for k in 0..<count {
            for s in 0..<sets {
                threshold[s] = min(threshold[s], screens[k].thresholds[s])
                tally[s].correct += screens[k].correct[s]
            }
        }
        var recheck = [Int]()
        for k in 0..<count {
            let sc = screens[k]
            for (j, p) in sc.pairs.enumerated() {
                var needed = false
                for s in 0..<sets {
                    let lo = sc.bounds[(j * sets + s) * 2], hi = sc.bounds[(j * sets + s) * 2 + 1]
                    if lo <= threshold[s] || (lo <= 0 && hi > 0) { needed = true }
                }
                if needed {
                    recheck.append(p)
                } else {
                    for s in 0..<sets where sc.bounds[(j * sets + s) * 2] > 0 { tally[s].correct += 1 }
                }
            }
        }
        recomputed = recheck.count
        let exact = recheckTally(recheck, threads: threads)
        return (0..<sets).map { (tally[$0].correct + exact[$0].correct, min(tally[$0].margin, exact[$0].margin)) }
    }
}

/// One block's screen: settled counts, the block's thresholds, and the pairs it could not
/// settle with their bounds (lower, upper per labeling).
struct BlockScreen {
    var pairs: [Int] = []
    var bounds: [Double] = []
    var correct: [Int] = []
    var thresholds: [Double] = []
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

/// The single-precision screen: weights scaled by powers of two and rounded to Float, W
/// extended by a row W*_i = max_c |w̃_ci| so that the sgemm also returns S = Σ_i |h̃_i| W*_i,
/// and the constants of the error bound
///   |s̃_c − s_c| ≤ E = c₁·S + c₂·(A[a] + B[b]) + e₀,   A[a] = Σ_i |u_i[a]|^k W*_i,
/// where k is the activation's degree, c₁ = (γ_m + ε)/(1 − γ_m) (the sgemm and the rounding of
/// w), c₂ = C_σ·ε·2^(k−1) (the rounding of u, v and of σ, with (|x|+|y|)^k ≤ 2^(k−1)(|x|^k+|y|^k))
/// and e₀ a generous bound on all underflow. For odd powers (h̃ may be negative) S is replaced
/// by its bound (1 + 5kε)·2^(k−1)(A[a] + B[b]).
struct SingleFilter: Sendable {
    let u: [Float]
    let v: [Float]
    /// (n + 1) × m: the scaled w, then W*.
    let w: [Float]
    let leftBound: [Double]
    let rightBound: [Double]
    let c1: Double
    let c2: Double
    let e0: Double
    let nonnegative: Bool
    let sBoundFactor: Double
    /// The single-precision scores are the network's scores times this power of two.
    let scoreScale: Double

    /// nil when the weights do not suit single precision (non-finite, all zero, or so wide or
    /// of so high a degree that the scaled scores could overflow).
    init?(network: GroupNetwork) {
        let n = network.order, m = network.width
        let k: Int
        let cSigma: Double
        switch network.activation {
        case .relu: k = 1; cSigma = 2.001
        case .quadratic: k = 2; cSigma = 7
        case .power(let d): k = d; cSigma = Double(3 * d + 1)
        case .gelu, .geluTanh: return nil   // not bounded by the screen's analysis: double only
        }
        let eps = 0x1p-24
        guard n >= 1, m >= 1, k >= 1, k <= 40, Double(m) * eps < 0x1p-8 else { return nil }
        // max |x| over an array, nil when an entry is not finite (x·0 is NaN exactly then).
        func maxAbs(_ x: [Double]) -> Double? {
            x.withUnsafeBufferPointer { b -> Double? in
                var top = SIMD4<Double>(), poison = SIMD4<Double>()
                var i = 0
                while i + 4 <= b.count {
                    let v = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: SIMD4<Double>.self)
                    let a = SIMD4<Double>(abs(v[0]), abs(v[1]), abs(v[2]), abs(v[3]))
                    top.replace(with: a, where: a .> top)
                    poison += v * 0
                    i += 4
                }
                var best = max(max(top[0], top[1]), max(top[2], top[3]))
                var bad = poison.sum()
                while i < b.count { best = max(best, abs(b[i])); bad += b[i] * 0; i += 1 }
                return bad.isNaN ? nil : best
            }
        }
        guard let mu = maxAbs(network.u), let mv = maxAbs(network.v), let mw = maxAbs(network.w) else { return nil }
        let maxUV = max(mu, mv), maxW = mw
        guard maxUV > 0, maxW > 0 else { return nil }
        // Exact scalings by powers of two: max |u|, |v| < 1 and max |w| < 1.
        let su = Double(sign: .plus, exponent: -(maxUV.exponent + 1), significand: 1)
        let sw = Double(sign: .plus, exponent: -(maxW.exponent + 1), significand: 1)
        func single(_ x: [Double], _ scale: Double, extra: Int = 0) -> [Float] {
            [Float](unsafeUninitializedCapacity: x.count + extra) { out, count in
                irrepscope_prefault(out.baseAddress, (x.count + extra) * 4, 1)
                x.withUnsafeBufferPointer { b in
                    for i in 0..<b.count { out[i] = Float(b[i] * scale) }
                }
                count = x.count
            }
        }
        u = single(network.u, su)
        v = single(network.v, su)
        var wf = single(network.w, sw, extra: m)
        var star = [Float](repeating: 0, count: m)
        wf.withUnsafeBufferPointer { b in
            star.withUnsafeMutableBufferPointer { st in
                for c in 0..<n {
                    let row = b.baseAddress! + c * m
                    for i in 0..<m { let a = abs(row[i]); if a > st[i] { st[i] = a } }
                }
            }
        }
        wf.append(contentsOf: star)
        w = wf
        let starD = star.map(Double.init)
        // Σ_i |x_i[a]|^k W*_i per element a, in double, rounded up by more than its own
        // rounding error (m terms: ≤ m·2⁻⁵³ relative).
        let roundUp = 1 + 2 * Double(m) * 0x1p-53 + 0x1p-40
        func side(_ x: [Double]) -> [Double] {
            x.withUnsafeBufferPointer { b in
                starD.withUnsafeBufferPointer { st in
                    (0..<n).map { a in
                        let row = b.baseAddress! + a * m
                        var s0 = 0.0, s1 = 0.0
                        var i = 0
                        switch k {
                        case 1:
                            while i + 1 < m { s0 += abs(row[i] * su) * st[i]; s1 += abs(row[i + 1] * su) * st[i + 1]; i += 2 }
                            if i < m { s0 += abs(row[i] * su) * st[i] }
                        case 2:
                            while i + 1 < m {
                                let t0 = row[i] * su, t1 = row[i + 1] * su
                                s0 += t0 * t0 * st[i]; s1 += t1 * t1 * st[i + 1]; i += 2
                            }
                            if i < m { let t = row[i] * su; s0 += t * t * st[i] }
                        default:
                            for j in 0..<m {
                                let t = abs(row[j] * su)
                                var p = t
                                for _ in 1..<k { p *= t }
                                s0 += p * st[j]
                            }
                        }
                        return (s0 + s1) * roundUp
                    }
                }
            }
        }
        leftBound = side(network.u); rightBound = side(network.v)
        var scale = sw
        for _ in 0..<k { scale *= su }
        scoreScale = scale
        let gm = Double(m) * eps / (1 - Double(m) * eps)
        let slack = 1 + 1e-6
        // c₁ also absorbs the double-precision reference's own error (≤ γ_m in double).
        c1 = ((gm + eps / (1 - eps)) / (1 - gm) + 4 * Double(m) * 0x1p-53) * slack
        c2 = cSigma * eps * (1 + 2 * eps) / (1 - eps) * Double(1 << (k - 1)) * slack
        e0 = Double(m + n) * Double(sign: .plus, exponent: k - 120, significand: 1)
        nonnegative = network.activation == .relu || k % 2 == 0
        sBoundFactor = (1 + 5 * Double(k) * eps) * Double(1 << (k - 1))
    }

    /// E(a, b): a bound on |s̃_c − s_c| for every class c of the pair (a, b), in the scaled
    /// units of `scoreScale`, given the extra column S of its sgemm row.
    @inline(__always)
    func scoreBound(a: Int, b: Int, extra: Float) -> Double {
        let side = leftBound[a] + rightBound[b]
        let s = nonnegative ? Double(extra) : sBoundFactor * side
        return c1 * s + c2 * side + e0
    }

    /// Scores the pairs (a, b), a ∈ a0 ..< a0 + rows, in single precision; fills
    /// `lower`/`upper` (the margin's bounds per labeling) and `flagged` (needs double).
    /// Returns the number of flagged pairs and, per labeling, the least upper bound of a
    /// margin in the block.
    func screen(pass: ForwardPass, a0: Int, rows: Int, _ buf: Buffers) -> (flagged: Int, thresholds: [Double]) {
        let n = pass.n, m = pass.m, sets = pass.sets
        let pairs = rows * n
        u.withUnsafeBufferPointer { u in
            v.withUnsafeBufferPointer { v in
                for da in 0..<rows {
                    for b in 0..<n {
                        fillHidden(buf.hiddenF + (da * n + b) * m, u.baseAddress! + (a0 + da) * m,
                                   v.baseAddress! + b * m, m, pass.network.activation)
                    }
                }
            }
        }
        w.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(pairs), Int32(n + 1), Int32(m), 1,
                        buf.hiddenF, Int32(m), w.baseAddress, Int32(m), 0, buf.scoresF, Int32(n + 1))
        }
        var threshold = [Double](repeating: .infinity, count: sets)
        for r in 0..<pairs {
            let row = buf.scoresF + r * (n + 1)
            let a = a0 + r / n, b = r % n
            let e = 2 * scoreBound(a: a, b: b, extra: row[n])
            let (m1, i1, m2) = topTwo(row, n)
            for t in 0..<sets {
                let c = Int(pass.labels[t * n * n + a0 * n + r])
                let g = Double(row[c]) - Double(c == i1 ? m2 : m1)
                buf.lower[r * sets + t] = g - e
                buf.upper[r * sets + t] = g + e
                threshold[t] = min(threshold[t], g + e)
            }
        }
        var flagged = 0
        for r in 0..<pairs {
            var f = false
            for t in 0..<sets {
                let lo = buf.lower[r * sets + t], hi = buf.upper[r * sets + t]
                if lo <= threshold[t] || (lo <= 0 && hi > 0) { f = true }
            }
            buf.flagged[r] = f
            if f { flagged += 1 }
        }
        return (flagged, threshold)
    }
}

/// Per-worker scratch space, allocated once: single precision for the screen, double for
/// the exact pass.
final class Buffers: @unchecked Sendable {
    let hiddenD: UnsafeMutablePointer<Double>
    let scoresD: UnsafeMutablePointer<Double>
    let hiddenF: UnsafeMutablePointer<Float>
    let scoresF: UnsafeMutablePointer<Float>
    let lower: UnsafeMutablePointer<Double>
    let upper: UnsafeMutablePointer<Double>
    let flagged: UnsafeMutablePointer<Bool>

    init(rows: Int, m: Int, n: Int, sets: Int, single: Bool) {
        hiddenD = .allocate(capacity: single ? 1 : rows * m)
        scoresD = .allocate(capacity: single ? 1 : rows * n)
        hiddenF = .allocate(capacity: single ? rows * m : 1)
        scoresF = .allocate(capacity: single ? rows * (n + 1) : 1)
        // Every page is written for each block: map them in one call, not one fault each.
        irrepscope_prefault(hiddenF, (single ? rows * m : 1) * 4, 1)
        irrepscope_prefault(scoresF, (single ? rows * (n + 1) : 1) * 4, 1)
        lower = .allocate(capacity: rows * sets)
        upper = .allocate(capacity: rows * sets)
        flagged = .allocate(capacity: rows)
    }

    func release() {
        hiddenD.deallocate(); scoresD.deallocate(); hiddenF.deallocate(); scoresF.deallocate()
        lower.deallocate(); upper.deallocate(); flagged.deallocate()
    }
}

/// Hands out block indices to workers in order.
final class BlockCounter: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()

    func take(below limit: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < limit else { return nil }
        next += 1
        return next - 1
    }
}

/// h[i] = σ(x[i] + y[i]) for i < m (CKernels: vectorized for the CPU, the same bits on all).
@inline(__always)
func fillHidden<T: BinaryFloatingPoint>(_ h: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>,
                                        _ m: Int, _ activation: Activation) {
    let (kind, k): (Int32, Int32)
    switch activation {
    case .quadratic: (kind, k) = (0, 2)
    case .relu: (kind, k) = (1, 1)
    case .power(let d): (kind, k) = (2, Int32(max(d, 1)))
    case .gelu, .geluTanh:
        for i in 0..<m { h[i] = T(activation.apply(Double(x[i] + y[i]))) }
        return
    }
    if T.self == Float.self {
        irrepscope_hidden_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), UnsafeRawPointer(y).assumingMemoryBound(to: Float.self),
                              m, UnsafeMutableRawPointer(h).assumingMemoryBound(to: Float.self), kind, k)
    } else {
        irrepscope_hidden_f64(UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), UnsafeRawPointer(y).assumingMemoryBound(to: Double.self),
                              m, UnsafeMutableRawPointer(h).assumingMemoryBound(to: Double.self), kind, k)
    }
}

/// The largest entry of row[0..<n], its (first) index, and the largest entry of the others
/// (−∞ when n = 1): the best competitor of class c is `c == index ? second : first`.
@inline(__always)
func topTwo<T: BinaryFloatingPoint>(_ row: UnsafePointer<T>, _ n: Int) -> (T, Int, T) {
    var m1 = -T.infinity, m2 = -T.infinity, i1 = 0
    for c in 0..<n {
        let x = row[c]
        if x > m1 { m2 = m1; m1 = x; i1 = c } else if x > m2 { m2 = x }
    }
    return (m1, i1, m2)
}
