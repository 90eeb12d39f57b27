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

/// Per-neuron findings of a group analysis (docs/theory.md §3–§5), keyed by weight role.
public struct NeuronFindings: Sendable {
    public let index: Int
    /// One summary per role, in the order of `GroupAnalysis.roles`.
    public let parts: [PartSummary]
    /// The component carrying the largest share of the neuron's power over all roles together.
    public let component: Int?
    /// Fractions of ‖ω_i‖² in each role, in role order (1/3 each for u, v, w at the optimum).
    public let normShares: [Double]
    /// ‖ω_i‖₂.
    public let norm: Double
    /// Every role has the same dominant component.
    public let agree: Bool
    /// Cyclic groups, families with a phase relation: e.g. θ_u + θ_v − θ_w reduced to (−π, π]
    /// (0 at the optimum, Theorem 7).
    public let phaseResidual: Double?

    public init(index: Int, parts: [PartSummary], component: Int?, normShares: [Double], norm: Double, agree: Bool,
                phaseResidual: Double?) {
        self.index = index; self.parts = parts; self.component = component; self.normShares = normShares
        self.norm = norm; self.agree = agree; self.phaseResidual = phaseResidual
    }
}

/// The histogram and statistics of one role's max normalized power over neurons.
public struct RoleDistribution: Sendable {
    public let role: String
    public let histogram: PowerHistogram
    public let statistics: PowerStatistics
}

/// The per-neuron part of a group analysis, handed to `AnalysisRequest.whileMarginsCompute`
/// before the forward pass has finished.
public struct GroupAnalysisDraft: Sendable {
    public let roles: [String]
    public let neurons: [NeuronFindings]
    public let componentLabels: [String]
    public let isCyclic: Bool
}

extension ComponentLabel {
    /// Component index → label: the frequency itself for cyclic groups, else the real
    /// component's label.
    public static func labeller(cyclic: Bool, labels: [String]) -> (Int) -> ComponentLabel {
        cyclic ? { .frequency($0) } : { .irrep(labels[$0]) }
    }
}

/// Everything `analyze` reports on a network on a group task.
public struct GroupAnalysis: Sendable, ReportsMargins {
    public let groupName: String
    public let order: Int
    public let width: Int
    public let activation: Activation
    /// The group's elements are k ↔ k mod n (C_n): components are frequencies.
    public let isCyclic: Bool
    /// Component labels: frequencies "0" … "⌊n/2⌋" for cyclic groups, real irreducible
    /// components otherwise; index 0 is the trivial one.
    public let componentLabels: [String]
    /// The weight roles analyzed per neuron ("u", "v", "w" for the paper's network).
    public let roles: [String]
    public let neurons: [NeuronFindings]
    /// Per role (in role order): histogram and statistics of the max normalized power.
    public let distributions: [RoleDistribution]
    /// Neurons per component (by `NeuronFindings.component`), indexed like `componentLabels`.
    public let neuronsPerComponent: [Int]
    /// Non-trivial components no neuron uses.
    public let unusedComponents: [Int]
    public let composition: Composition
    /// Accuracy, margin, norm and γ* (one type for every analysis; `ReportsMargins` reads them).
    public let margins: MarginFindings
    /// Accuracy and normalized margin under the other composition convention.
    public let alternative: (composition: Composition, accuracy: Double, normalizedMargin: Double)
    /// When a weight matrix is square (m = |G|) its element and neuron axes cannot be told
    /// apart by shape: the analysis with those axes swapped, measured the same way (set by the
    /// family that knows the file's layout).
    public var transposedLayout: (accuracy: Double, normalizedMargin: Double)? = nil
    /// The `GroupAnalysisOptions.profiledNeurons` neurons of largest norm (ties: lower index
    /// first), largest first: their weights and spectra.
    public var profiles: [NeuronProfile] = []
    /// The function-level attribution (docs/attribution.md): nil when not asked for or the
    /// group is larger than `Attribution.maximumOrder`.
    public var attribution: Attribution? = nil
    /// A transformer's layout, loss, attention and embedding spectra (set by `TransformerFamily`).
    public var transformer: TransformerSummary? = nil

    public var transposedLayoutFitsBetter: Bool {
        guard let t = transposedLayout else { return false }
        return Self.fitsBetter(t.accuracy, t.normalizedMargin, than: accuracy, normalizedMargin)
    }
    public var alternativeFitsBetter: Bool {
        Self.fitsBetter(alternative.accuracy, alternative.normalizedMargin, than: accuracy, normalizedMargin)
    }
    /// Higher accuracy, or the same accuracy and a larger normalized margin (beyond rounding).
    static func fitsBetter(_ acc: Double, _ margin: Double, than acc0: Double, _ margin0: Double) -> Bool {
        acc > acc0 || (acc == acc0 && margin > margin0 + 1e-12 * abs(margin0))
    }

