import Checkpoints
import Foundation
import Fourier
import Groups

/// One neuron's weights on one input (u, v or w) summarized over the group's components.
public struct PartSummary: Sendable {
    /// Index of the dominant component (frequency for cyclic groups), nil when undefined.
    public let dominant: Int?
    public let maxNormalizedPower: Double?
    public let ipr: Double?
    /// Largest shares, largest first.
    public let top: [(component: Int, share: Double)]
}

/// Per-neuron findings of a group analysis (THEORY.md §3–§5).
public struct NeuronFindings: Sendable {
    public let index: Int
    public let u: PartSummary
    public let v: PartSummary
    public let w: PartSummary
    /// The component carrying the largest share of the neuron's u, v, w power together.
    public let component: Int?
    /// Fractions of ‖ω_i‖² in u, v and w (1/3 each at the optimum).
    public let normShares: (u: Double, v: Double, w: Double)
    /// ‖ω_i‖₂.
    public let norm: Double
    /// u, v and w have the same dominant component.
    public let agree: Bool
    /// Cyclic groups: θ_u + θ_v − θ_w reduced to (−π, π] (0 at the optimum, Theorem 7).
    public let phaseResidual: Double?
}

/// Everything `analyze` reports on a group network.
public struct GroupAnalysis: Sendable {
    public let groupName: String
    public let order: Int
    public let width: Int
    public let activation: Activation
    public let isCyclic: Bool
    /// Component labels: frequencies "0" … "⌊n/2⌋" for cyclic groups, real irreducible
    /// components otherwise; index 0 is the trivial one.
    public let componentLabels: [String]
    public let neurons: [NeuronFindings]
    public let histogramU: PowerHistogram
    public let histogramV: PowerHistogram
    public let histogramW: PowerHistogram
    public let statisticsU: PowerStatistics
    public let statisticsV: PowerStatistics
    public let statisticsW: PowerStatistics
    /// Neurons per component (by `NeuronFindings.component`), indexed like `componentLabels`.
    public let neuronsPerComponent: [Int]
    /// Non-trivial components no neuron uses.
    public let unusedComponents: [Int]
    public let composition: Composition
    public let accuracy: Double
    /// h(θ), the minimum margin over all |G|² pairs.
    public let margin: Double
    /// ‖θ‖_{2,ν}^ν.
    public let normPowerNu: Double
    /// h(θ)/‖θ‖_{2,ν}^ν.
    public let normalizedMargin: Double
    public let bound: MarginBound
    /// normalizedMargin / γ* when γ* is quoted.
    public var marginRatio: Double? { bound.value.map { normalizedMargin / $0 } }
    /// Accuracy and normalized margin under the other composition convention, and whether
    /// they fit the labels better.
    public let alternative: (composition: Composition, accuracy: Double, normalizedMargin: Double)
    /// When a weight matrix is square (m = |G|) its element and neuron axes cannot be told
    /// apart by shape: the analysis with those axes swapped, measured the same way (set by the
    /// caller that knows the file's layout).
    public var transposedLayout: (accuracy: Double, normalizedMargin: Double)? = nil
    public var transposedLayoutFitsBetter: Bool {
        guard let t = transposedLayout else { return false }
        return t.accuracy > accuracy || (t.accuracy == accuracy && t.normalizedMargin > normalizedMargin + 1e-12 * abs(normalizedMargin))
    }
    public var alternativeFitsBetter: Bool {
        alternative.accuracy > accuracy || (alternative.accuracy == accuracy && alternative.normalizedMargin > normalizedMargin + 1e-12 * abs(normalizedMargin))
    }
}

/// Options of a group analysis.
public struct GroupAnalysisOptions: Sendable {
    public var activation: Activation = .quadratic
    public var composition: Composition = .rightToLeft
    public var includeTrivial = false
    public var top = 3
    public var bins = 20
    /// Threads for the forward pass (default: all cores; 1 when checkpoints are analyzed in parallel).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Called on the calling thread with the per-neuron findings and the component labels as
    /// soon as they are ready, while the forward pass may still be running (e.g. to render
    /// them meanwhile).
    public var whileMarginsCompute: (@Sendable (_ neurons: [NeuronFindings], _ componentLabels: [String]) -> Void)? = nil
    public init() {}
}

