import Checkpoints
import Foundation
import Groups

/// A family of networks: a way a trainer lays out a network in a checkpoint, and how that
/// network computes its outputs.
///
/// A family recognises its layout (`locate`), throwing a `FamilyRejection` that says why it
/// does not apply — the reasons of every family are listed when no family finds the network.
/// What it builds is analyzed by the shared code: a `GroupTaskNetwork` for group tasks (the
/// per-role spectra or isotypic powers, accuracy and margin), or the family's own analysis.
///
/// To add a family: one file under `Families/` with a type conforming to `NetworkFamily`, and
/// one line in `NetworkFamilies.registered`.
public protocol NetworkFamily: Sendable {
    /// Short name used in messages ("one hidden layer", "sparse parity").
    var name: String { get }
    /// Whether the family is for this task at all (it is not asked otherwise).
    func serves(_ task: AnalysisTask) -> Bool
    /// Finds the family's network in the checkpoint and analyzes it.
    func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult
}

/// Why a family does not apply to a checkpoint (the message says what it looked for).
public struct FamilyRejection: Error, CustomStringConvertible, Sendable {
    public let family: String
    public let reason: String
    public var description: String { "\(family): \(reason)" }
    public init(family: String, reason: String) { self.family = family; self.reason = reason }
}

/// The registry of network families, tried in order.
public enum NetworkFamilies {
    /// Every family IrrepScope knows, most specific first.
    public static let registered: [any NetworkFamily] = [
        TransformerFamily(),
        OneHiddenLayerFamily(),
        MLPFamily(),
        SparseParityFamily(),
    ]
}

/// A network on a group task as a family builds it: weights by role, and a forward pass over
/// the |G|² pairs (a, b). Elements are indices in the group's default order (docs/theory.md §6).
public protocol GroupTaskNetwork: Sendable {
    /// |G|.
    var order: Int { get }
    /// Number of hidden neurons m whose weights are analyzed.
    var width: Int { get }
    var activation: Activation { get }
    /// The weights analyzed per neuron, in report order: for each role (u, v, w for the
    /// paper's network) an element-major |G| × m matrix, `values[a·m + i]` = weight of neuron i
    /// on element a.
    var roles: [WeightRole] { get }
    /// For cyclic groups: roles whose dominant-bin phases add up at the optimum, Σ plus − Σ
    /// minus = 0 (Theorem 7: θ_u + θ_v − θ_w); nil when the family has no such relation.
    var phaseRelation: (plus: [String], minus: [String])? { get }
    /// ‖θ‖_{2,ν}^ν from each neuron's squared norm ‖ω_i‖² (docs/theory.md §2).
    func normPowerNu(squaredNorms: [Double]) -> Double
    /// Accuracy (argmax strictly equal to the label) and margin h = min over pairs of
    /// f[c] − max_{c'≠c} f[c'] against each of `sets` labelings: `labels[s·n² + a·n + b]`.
    func evaluate(threads: Int, labels: [Int32], sets: Int) -> [(accuracy: Double, margin: Double)]
    /// Why the theorems' γ* does not apply to this network although its weights may look like
    /// the paper's (biases, a non-homogeneous part); nil when it is of the paper's form.
    var notOfThePapersForm: String? { get }
    /// The outputs f(a, b)[c] for the pairs with a in `rows` and every b:
    /// `out[(a − rows.lowerBound)·n² + b·n + c]`, in double precision.
    func logits(rows: Range<Int>) -> [Double]
    /// The post-activation value of every hidden neuron at the pairs with a in `rows` and every
    /// b: `out[((a − rows.lowerBound)·n + b)·width + i]` = h_i(a, b), in double precision, for
    /// the hidden-layer measures of docs/attribution.md §6 (for a transformer, the last block's
    /// MLP neurons at the last position). nil (the default) when the family has no hidden layer
    /// whose neurons are the `width` neurons of `roles`.
    func neuronActivations(rows: Range<Int>) -> [Double]?
    /// The activations of the neurons in `neurons` at every pair, written to `buffer`:
    /// `buffer[(a·n + b)·neurons.count + j]` = h_{neurons.lowerBound + j}(a, b), bit for bit the
    /// values of `neuronActivations(rows:)`; returns true. Returns false (the default; nothing
    /// written) when the family computes its neurons only pair by pair (a transformer's MLP
    /// neurons need the attention first); an empty range answers whether the family can. With
    /// it the attribution takes the hidden-layer measures (docs/attribution.md §6) one chunk of
    /// neurons at a time instead of keeping all |G|²·m activations.
    func writeNeuronActivations(neurons: Range<Int>, into buffer: UnsafeMutablePointer<Double>) -> Bool
    /// When every hidden neuron of `neuronActivations` is h_i(a, b) = (p_i[a] + q_i[b])² (the
    /// quadratic σ of one term per input, biases folded in), the terms p and q, element-major
    /// |G| × width each; nil (the default) otherwise. The attribution then takes each neuron's
    /// power over G × G from the spectra of p, q, p² and q² in closed form (docs/attribution.md §6)
    /// instead of transforming |G|² values per neuron.
    var quadraticNeuronTerms: (p: [Double], q: [Double])? { get }
    /// One forward pass over the pairs with a in `rows`, single-threaded (callers run blocks of
    /// rows on their own workers): the logits in the layout of `logits(rows:)` and, when
    /// `activations` is true, the hidden activations in the layout of
    /// `neuronActivations(rows:)` (nil when the family has none). The default calls the two;
    /// a family whose hidden activations are an intermediate of its logits (a transformer's MLP
    /// neurons) computes both in one pass.
    func forward(rows: Range<Int>, activations: Bool) -> (logits: [Double], activations: [Double]?)
}