    /// Index of a role in `roles`.
    public func roleIndex(_ role: String) -> Int? { roles.firstIndex(of: role) }
    /// A neuron's summary for one role (nil when the network has no such role).
    public func part(_ role: String, of n: NeuronFindings) -> PartSummary? { roleIndex(role).map { n.parts[$0] } }
    /// A neuron's share of ‖ω_i‖² in one role.
    public func normShare(_ role: String, of n: NeuronFindings) -> Double? { roleIndex(role).map { n.normShares[$0] } }
    /// The statistics of a role's max normalized power over neurons.
    public func statistics(_ role: String) -> PowerStatistics? { distribution(role)?.statistics }
    /// The distribution of a role's max normalized power.
    public func distribution(_ role: String) -> RoleDistribution? { distributions.first { $0.role == role } }
    /// Fraction of neurons whose roles agree on one component.
    public var fractionAgree: Double { Double(neurons.filter(\.agree).count) / Double(max(width, 1)) }
}

extension NeuronFindings {
    /// The summary of one role (nil when the network has no such role).
    public subscript(role: String, in analysis: GroupAnalysis) -> PartSummary? {
        analysis.roleIndex(role).map { parts[$0] }
    }
}

/// One neuron's weights and power spectra, for the paper's Fig. 1 panels (docs/theory.md §4–§5).
public struct NeuronProfile: Sendable {
    /// The neuron's index i.
    public let index: Int
    /// ‖ω_i‖₂ over every role.
    public let norm: Double
    /// Per role (in `GroupAnalysis.roles` order): the weight on each element, in the group's
    /// element order (for C_n element k is k mod n).
    public let values: [[Double]]
    /// Per role: the power on each component, indexed like `GroupAnalysis.componentLabels`
    /// (the trivial component included, whatever `includeTrivial` says): for C_n the DFT power
    /// of frequency k (k and n − k together), otherwise ‖P_ρ x‖².
    public let power: [[Double]]

    public init(index: Int, norm: Double, values: [[Double]], power: [[Double]]) {
        self.index = index; self.norm = norm; self.values = values; self.power = power
    }
}

/// Options of a group analysis.
public struct GroupAnalysisOptions: Sendable {
    public var composition: Composition = .rightToLeft
    public var includeTrivial = false
    public var top = 3
    public var bins = 20
    /// Neurons profiled (`GroupAnalysis.profiles`): the K largest by norm; 0 for none.
    public var profiledNeurons = 0
    /// Threads for the forward pass (default: all cores; 1 when checkpoints are analyzed in parallel).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Called on the calling thread with the per-neuron findings as soon as they are ready,
    /// while the forward pass may still be running (e.g. to render them meanwhile).
    public var whileMarginsCompute: (@Sendable (GroupAnalysisDraft) -> Void)? = nil
    /// The function-level attribution to compute (docs/attribution.md), nil for none.
    public var attribution: AttributionOptions? = nil
    /// Where notes for the user go (e.g. why the attribution was skipped).
    public var note: (@Sendable (String) -> Void)? = nil
    public init() {}

    /// The options a request asks for (what every group-task family passes on).
    public init(_ request: AnalysisRequest) {
        threads = request.threads
        composition = request.composition
        includeTrivial = request.includeTrivial
        top = request.top
        bins = request.bins
        profiledNeurons = request.profiledNeurons
        whileMarginsCompute = request.whileMarginsCompute
        attribution = request.attribution
        note = request.note
    }
}

