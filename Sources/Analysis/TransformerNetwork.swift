import CBLAS
import CKernels
import Foundation
import NeuronData

/// LayerNorm weights: LN(x) = (x − mean(x)) / √(var(x) + ε) · w + b, var the biased
/// (population) variance over the d coordinates (docs/networks.md §6).
public struct LayerNormWeights: Sendable {
    public var w: [Double]
    public var b: [Double]
    public var eps: Double
    public init(w: [Double], b: [Double], eps: Double = 1e-5) { self.w = w; self.b = b; self.eps = eps }

    /// Normalizes the d-vector at `x` into `y` (which may be `x`).
    @inline(__always) func apply(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ d: Int) {
        var mean = 0.0
        for k in 0..<d { mean += x[k] }
        mean /= Double(d)
        var v = 0.0
        for k in 0..<d { let c = x[k] - mean; v += c * c }
        let scale = 1 / (v / Double(d) + eps).squareRoot()
        for k in 0..<d { y[k] = (x[k] - mean) * scale * w[k] + b[k] }
    }
}

/// One transformer block in IrrepScope's own orientation (whatever the file's layout):
/// per head h, q_h = W_Q[h] x + b_Q[h] with W_Q stored (heads, e, d) row-major (likewise K, V);
/// the attention output W_O · concat_h(z_h) + b_O with W_O (d, heads·e); the MLP
/// W_out σ(W_in x + b_in) + b_out with W_in (d_mlp, d), W_out (d, d_mlp) (docs/networks.md §6).
public struct TransformerBlockWeights: Sendable {
    public var ln1: LayerNormWeights?
    public var wQ: [Double], wK: [Double], wV: [Double]
    public var bQ: [Double], bK: [Double], bV: [Double]
    public var wO: [Double], bO: [Double]
    public var ln2: LayerNormWeights?
    public var wIn: [Double], bIn: [Double]
    public var wOut: [Double], bOut: [Double]
    public init(ln1: LayerNormWeights?, wQ: [Double], wK: [Double], wV: [Double], bQ: [Double], bK: [Double], bV: [Double],
                wO: [Double], bO: [Double], ln2: LayerNormWeights?, wIn: [Double], bIn: [Double], wOut: [Double], bOut: [Double]) {
        self.ln1 = ln1; self.wQ = wQ; self.wK = wK; self.wV = wV; self.bQ = bQ; self.bK = bK; self.bV = bV
        self.wO = wO; self.bO = bO; self.ln2 = ln2; self.wIn = wIn; self.bIn = bIn; self.wOut = wOut; self.bOut = bOut
    }
}

/// A transformer's weights: W_E (vocab, d) (one row per token id), W_pos (positions, d),
/// blocks, the final LayerNorm and W_U (d, outputs) with b_U (docs/networks.md §6).
public struct TransformerWeights: Sendable {
    public var dModel: Int, heads: Int, dHead: Int, dMLP: Int
    public var vocab: Int
    public var embed: [Double]
    public var positions: Int
    public var pos: [Double]
    public var blocks: [TransformerBlockWeights]
    public var lnFinal: LayerNormWeights?
    public var outputs: Int
    public var unembed: [Double]
    public var unembedBias: [Double]
    public init(dModel: Int, heads: Int, dHead: Int, dMLP: Int, vocab: Int, embed: [Double], positions: Int, pos: [Double],
                blocks: [TransformerBlockWeights], lnFinal: LayerNormWeights?, outputs: Int, unembed: [Double], unembedBias: [Double]) {
        self.dModel = dModel; self.heads = heads; self.dHead = dHead; self.dMLP = dMLP; self.vocab = vocab; self.embed = embed
        self.positions = positions; self.pos = pos; self.blocks = blocks; self.lnFinal = lnFinal; self.outputs = outputs
        self.unembed = unembed; self.unembedBias = unembedBias
    }
}

/// What the forward passes measured besides the logits, per left input a (row of the pairs
/// (a, b)): each pass over rows a records those rows (overwriting what an earlier pass left, so
/// passes over the same rows never add up twice), and the totals are sums over a = 0 ..< |G| in
/// order (the same bits whatever the blocks and threads). `TransformerNetwork.evaluate` records
/// the loss and the attention; `forward(rows:activations:)`, `logits(rows:)` and
/// `neuronActivations(rows:)` the attention; `TransformerNetwork.recordLoss(rows:logits:labels:)`
/// the loss from any pass's logits.
public final class TransformerPassStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private let rows: Int, heads: Int
    private var rowLoss: [Double], hasLoss: [Bool]
    private var rowAttention: [Double], hasAttention: [Bool]   // per row a, per head: Σ_b A_a, Σ A_a², Σ A_b, Σ A_b²
    init(rows: Int, heads: Int) {
        self.rows = rows; self.heads = heads
        rowLoss = [Double](repeating: 0, count: rows); hasLoss = [Bool](repeating: false, count: rows)
        rowAttention = [Double](repeating: 0, count: rows * 4 * heads); hasAttention = [Bool](repeating: false, count: rows)
    }

    /// `sums[(a − rows.lowerBound)·4H + 4h + …]` for each row a in `rows`.
    func record(rows r: Range<Int>, attention sums: UnsafePointer<Double>) {
        lock.lock(); defer { lock.unlock() }
        let w = 4 * heads
        for a in r { for k in 0..<w { rowAttention[a * w + k] = sums[(a - r.lowerBound) * w + k] }; hasAttention[a] = true }
    }
    /// Σ_b of the cross-entropy of pair (a, b) for each row a in `rows` (`sums[a − rows.lowerBound]`).
    func record(rows r: Range<Int>, loss sums: UnsafePointer<Double>) {
        lock.lock(); defer { lock.unlock() }
        for a in r { rowLoss[a] = sums[a - r.lowerBound]; hasLoss[a] = true }
    }

    /// Mean cross-entropy over all pairs (first labeling), logits restricted to the |G| outputs;
    /// nil until every row's loss has been recorded.
    public var loss: Double? {
        lock.lock(); defer { lock.unlock() }
        guard rows > 0, hasLoss.allSatisfy({ $0 }) else { return nil }
        return rowLoss.reduce(0, +) / Double(rows * rows)
    }
    /// Per head of the last block: the attention of the last position to a and to b, mean and
    /// standard deviation over all pairs; empty until every row has been through a pass.
    public var headAttention: [(toA: (mean: Double, sd: Double), toB: (mean: Double, sd: Double))] {
        lock.lock(); defer { lock.unlock() }
        guard rows > 0, hasAttention.allSatisfy({ $0 }) else { return [] }
        var total = [Double](repeating: 0, count: 4 * heads)
        for a in 0..<rows { for k in 0..<(4 * heads) { total[k] += rowAttention[a * 4 * heads + k] } }
        let p = Double(rows * rows)
        func ms(_ s: Double, _ s2: Double) -> (Double, Double) { let m = s / p; return (m, max(0, s2 / p - m * m).squareRoot()) }
        return (0..<heads).map { h in (ms(total[4 * h], total[4 * h + 1]), ms(total[4 * h + 2], total[4 * h + 3])) }
    }
}