/// One weight role of a network: its name and element-major values.
public struct WeightRole: Sendable {
    public let name: String
    /// |G| × m, row-major: `values[a·m + i]`.
    public let values: [Double]
    public init(name: String, values: [Double]) { self.name = name; self.values = values }
}

extension GroupTaskNetwork {
    public var phaseRelation: (plus: [String], minus: [String])? { nil }
    public var notOfThePapersForm: String? { nil }
    public func neuronActivations(rows: Range<Int>) -> [Double]? { nil }
    public func writeNeuronActivations(neurons: Range<Int>, into buffer: UnsafeMutablePointer<Double>) -> Bool { false }

    /// Whether `writeNeuronActivations` works for this network (asked with an empty range).
    var writesNeuronActivationsByChunk: Bool {
        var probe = 0.0
        return withUnsafeMutablePointer(to: &probe) { writeNeuronActivations(neurons: 0..<0, into: $0) }
    }
    public var quadraticNeuronTerms: (p: [Double], q: [Double])? { nil }
    public func forward(rows: Range<Int>, activations: Bool) -> (logits: [Double], activations: [Double]?) {
        (logits(rows: rows), activations ? neuronActivations(rows: rows) : nil)
    }

    public func normPowerNu(squaredNorms: [Double]) -> Double {
        let nu = Double(activation.nu)
        return squaredNorms.reduce(0) { $0 + pow($1, nu / 2) }
    }

    /// A forward pass from `logits` in blocks of rows (for families without a faster one).
    public func evaluate(threads: Int, labels: [Int32], sets: Int) -> [(accuracy: Double, margin: Double)] {
        let n = order
        var correct = [Int](repeating: 0, count: sets), margin = [Double](repeating: .infinity, count: sets)
        // The row blocks of the attribution's kept pass (`LogitPass`): the same calls of
        // `logits(rows:)`, so the same bits and the same margin with and without the attribution
        // whatever the BLAS's kernels (which may round a row differently in another call's shape).
        let block = LogitPass.rowsPerBlock(n)
        var a0 = 0
        while a0 < n {
            let rows = a0..<min(n, a0 + block)
            let f = logits(rows: rows)
            for a in rows { for b in 0..<n {
                let base = ((a - rows.lowerBound) * n + b) * n
                for s in 0..<sets {
                    let c = Int(labels[s * n * n + a * n + b])
                    var other = -Double.infinity
                    for k in 0..<n where k != c { other = max(other, f[base + k]) }
                    let g = f[base + c] - other
                    if g > 0 { correct[s] += 1 }
                    margin[s] = min(margin[s], g)
                }
            } }
            a0 = rows.upperBound
        }
        return (0..<sets).map { (Double(correct[$0]) / Double(n * n), margin[$0]) }
    }
}

/// What an analysis found: the typed result of `Analyzer.analyze`.
public enum AnalysisResult: Sendable {
    /// A network on a group task (any family that builds a `GroupTaskNetwork`).
    case group(GroupAnalysis, NetworkLayout)
    /// A sparse-parity network.
    case parity(ParityAnalysis, NetworkLayout)

    public var layout: NetworkLayout {
        switch self { case .group(_, let l), .parity(_, let l): return l }
    }
}
