import CBLAS
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

/// What one forward pass over all pairs measured besides accuracy and margin (filled by
/// `TransformerNetwork.evaluate`).
public final class TransformerPassStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private var lossSum = 0.0, pairs = 0
    private var attention: [Double] = []   // per head: Σ A_a, Σ A_a², Σ A_b, Σ A_b²
    init() {}

    func add(loss: Double, pairs: Int, attention: [Double]) {
        lock.lock(); defer { lock.unlock() }
        lossSum += loss; self.pairs += pairs
        if self.attention.isEmpty { self.attention = attention } else { for k in attention.indices { self.attention[k] += attention[k] } }
    }
    func reset() { lock.lock(); lossSum = 0; pairs = 0; attention = []; lock.unlock() }

    /// Mean cross-entropy over all pairs (first labeling), logits restricted to the |G| outputs.
    public var loss: Double? { lock.lock(); defer { lock.unlock() }; return pairs > 0 ? lossSum / Double(pairs) : nil }
    /// Per head of the last block: the attention of the last position to a and to b, mean and
    /// standard deviation over all pairs.
    public var headAttention: [(toA: (mean: Double, sd: Double), toB: (mean: Double, sd: Double))] {
        lock.lock(); defer { lock.unlock() }
        guard pairs > 0 else { return [] }
        let p = Double(pairs)
        func ms(_ s: Double, _ s2: Double) -> (Double, Double) { let m = s / p; return (m, max(0, s2 / p - m * m).squareRoot()) }
        return stride(from: 0, to: attention.count, by: 4).map { k in
            (ms(attention[k], attention[k + 1]), ms(attention[k + 2], attention[k + 3]))
        }
    }
}