/// A transformer on a group task (docs/networks.md §6): input [a, b, =] (or [a, b] without
/// the `=` token), the prediction read at the last position over the outputs of the |G|
/// group elements. Everything in double precision.
///
/// One block without LN2 (the progress-measures layout) takes the tabulated route of
/// `SingleBlockTables`: per pair only the softmax over the last position's scores, a mix of
/// tabulated vectors by the attention weights, σ, and one dgemm of the MLP neurons into the
/// logits. Deeper networks, or LN2, take the general route (`Block0Tables` for block 0, dgemm
/// for the rest). Both work in chunks of pairs; `evaluate` runs blocks of rows on all cores.
///
/// Roles, per MLP neuron i of the last block (docs/networks.md §6): `u` = W_in[i] · W_E[a]
/// over the group tokens a (the neuron's input weights seen from the embedding through the
/// direct path: attention and LayerNorm left out), `w` = W_U[:, c] · W_out[:, i] over the
/// outputs c of the group elements (its output weights read out through the unembedding).
public struct TransformerNetwork: GroupTaskNetwork {
    public let order: Int
    public let weights: TransformerWeights
    public let activation: Activation
    /// Token id of element a (also its output index): `tokenOfElement[a]`.
    public let tokenOfElement: [Int]
    /// The `=` token's id, nil for two-token inputs [a, b].
    public let equalsToken: Int?
    /// What the passes measured (loss, attention per head), recorded per row a.
    public let statistics: TransformerPassStatistics

    private let wUsel: [Double]   // d × n: W_U's columns of the group elements
    private let bUsel: [Double]
    /// The general route's block-0 tables (nil on the one-block route).
    private let block0: Block0Tables?
    /// The one-block route's tables (one block, no LN2), nil otherwise.
    let single: SingleBlockTables?
    /// `roles`, computed once (the analysis and the attribution both read them).
    private let cachedRoles: [WeightRole]

    /// How the one-block route reads out the logits (`SingleBlockTables`).
    enum Readout: Sendable {
        /// The cheaper of the two: fused when there is no final LayerNorm and |G|·(d_mlp + 2·heads)
        /// ≤ d·(d_mlp + |G| + 2·heads) (multiply-adds per pair).
        case automatic
        /// logits = (W_Uᵀ W_out) σ(…) + tabulated terms: one |G| × d_mlp product per pair.
        case fused
        /// The residual stream at the last position, then LN_final and W_U.
        case residual
    }

    public init(order: Int, weights: TransformerWeights, activation: Activation, tokenOfElement: [Int], equalsToken: Int?) {
        self.init(order: order, weights: weights, activation: activation, tokenOfElement: tokenOfElement, equalsToken: equalsToken,
                  readout: .automatic)
    }

    init(order: Int, weights: TransformerWeights, activation: Activation, tokenOfElement: [Int], equalsToken: Int?, readout: Readout) {
        precondition(tokenOfElement.count == order && !weights.blocks.isEmpty)
        useSingleThreadedBLAS()
        self.order = order; self.weights = weights; self.activation = activation
        self.tokenOfElement = tokenOfElement; self.equalsToken = equalsToken
        statistics = TransformerPassStatistics(rows: order, heads: weights.heads)
        let d = weights.dModel, n = order, m = weights.dMLP
        var wu = [Double](repeating: 0, count: d * n)
        for k in 0..<d { for c in 0..<n { wu[k * n + c] = weights.unembed[k * weights.outputs + tokenOfElement[c]] } }
        wUsel = wu
        bUsel = (0..<n).map { weights.unembedBias[tokenOfElement[$0]] }
        // Roles: u = E_G W_inᵀ (n × m, E_G the group tokens' rows of W_E), w = W_Uᵀ W_out (n × m).
        let last = weights.blocks[weights.blocks.count - 1]
        var eg = [Double](repeating: 0, count: n * d)
        for a in 0..<n { for k in 0..<d { eg[a * d + k] = weights.embed[tokenOfElement[a] * d + k] } }
        let u = mappedArray(n * m) { rowMajorGEMM(transA: false, transB: true, n, m, d, eg, d, last.wIn, d, beta: 0, $0, m) }
        let w = mappedArray(n * m) { rowMajorGEMM(transA: true, transB: false, n, m, d, wu, n, last.wOut, m, beta: 0, $0, m) }
        cachedRoles = [WeightRole(name: "u", values: u), WeightRole(name: "w", values: w)]
        let tables = Block0Tables(weights, tokenOfElement: tokenOfElement, equalsToken: equalsToken)
        if weights.blocks.count == 1, weights.blocks[0].ln2 == nil {
            single = SingleBlockTables(weights, tables, unembedding: wu, bias: bUsel, readout: w, route: readout)
            block0 = nil
        } else {
            single = nil
            block0 = tables
        }
    }

    public var width: Int { weights.dMLP }
    var contextLength: Int { equalsToken == nil ? 2 : 3 }

    public var roles: [WeightRole] { cachedRoles }

