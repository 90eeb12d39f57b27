import CBLAS
import CKernels
import Foundation
import Fourier

/// A one-hidden-layer network of docs/theory.md §1 on a group of order n with m neurons:
/// f(a, b)[c] = Σ_i σ(u_i[a] + v_i[b]) · w_i[c].
///
/// Weights are stored element-major (n × m, row-major): `u[a·m + i]` = u_i[a], with the
/// elements in the group's default order (docs/theory.md §6) after any reordering of the
/// trainer's rows.
public struct GroupNetwork: GroupTaskNetwork {
    public let order: Int
    public let width: Int
    public var activation: Activation
    public let u: [Double]
    public let v: [Double]
    public let w: [Double]

    public init(order: Int, width: Int, activation: Activation, u: [Double], v: [Double], w: [Double]) {
        precondition(u.count == order * width && v.count == order * width && w.count == order * width)
        self.order = order; self.width = width; self.activation = activation
        self.u = u; self.v = v; self.w = w
    }

    /// The roles u, v, w (element-major |G| × m each).
    public var roles: [WeightRole] { [WeightRole(name: "u", values: u), WeightRole(name: "v", values: v), WeightRole(name: "w", values: w)] }

    /// Theorem 7's phase relation θ_u + θ_v − θ_w = 0.
    public var phaseRelation: (plus: [String], minus: [String])? { (["u", "v"], ["w"]) }

    /// The screened forward pass (`evaluate(threads:precision:labels:sets:)` with `.automatic`).
    public func evaluate(threads: Int, labels: [Int32], sets: Int) -> [(accuracy: Double, margin: Double)] {
        evaluate(threads: threads, precision: .automatic, labels: labels, sets: sets)
    }

    /// f(a, b)[c] for a in `rows`, every b and c, in double precision:
    /// `out[(a − rows.lowerBound)·n² + b·n + c]` = Σ_i σ(u_i[a] + v_i[b]) · w_i[c].
    public func logits(rows: Range<Int>) -> [Double] {
        let n = order, m = width, pairs = rows.count * n
        guard pairs > 0, m > 0 else { return [Double](repeating: 0, count: pairs * n) }
        // Every entry is written by a dgemm (β = 0): no zeroing.
        var out = [Double](unsafeUninitializedCapacity: pairs * n) { _, initialized in initialized = pairs * n }
        // Chunks of pairs (about 1 MB of activations, reused, every row written before the dgemm
        // reads it), without faulting in |rows|·n·m fresh doubles.
        let chunk = logitChunk(pairs: pairs)
        var h = [Double](unsafeUninitializedCapacity: chunk * m) { _, initialized in initialized = chunk * m }
        h.withUnsafeMutableBufferPointer { hb in out.withUnsafeMutableBufferPointer { ob in
            var first = 0
            while first < pairs {
                let count = min(chunk, pairs - first)
                logitChunk(rows: rows, first: first, count: count, hidden: hb.baseAddress!, into: ob.baseAddress! + first * n)
                first += count
            }
        } }
        return out
    }

    /// Pairs per dgemm of a call of `logits(rows:)` over `pairs` pairs.
    func logitChunk(pairs: Int) -> Int { max(1, min(pairs, (1 << 17) / max(1, width))) }

