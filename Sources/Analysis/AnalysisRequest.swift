import Foundation
import Groups

/// The task a network was trained on.
public enum AnalysisTask: Sendable, Equatable {
    /// Composition in a finite group: inputs (a, b), label a·b (docs/theory.md §1). The name
    /// is what `FiniteGroup.named` reads ("C71", "S4", "D5", "S3xC2").
    case group(String)
    /// (n, k)-sparse parity on {±1}^n with support S (inferred from the weights when nil).
    case parity(n: Int, k: Int, support: [Int]?)
    /// A task the checkpoint itself tells: the group its metadata names or its weights imply
    /// (`GroupInference`), or a sparse parity its metadata records (`ParityInference`, when it
    /// names no group). Resolved by `Analyzer` into `.group(name)` or `.parity` before the
    /// families see it, with a note.
    case inferredGroup
}

extension AnalysisTask {
    /// A task on a named group (what the group-task families serve).
    public var isGroupTask: Bool {
        if case .group = self { return true }
        return false
    }
}

/// Everything an analysis needs besides the checkpoint: what `Analyzer.analyze` takes.
///
/// Conventions: labels are c = a·b with `composition` (right-to-left, (g·h)(x) = g(h(x)), by
/// default; docs/theory.md §6); the weights' rows are the group's elements in its default order
/// unless `elementOrder` gives the trainer's order.
public struct AnalysisRequest: Sendable {
    public var task: AnalysisTask
    /// nil: the family's default (quadratic for group tasks, x^k for parity).
    public var activation: Activation?
    public var composition: Composition = .rightToLeft
    /// The trainer's row order: `elementOrder[row]` is the permutation (in the group's action)
    /// of that row; `elementOrderOneBased` says whether its points are 1-based.
    public var elementOrder: [[Int]]?
    public var elementOrderOneBased = false
    /// `--elements infer`: the element order is read from the network's own predictions,
    /// which must form a group table (docs/groups-from-data.md §4).
    public var inferElementOrder = false
    /// `--elements table:FILE`: the trainer's multiplication table (file rows, 0-based, row a
    /// column b = the row of a·b), whose isomorphism onto the named group gives the element of
    /// each row (docs/groups-from-data.md §4); the source text `table:FILE`.
    public var elementTable: String?
    /// Tensors named by the user (and their element axes, the instance of an instance axis).
    public var tensors = LayoutRequest()
    /// Transformers: the `=` token's id (nil: |G|, docs/networks.md §6).
    public var equalsToken: Int?
    /// Transformers: the input is [a, b], without the `=` token.
    public var twoTokenInput = false
    /// Count the trivial component (DC) in normalizations and maxima.
    public var includeTrivial = false
    /// Top components listed per neuron.
    public var top = 3
    /// Histogram bins on [0, 1].
    public var bins = 20
    /// How many neurons, the largest by norm ‖ω_i‖, to profile: their weights over the
    /// elements and their power per component (`GroupAnalysis.profiles`, drawn as the paper's
    /// Fig. 1 panels); 0 for none.
    public var profiledNeurons = 0
    /// The function-level attribution of docs/attribution.md (group tasks); nil to skip it.
    public var attribution: AttributionOptions? = AttributionOptions()
    /// Threads for one checkpoint's forward pass (batch runs several checkpoints at once).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Called on the analyzing thread with the per-neuron findings as soon as they are ready,
    /// while the forward pass may still run (e.g. to render them meanwhile).
    public var whileMarginsCompute: (@Sendable (_ analysis: GroupAnalysisDraft) -> Void)?
    /// Called with each note the analysis has for the user (e.g. "the transposed layout fits
    /// better"); the command line prints them on stderr.
    public var note: (@Sendable (String) -> Void)?

    public init(task: AnalysisTask) { self.task = task }

    /// Checks the request's own consistency (not the checkpoint's).
    public func validate() throws {
        if case .parity(let n, let k, let support) = task {
            guard n >= 1, k >= 1, k <= n else { throw AnalysisError("parity needs n ≥ 1 and 1 ≤ k ≤ n (got n = \(n), k = \(k))") }
            if n > 24 { throw AnalysisError("n = \(n): the population of 2^n inputs is too large (n ≤ 24)") }
            if let s = support, s.count != k || Set(s).count != k || !s.allSatisfy({ $0 >= 0 && $0 < n }) {
                throw AnalysisError("the support must list \(k) distinct indices in 0..<\(n)")
            }
        }
        if top < 0 || bins < 1 { throw AnalysisError("top must be ≥ 0 and bins ≥ 1") }
        if profiledNeurons < 0 { throw AnalysisError("the number of profiled neurons must be ≥ 0") }
        if let t = attribution?.threshold, !(t >= 0 && t < 1) {
            throw AnalysisError("the key threshold must lie in [0, 1) (got \(t))")
        }
    }
}

/// An error in the request or in what the checkpoint holds, with a message for the user.
public struct AnalysisError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