    public var notOfThePapersForm: String? {
        "a transformer is not a one-hidden-layer network of the paper's form (attention, residual stream, biases): the theorems' γ* does not apply"
    }

    /// Not a homogeneous network: the printed norm is Σ_i ‖(u_i, w_i)‖² (ν = 2), a scale only.
    public func normPowerNu(squaredNorms: [Double]) -> Double { squaredNorms.reduce(0, +) }

    public func logits(rows: Range<Int>) -> [Double] {
        forward(rows: rows, activations: false).logits
    }

    public func neuronActivations(rows: Range<Int>) -> [Double]? {
        forward(rows: rows, activations: true).activations
    }

    /// One pass over the pairs with a in `rows` on the calling thread (BLAS single-threaded):
    /// the logits (`out[(a − rows.lowerBound)·n² + b·n + c]`) and, when `activations`, the last
    /// block's MLP activations at the last position (`out[((a − rows.lowerBound)·n + b)·d_mlp + i]`).
    /// Records the rows' head attention in `statistics` (not the loss: `recordLoss`).
    public func forward(rows: Range<Int>, activations: Bool) -> (logits: [Double], activations: [Double]?) {
        let n = order, m = weights.dMLP, pairs = rows.count * n
        guard pairs > 0 else { return ([], activations ? [] : nil) }
        // Fresh arrays are mapped in one call each (irrepscope_prefault; 2 MiB pages from 8 MiB
        // on: all |G|² activations of d_mlp 512 at |G| = 113 are 52 MB, whose 4 KiB page faults
        // alone took 34 ms here).
        var hidden: [Double]? = nil
        let logits = [Double](unsafeUninitializedCapacity: pairs * n) { lb, count in
            irrepscope_prefault(lb.baseAddress, pairs * n * 8, 1)
            if activations {
                hidden = [Double](unsafeUninitializedCapacity: pairs * m) { hb, c in
                    irrepscope_prefault(hb.baseAddress, pairs * m * 8, 1)
                    forward(rows: rows, logits: lb.baseAddress!, activations: hb.baseAddress!)
                    c = pairs * m
                }
            } else {
                forward(rows: rows, logits: lb.baseAddress!, activations: nil)
            }
            count = pairs * n
        }
        return (logits, hidden)
    }

    /// `forward(rows:activations:)` into caller memory, for a caller that keeps every pair's
    /// outputs in one buffer (no array per block): `logits` receives rows.count·|G|² doubles in
    /// the layout of `logits(rows:)`, `activations` (when given) rows.count·|G|·d_mlp in the layout
    /// of `neuronActivations(rows:)`; every entry is written. On the calling thread; records the
    /// rows' head attention in `statistics`.
    public func forward(rows: Range<Int>, logits: UnsafeMutablePointer<Double>, activations: UnsafeMutablePointer<Double>?) {
        guard !rows.isEmpty, order > 0 else { return }
        precondition(rows.lowerBound >= 0 && rows.upperBound <= order)
        useSingleThreadedBLAS()
        let attention = UnsafeMutablePointer<Double>.allocate(capacity: rows.count * 4 * weights.heads)
        defer { attention.deallocate() }
        pass(rows: rows, logits: logits, hidden: activations, attention: attention)
        statistics.record(rows: rows, attention: attention)
    }

    /// Records in `statistics` the loss of the pairs with a in `rows` from their logits (the
    /// layout of `logits(rows:)`, e.g. from `forward(rows:activations:)`) against the labels
    /// `labels[a·n + b]` (the first labeling of `evaluate`): per row a, Σ_b of the cross-entropy
    /// log Σ_c exp(f_c − max f) − (f_label − max f), as `evaluate` records it. For an analysis
    /// that takes its margins from its own pass instead of `evaluate`.
    public func recordLoss(rows: Range<Int>, logits: [Double], labels: [Int32]) {
        let n = order, pairs = rows.count * n
        precondition(logits.count == pairs * n && labels.count >= n * n)
        guard pairs > 0 else { return }
        let rowStats = LogitRows(capacity: pairs)
        defer { rowStats.deallocate() }
        var sums = [Double](repeating: 0, count: rows.count)
        logits.withUnsafeBufferPointer { f in
            rowStats.measure(f.baseAddress!, pairs, n)
            for a in rows {
                var s = 0.0
                for b in 0..<n {
                    let p = (a - rows.lowerBound) * n + b
                    s += rowStats.crossEntropy(p, f.baseAddress! + p * n, Int(labels[a * n + b]))
                }
                sums[a - rows.lowerBound] = s
            }
        }
        sums.withUnsafeBufferPointer { statistics.record(rows: rows, loss: $0.baseAddress!) }
    }

    /// Left inputs a per block of `evaluate`: those of the attribution's kept pass
    /// (`LogitPass.rowsPerBlock`, at least 16 blocks), so that both run the same calls and give
    /// the same bits whatever the BLAS's kernels; the blocks depend on |G| only, so the results
    /// do not depend on the threads.
    var rowsPerBlock: Int { LogitPass.rowsPerBlock(order) }