    /// The scores of the pairs `first ..< first + count` of the call `logits(rows: rows)` (pair
    /// index (a − rows.lowerBound)·n + b), `first` one of its chunk boundaries and `count` that
    /// chunk's size: the very dgemm of that call, so the same bits. A BLAS may round a row
    /// differently in a product of another shape (OpenBLAS's edge kernels do), so a pass that must
    /// agree with `logits(rows:)` bit for bit (the screened pass's re-check) computes a pair
    /// through the chunk that holds it. `hidden`: count·m doubles of scratch; `out`: count·n.
    func logitChunk(rows: Range<Int>, first: Int, count: Int, hidden: UnsafeMutablePointer<Double>,
                    into out: UnsafeMutablePointer<Double>) {
        let n = order, m = width
        guard count > 0, m > 0 else { return }
        for k in 0..<count {
            let p = first + k
            hiddenRow(a: rows.lowerBound + p / n, b: p % n, into: hidden + k * m)
        }
        w.withUnsafeBufferPointer { wb in
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(n), Int32(m), 1,
                        hidden, Int32(m), wb.baseAddress, Int32(m), 0, out, Int32(n))
        }
    }

    /// h_i(a, b) = σ(u_i[a] + v_i[b]) for every neuron into `row` (m doubles): the values of
    /// `apply`, the quadratic one vectorized. Every double-precision pass takes its activations
    /// from here.
    @inline(__always)
    func hiddenRow(a: Int, b: Int, into row: UnsafeMutablePointer<Double>) {
        let m = width
        u.withUnsafeBufferPointer { ub in v.withUnsafeBufferPointer { vb in
            let ua = ub.baseAddress! + a * m, vb0 = vb.baseAddress! + b * m
            if activation == .quadratic {
                // The same values as `apply` ((u + v) rounded, then squared), vectorized.
                irrepscope_hidden_f64(ua, vb0, m, row, 0, 2)
            } else {
                activation.applySums(ua, vb0, bias: nil, into: row, count: m)
            }
        } }
    }

    /// h_i(a, b) = σ(u_i[a] + v_i[b]) for a in `rows`, every b and every neuron i:
    /// `out[((a − rows.lowerBound)·n + b)·m + i]`.
    public func neuronActivations(rows: Range<Int>) -> [Double]? {
        let n = order, m = width
        var h = [Double](repeating: 0, count: rows.count * n * m)
        for (r, a) in rows.enumerated() { for b in 0..<n { for i in 0..<m {
            h[(r * n + b) * m + i] = activation.apply(u[a * m + i] + v[b * m + i])
        } } }
        return h
    }

    /// h_i(a, b) = σ(u_i[a] + v_i[b]) for the neurons in `neurons`, every pair:
    /// `buffer[(a·n + b)·neurons.count + j]` (the values of `neuronActivations(rows:)`).
    public func writeNeuronActivations(neurons: Range<Int>, into buffer: UnsafeMutablePointer<Double>) -> Bool {
        precondition(neurons.lowerBound >= 0 && neurons.upperBound <= width)
        let n = order, m = width, c = neurons.count, i0 = neurons.lowerBound
        guard c > 0 else { return true }
        u.withUnsafeBufferPointer { ub in v.withUnsafeBufferPointer { vb in
            for a in 0..<n { for b in 0..<n {
                activation.applySums(ub.baseAddress! + a * m + i0, vb.baseAddress! + b * m + i0, bias: nil,
                                     into: buffer + (a * n + b) * c, count: c)
            } }
        } }
        return true
    }

    /// (u, v) when σ is the quadratic: h_i(a, b) = (u_i[a] + v_i[b])².
    public var quadraticNeuronTerms: (p: [Double], q: [Double])? { activation == .quadratic ? (u, v) : nil }

    /// ‖ω_i‖² split into its u, v and w parts, per neuron.
    public func neuronNormsSquared() -> [(u: Double, v: Double, w: Double)] {
        var out = [(u: Double, v: Double, w: Double)](repeating: (0, 0, 0), count: width)
        for a in 0..<order {
            for i in 0..<width {
                let k = a * width + i
                out[i].u += u[k] * u[k]; out[i].v += v[k] * v[k]; out[i].w += w[k] * w[k]
            }
        }
        return out
    }

    /// ‖θ‖_{2,ν}^ν = Σ_i ‖ω_i‖₂^ν with ν the network's homogeneity (docs/theory.md §2).
    public func normPowerNu() -> Double { normPowerNu(from: neuronNormsSquared()) }

    /// The same from norms already computed by `neuronNormsSquared`.
    func normPowerNu(from norms: [(u: Double, v: Double, w: Double)]) -> Double {
        let nu = Double(activation.nu)
        return norms.reduce(0) { $0 + pow($1.u + $1.v + $1.w, nu / 2) }
    }

    /// Evaluates f on every pair (a, b) and measures it against the labels c = a·b given by
    /// `label(a, b)`: accuracy (argmax equals the label, strictly) and the margin
    /// h = min over pairs of f[c] − max_{c'≠c} f[c'] (docs/theory.md §2).
    public func evaluate(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         precision: ForwardPrecision = .automatic,
                         label: @escaping (Int, Int) -> Int) -> (accuracy: Double, margin: Double) {
        evaluate(threads: threads, precision: precision, labelings: [label])[0]
    }

    /// The same for several labelings at once (e.g. both composition conventions): the scores
    /// are computed once and measured against each labeling.
    ///
    /// The hot path: for a block of left inputs a, the hidden activations of all pairs (a, b)
    /// form a (block·n × m) matrix H, and one GEMM gives the scores H·Wᵀ; blocks run on all
    /// cores (OpenBLAS itself single-threaded). With `precision` `.automatic` the GEMM runs in
    /// single precision as a rigorously bounded filter and only the pairs the bound cannot
    /// settle are recomputed in double (see `ForwardPrecision`): the accuracy and margin are
    /// always those of the double-precision pass. Results do not depend on the number of
    /// threads (the block partition and the precision mode do not).
    public func evaluate(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         precision: ForwardPrecision = .automatic,
                         labelings: [(Int, Int) -> Int]) -> [(accuracy: Double, margin: Double)] {
        evaluate(threads: threads, precision: precision, labels: labelArray(labelings), sets: labelings.count)
    }

    /// `labels[s·n² + a·n + b]` = labelings[s](a, b) (see `Labelling`).
    func labelArray(_ labelings: [(Int, Int) -> Int]) -> [Int32] { Labelling(order: order, labelings: labelings).labels }

    /// The same with the labels given as an array: `labels[s·n² + a·n + b]` is the label of
    /// (a, b) in labeling s < `sets`.
    public func evaluate(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         precision: ForwardPrecision = .automatic,
                         labels: [Int32], sets: Int) -> [(accuracy: Double, margin: Double)] {
        precondition(labels.count == sets * order * order && labels.allSatisfy { $0 >= 0 && Int($0) < order })
        return labels.withUnsafeBufferPointer { lab in
            ForwardPass(network: self, sets: sets, labels: lab.baseAddress!)
                .run(threads: max(1, threads), precision: precision)
        }
    }

    /// The forward pass's own account (for tests and diagnostics): whether the
    /// single-precision screen ran and how many pairs went to the double pass.
    func forwardReport(threads: Int = ProcessInfo.processInfo.activeProcessorCount, precision: ForwardPrecision = .automatic,
                       label: @escaping (Int, Int) -> Int) -> ForwardPass.Report {
        labelArray([label]).withUnsafeBufferPointer { lab in
            ForwardPass(network: self, sets: 1, labels: lab.baseAddress!)
                .runReporting(threads: max(1, threads), precision: precision).report
        }
    }
}