extension GroupAnalysis {
    /// Analyzes `network` (weights element-major in `group`'s element order).
    public static func run(network: any GroupTaskNetwork, group: FiniteGroup, groupName: String,
                           options: GroupAnalysisOptions) -> GroupAnalysis {
        let n = network.order, m = network.width
        // The FFT route needs the element order k ↔ k mod n (decided from the multiplication,
        // not from the group's name): C_n, and S_2, D_1, which have that order too.
        let cyclic = group.isCyclic
        // The forward pass over all |G|² pairs starts first, in the background, and the
        // decompositions run meanwhile (each fills the other's serial stretches). For an
        // abelian group both conventions give the same labels; otherwise one forward pass is
        // measured against both: labels[s·n² + a·n + b] = a·b in convention s (yours, then
        // the other).
        let labelling = Labelling(group: group, composition: options.composition, bothConventions: !cyclic)
        // With the attribution, one pass in double precision keeps every logit (and the hidden
        // activations the attribution reads, unless it has them in closed form or the network
        // writes them chunk of neurons by chunk): the margins
        // and the attribution both come from it. Without, the screened pass of the family.
        // A group that is not cyclic keeps, instead of the logits, the class sums of its excluded
        // losses (`Attribution.ExcludedClasses`): |G|²·R numbers.
        let classes = options.attribution != nil && n <= Attribution.maximumOrder && !cyclic
            ? Attribution.ExcludedClasses(group: group) : nil
        let attributes = options.attribution != nil && n <= Attribution.maximumOrder
            && (classes.map { Attribution.ExcludedClasses.keptBytes(order: n, classes: $0.count) }
                ?? n * n * n * 8) <= Attribution.logitCacheBytes
        let activations = attributes && options.attribution!.hidden && network.quadraticNeuronTerms == nil
            && !network.writesNeuronActivationsByChunk
            && n * n * m * 16 <= Attribution.hiddenBytes
        let forward = BackgroundResult(inBackground: options.threads > 1) { [labelling] () -> ([(accuracy: Double, margin: Double)], LogitPass?) in
            guard attributes else { return (network.evaluate(threads: options.threads, labels: labelling.labels, sets: labelling.sets), nil) }
            let pass = LogitPass.run(network: network, labels: labelling.labels, sets: labelling.sets, activations: activations,
                                     threads: options.threads, classes: classes)
            return (pass.evaluation, pass)
        }

        // Per-role power tables over components. Explicit irreps (one dgemm per block of
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
        let roles = network.roles
        let tables = roles.map { powers($0.values) }
        // ‖role_i‖² per neuron, summed over elements in order.
        let roleNorms: [[Double]] = roles.map { role in
            var out = [Double](repeating: 0, count: m)
            for a in 0..<n { for i in 0..<m { let x = role.values[a * m + i]; out[i] += x * x } }
            return out
        }
        let componentCount = tables.first?.0.componentCount ?? 0
        var perComponent = [Int](repeating: 0, count: componentCount)
        func part(_ s: PowerSummary) -> PartSummary {
            PartSummary(dominant: s.dominant, maxNormalizedPower: s.maxNormalizedPower, ipr: s.ipr,
                        top: s.top(options.top).map { ($0.component, $0.share) })
        }
        // Each neuron's summaries once (they allocate); the histograms reuse them.
        let summaries = tables.map { t in (0..<m).map { t.0.summary(ofNeuron: $0) } }
        let phaseRoles = network.phaseRelation.map { rel in
            (rel.plus.compactMap { r in roles.firstIndex { $0.name == r } }, rel.minus.compactMap { r in roles.firstIndex { $0.name == r } })
        }
        var findings: [NeuronFindings] = []
        var squaredNorms = [Double](repeating: 0, count: m)
        for i in 0..<m {
            let s = summaries.map { $0[i] }
            // Whole-neuron component: the roles' powers summed.
            var combined = Array(tables[0].0.powers(ofNeuron: i))
            for t in tables.dropFirst() { for (k, x) in t.0.powers(ofNeuron: i).enumerated() { combined[k] += x } }
            let whole = PowerSummary(powers: combined[...], trivialComponent: 0, includeTrivial: options.includeTrivial,
                                     zeroTolerance: 1e-24)
            if let c = whole.dominant { perComponent[c] += 1 }
            var total = roleNorms[0][i]
            for r in roleNorms.dropFirst() { total += r[i] }
            squaredNorms[i] = total
            let shares = roleNorms.map { total > 0 ? $0[i] / total : 0 }
            let agree = s[0].dominant != nil && s.allSatisfy { $0.dominant == s[0].dominant }
            var residual: Double? = nil
            if cyclic, agree, let (plus, minus) = phaseRoles, !plus.isEmpty {
                let ph = tables.map { $0.1?[i] }
                if (plus + minus).allSatisfy({ ph[$0] != nil }) {
                    var sum = ph[plus[0]]!
                    for r in plus.dropFirst() { sum += ph[r]! }
                    for r in minus { sum -= ph[r]! }
                    residual = remainder(sum, 2 * Double.pi)
                }
            }
            findings.append(NeuronFindings(index: i, parts: s.map(part), component: whole.dominant, normShares: shares,
                                           norm: total.squareRoot(), agree: agree, phaseResidual: residual))
        }
        let unused = (0..<perComponent.count).filter { ($0 != 0 || options.includeTrivial) && perComponent[$0] == 0 }
        let distributions = zip(roles, summaries).map { role, s in
            let mnp = s.map(\.maxNormalizedPower)
            return RoleDistribution(role: role.name, histogram: PowerHistogram(values: mnp, bins: options.bins),
                                    statistics: PowerStatistics(values: mnp))
        }

        // Margins under both composition conventions.
        let normNu = network.normPowerNu(squaredNorms: squaredNorms)
        options.whileMarginsCompute?(GroupAnalysisDraft(roles: roles.map(\.name), neurons: findings, componentLabels: labels, isCyclic: cyclic))
        // The attribution's parts that do not read the logits, while the pass runs (one thread:
        // the pass has the cores). IRREPSCOPE_ATTRIBUTION_PASS_ONLY (a benchmark switch,
        // Benchmarks/attribution.sh): the kept double-precision pass runs, the attribution not,
        // to measure what the pass alone costs.
        let passOnly = getenv("IRREPSCOPE_ATTRIBUTION_PASS_ONLY") != nil
        let prepared = attributes && !passOnly
            ? Attribution.Preparation(network: network, group: group, composition: options.composition, options: options.attribution!,
                                      threads: 1)
            : nil
        let (results, pass) = forward.take()
        let (acc, h) = results[0]
        let (accAlt, hAlt) = labelling.sets == 1 ? results[0] : results[1]
        var bound: MarginBound
        if cyclic {
            bound = .cyclic(p: n, width: m, activation: network.activation)
            // Theorem 7 is for odd p; a cyclic group that meets Theorem 9's hypotheses (only
            // the group of order 2, C_2 = S_2 = D_1: its one non-trivial irrep is real) gets γ*
            // from Theorem 9.
            if bound.value == nil, n >= 2, group.theorem9.hypothesesHold {
                bound = .group(group, width: m, activation: network.activation)
            }
        } else {
            bound = .group(group, width: m, activation: network.activation)
        }
        if let why = network.notOfThePapersForm {
            bound = MarginBound(value: nil, theorem: bound.theorem, minimumWidth: bound.minimumWidth, reason: why)
        }
        // Profiles of the largest neurons (the paper's Fig. 1): weights and full spectra.
        let profiled = findings.indices.sorted { findings[$0].norm > findings[$1].norm || (findings[$0].norm == findings[$1].norm && $0 < $1) }
            .prefix(options.profiledNeurons)
        let profiles = profiled.map { i in
            NeuronProfile(index: i, norm: findings[i].norm,
                          values: roles.map { role in (0..<n).map { role.values[$0 * m + i] } },
                          power: tables.map { Array($0.0.powers(ofNeuron: i)) })
        }
        var analysis = GroupAnalysis(
            groupName: groupName, order: n, width: m, activation: network.activation, isCyclic: cyclic,
            componentLabels: labels, roles: roles.map(\.name), neurons: findings, distributions: distributions,
            neuronsPerComponent: perComponent, unusedComponents: unused, composition: options.composition,
            margins: MarginFindings(accuracy: acc, margin: h, normPowerNu: normNu, bound: bound),
            alternative: (options.composition.opposite, accAlt, hAlt / normNu))
        analysis.profiles = profiles
        if let o = options.attribution {
            if passOnly {
                options.note?("\(groupName): IRREPSCOPE_ATTRIBUTION_PASS_ONLY is set: the attribution is not computed")
            } else if n > Attribution.maximumOrder {
                options.note?("\(groupName): the function-level attribution is skipped for |G| = \(n) > \(Attribution.maximumOrder) (it costs |G|³ per component)")
            } else {
                analysis.attribution = Attribution.compute(network: network, group: group, composition: options.composition,
                                                           options: o, threads: options.threads, pass: pass, prepared: prepared)
            }
        }
        return analysis
    }
}