    public func evaluate(threads: Int, labels: [Int32], sets: Int) -> [(accuracy: Double, margin: Double)] {
        let n = order, H = weights.heads
        guard n > 0 else { return (0..<sets).map { _ in (0, .infinity) } }
        useSingleThreadedBLAS()
        let step = rowsPerBlock
        let blocks = (n + step - 1) / step
        let workers = max(1, min(threads, blocks))
        let parts = UnsafeMutablePointer<(correct: Int, margin: Double)>.allocate(capacity: blocks * sets)
        let rowLoss = UnsafeMutablePointer<Double>.allocate(capacity: n)
        defer { parts.deallocate(); rowLoss.deallocate() }
        let shared = SharedMutablePointer(parts), lossOut = SharedMutablePointer(rowLoss)
        let next = BlockTicket()
        let net = self
        parallelWorkers(workers) { _ in
            let f = UnsafeMutablePointer<Double>.allocate(capacity: step * n * n)
            let attention = UnsafeMutablePointer<Double>.allocate(capacity: step * 4 * H)
            let rowStats = LogitRows(capacity: step * n)
            defer { f.deallocate(); attention.deallocate(); rowStats.deallocate() }
            while let k = next.take(below: blocks) {
                let rows = (k * step)..<min(n, (k + 1) * step)
                net.pass(rows: rows, logits: f, hidden: nil, attention: attention)
                net.statistics.record(rows: rows, attention: attention)
                rowStats.measure(f, rows.count * n, n)
                for s in 0..<sets { shared.pointer[k * sets + s] = (0, .infinity) }
                for a in rows {
                    var loss = 0.0
                    for b in 0..<n {
                        let p = (a - rows.lowerBound) * n + b, x = f + p * n
                        let top = rowStats.top[p], first = Int(rowStats.arg[p]), second = rowStats.second[p]
                        for s in 0..<sets {
                            let c = Int(labels[s * n * n + a * n + b])
                            let g = x[c] - (c == first ? second : top)
                            if g > 0 { shared.pointer[k * sets + s].correct += 1 }
                            shared.pointer[k * sets + s].margin = min(shared.pointer[k * sets + s].margin, g)
                        }
                        // cross-entropy of the first labeling
                        loss += rowStats.crossEntropy(p, x, Int(labels[a * n + b]))
                    }
                    lossOut.pointer[a] = loss
                }
            }
        }
        statistics.record(rows: 0..<n, loss: rowLoss)
        return (0..<sets).map { s in
            var correct = 0, margin = Double.infinity
            for k in 0..<blocks { correct += parts[k * sets + s].correct; margin = min(margin, parts[k * sets + s].margin) }
            return (Double(correct) / Double(n * n), margin)
        }
    }

    /// The forward pass for the pairs with a in `rows` and every b, into caller-owned memory:
    /// logits (pairs × |G|), the last block's MLP activations at the last position (pairs ×
    /// d_mlp) when `hidden` is given, and per row a and head h at `attention[(a − rows.lowerBound)·4H
    /// + 4h …]` the sums over b of A_a, A_a², A_b, A_b² of the last block's last-position
    /// attention. Every entry is written.
    func pass(rows: Range<Int>, logits: UnsafeMutablePointer<Double>, hidden: UnsafeMutablePointer<Double>?,
              attention: UnsafeMutablePointer<Double>) {
        guard !rows.isEmpty, order > 0 else { return }
        if let single {
            singleBlockPass(single, rows: rows, logits: logits, hidden: hidden, attention: attention)
            return
        }
        let f = generalForward(rows: rows)
        f.logits.withUnsafeBufferPointer { logits.update(from: $0.baseAddress!, count: $0.count) }
        if let hidden { f.hidden.withUnsafeBufferPointer { hidden.update(from: $0.baseAddress!, count: $0.count) } }
        f.attention.withUnsafeBufferPointer { attention.update(from: $0.baseAddress!, count: $0.count) }
    }

    /// `SingleBlockTables.chunk` pairs at a time: attention weights from the tabulated scores,
    /// the MLP pre-activation and the readout's tabulated part as mixes of tabulated vectors
    /// (irrepscope_mix_f64), σ, then one dgemm of the chunk's activations into the readout.
    private func singleBlockPass(_ t: SingleBlockTables, rows: Range<Int>, logits: UnsafeMutablePointer<Double>,
                                 hidden: UnsafeMutablePointer<Double>?, attention: UnsafeMutablePointer<Double>) {
        let n = order, W = weights, d = W.dModel, H = W.heads, m = W.dMLP, T = contextLength
        let pairs = rows.count * n, slots = t.slots, ow = t.readoutWidth, terms = 2 * H
        let chunk = SingleBlockTables.chunk
        attention.update(repeating: 0, count: rows.count * 4 * H)
        let scratchHidden = hidden == nil ? UnsafeMutablePointer<Double>.allocate(capacity: chunk * m) : nil
        let residual = t.fused ? nil : UnsafeMutablePointer<Double>.allocate(capacity: chunk * d)
        let mix = UnsafeMutablePointer<Double>.allocate(capacity: terms + 3)
        let hiddenRows = UnsafeMutablePointer<UnsafePointer<Double>?>.allocate(capacity: terms)
        let readoutRows = UnsafeMutablePointer<UnsafePointer<Double>?>.allocate(capacity: terms)
        defer {
            scratchHidden?.deallocate(); residual?.deallocate(); mix.deallocate()
            hiddenRows.deallocate(); readoutRows.deallocate()
        }
        let score = mix + terms
        let (kind, power): (Int32, Int32) = {
            switch activation {
            case .quadratic: return (0, 0)
            case .relu: return (1, 0)
            case .power(let k): return (2, Int32(k))
            case .gelu, .geluTanh: return (-1, 0)
            }
        }()
        t.scores.withUnsafeBufferPointer { sc in t.hiddenBase.withUnsafeBufferPointer { hb in t.hiddenHeads.withUnsafeBufferPointer { hh in
        t.readoutBase.withUnsafeBufferPointer { rb in t.readoutHeads.withUnsafeBufferPointer { rh in
        t.readoutMatrix.withUnsafeBufferPointer { R in wUsel.withUnsafeBufferPointer { wu in
            var c0 = 0
            while c0 < pairs {
                let P = min(chunk, pairs - c0)
                let hd = hidden.map { $0 + c0 * m } ?? scratchHidden!
                let out = residual ?? (logits + c0 * n)
                for q in 0..<P {
                    let pair = c0 + q, a = rows.lowerBound + pair / n, b = pair % n
                    let query = T == 3 ? 0 : b
                    let acc = attention + (a - rows.lowerBound) * 4 * H
                    for h in 0..<H {
                        let row = sc.baseAddress! + (query * H + h) * slots
                        var top = -Double.infinity
                        for k in 0..<T { let s = row[k == 0 ? a : (k == 1 ? n + b : 2 * n)]; score[k] = s; top = max(top, s) }
                        var z = 0.0
                        for k in 0..<T { score[k] = exp(score[k] - top); z += score[k] }
                        // The weights of a and b (the `=` weight is in the tables, see SingleBlockTables).
                        for k in 0..<2 {
                            let w = score[k] / z, slot = k == 0 ? a : n + b
                            mix[2 * h + k] = w
                            hiddenRows[2 * h + k] = UnsafePointer(hh.baseAddress! + (slot * H + h) * m)
                            readoutRows[2 * h + k] = UnsafePointer(rh.baseAddress! + (slot * H + h) * ow)
                            acc[4 * h + 2 * k] += w; acc[4 * h + 2 * k + 1] += w * w
                        }
                    }
                    irrepscope_mix_f64(hb.baseAddress! + query * m, hiddenRows, mix, terms, m, hd + q * m, kind, power)
                    irrepscope_mix_f64(rb.baseAddress! + query * ow, readoutRows, mix, terms, ow, out + q * ow, -1, 0)
                }
                if kind < 0 {
                    let act = activation
                    for k in 0..<(P * m) { hd[k] = act.apply(hd[k]) }
                }
                if let residual {
                    // x += W_out σ(…) (b_out is in the tabulated part), LN_final, then W_U and b_U.
                    rowMajorGEMM(transA: false, transB: true, P, d, m, hd, m, R.baseAddress!, m, beta: 1, residual, d)
                    if let ln = W.lnFinal { for r in 0..<P { ln.apply(residual + r * d, residual + r * d, d) } }
                    let l = logits + c0 * n
                    bUsel.withUnsafeBufferPointer { bu in for r in 0..<P { (l + r * n).update(from: bu.baseAddress!, count: n) } }
                    rowMajorGEMM(transA: false, transB: false, P, n, d, residual, d, wu.baseAddress!, n, beta: 1, l, n)
                } else {
                    // logits += (W_Uᵀ W_out) σ(…)
                    rowMajorGEMM(transA: false, transB: true, P, n, m, hd, m, R.baseAddress!, m, beta: 1, logits + c0 * n, n)
                }
                c0 += P
            }
        } } } } } } }
    }