extension GroupAnalysis {
    /// Analyzes `network` (weights element-major in `group`'s element order).
    public static func run(network: GroupNetwork, group: FiniteGroup, groupName: String,
                           options: GroupAnalysisOptions) -> GroupAnalysis {
        let n = network.order, m = network.width
        let cyclic = isCyclicName(groupName)
        // The forward pass over all |G|² pairs starts first, in the background, and the
        // decompositions run meanwhile (each fills the other's serial stretches). For an
        // abelian group both conventions give the same labels; otherwise one forward pass is
        // measured against both: labels[s·n² + a·n + b] = a·b in convention s (yours, then
        // the other).
        let table = group.multiplicationTable
        let abelian = cyclic || (0..<n).allSatisfy { a in (0..<n).allSatisfy { b in table[a, b] == table[b, a] } }
        let sets = abelian ? 1 : 2
        var labelArray = [Int32](repeating: 0, count: sets * n * n)
        for s in 0..<sets {
            let swap = (options.composition == .leftToRight) != (s == 1)
            for a in 0..<n { for b in 0..<n { labelArray[s * n * n + a * n + b] = Int32(swap ? table[b, a] : table[a, b]) } }
        }
        let forward = BackgroundResult(inBackground: options.threads > 1) { [labelArray] in
            network.evaluate(threads: options.threads, labels: labelArray, sets: sets)
        }

        // Per-part power tables over components. Explicit irreps (one dgemm per block of
        // neurons) where the |G| × |G| basis is small enough to hold, else characters.
        let method: IsotypicDecomposition.Method = group.hasExplicitIrreps && n <= 2048 ? .matrices : .characters
        var labels: [String] = []
        func powers(_ weights: [Double]) -> (PowerTable, [Double?]?) {
            weights.withUnsafeBufferPointer { b in
                let matrix = NeuronMatrix(base: b.baseAddress!, neurons: m, length: n, neuronStride: 1, sampleStride: m)
                if cyclic {
                    // Deterministic numbers (batch shards must merge bit for bit): one thread,
                    // FFTW with an estimated (not timed) plan.
                    var o = SpectrumOptions(includeDC: options.includeTrivial)
                    o.threads = 1
                    o.backend = .fftw
                    o.effort = .estimate
                    let s = FourierSpectra.compute(matrix, options: o)
                    labels = (0..<(n / 2 + 1)).map(String.init)
                    return (s.table!, s.phases)
                }
                let (components, table) = IsotypicDecomposition.powers(matrix, group: group, sampleElements: nil, includeTrivial: options.includeTrivial,
                                                                              method: method, threads: 1)
                labels = components.map(\.label)
                return (table, nil)
            }
        }
        let (tu, pu) = powers(network.u), (tv, pv) = powers(network.v), (tw, pw) = powers(network.w)
        let norms = network.neuronNormsSquared()
        var findings: [NeuronFindings] = []
        var perComponent = [Int](repeating: 0, count: tu.componentCount)
        func part(_ s: PowerSummary) -> PartSummary {
            PartSummary(dominant: s.dominant, maxNormalizedPower: s.maxNormalizedPower, ipr: s.ipr,
                        top: s.top(options.top).map { ($0.component, $0.share) })
        }
        // Each neuron's summaries once (they allocate); the histograms reuse them.
        let summariesU = (0..<m).map { tu.summary(ofNeuron: $0) }
        let summariesV = (0..<m).map { tv.summary(ofNeuron: $0) }
        let summariesW = (0..<m).map { tw.summary(ofNeuron: $0) }
        for i in 0..<m {
            let su = summariesU[i], sv = summariesV[i], sw = summariesW[i]
            // Whole-neuron component: shares of u, v, w powers summed.
            var combined = Array(tu.powers(ofNeuron: i))
            for (k, x) in tv.powers(ofNeuron: i).enumerated() { combined[k] += x }
            for (k, x) in tw.powers(ofNeuron: i).enumerated() { combined[k] += x }
            let whole = PowerSummary(powers: combined[...], trivialComponent: 0, includeTrivial: options.includeTrivial,
                                     zeroTolerance: 1e-24)
            if let c = whole.dominant { perComponent[c] += 1 }
            let total = norms[i].u + norms[i].v + norms[i].w
            let shares = total > 0 ? (norms[i].u / total, norms[i].v / total, norms[i].w / total) : (0.0, 0.0, 0.0)
            var residual: Double? = nil
            if cyclic, let a = pu?[i], let b = pv?[i], let c = pw?[i],
               su.dominant != nil, su.dominant == sv.dominant, sv.dominant == sw.dominant {
                residual = remainder(a + b - c, 2 * Double.pi)
            }
            findings.append(NeuronFindings(
                index: i, u: part(su), v: part(sv), w: part(sw), component: whole.dominant,
                normShares: shares, norm: total.squareRoot(),
                agree: su.dominant != nil && su.dominant == sv.dominant && sv.dominant == sw.dominant,
                phaseResidual: residual))
        }
        let unused = (0..<perComponent.count).filter { ($0 != 0 || options.includeTrivial) && perComponent[$0] == 0 }
        let mnpU = summariesU.map(\.maxNormalizedPower), mnpV = summariesV.map(\.maxNormalizedPower)
        let mnpW = summariesW.map(\.maxNormalizedPower)

        // Margins under both composition conventions.
        let normNu = network.normPowerNu(from: norms)
        let other: Composition = options.composition == .rightToLeft ? .leftToRight : .rightToLeft
        options.whileMarginsCompute?(findings, labels)
        let results = forward.wait()
        let (acc, h) = results[0]
        let (accAlt, hAlt) = abelian ? results[0] : results[1]
        let bound: MarginBound
        if cyclic {
            bound = .cyclic(p: n, width: m, activation: network.activation)
        } else {
            let cond = group.theorem9CharacterCondition()
            bound = .group(order: n, sumDegreePow25: group.sumNonTrivialDegreePow25,
                           sumDegreeCubed: group.sumNonTrivialDegreeCubed, allReal: group.allIrrepsReal,
                           characterConditionFailure: cond.holds ? nil : (cond.failingClass ?? "?"),
                           width: m, activation: network.activation)
        }
        return GroupAnalysis(
            groupName: groupName, order: n, width: m, activation: network.activation, isCyclic: cyclic,
            componentLabels: labels, neurons: findings,
            histogramU: PowerHistogram(values: mnpU, bins: options.bins),
            histogramV: PowerHistogram(values: mnpV, bins: options.bins),
            histogramW: PowerHistogram(values: mnpW, bins: options.bins),
            statisticsU: PowerStatistics(values: mnpU), statisticsV: PowerStatistics(values: mnpV),
            statisticsW: PowerStatistics(values: mnpW),
            neuronsPerComponent: perComponent, unusedComponents: unused, composition: options.composition,
            accuracy: acc, margin: h, normPowerNu: normNu, normalizedMargin: h / normNu, bound: bound,
            alternative: (other, accAlt, hAlt / normNu))
    }

    /// `C71`, `Z113`, `C_71`: the cyclic groups, analyzed with the FFT (THEORY.md §4).
    public static func isCyclicName(_ name: String) -> Bool {
        var s = Substring(name.uppercased())
        guard let f = s.first, f == "C" || f == "Z" else { return false }
        s = s.dropFirst()
        if s.first == "_" { s = s.dropFirst() }
        return !s.isEmpty && s.allSatisfy(\.isNumber)
    }
}

/// A value computed on its own thread (or right away when `inBackground` is false); `wait`
/// returns it once ready.
final class BackgroundResult<Value: Sendable>: @unchecked Sendable {
    private var value: Value?
    private let background: Bool
    private let done = DispatchSemaphore(value: 0)

    init(inBackground: Bool, _ body: @escaping @Sendable () -> Value) {
        background = inBackground
        guard inBackground else { value = body(); return }
        let thread = Thread { [self] in
            value = body()
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// The value; the semaphore orders the worker's write before this read.
    func wait() -> Value {
        if background { done.wait(); done.signal() }
        return value!
    }
}
