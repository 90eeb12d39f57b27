import CKernels
import Foundation
import NeuronData

/// One forward pass over all |G|² pairs in double precision whose outputs are kept, so that the
/// analysis measures the margins and the attribution (docs/attribution.md) reads the logits
/// from the same pass instead of running the network again.
///
/// For every pair (a, b), in the layout of `GroupTaskNetwork.logits(rows:)`, the pass keeps
/// the logits centered over the |G| classes (L̃ of docs/attribution.md §2) and measures, from
/// the uncentered logits, the accuracy (argmax strictly equal to the label) and the margin
/// h = min over pairs of f[c] − max_{c'≠c} f[c'] (docs/theory.md §2) against each labeling.
/// With `activations` it also keeps the hidden activations of every pair (the layout of
/// `neuronActivations(rows:)` over all rows), taken from the same call of
/// `GroupTaskNetwork.forward(rows:activations:)`.
///
/// The rows are split into blocks that depend only on |G| (not on the number of threads), and
/// the tallies are exact (counts and minima), so the results do not depend on `threads`.
struct LogitPass: Sendable {
    /// Centered logits, `centered[(a·n + b)·n + c]`.
    let centered: [Double]
    /// Per labeling: accuracy and margin.
    let evaluation: [(accuracy: Double, margin: Double)]
    /// M(g, c) = Σ over the pairs of label g (labeling 0) of the centered logit of class c,
    /// `labelSums[g·n + c]`, and ‖L̃‖², the sum of the squared centered logits (the attribution's
    /// first sums, docs/attribution.md §3), taken as the pass writes the logits.
    let labelSums: [Double]
    let normSquared: Double
    /// `activations[(a·n + b)·width + i]`, when asked for and the family has them.
    private(set) var activations: [Double]?
    /// With `classes` (a group that is not cyclic): what the excluded losses need, taken as the
    /// pass writes each block, instead of the |G|³ centered logits (`centered` is then empty).
    let streamed: StreamedSums?

    /// Per pair p = a·n + b of label g (labeling 0), from its centered logits x: the pair's own
    /// cross-entropy, max x − x_g, and for each class K of `Attribution.ExcludedClasses` the sum
    /// Σ_{c : g·c⁻¹ ∈ K} e^{x_c − max x} (c ascending; the exponentials of
    /// `irrepscope_exp_shifted`). A pair whose logits span more than 300 (or are not finite)
    /// keeps its centered logits instead, for the direct route (docs/attribution.md §9).
    struct StreamedSums: Sendable {
        let classes: Attribution.ExcludedClasses
        /// `classSums[p·R + K]`, zero for the pairs in `directRows`.
        let classSums: [Double]
        let shifts: [Double]
        let ownLoss: [Double]
        /// The centered logits of the pairs that take the direct route, by pair.
        let directRows: [Int: [Double]]
    }

    /// The activations, leaving nil behind (the caller then owns the only reference and may
    /// change them in place without a copy of |G|²·m values).
    mutating func takeActivations() -> [Double]? {
        defer { activations = nil }
        return activations
    }

    /// Left inputs per block: at least 16 blocks when |G| ≥ 16 (work for every core), one
    /// row at a time for small groups.
    /// The passes that must agree bit for bit with this one (`evaluate` of every family, the
    /// screened pass's double-precision re-check) call the network on the same blocks.
    static func rowsPerBlock(_ n: Int) -> Int { max(1, (n + 15) / 16) }

    /// The block of rows that holds left input a.
    static func block(containing a: Int, order n: Int) -> Range<Int> {
        let step = rowsPerBlock(n), k = a / step
        return (k * step)..<min(n, (k + 1) * step)
    }