    /// The general route (more than one block, or LN2) for the pairs with a in `rows` and every
    /// b: logits (pairs × |G|), the last block's MLP activations at the last position (pairs ×
    /// d_mlp), and per row a and head the sums Σ A_a, Σ A_a², Σ A_b, Σ A_b² of the last block's
    /// last-position attention.
    private func generalForward(rows: Range<Int>) -> (logits: [Double], hidden: [Double], attention: [Double]) {
        let n = order, W = weights, d = W.dModel, H = W.heads, e = W.dHead
        let T = contextLength, B = rows.count * n, he = H * e
        guard B > 0, let block0 else { return ([], [], []) }
        var attention = [Double](repeating: 0, count: rows.count * 4 * H)
        let scale = 1 / Double(e).squareRoot()
        // Block 0's table slot of each pair at each position: a, n + b, 2n (the `=` token).
        @inline(__always) func slot(_ pair: Int, _ p: Int) -> Int {
            switch p {
            case 0: return rows.lowerBound + pair / n
            case 1: return n + pair % n
            default: return 2 * n
            }
        }
        let L = W.blocks.count
        // X: the residual stream at the positions still needed: all T positions while blocks
        // remain after the current one, the last position alone in the last block.
        var X = [Double](repeating: 0, count: (L > 1 ? B * T : B) * d)
        var hidden: [Double] = []
        var scores = [Double](repeating: 0, count: T)
        // Block 0: every quantity up to the attention scores depends on one token at one
        // position, so it comes from block0's tables.
        let queries = L > 1 ? Array(0..<T) : [T - 1]
        let bO0 = W.blocks[0].bO
        block0.x.withUnsafeBufferPointer { x0 in block0.q.withUnsafeBufferPointer { q0 in block0.k.withUnsafeBufferPointer { k0 in
        block0.p.withUnsafeBufferPointer { p0 in X.withUnsafeMutableBufferPointer { X in
        for pair in 0..<B {
            for q in queries {
                let out = (L > 1 ? pair * T + q : pair) * d
                let tq = slot(pair, q)
                for k in 0..<d { X[out + k] = x0[tq * d + k] + bO0[k] }
                for h in 0..<H {
                    var top = -Double.infinity
                    for kpos in 0...q {
                        let tk = slot(pair, kpos)
                        var s = 0.0
                        for j in 0..<e { s += q0[(tq * H + h) * e + j] * k0[(tk * H + h) * e + j] }
                        scores[kpos] = s * scale
                        top = max(top, scores[kpos])
                    }
                    var z = 0.0
                    for kpos in 0...q { scores[kpos] = exp(scores[kpos] - top); z += scores[kpos] }
                    for kpos in 0...q {
                        let a = scores[kpos] / z
                        let tk = slot(pair, kpos)
                        let p = (tk * H + h) * d
                        for k in 0..<d { X[out + k] += a * p0[p + k] }
                        if L == 1, q == T - 1, kpos < 2 {
                            let r = (pair / n) * 4 * H + 4 * h + 2 * kpos
                            attention[r] += a; attention[r + 1] += a * a
                        }
                    }
                }
            }
        }
        } } } } }
        mlp(W.blocks[0], &X, rowsCount: L > 1 ? B * T : B, hidden: &hidden, keepHidden: L == 1)
        // Blocks 1 ..< L on the full residual stream.
        if L > 1 {
            var Y = [Double](repeating: 0, count: B * T * d)
            var K = [Double](repeating: 0, count: B * T * he), V = K
            var Q = [Double](repeating: 0, count: B * T * he)
            var Z = [Double](repeating: 0, count: B * T * he)
            for l in 1..<L {
                let blk = W.blocks[l], last = l == L - 1
                Y = X
                if let ln = blk.ln1 { Y.withUnsafeMutableBufferPointer { y in for r in 0..<(B * T) { ln.apply(y.baseAddress! + r * d, y.baseAddress! + r * d, d) } } }
                gemm(Y, B * T, d, blk.wK, he, transB: true, into: &K, bias: blk.bK)
                gemm(Y, B * T, d, blk.wV, he, transB: true, into: &V, bias: blk.bV)
                gemm(Y, B * T, d, blk.wQ, he, transB: true, into: &Q, bias: blk.bQ)
                let qs = last ? [T - 1] : Array(0..<T)
                for pair in 0..<B { for q in qs { for h in 0..<H {
                    var top = -Double.infinity
                    let qb = (pair * T + q) * he + h * e
                    for kpos in 0...q {
                        let kb = (pair * T + kpos) * he + h * e
                        var s = 0.0
                        for j in 0..<e { s += Q[qb + j] * K[kb + j] }
                        scores[kpos] = s * scale; top = max(top, scores[kpos])
                    }
                    var z = 0.0
                    for kpos in 0...q { scores[kpos] = exp(scores[kpos] - top); z += scores[kpos] }
                    for j in 0..<e { Z[qb + j] = 0 }
                    for kpos in 0...q {
                        let a = scores[kpos] / z, vb = (pair * T + kpos) * he + h * e
                        for j in 0..<e { Z[qb + j] += a * V[vb + j] }
                        if last, q == T - 1, kpos < 2 {
                            let r = (pair / n) * 4 * H + 4 * h + 2 * kpos
                            attention[r] += a; attention[r + 1] += a * a
                        }
                    }
                } } }
                if last {
                    // Only the last position goes on.
                    var Zl = [Double](repeating: 0, count: B * he), Xl = [Double](repeating: 0, count: B * d)
                    for pair in 0..<B {
                        for j in 0..<he { Zl[pair * he + j] = Z[(pair * T + T - 1) * he + j] }
                        for k in 0..<d { Xl[pair * d + k] = X[(pair * T + T - 1) * d + k] }
                    }
                    var A = [Double](repeating: 0, count: B * d)
                    gemm(Zl, B, he, blk.wO, d, transB: true, into: &A, bias: blk.bO)
                    for r in 0..<(B * d) { Xl[r] += A[r] }
                    mlp(blk, &Xl, rowsCount: B, hidden: &hidden, keepHidden: true)
                    X = Xl
                } else {
                    var A = [Double](repeating: 0, count: B * T * d)
                    gemm(Z, B * T, he, blk.wO, d, transB: true, into: &A, bias: blk.bO)
                    for r in 0..<(B * T * d) { X[r] += A[r] }
                    mlp(blk, &X, rowsCount: B * T, hidden: &hidden, keepHidden: false)
                }
            }
        }
        if let ln = W.lnFinal { X.withUnsafeMutableBufferPointer { x in for r in 0..<B { ln.apply(x.baseAddress! + r * d, x.baseAddress! + r * d, d) } } }
        var logits = [Double](repeating: 0, count: B * n)
        gemm(X, B, d, wUsel, n, transB: false, into: &logits, bias: bUsel)
        return (logits, hidden, attention)
    }

