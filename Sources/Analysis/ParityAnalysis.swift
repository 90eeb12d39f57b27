import Checkpoints
import Foundation

/// Per-neuron findings of a sparse-parity analysis (docs/theory.md §3, Theorem 8).
public struct ParityNeuron: Sendable {
    public let index: Int
    /// Σ_{j∈S} u[j]² / ‖u‖² (1 at the optimum).
    public let supportMass: Double?
    /// (max − min)/max of |u[j]| over j ∈ S (0 at the optimum: all equal).
    public let supportSpread: Double?
    /// mean_{j∈S} |u[j]| / ‖w‖ (1 at the optimum).
    public let supportToW: Double?
    /// (w[+] + w[−]) / ‖w‖·√2: the part of w outside span([1, −1]) (0 at the optimum).
    public let wOffSpan: Double?
    /// (Π_{j∈S} u[j]) · (w[+] − w[−]) ≥ 0.
    public let signCondition: Bool
    public let norm: Double
}

/// Everything `analyze --task parity` reports.
public struct ParityAnalysis: Sendable, ReportsMargins {
    public let inputs: Int
    public let k: Int
    public let width: Int
    public let activation: Activation
    public let support: [Int]
    /// True when the support was inferred from the weights (the k coordinates with most weight mass).
    public let supportInferred: Bool
    /// The class index that stands for y = +1 (chosen by accuracy when not given).
    public let plusClass: Int
    public let neurons: [ParityNeuron]
    /// Accuracy, margin, norm and γ* (one type for every analysis; `ReportsMargins` reads them).
    public let margins: MarginFindings
    /// Fraction of neurons with support mass ≥ 0.9 and ≥ 0.99.
    public let fractionSupportMass090: Double
    public let fractionSupportMass099: Double
    public let fractionSignCondition: Double
    /// The same, weighting each neuron by its share ‖ω_i‖^ν / Σ_j ‖ω_j‖^ν of the norm (neurons
    /// that regularization has shrunk to nothing then count for nothing).
    public let weightedSupportMass090: Double
    public let weightedSignCondition: Double

    public static func run(network: ParityNetwork, k: Int, support given: [Int]?, plusClass requested: Int?) -> ParityAnalysis {
        let n = network.inputs, m = network.width
        var support = given ?? []
        let inferred = given == nil
        if inferred {
            var mass = [Double](repeating: 0, count: n)
            for i in 0..<m { for j in 0..<n { mass[j] += network.u[i * n + j] * network.u[i * n + j] } }
            support = Array((0..<n).sorted { mass[$0] > mass[$1] || (mass[$0] == mass[$1] && $0 < $1) }.prefix(k)).sorted()
        }
        let candidates = requested.map { [$0] } ?? [0, 1]
        var best: (plus: Int, acc: Double, h: Double) = (candidates[0], -1, -.infinity)
        for c in candidates {
            let (acc, h) = network.evaluate(support: support, plusClass: c)
            if acc > best.acc || (acc == best.acc && h > best.h) { best = (c, acc, h) }
        }
        let plus = best.plus, minus = 1 - plus
        var neurons: [ParityNeuron] = []
        for i in 0..<m {
            let u = Array(network.u[(i * n)..<((i + 1) * n)])
            let wp = network.w[2 * i + plus], wm = network.w[2 * i + minus]
            let uu = u.reduce(0) { $0 + $1 * $1 }
            let ww = wp * wp + wm * wm
            let onS = support.map { abs(u[$0]) }
            let mass = uu > 0 ? support.reduce(0) { $0 + u[$1] * u[$1] } / uu : nil
            let spread = (onS.max() ?? 0) > 0 ? ((onS.max()! - onS.min()!) / onS.max()!) : nil
            let ratio = ww > 0 && !onS.isEmpty ? (onS.reduce(0, +) / Double(onS.count)) / ww.squareRoot() : nil
            let off = ww > 0 ? abs(wp + wm) / (ww.squareRoot() * 2.0.squareRoot()) : nil
            let product = support.reduce(1.0) { $0 * u[$1] }
            neurons.append(ParityNeuron(index: i, supportMass: mass, supportSpread: spread, supportToW: ratio,
                                        wOffSpan: off, signCondition: product * (wp - wm) >= 0,
                                        norm: (uu + ww).squareRoot()))
        }
        let norm = network.normPowerNu()
        func frac(_ f: (ParityNeuron) -> Bool) -> Double { m == 0 ? 0 : Double(neurons.filter(f).count) / Double(m) }
        let nu = Double(network.activation.nu)
        func weighted(_ f: (ParityNeuron) -> Bool) -> Double {
            norm > 0 ? neurons.filter(f).reduce(0) { $0 + pow($1.norm, nu) } / norm : 0
        }
        return ParityAnalysis(
            inputs: n, k: k, width: m, activation: network.activation, support: support, supportInferred: inferred,
            plusClass: plus, neurons: neurons,
            margins: MarginFindings(accuracy: best.acc, margin: best.h, normPowerNu: norm,
                                    bound: .parity(k: k, width: m, activation: network.activation)),
            fractionSupportMass090: frac { ($0.supportMass ?? 0) >= 0.9 },
            fractionSupportMass099: frac { ($0.supportMass ?? 0) >= 0.99 },
            fractionSignCondition: frac { $0.signCondition },
            weightedSupportMass090: weighted { ($0.supportMass ?? 0) >= 0.9 },
            weightedSignCondition: weighted { $0.signCondition })
    }
}

extension NetworkLocator {
    /// Locates a parity network's u (n inputs → m neurons) and w (m neurons → 2 classes).
    /// Explicit names win; otherwise the one float matrix with an axis of length n and the
    /// one with an axis of length 2 sharing its other axis.
    public static func locateParity(in checkpoint: Checkpoint, inputs n: Int, u uName: String?, w wName: String?) throws
        -> (u: TensorUse, w: TensorUse) {
        let path = checkpoint.path
        let mats = checkpoint.tensors.filter { $0.dtype.isFloatingPoint && $0.rank == 2 }
        func use(_ t: Tensor, length: Int) throws -> TensorUse {
            let e: Int
            if t.shape[1] == length && t.shape[0] != length { e = 1 }
            else if t.shape[0] == length && t.shape[1] != length { e = 0 }
            else if t.shape[0] == length { e = 1 }
            else { throw LayoutError(path: path, message: "tensor '\(t.name)' \(t.shape) has no axis of length \(length)") }
            return TensorUse(name: t.name, shape: t.shape, elementAxis: e, neuronAxis: 1 - e, instance: nil)
        }
        if let uName, let wName {
            return (try use(checkpoint.tensor(named: uName), length: n), try use(checkpoint.tensor(named: wName), length: 2))
        }
        for ut in mats where ut.shape.contains(n) {
            let m = ut.shape[1] == n ? ut.shape[0] : ut.shape[1]
            if let wt = mats.first(where: { $0.name != ut.name && $0.shape.contains(2) && $0.shape.contains(m) }) {
                return (try use(ut, length: n), try use(wt, length: 2))
            }
        }
        let listed = mats.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
        throw LayoutError(path: path, message: "could not find a parity network (an (m × \(n)) first layer and an (2 × m) output layer); matrices: \(listed.isEmpty ? "none" : listed); name them with --u NAME --w NAME")
    }
}