    /// Runs the pass. `labels[s·n² + a·n + b]` is the label of (a, b) in labeling s < `sets`;
    /// labeling 0 is the one of `labelSums` (the attribution's labels a·b).
    /// With `classes`, the pass keeps the sums of `StreamedSums` instead of the centered logits.
    static func run(network: any GroupTaskNetwork, labels: [Int32], sets: Int, activations wantActivations: Bool,
                    threads: Int, classes: Attribution.ExcludedClasses? = nil) -> LogitPass {
        let n = network.order, m = network.width
        precondition(labels.count == sets * n * n)
        guard n > 0 else {
            return LogitPass(centered: [], evaluation: (0..<sets).map { _ in (0, .infinity) }, labelSums: [], normSquared: 0, activations: nil,
                             streamed: nil)
        }
        useSingleThreadedBLAS()
        let step = rowsPerBlock(n)
        let blocks = (n + step - 1) / step
        let streaming = classes != nil
        let R = classes?.count ?? 0
        // Every entry is written by its block: no zeroing; pages mapped in one call.
        let cube = streaming ? 1 : n * n * n
        var centered = [Double](unsafeUninitializedCapacity: cube) { buffer, initialized in
            irrepscope_prefault(buffer.baseAddress, cube * 8, 1)
            initialized = cube
        }
        // The streamed sums (every entry written by its pair's block).
        var classSums = [Double](repeating: 0, count: max(1, n * n * R))
        var shifts = [Double](repeating: 0, count: streaming ? n * n : 1), ownLoss = shifts
        var directRows = [[Int: [Double]]](repeating: [:], count: streaming ? blocks : 1)
        var hidden = [Double](repeating: 0, count: wantActivations ? n * n * m : 0)
        var tallies = [(correct: Int, margin: Double)](repeating: (0, .infinity), count: blocks * sets)
        // Per block: its part of M and of ‖L̃‖², added in block order afterwards.
        var partialM = [Double](repeating: 0, count: blocks * n * n)
        var partialNorm = [Double](repeating: 0, count: blocks)
        // Whether the family gave activations (every block answers alike).
        let gave = UnsafeMutablePointer<Bool>.allocate(capacity: blocks)
        gave.initialize(repeating: false, count: blocks)
        defer { gave.deallocate() }
        centered.withUnsafeMutableBufferPointer { cb in hidden.withUnsafeMutableBufferPointer { hb in
        tallies.withUnsafeMutableBufferPointer { tb in labels.withUnsafeBufferPointer { lb in
        partialM.withUnsafeMutableBufferPointer { pmb in partialNorm.withUnsafeMutableBufferPointer { pnb in
            let out = SharedMutablePointer(cb.baseAddress!), tally = SharedMutablePointer(tb.baseAddress!)
            let sums = SharedMutablePointer(pmb.baseAddress!), norms = SharedMutablePointer(pnb.baseAddress!)
            let act = hb.baseAddress.map(SharedMutablePointer.init), flags = SharedMutablePointer(gave)
            let lab = lb.baseAddress!
            nonisolated(unsafe) let labelsPointer = lab
            let next = BlockTicket()
            // Each worker holds one block's logits: at most about 1 GiB of them at once.
            let blockBytes = max(1, step * n * n * 8)
            let workers = max(1, min(threads, blocks, (1 << 30) / blockBytes))
            classSums.withUnsafeMutableBufferPointer { fsb in shifts.withUnsafeMutableBufferPointer { shb in
            ownLoss.withUnsafeMutableBufferPointer { olb in directRows.withUnsafeMutableBufferPointer { drb in
            let F = SharedMutablePointer(fsb.baseAddress!)
            let S = SharedMutablePointer(shb.baseAddress!)
            let O = SharedMutablePointer(olb.baseAddress!)
            let DR = SharedMutablePointer(drb.baseAddress!)
            parallelWorkers(workers) { _ in
                // Streaming: the centered rows of a few pairs at a time, and their exponentials;
                // otherwise the block's pairs in one piece, centered into `out`.
                let piece = streaming ? 64 : step * n
                var y = [Double](repeating: 0, count: streaming ? piece * n : 1), z = [Double](repeating: 0, count: streaming ? n : 1)
                while let k = next.take(below: blocks) {
                    let rows = (k * step)..<min(n, (k + 1) * step)
                    let (f, h) = network.forward(rows: rows, activations: wantActivations)
                    precondition(f.count == rows.count * n * n)
                    if let h, let act, h.count == rows.count * n * m {
                        (act.pointer + rows.lowerBound * n * m).update(from: h, count: h.count)
                        flags.pointer[k] = true
                    }
                    var t = [(correct: Int, margin: Double)](repeating: (0, .infinity), count: sets)
                    let pairs = rows.count * n
                    var top = [Double](repeating: 0, count: pairs), second = top, squares = top
                    var arg = [Int32](repeating: 0, count: pairs)
                    f.withUnsafeBufferPointer { fb in y.withUnsafeMutableBufferPointer { yb in z.withUnsafeMutableBufferPointer { zb in
                        // The two largest logits of each pair (every labeling's margin at once), and
                        // the pair's logits centered into `out` (streaming: into `y`, a piece of
                        // pairs at a time; each pair's numbers are its own, whatever the piece).
                        let y0 = streaming ? yb.baseAddress! : out.pointer + rows.lowerBound * n * n
                        let Mk = sums.pointer + k * n * n
                        for p in 0..<pairs {
                            let local = p % piece
                            if local == 0 {
                                let count = min(piece, pairs - p)
                                top.withUnsafeMutableBufferPointer { t1 in second.withUnsafeMutableBufferPointer { t2 in
                                squares.withUnsafeMutableBufferPointer { sq in arg.withUnsafeMutableBufferPointer { ar in
                                    irrepscope_center_rows_f64(fb.baseAddress! + p * n, count, n, y0, t1.baseAddress! + p, ar.baseAddress! + p,
                                                               t2.baseAddress! + p, sq.baseAddress! + p)
                                } } } }
                            }
                            let a = rows.lowerBound + p / n, b = p % n
                            let x = fb.baseAddress! + p * n
                            let i1 = Int(arg[p])
                            for s in 0..<sets {
                                let c = Int(labelsPointer[s * n * n + a * n + b])
                                let g = x[c] - (c == i1 ? second[p] : top[p])
                                if g > 0 { t[s].correct += 1 }
                                t[s].margin = min(t[s].margin, g)
                            }
                            let g = Int(labelsPointer[a * n + b])
                            let row = Mk + g * n, y = y0 + local * n
                            for c in 0..<n { row[c] += y[c] }
                            if let classes {
                                // The pair's own loss and class sums (`Attribution.compute`'s
                                // kept route takes the same exponentials after the pass).
                                let q = a * n + b
                                let e = Attribution.pairExponentials(y, n, target: g, into: zb.baseAddress!)
                                S.pointer[q] = e.mx - y[g]
                                O.pointer[q] = e.loss
                                if e.direct {
                                    DR.pointer[k][q] = Array(UnsafeBufferPointer(start: y, count: n))
                                } else {
                                    let Fq = F.pointer + q * R
                                    classes.classOfQuotient.withUnsafeBufferPointer { cq in
                                        let cls = cq.baseAddress! + g * n
                                        for c in 0..<n { Fq[Int(cls[c])] += zb[c] }
                                    }
                                }
                            }
                        }
                        var norm = 0.0
                        for p in 0..<pairs { norm += squares[p] }
                        norms.pointer[k] = norm
                    } } }
                    for s in 0..<sets { tally.pointer[k * sets + s] = t[s] }
                }
            }
        } } } } } } } } } }
        let evaluation = (0..<sets).map { s -> (accuracy: Double, margin: Double) in
            var correct = 0, margin = Double.infinity
            for k in 0..<blocks { correct += tallies[k * sets + s].correct; margin = min(margin, tallies[k * sets + s].margin) }
            return (Double(correct) / Double(n * n), margin)
        }
        var labelSums = [Double](repeating: 0, count: n * n)
        var normSquared = 0.0
        for k in 0..<blocks {
            for q in 0..<(n * n) { labelSums[q] += partialM[k * n * n + q] }
            normSquared += partialNorm[k]
        }
        let all = (0..<blocks).allSatisfy { gave[$0] }
        var streamed: StreamedSums? = nil
        if streaming {
            var direct: [Int: [Double]] = [:]
            for part in directRows { direct.merge(part) { a, _ in a } }
            streamed = StreamedSums(classes: classes!, classSums: classSums, shifts: shifts, ownLoss: ownLoss, directRows: direct)
        }
        return LogitPass(centered: streaming ? [] : centered, evaluation: evaluation, labelSums: labelSums, normSquared: normSquared,
                         activations: wantActivations && all ? hidden : nil, streamed: streamed)
    }
}