    /// x ← x + W_out σ(W_in LN2(x) + b_in) + b_out for `rowsCount` rows of X; the σ(…) are
    /// copied into `hidden` when `keepHidden`.
    private func mlp(_ blk: TransformerBlockWeights, _ X: inout [Double], rowsCount: Int, hidden: inout [Double], keepHidden: Bool) {
        let d = weights.dModel, m = weights.dMLP
        var Y = X
        if let ln = blk.ln2 { Y.withUnsafeMutableBufferPointer { y in for r in 0..<rowsCount { ln.apply(y.baseAddress! + r * d, y.baseAddress! + r * d, d) } } }
        var Hd = [Double](repeating: 0, count: rowsCount * m)
        gemm(Y, rowsCount, d, blk.wIn, m, transB: true, into: &Hd, bias: blk.bIn)
        let act = activation
        Hd.withUnsafeMutableBufferPointer { h in for k in 0..<(rowsCount * m) { h[k] = act.apply(h[k]) } }
        if keepHidden { hidden = Hd }
        var O = [Double](repeating: 0, count: rowsCount * d)
        gemm(Hd, rowsCount, m, blk.wOut, d, transB: true, into: &O, bias: blk.bOut)
        for r in 0..<(rowsCount * d) { X[r] += O[r] }
    }

    /// C (r × c) = A (r × k) · B + bias (per column), B given as (c × k) when `transB`, else (k × c).
    private func gemm(_ A: [Double], _ r: Int, _ k: Int, _ Bm: [Double], _ c: Int, transB: Bool, into C: inout [Double], bias: [Double]) {
        C.withUnsafeMutableBufferPointer { cb in
            for i in 0..<r { for j in 0..<c { cb[i * c + j] = bias[j] } }
            guard k > 0 else { return }
            A.withUnsafeBufferPointer { ab in Bm.withUnsafeBufferPointer { bb in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(r), Int32(c), Int32(k), 1,
                            ab.baseAddress, Int32(k), bb.baseAddress, Int32(transB ? k : c), 1, cb.baseAddress, Int32(c))
            } }
        }
    }
}

/// Row-major C (M × N) = op(A) · op(B) + beta·C, op(X) = Xᵀ when asked; lda, ldb, ldc the row
/// strides of A, B and C as stored.
@inline(__always)
func rowMajorGEMM(transA: Bool, transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ A: UnsafePointer<Double>, _ lda: Int,
                  _ B: UnsafePointer<Double>, _ ldb: Int, beta: Double, _ C: UnsafeMutablePointer<Double>, _ ldc: Int) {
    guard M > 0, N > 0 else { return }
    guard K > 0 else {
        if beta != 1 { for i in 0..<M { for j in 0..<N { C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j] } } }
        return
    }
    cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(M), Int32(N), Int32(K), 1,
                A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
}

/// `rowMajorGEMM` from arrays into memory.
func rowMajorGEMM(transA: Bool, transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ A: [Double], _ lda: Int,
                  _ B: [Double], _ ldb: Int, beta: Double, _ C: UnsafeMutablePointer<Double>, _ ldc: Int) {
    A.withUnsafeBufferPointer { a in B.withUnsafeBufferPointer { b in
        rowMajorGEMM(transA: transA, transB: transB, M, N, K, a.baseAddress!, lda, b.baseAddress!, ldb, beta: beta, C, ldc)
    } }
}