/// The labels c = a·b of every pair under the requested composition and, for a non-abelian
/// group, also under the other one: `labels[s·n² + a·n + b]`, s = 0 (requested), 1 (other).
public struct Labelling: Sendable {
    public let labels: [Int32]
    /// 1 for an abelian group (both conventions agree), else 2.
    public let sets: Int

    /// The group's products. `bothConventions` false: the requested convention only (one set).
    public init(group: FiniteGroup, composition: Composition, bothConventions: Bool = true) {
        let n = group.order
        let table = group.multiplicationTable
        let abelian = !bothConventions || (0..<n).allSatisfy { a in (0..<n).allSatisfy { b in table[a, b] == table[b, a] } }
        let conventions = abelian ? [composition] : [composition, composition.opposite]
        self.init(order: n, labelings: conventions.map { c in c == .rightToLeft ? { table[$0, $1] } : { table[$1, $0] } })
    }

    /// Any labelings, `labelings[s](a, b)` ∈ 0..<order, evaluated on the calling thread (the
    /// closures need not be thread-safe).
    public init(order n: Int, labelings: [(Int, Int) -> Int]) {
        sets = labelings.count
        var l = [Int32](repeating: 0, count: sets * n * n)
        for (s, label) in labelings.enumerated() {
            for a in 0..<n { for b in 0..<n { l[s * n * n + a * n + b] = Int32(label(a, b)) } }
        }
        labels = l
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

    /// The value, released here (its arrays then have one owner fewer); call once, instead of `wait`.
    func take() -> Value {
        if background { done.wait() }
        defer { value = nil }
        return value!
    }
}
