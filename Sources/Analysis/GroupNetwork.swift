import CBLAS
import Foundation
import Fourier

/// A one-hidden-layer network of THEORY.md §1 on a group of order n with m neurons:
/// f(a, b)[c] = Σ_i σ(u_i[a] + v_i[b]) · w_i[c].
///
/// Weights are stored element-major (n × m, row-major): `u[a·m + i]` = u_i[a], with the
/// elements in the group's default order (THEORY.md §6) after any reordering of the
/// trainer's rows.
public struct GroupNetwork: Sendable {
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

    /// ‖θ‖_{2,ν}^ν = Σ_i ‖ω_i‖₂^ν with ν the network's homogeneity (THEORY.md §2).
    public func normPowerNu() -> Double {
        let nu = Double(activation.nu)
        return neuronNormsSquared().reduce(0) { $0 + pow($1.u + $1.v + $1.w, nu / 2) }
    }

    /// Evaluates f on every pair (a, b) and measures it against the labels c = a·b given by
    /// `label(a, b)`: accuracy (argmax equals the label, strictly) and the margin
    /// h = min over pairs of f[c] − max_{c'≠c} f[c'] (THEORY.md §2).
    ///
    /// The hot path: for a block of left inputs a, the hidden activations of all pairs (a, b)
    /// form a (block·n × m) matrix H, and one dgemm gives the scores H·Wᵀ. Blocks run on all
    /// cores (OpenBLAS itself single-threaded); at most 2^23 doubles (64 MiB) per worker. Results
    /// do not depend on the number of threads (each pair is computed the same way; the
    /// minimum and the count are exact).
    public func evaluate(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         label: @escaping (Int, Int) -> Int) -> (accuracy: Double, margin: Double) {
        evaluate(threads: threads, labelings: [label])[0]
    }

    /// The same for several labelings at once (e.g. both composition conventions): the scores
    /// are computed once and measured against each labeling.
    public func evaluate(threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                         labelings: [(Int, Int) -> Int]) -> [(accuracy: Double, margin: Double)] {
        let n = order, m = width, sets = labelings.count
        // Labels first (the closures need not be thread-safe).
        var labels = [Int32](repeating: 0, count: sets * n * n)
        for (s, label) in labelings.enumerated() {
            for a in 0..<n { for b in 0..<n { labels[s * n * n + a * n + b] = Int32(label(a, b)) } }
        }
        // Blocks as large as the memory budget allows (fewer dgemm calls, W packed fewer
        // times), but at least one per worker.
        let block = max(1, min((n + threads - 1) / max(threads, 1), (1 << 23) / max(n * (m + n), 1)))
        let blocks = (n + block - 1) / block
        let workers = max(1, min(threads, blocks))
        useSingleThreadedBLAS()
        let results = UnsafeMutablePointer<(Int, Double)>.allocate(capacity: blocks * sets)
        defer { results.deallocate() }
        let shared = SharedResults(results)
        let net = self
        labels.withUnsafeBufferPointer { lab in
            let labelsPointer = SharedLabels(lab.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let hidden = UnsafeMutablePointer<Double>.allocate(capacity: block * n * m)
                let scores = UnsafeMutablePointer<Double>.allocate(capacity: block * n * n)
                defer { hidden.deallocate(); scores.deallocate() }
                var k = worker
                while k < blocks {
                    let a0 = k * block, rows = min(block, n - a0)
                    net.u.withUnsafeBufferPointer { u in
                        net.v.withUnsafeBufferPointer { v in
                            for da in 0..<rows {
                                let ua = u.baseAddress! + (a0 + da) * m
                                for b in 0..<n {
                                    let vb = v.baseAddress! + b * m
                                    let h = hidden + (da * n + b) * m
                                    for i in 0..<m { h[i] = net.activation.apply(ua[i] + vb[i]) }
                                }
                            }
                        }
                    }
                    net.w.withUnsafeBufferPointer { wp in
                        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows * n), Int32(n), Int32(m), 1,
                                    hidden, Int32(m), wp.baseAddress, Int32(m), 0, scores, Int32(n))
                    }
                    for set in 0..<sets {
                        var correct = 0, margin = Double.infinity
                        for r in 0..<(rows * n) {
                            let c = Int(labelsPointer.pointer[set * n * n + a0 * n + r])
                            let row = scores + r * n
                            var other = -Double.infinity
                            for c2 in 0..<n where c2 != c { other = max(other, row[c2]) }
                            let g = row[c] - other
                            if g > 0 { correct += 1 }
                            margin = min(margin, g)
                        }
                        shared.pointer[k * sets + set] = (correct, margin)
                    }
                    k += workers
                }
            }
        }
        return (0..<sets).map { set in
            var correct = 0, margin = Double.infinity
            for k in 0..<blocks { correct += results[k * sets + set].0; margin = min(margin, results[k * sets + set].1) }
            return (Double(correct) / Double(n * n), margin)
        }
    }
}

struct SharedResults: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<(Int, Double)>
    init(_ p: UnsafeMutablePointer<(Int, Double)>) { pointer = p }
}

struct SharedLabels: @unchecked Sendable {
    let pointer: UnsafePointer<Int32>
    init(_ p: UnsafePointer<Int32>) { pointer = p }
}

/// A sparse-parity network of THEORY.md §1: f(x) = Σ_i (u_iᵀx)^k · w_i with x ∈ {±1}^n and
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