/// `rowMajorGEMM` on arrays.
func rowMajorGEMM(transA: Bool, transB: Bool, _ M: Int, _ N: Int, _ K: Int, _ A: [Double], _ lda: Int,
                  _ B: [Double], _ ldb: Int, beta: Double, _ C: inout [Double], _ ldc: Int) {
    A.withUnsafeBufferPointer { a in B.withUnsafeBufferPointer { b in C.withUnsafeMutableBufferPointer { c in
        rowMajorGEMM(transA: transA, transB: transB, M, N, K, a.baseAddress!, lda, b.baseAddress!, ldb, beta: beta, c.baseAddress!, ldc)
    } } }
}

/// A new array of `count` doubles whose every entry `fill` writes, its pages mapped in one
/// call first (irrepscope_prefault: page faults are costly, notably in VMs).
func mappedArray(_ count: Int, _ fill: (UnsafeMutablePointer<Double>) -> Void) -> [Double] {
    [Double](unsafeUninitializedCapacity: count) { b, c in
        if count > 0 { irrepscope_prefault(b.baseAddress, count * 8, 1); fill(b.baseAddress!) }
        c = count
    }
}

/// Block 0's per-(position, token) quantities: x = W_E[t] + W_pos[p]; q, k per head from
/// LN1(x); p_h = W_O[:, h] · v_h, the head's attention output for attention weight 1.
struct Block0Tables: Sendable {
    /// Slots: position 0 and 1 hold the |G| group tokens (element order), position 2 the `=` token.
    let n: Int, slots: Int
    /// x (slots × d), q and k (slots × heads × e), p (slots × heads × d).
    let x: [Double], q: [Double], k: [Double], p: [Double]

    init(_ W: TransformerWeights, tokenOfElement: [Int], equalsToken: Int?) {
        let n = tokenOfElement.count, d = W.dModel, H = W.heads, e = W.dHead, he = H * e
        self.n = n
        let slots = 2 * n + (equalsToken == nil ? 0 : 1)
        self.slots = slots
        let blk = W.blocks[0]
        var x = [Double](repeating: 0, count: slots * d)
        for s in 0..<slots {
            let (pos, tok) = s < n ? (0, tokenOfElement[s]) : (s < 2 * n ? (1, tokenOfElement[s - n]) : (2, equalsToken!))
            for c in 0..<d { x[s * d + c] = W.embed[tok * d + c] + (pos < W.positions ? W.pos[pos * d + c] : 0) }
        }
        var y = x
        if let ln = blk.ln1 { y.withUnsafeMutableBufferPointer { b in for s in 0..<slots { ln.apply(b.baseAddress! + s * d, b.baseAddress! + s * d, d) } } }
        // (slots × d) · W_{Q,K,V}ᵀ + bias.
        func heads(_ w: [Double], _ bias: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: slots * he)
            for s in 0..<slots { for j in 0..<he { out[s * he + j] = bias[j] } }
            rowMajorGEMM(transA: false, transB: true, slots, he, d, y, d, w, d, beta: 1, &out, he)
            return out
        }
        q = heads(blk.wQ, blk.bQ); k = heads(blk.wK, blk.bK)
        let v = heads(blk.wV, blk.bV)
        // p_h = v_h · W_O[:, h]ᵀ per head: (slots × e) · (e × d) into columns h·d ..< (h+1)·d of (slots × H·d).
        let p = mappedArray(slots * H * d) { pb in
            v.withUnsafeBufferPointer { vb in blk.wO.withUnsafeBufferPointer { ob in
                for h in 0..<H {
                    rowMajorGEMM(transA: false, transB: true, slots, d, e, vb.baseAddress! + h * e, he, ob.baseAddress! + h * e, he,
                                 beta: 0, pb + h * d, H * d)
                }
            } }
        }
        self.x = x; self.p = p
    }
}

/// The tables of one block without LN2 (docs/networks.md §6.1). The query is the last position:
/// the `=` token (one query) for [a, b, =], b at position 1 (|G| queries, one per b) for [a, b];
/// the keys are the slots of `Block0Tables` (a, n + b, 2n). Per pair (a, b) and head h the
/// attention weights A_hj = softmax_j(score) over the key positions j; the attention output at
/// the last position is Σ_h Σ_j A_hj p_h(slot_j), so without LN2 everything the MLP and the
/// readout see is linear in the weights:
///
///     MLP pre-activation  = hiddenBase[query] + Σ_h (A_ha · hiddenHeads[a, h] + A_hb · hiddenHeads[n + b, h])
///     readout             = readoutBase[query] + Σ_h (A_ha · readoutHeads[a, h] + A_hb · readoutHeads[n + b, h])
///
/// For [a, b, =] the `=` weight is folded in through Σ_j A_hj = 1: the head tables hold
/// differences to the `=` slot, v(s) − v(2n), and the bases add Σ_h v(2n) (two weights per head
/// instead of three). The MLP's vectors are v = W_in p_h, its base W_in x_query + W_in b_O + b_in.
/// The readout is either fused — the logits themselves: v = W_Uᵀ p_h, base W_Uᵀ(x_query + b_O +
/// b_out) + b_U, and logits = readout + (W_Uᵀ W_out) σ(pre-activation) — or the residual
/// stream, v = p_h, base x_query + b_O + b_out, to which W_out σ(…) is added before LN_final and
/// W_U (`readoutMatrix` is W_Uᵀ W_out (|G| × d_mlp), or W_out (d × d_mlp)).
struct SingleBlockTables: Sendable {
    /// Pairs per chunk of the pass: the chunk's activations (chunk × d_mlp) stay in cache for
    /// the readout's dgemm.
    static let chunk = 128
    let slots: Int
    let fused: Bool
    /// Width of the readout: |G| fused, d otherwise.
    let readoutWidth: Int
    /// `scores[(query·H + h)·slots + s]` = q_h(query) · k_h(s) / √e.
    let scores: [Double]
    let hiddenBase: [Double], hiddenHeads: [Double]
    let readoutBase: [Double], readoutHeads: [Double]
    let readoutMatrix: [Double]

