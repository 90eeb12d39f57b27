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
    static func run(network: any GroupTaskNetwork, labels: [Int32], sets: Int, activations wantActivations: Bool,
                    threads: Int) -> LogitPass {
        let n = network.order, m = network.width
        precondition(labels.count == sets * n * n)
        guard n > 0 else {
            return LogitPass(centered: [], evaluation: (0..<sets).map { _ in (0, .infinity) }, labelSums: [], normSquared: 0, activations: nil)
        }
        useSingleThreadedBLAS()
        let step = rowsPerBlock(n)
        let blocks = (n + step - 1) / step
        // Every entry is written by its block: no zeroing; pages mapped in one call.
        var centered = [Double](unsafeUninitializedCapacity: n * n * n) { buffer, initialized in
            irrepscope_prefault(buffer.baseAddress, n * n * n * 8, 1)
            initialized = n * n * n
        }
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
            parallelWorkers(max(1, min(threads, blocks))) { _ in
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
                    f.withUnsafeBufferPointer { fb in
                        // The two largest logits of each pair (every labeling's margin at once), and
                        // the pair's logits centered into `out`.
                        let y0 = out.pointer + rows.lowerBound * n * n
                        irrepscope_center_rows_f64(fb.baseAddress!, pairs, n, y0, &top, &arg, &second, &squares)
                        let Mk = sums.pointer + k * n * n
                        for p in 0..<pairs {
                            let a = rows.lowerBound + p / n, b = p % n
                            let x = fb.baseAddress! + p * n
                            let i1 = Int(arg[p])
                            for s in 0..<sets {
                                let c = Int(labelsPointer[s * n * n + a * n + b])
                                let g = x[c] - (c == i1 ? second[p] : top[p])
                                if g > 0 { t[s].correct += 1 }
                                t[s].margin = min(t[s].margin, g)
                            }
                            let row = Mk + Int(labelsPointer[a * n + b]) * n, y = y0 + p * n
                            for c in 0..<n { row[c] += y[c] }
                        }
                        var norm = 0.0
                        for p in 0..<pairs { norm += squares[p] }
                        norms.pointer[k] = norm
                    }
                    for s in 0..<sets { tally.pointer[k * sets + s] = t[s] }
                }
            }
        } } } } } }
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
        return LogitPass(centered: centered, evaluation: evaluation, labelSums: labelSums, normSquared: normSquared,
                         activations: wantActivations && all ? hidden : nil)
    }
}