/// A sparse-parity network of docs/theory.md §1: f(x) = Σ_i (u_iᵀx)^k · w_i with x ∈ {±1}^n and
/// w_i ∈ R² (one score per class).
public struct ParityNetwork: Sendable {
    public let inputs: Int
    public let width: Int
    public let activation: Activation
    /// Neuron-major: `u[i·n + j]` = u_i[j].
    public let u: [Double]
    /// `w[i·2 + c]` = w_i[c].
    public let w: [Double]

    public init(inputs: Int, width: Int, activation: Activation, u: [Double], w: [Double]) {
        precondition(u.count == inputs * width && w.count == 2 * width)
        self.inputs = inputs; self.width = width; self.activation = activation; self.u = u; self.w = w
    }

    /// ‖θ‖_{2,ν}^ν with ω_i = concat(u_i, w_i).
    public func normPowerNu() -> Double {
        let nu = Double(activation.nu)
        var total = 0.0
        for i in 0..<width {
            var s = w[2 * i] * w[2 * i] + w[2 * i + 1] * w[2 * i + 1]
            for j in 0..<inputs { s += u[i * inputs + j] * u[i * inputs + j] }
            total += pow(s, nu / 2)
        }
        return total
    }

    /// Accuracy and margin over all 2^n inputs, with label y = Π_{j∈S} x_j mapped to class
    /// `plusClass` when y = +1 and to the other class when y = −1. Bit j of the input index
    /// set means x_j = −1.
    public func evaluate(support: [Int], plusClass: Int) -> (accuracy: Double, margin: Double) {
        let n = inputs, total = 1 << n
        var correct = 0
        var margin = Double.infinity
        var supportMask = 0
        for j in support { supportMask |= 1 << j }
        for x in 0..<total {
            var f0 = 0.0, f1 = 0.0
            for i in 0..<width {
                var dot = 0.0
                for j in 0..<n { dot += (x >> j) & 1 == 1 ? -u[i * n + j] : u[i * n + j] }
                let h = activation.apply(dot)
                f0 += h * w[2 * i]; f1 += h * w[2 * i + 1]
            }
            let y = (x & supportMask).nonzeroBitCount % 2 == 0 ? 1 : -1
            let c = y == 1 ? plusClass : 1 - plusClass
            let g = c == 0 ? f0 - f1 : f1 - f0
            if g > 0 { correct += 1 }
            margin = min(margin, g)
        }
        return (Double(correct) / Double(total), margin)
    }
}