    /// `unembedding`: W_U's group columns (d × |G|), `bias` their b_U, `readout` W_Uᵀ W_out (|G| × d_mlp).
    init(_ W: TransformerWeights, _ t: Block0Tables, unembedding wu: [Double], bias bu: [Double], readout wuOut: [Double],
         route: TransformerNetwork.Readout) {
        let n = t.n, d = W.dModel, H = W.heads, e = W.dHead, m = W.dMLP, slots = t.slots, he = H * e
        let T = slots == 2 * n ? 2 : 3
        let blk = W.blocks[0]
        self.slots = slots
        let querySlots = T == 3 ? [2 * n] : Array(n..<(2 * n))
        let scale = 1 / Double(e).squareRoot()
        var scores = [Double](repeating: 0, count: querySlots.count * H * slots)
        for (qi, tq) in querySlots.enumerated() { for h in 0..<H { for s in 0..<slots {
            var acc = 0.0
            for j in 0..<e { acc += t.q[tq * he + h * e + j] * t.k[s * he + h * e + j] }
            scores[(qi * H + h) * slots + s] = acc * scale
        } } }
        self.scores = scores
        // Per query: x_query (+ b_O (+ b_out)).
        var xq = [Double](repeating: 0, count: querySlots.count * d)
        for (qi, tq) in querySlots.enumerated() { for c in 0..<d { xq[qi * d + c] = t.x[tq * d + c] } }
        // Hidden: W_in x_query + (W_in b_O + b_in), W_in p.
        var win = [Double](repeating: 0, count: querySlots.count * m)
        rowMajorGEMM(transA: false, transB: true, querySlots.count, m, d, xq, d, blk.wIn, d, beta: 0, &win, m)
        var c = [Double](repeating: 0, count: m)
        rowMajorGEMM(transA: false, transB: true, 1, m, d, blk.bO, d, blk.wIn, d, beta: 0, &c, m)
        for i in 0..<m { c[i] += blk.bIn[i] }
        var hb = (0..<(querySlots.count * m)).map { win[$0] + c[$0 % m] }
        var hh = mappedArray(slots * H * m) { rowMajorGEMM(transA: false, transB: true, slots * H, m, d, t.p, d, blk.wIn, d, beta: 0, $0, m) }
        if T == 3 { Self.foldEquals(base: &hb, heads: &hh, slots: slots, heads: H, width: m) }
        hiddenBase = hb; hiddenHeads = hh
        // Readout.
        let fusedCost = n * (m + 2 * H), residualCost = d * (m + n + 2 * H)
        switch route {
        case .automatic: fused = W.lnFinal == nil && fusedCost <= residualCost
        case .fused: precondition(W.lnFinal == nil, "the fused readout has no final LayerNorm"); fused = true
        case .residual: fused = false
        }
        var residualBase = xq
        for qi in 0..<querySlots.count { for k in 0..<d { residualBase[qi * d + k] += blk.bO[k] + blk.bOut[k] } }
        if fused {
            readoutWidth = n
            var base = [Double](repeating: 0, count: querySlots.count * n)
            for qi in 0..<querySlots.count { for cc in 0..<n { base[qi * n + cc] = bu[cc] } }
            rowMajorGEMM(transA: false, transB: false, querySlots.count, n, d, residualBase, d, wu, n, beta: 1, &base, n)
            var heads = mappedArray(slots * H * n) { rowMajorGEMM(transA: false, transB: false, slots * H, n, d, t.p, d, wu, n, beta: 0, $0, n) }
            if T == 3 { Self.foldEquals(base: &base, heads: &heads, slots: slots, heads: H, width: n) }
            readoutBase = base; readoutHeads = heads
            readoutMatrix = wuOut
        } else {
            readoutWidth = d
            var heads = t.p
            if T == 3 { Self.foldEquals(base: &residualBase, heads: &heads, slots: slots, heads: H, width: d) }
            readoutBase = residualBase; readoutHeads = heads
            readoutMatrix = blk.wOut
        }
    }

    /// [a, b, =]: base += Σ_h v_h(=), v_h(s) −= v_h(=) for the other slots (`heads[(s·H + h)·width …]`,
    /// the `=` slot last), so that the `=` weight 1 − A_ha − A_hb needs no term of its own.
    private static func foldEquals(base: inout [Double], heads: inout [Double], slots: Int, heads H: Int, width w: Int) {
        let e = slots - 1
        for q in 0..<(base.count / w) { for h in 0..<H { for i in 0..<w { base[q * w + i] += heads[(e * H + h) * w + i] } } }
        for s in 0..<e { for h in 0..<H { for i in 0..<w { heads[(s * H + h) * w + i] -= heads[(e * H + h) * w + i] } } }
    }
}

/// Per pair, from its row of logits (irrepscope_logit_rows_f64): the largest logit, its first
/// index, the largest of the others and Σ_c exp(f_c − max f).
struct LogitRows {
    let top: UnsafeMutablePointer<Double>, second: UnsafeMutablePointer<Double>, sumExp: UnsafeMutablePointer<Double>
    let arg: UnsafeMutablePointer<Int32>
    init(capacity: Int) {
        top = .allocate(capacity: capacity); second = .allocate(capacity: capacity); sumExp = .allocate(capacity: capacity)
        arg = .allocate(capacity: capacity)
    }
    func deallocate() { top.deallocate(); second.deallocate(); sumExp.deallocate(); arg.deallocate() }
    /// Rows 0 ..< count of `logits` (n each).
    func measure(_ logits: UnsafePointer<Double>, _ count: Int, _ n: Int) {
        irrepscope_logit_rows_f64(logits, count, n, top, arg, second, sumExp)
    }
    /// The cross-entropy of row p (`x` its logits) at `label`: log Σ_c exp(x_c − max) − (x_label − max).
    @inline(__always) func crossEntropy(_ p: Int, _ x: UnsafePointer<Double>, _ label: Int) -> Double {
        log(sumExp[p]) - (x[label] - top[p])
    }
}

/// Hands out block indices 0, 1, 2, … to workers.
final class BlockTicket: @unchecked Sendable {
    private var next = 0
    private let lock = NSLock()
    func take(below count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