/// A transformer on a group task (docs/networks.md §6): input [a, b, =] (or [a, b] without
/// the `=` token), the prediction read at the last position over the outputs of the |G|
/// group elements. Everything in double precision with BLAS (dgemm), in blocks of pairs over
/// all cores.
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
    /// Accumulated by `evaluate` (loss, attention per head).
    public let statistics = TransformerPassStatistics()

    private let wUsel: [Double]   // d × n: W_U's columns of the group elements
    private let bUsel: [Double]
    private let block0: Block0Tables
    /// `roles`, computed once (the analysis and the attribution both read them).
    private var cachedRoles: [WeightRole] = []

    public init(order: Int, weights: TransformerWeights, activation: Activation, tokenOfElement: [Int], equalsToken: Int?) {
        precondition(tokenOfElement.count == order && !weights.blocks.isEmpty)
        self.order = order; self.weights = weights; self.activation = activation
        self.tokenOfElement = tokenOfElement; self.equalsToken = equalsToken
        let d = weights.dModel, n = order
        var wu = [Double](repeating: 0, count: d * n)
        for k in 0..<d { for c in 0..<n { wu[k * n + c] = weights.unembed[k * weights.outputs + tokenOfElement[c]] } }
        wUsel = wu
        bUsel = (0..<n).map { weights.unembedBias[tokenOfElement[$0]] }
        block0 = Block0Tables(weights, tokenOfElement: tokenOfElement, equalsToken: equalsToken)
        cachedRoles = computeRoles()
    }

    public var width: Int { weights.dMLP }
    /// `evaluate` measures the loss and the attention per head (`statistics`).
    public var evaluateGathersStatistics: Bool { true }
    var contextLength: Int { equalsToken == nil ? 2 : 3 }

    public var roles: [WeightRole] { cachedRoles }

    private func computeRoles() -> [WeightRole] {
        let n = order, m = weights.dMLP, d = weights.dModel
        let last = weights.blocks[weights.blocks.count - 1]
        var u = [Double](repeating: 0, count: n * m), w = [Double](repeating: 0, count: n * m)
        for a in 0..<n {
            let e = weights.embed[(tokenOfElement[a] * d)...]
            for i in 0..<m {
                var s = 0.0
                for k in 0..<d { s += last.wIn[i * d + k] * e[e.startIndex + k] }
                u[a * m + i] = s
            }
        }
        for c in 0..<n { for i in 0..<m {
            var s = 0.0
            for k in 0..<d { s += wUsel[k * n + c] * last.wOut[k * m + i] }
            w[c * m + i] = s
        } }
        return [WeightRole(name: "u", values: u), WeightRole(name: "w", values: w)]
    }

    public var notOfThePapersForm: String? {
        "a transformer is not a one-hidden-layer network of the paper's form (attention, residual stream, biases): the theorems' γ* does not apply"
    }

    /// Not a homogeneous network: the printed norm is Σ_i ‖(u_i, w_i)‖² (ν = 2), a scale only.
    public func normPowerNu(squaredNorms: [Double]) -> Double { squaredNorms.reduce(0, +) }

    public func logits(rows: Range<Int>) -> [Double] {
        forward(rows: rows).logits
    }

    public func neuronActivations(rows: Range<Int>) -> [Double]? {
        forward(rows: rows).hidden
    }

    /// Left inputs a per block of pairs (about 2048 pairs).
    var rowsPerBlock: Int { max(1, min(order, 2048 / max(order, 1))) }

    public func evaluate(threads: Int, labels: [Int32], sets: Int) -> [(accuracy: Double, margin: Double)] {
        let n = order
        guard n > 0 else { return (0..<sets).map { _ in (0, .infinity) } }
        useSingleThreadedBLAS()
        statistics.reset()
        let step = rowsPerBlock
        let blocks = (n + step - 1) / step
        let workers = max(1, min(threads, blocks))
        let parts = UnsafeMutablePointer<(correct: Int, margin: Double)>.allocate(capacity: blocks * sets)
        defer { parts.deallocate() }
        let shared = SharedMutablePointer(parts)
        let next = BlockTicket()
        let net = self
        parallelWorkers(workers) { _ in
            while let k = next.take(below: blocks) {
                let rows = (k * step)..<min(n, (k + 1) * step)
                let f = net.forward(rows: rows, attentionStatistics: true)
                var loss = 0.0
                for s in 0..<sets { shared.pointer[k * sets + s] = (0, .infinity) }
                for a in rows { for b in 0..<n {
                    let base = ((a - rows.lowerBound) * n + b) * n
                    var m1 = -Double.infinity, i1 = 0, m2 = -Double.infinity
                    for c in 0..<n { let x = f.logits[base + c]; if x > m1 { m2 = m1; m1 = x; i1 = c } else if x > m2 { m2 = x } }
                    for s in 0..<sets {
                        let c = Int(labels[s * n * n + a * n + b])
                        let g = f.logits[base + c] - (c == i1 ? m2 : m1)
                        if g > 0 { shared.pointer[k * sets + s].correct += 1 }
                        shared.pointer[k * sets + s].margin = min(shared.pointer[k * sets + s].margin, g)
                    }
                    // cross-entropy of the first labeling: log Σ exp(f − max) − (f_c − max)
                    let c = Int(labels[a * n + b])
                    var z = 0.0
                    for c2 in 0..<n { z += exp(f.logits[base + c2] - m1) }
                    loss += log(z) - (f.logits[base + c] - m1)
                } }
                net.statistics.add(loss: loss, pairs: rows.count * n, attention: f.attention)
            }
        }
        return (0..<sets).map { s in
            var correct = 0, margin = Double.infinity
            for k in 0..<blocks { correct += parts[k * sets + s].correct; margin = min(margin, parts[k * sets + s].margin) }
            return (Double(correct) / Double(n * n), margin)
        }
    }

    /// The forward pass for the pairs with a in `rows` and every b: logits (pairs × |G|), the
    /// last block's MLP activations at the last position (pairs × d_mlp), and (when asked)
    /// per head Σ A_a, Σ A_a², Σ A_b, Σ A_b² of the last block's last-position attention.
    func forward(rows: Range<Int>, attentionStatistics: Bool = false) -> (logits: [Double], hidden: [Double], attention: [Double]) {
        let n = order, W = weights, d = W.dModel, H = W.heads, e = W.dHead, m = W.dMLP
        let T = contextLength, B = rows.count * n, he = H * e
        guard B > 0 else { return ([], [], []) }
        var attention = [Double](repeating: 0, count: attentionStatistics ? 4 * H : 0)
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
        // R: the residual stream at the positions still needed: all T positions while blocks
        // remain after the current one, the last position alone in the last block.
        var X = [Double](repeating: 0, count: (L > 1 ? B * T : B) * d)
        var hidden = [Double](repeating: 0, count: B * m)
        var scores = [Double](repeating: 0, count: T)
        // Block 0: every quantity up to the attention scores depends on one token at one
        // position, so it comes from block0's tables.
        let queries = L > 1 ? Array(0..<T) : [T - 1]
        let bO0 = W.blocks[0].bO
        // One block without LN2: the MLP's pre-activation is linear in the residual stream, so
        // it is assembled from block0's W_in tables and the attention weights (no W_in gemm).
        let direct = L == 1 ? block0.mlpIn : nil
        var weightsA = [Double](repeating: 0, count: direct == nil ? 0 : B * H * T)
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
                        if direct != nil { weightsA[(pair * H + h) * T + kpos] = a }
                        if attentionStatistics, L == 1, q == T - 1, kpos < 2 {
                            attention[4 * h + 2 * kpos] += a; attention[4 * h + 2 * kpos + 1] += a * a
                        }
                    }
                }
            }
        }
        } } } } }
        if let direct {
            let act = activation
            direct.x.withUnsafeBufferPointer { xin in direct.r.withUnsafeBufferPointer { rin in hidden.withUnsafeMutableBufferPointer { hd in
                for pair in 0..<B {
                    let o = pair * m, tq = slot(pair, T - 1)
                    for i in 0..<m { hd[o + i] = xin[tq * m + i] + direct.c[i] }
                    for h in 0..<H { for kpos in 0..<T {
                        let a = weightsA[(pair * H + h) * T + kpos], base = (slot(pair, kpos) * H + h) * m
                        for i in 0..<m { hd[o + i] += a * rin[base + i] }
                    } }
                    for i in 0..<m { hd[o + i] = act.apply(hd[o + i]) }
                }
            } } }
            var O = [Double](repeating: 0, count: B * d)
            gemm(hidden, B, m, W.blocks[0].wOut, d, transB: true, into: &O, bias: W.blocks[0].bOut)
            for r in 0..<(B * d) { X[r] += O[r] }
        } else {
            mlp(W.blocks[0], &X, rowsCount: L > 1 ? B * T : B, hidden: &hidden, keepHidden: L == 1)
        }
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
                        if attentionStatistics, last, q == T - 1, kpos < 2 {
                            attention[4 * h + 2 * kpos] += a; attention[4 * h + 2 * kpos + 1] += a * a
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

/// Block 0's per-(position, token) quantities: x = W_E[t] + W_pos[p]; q, k per head from
/// LN1(x); p_h = W_O[:, h] · v_h, the head's attention output for attention weight 1.
struct Block0Tables: Sendable {
    /// Slots: position 0 and 1 hold the |G| group tokens (element order), position 2 the `=` token.
    let n: Int
    let x: [Double], q: [Double], k: [Double], p: [Double]
    /// For one block without LN2: x = W_in·x_slot, r = W_in·p_h(slot) (slots × heads × d_mlp),
    /// c = W_in·b_O + b_in, so that the pre-activation is x + c + Σ_h Σ_j A_hj r_h(slot_j).
    let mlpIn: (x: [Double], r: [Double], c: [Double])?

    init(_ W: TransformerWeights, tokenOfElement: [Int], equalsToken: Int?) {
        let n = tokenOfElement.count, d = W.dModel, H = W.heads, e = W.dHead
        self.n = n
        let slots = 2 * n + (equalsToken == nil ? 0 : 1)
        let blk = W.blocks[0]
        var x = [Double](repeating: 0, count: slots * d)
        for s in 0..<slots {
            let (pos, tok) = s < n ? (0, tokenOfElement[s]) : (s < 2 * n ? (1, tokenOfElement[s - n]) : (2, equalsToken!))
            for c in 0..<d { x[s * d + c] = W.embed[tok * d + c] + (pos < W.positions ? W.pos[pos * d + c] : 0) }
        }
        var y = x
        if let ln = blk.ln1 { y.withUnsafeMutableBufferPointer { b in for s in 0..<slots { ln.apply(b.baseAddress! + s * d, b.baseAddress! + s * d, d) } } }
        func heads(_ w: [Double], _ bias: [Double]) -> [Double] {
            var out = [Double](repeating: 0, count: slots * H * e)
            for s in 0..<slots { for j in 0..<(H * e) {
                var acc = bias[j]
                for c in 0..<d { acc += w[j * d + c] * y[s * d + c] }
                out[s * H * e + j] = acc
            } }
            return out
        }
        q = heads(blk.wQ, blk.bQ); k = heads(blk.wK, blk.bK)
        let v = heads(blk.wV, blk.bV)
        var p = [Double](repeating: 0, count: slots * H * d)
        for s in 0..<slots { for h in 0..<H { for c in 0..<d {
            var acc = 0.0
            for j in 0..<e { acc += blk.wO[c * H * e + h * e + j] * v[(s * H + h) * e + j] }
            p[(s * H + h) * d + c] = acc
        } } }
        self.x = x; self.p = p
        if W.blocks.count == 1, blk.ln2 == nil {
            let m = W.dMLP
            func times(_ v: [Double], rows: Int) -> [Double] {   // (rows × d) · W_inᵀ → rows × m
                var out = [Double](repeating: 0, count: rows * m)
                v.withUnsafeBufferPointer { vb in blk.wIn.withUnsafeBufferPointer { wb in out.withUnsafeMutableBufferPointer { ob in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(m), Int32(d), 1,
                                vb.baseAddress, Int32(d), wb.baseAddress, Int32(d), 0, ob.baseAddress, Int32(m))
                } } }
                return out
            }
            let cw = times(blk.bO, rows: 1)
            mlpIn = (times(x, rows: slots), times(p, rows: slots * H), (0..<m).map { cw[$0] + blk.bIn[$0] })
        } else {
            mlpIn = nil
        }
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
