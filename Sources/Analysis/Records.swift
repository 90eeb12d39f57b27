import Checkpoints
import Foundation
import Fourier
import Groups

// Typed, Codable records of analyses: what report.json and each line of results.jsonl hold
// (the README describes the fields). `Reports` renders from them; files written before
// the records had a schema version (version 1) decode too.

/// The version of the record schema written by this build. 1: files from before the field
/// existed (decoded the same way); 2: adds `schema_version` and `roles`.
public let recordSchemaVersion = 2

/// A coding key made from any string.
struct RecordKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A component: a frequency (cyclic groups, written as an integer) or the label of a real
/// irreducible component (written as a string).
public enum ComponentLabel: Codable, Hashable, Sendable, CustomStringConvertible {
    case frequency(Int)
    case irrep(String)

    public var description: String {
        switch self { case .frequency(let k): return String(k); case .irrep(let s): return s }
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let k = try? c.decode(Int.self) { self = .frequency(k) } else { self = .irrep(try c.decode(String.self)) }
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self { case .frequency(let k): try c.encode(k); case .irrep(let s): try c.encode(s) }
    }
}

/// One role's summary for one neuron.
public struct PartRecord: Codable, Equatable, Sendable {
    public struct Share: Codable, Equatable, Sendable {
        public var component: ComponentLabel
        public var share: Double
    }
    public var dominant: ComponentLabel?
    public var maxNormalizedPower: Double?
    public var ipr: Double?
    public var top: [Share]
    enum CodingKeys: String, CodingKey { case dominant, maxNormalizedPower = "max_normalized_power", ipr, top }
}

/// One neuron of a group analysis, its findings keyed by role.
public struct NeuronRecord: Codable, Equatable, Sendable {
    /// One role's summary and share of the neuron's ‖ω_i‖².
    public struct RolePart: Equatable, Sendable {
        public var role: String
        public var part: PartRecord
        public var normShare: Double?
        public init(role: String, part: PartRecord, normShare: Double?) { self.role = role; self.part = part; self.normShare = normShare }
    }
    public var index: Int
    /// Per role, in the record's role order ("u", "v", "w"): a handful of entries, looked up by
    /// a linear search (cheaper than a dictionary per neuron).
    public var roles: [RolePart]
    public var component: ComponentLabel?
    public var agree: Bool
    public var norm: Double?
    public var phaseResidual: Double?
    /// The hidden-layer attribution of the neuron (docs/attribution.md §6), when computed.
    public var hidden: HiddenRecord?

    /// The summary of one role.
    public func part(_ role: String) -> PartRecord? { roles.first { $0.role == role }?.part }
    /// The fraction of ‖ω_i‖² in one role.
    public func normShare(_ role: String) -> Double? { roles.first { $0.role == role }?.normShare }

    static let fixedKeys: Set<String> = ["index", "component", "agree", "norm", "norm_shares", "phase_residual", "hidden"]

    /// Roles in report order: u, v, w first, then any other in name order.
    static func ordered(_ names: [String]) -> [String] {
        let known = ["u", "v", "w"]
        return known.filter(names.contains) + names.filter { !known.contains($0) }.sorted()
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: RecordKey.self)
        index = try c.decode(Int.self, forKey: RecordKey("index"))
        component = try c.decodeIfPresent(ComponentLabel.self, forKey: RecordKey("component"))
        agree = try c.decode(Bool.self, forKey: RecordKey("agree"))
        norm = try c.decodeIfPresent(Double.self, forKey: RecordKey("norm"))
        let shares = try c.decodeIfPresent([String: Double?].self, forKey: RecordKey("norm_shares")) ?? [:]
        phaseResidual = try c.decodeIfPresent(Double.self, forKey: RecordKey("phase_residual"))
        hidden = try c.decodeIfPresent(HiddenRecord.self, forKey: RecordKey("hidden"))
        var parts: [String: PartRecord] = [:]
        for k in c.allKeys where !Self.fixedKeys.contains(k.stringValue) {
            if let p = try? c.decode(PartRecord.self, forKey: k) { parts[k.stringValue] = p }
        }
        roles = Self.ordered(Array(parts.keys)).map { RolePart(role: $0, part: parts[$0]!, normShare: shares[$0] ?? nil) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: RecordKey.self)
        try c.encode(index, forKey: RecordKey("index"))
        for r in roles { try c.encode(r.part, forKey: RecordKey(r.role)) }
        try c.encodeIfPresent(component, forKey: RecordKey("component"))
        try c.encode(agree, forKey: RecordKey("agree"))
        try c.encodeIfPresent(norm, forKey: RecordKey("norm"))
        var shares = c.nestedContainer(keyedBy: RecordKey.self, forKey: RecordKey("norm_shares"))
        for r in roles { try shares.encode(r.normShare, forKey: RecordKey(r.role)) }
        try c.encodeIfPresent(phaseResidual, forKey: RecordKey("phase_residual"))
        try c.encodeIfPresent(hidden, forKey: RecordKey("hidden"))
    }

    public init(index: Int, roles: [RolePart], component: ComponentLabel?, agree: Bool, norm: Double?, phaseResidual: Double?,
                hidden: HiddenRecord? = nil) {
        self.index = index; self.roles = roles; self.component = component; self.agree = agree; self.norm = norm
        self.phaseResidual = phaseResidual; self.hidden = hidden
    }
}

/// Where a role's tensor was found.
public struct TensorUseRecord: Codable, Equatable, Sendable {
    public var tensor: String
    public var shape: [Int]
    public var elementAxis: Int
    public var neuronAxis: Int
    public var instance: Int?
    /// Where the role's elements start along the element axis (a concatenated input).
    public var elementOffset: Int?
    enum CodingKeys: String, CodingKey { case tensor, shape, elementAxis = "element_axis", neuronAxis = "neuron_axis", instance, elementOffset = "element_offset" }
}

/// The layout a family found: the tensor of each role.
public struct LayoutRecord: Codable, Equatable, Sendable {
    public struct Hidden: Codable, Equatable, Sendable {
        public var tensor: String
        public var shape: [Int]
        public var inputWidth: Int
        public var transposed: Bool
        enum CodingKeys: String, CodingKey { case tensor, shape, inputWidth = "input_width", transposed }
    }
    public var kind: String
    public var instances: Int
    /// Role → tensor; a role that reuses another's tensor (v of a summed-embedding MLP) maps
    /// to nil and is written as "shared with u".
    public var tensors: [String: TensorUseRecord?]
    /// Report order of the roles.
    public var roleOrder: [String]
    public var hidden: Hidden?
    /// Bias tensors by place ("hidden", "output"); empty for the paper's bias-free form.
    public var biases: [String: String]
    /// Where a non-default element order came from; nil for the group's default order.
    public var elementOrder: String?
    /// Where σ came from when the checkpoint's metadata chose it; nil otherwise.
    public var activationSource: String?

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: RecordKey.self)
        kind = try c.decode(String.self, forKey: RecordKey("kind"))
        instances = try c.decodeIfPresent(Int.self, forKey: RecordKey("instances")) ?? 1
        hidden = try c.decodeIfPresent(Hidden.self, forKey: RecordKey("hidden"))
        biases = try c.decodeIfPresent([String: String].self, forKey: RecordKey("biases")) ?? [:]
        elementOrder = try c.decodeIfPresent(String.self, forKey: RecordKey("element_order"))
        activationSource = try c.decodeIfPresent(String.self, forKey: RecordKey("activation_source"))
        var tensors: [String: TensorUseRecord?] = [:]
        for k in c.allKeys where !["kind", "instances", "hidden", "biases", "element_order", "activation_source"].contains(k.stringValue) {
            if let t = try? c.decode(TensorUseRecord.self, forKey: k) { tensors[k.stringValue] = t }
            else if (try? c.decode(String.self, forKey: k)) != nil { tensors[k.stringValue] = .some(nil) }
        }
        self.tensors = tensors
        roleOrder = ["u", "v", "w"].filter { tensors[$0] != nil } + tensors.keys.filter { !["u", "v", "w"].contains($0) }.sorted()
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: RecordKey.self)
        try c.encode(kind, forKey: RecordKey("kind"))
        try c.encode(instances, forKey: RecordKey("instances"))
        for role in roleOrder {
            if let t = tensors[role] ?? nil { try c.encode(t, forKey: RecordKey(role)) } else { try c.encode("shared with u", forKey: RecordKey(role)) }
        }
        try c.encodeIfPresent(hidden, forKey: RecordKey("hidden"))
        if !biases.isEmpty { try c.encode(biases, forKey: RecordKey("biases")) }
        try c.encodeIfPresent(elementOrder, forKey: RecordKey("element_order"))
        try c.encodeIfPresent(activationSource, forKey: RecordKey("activation_source"))
    }

    public init(_ l: NetworkLayout, roles: [String]) {
        kind = l.kind; instances = l.instances
        func rec(_ t: TensorUse) -> TensorUseRecord {
            TensorUseRecord(tensor: t.name, shape: t.shape, elementAxis: t.elementAxis, neuronAxis: t.neuronAxis, instance: t.instance,
                            elementOffset: t.elementOffset)
        }
        var tensors: [String: TensorUseRecord?] = ["u": rec(l.u), "w": rec(l.w)]
        if roles.contains("v") { tensors["v"] = .some(l.v.map(rec)) }
        self.tensors = tensors
        roleOrder = roles
        hidden = l.hidden.map { Hidden(tensor: $0.name, shape: $0.shape, inputWidth: $0.inputWidth, transposed: $0.transposed) }
        biases = l.biases
        elementOrder = l.elementOrder
        activationSource = l.activationSource
    }
}

/// A histogram of max normalized power with its statistics.
public struct HistogramRecord: Codable, Equatable, Sendable {
    public var edges: [Double]
    public var counts: [Int]
    public var undefined: Int
    public var mean: Double?
    public var median: Double?
    public var fractionAtLeast090: Double?
    public var fractionAtLeast099: Double?
    enum CodingKeys: String, CodingKey {
        case edges, counts, undefined, mean, median, fractionAtLeast090 = "fraction_ge_0_9", fractionAtLeast099 = "fraction_ge_0_99"
    }
    public init(_ h: PowerHistogram, _ s: PowerStatistics) {
        edges = h.edges; counts = h.counts; undefined = h.undefined
        mean = s.mean; median = s.median; fractionAtLeast090 = s.fractionAtLeast090; fractionAtLeast099 = s.fractionAtLeast099
    }
}

/// The margin against theory.
public struct MarginRecord: Codable, Equatable, Sendable {
    public var normalized: Double?
    public var raw: Double?
    public var normPowerNu: Double?
    public var theoreticalMax: Double?
    public var ratio: Double?
    public var theorem: String
    public var minimumWidth: Int?
    public var noTheoreticalMaxBecause: String?
    enum CodingKeys: String, CodingKey {
        case normalized, raw, normPowerNu = "norm_power_nu", theoreticalMax = "theoretical_max", ratio, theorem
        case minimumWidth = "minimum_width", noTheoreticalMaxBecause = "no_theoretical_max_because"
    }
    public init(_ m: MarginFindings) {
        func finite(_ v: Double?) -> Double? { v.flatMap { $0.isFinite ? $0 : nil } }
        normalized = finite(m.normalizedMargin); raw = finite(m.margin); normPowerNu = finite(m.normPowerNu)
        theoreticalMax = finite(m.bound.value); ratio = finite(m.ratio); theorem = m.bound.theorem
        minimumWidth = m.bound.minimumWidth; noTheoreticalMaxBecause = m.bound.reason
    }
}

/// Accuracy and margin of an alternative reading of the network.
public struct AlternativeRecord: Codable, Equatable, Sendable {
    public var composition: String?
    public var accuracy: Double?
    public var normalizedMargin: Double?
    public var fitsBetter: Bool
    enum CodingKeys: String, CodingKey { case composition, accuracy, normalizedMargin = "normalized_margin", fitsBetter = "fits_better" }
}

/// One profiled neuron (`NeuronProfile`): its weights over the elements and its power per
/// component, per role (JSON `neuron_profiles`; docs/theory.md §4–§5).
public struct NeuronProfileRecord: Codable, Equatable, Sendable {
    public var index: Int
    public var norm: Double?
    /// Role → the weight on each element, in the group's element order.
    public var values: [String: [Double]]
    /// Role → the power on each component, indexed like the record's `components`.
    public var power: [String: [Double]]

    public init(index: Int, norm: Double?, values: [String: [Double]], power: [String: [Double]]) {
        self.index = index; self.norm = norm; self.values = values; self.power = power
    }

    public init(_ p: NeuronProfile, roles: [String]) {
        var values: [String: [Double]] = [:], power: [String: [Double]] = [:]
        for (r, role) in roles.enumerated() { values[role] = p.values[r]; power[role] = p.power[r] }
        self.init(index: p.index, norm: p.norm.finiteOrNil, values: values, power: power)
    }
}

/// The record of a group analysis: report.json of `analyze --out`, `analyze --format json`.
public struct GroupAnalysisRecord: Codable, Equatable, Sendable {
    public struct Summary: Codable, Equatable, Sendable {
        public var accuracy: Double?
        public var margin: MarginRecord
        /// Component label → neurons (in the order of `components`).
        public var neuronsPerComponent: [String: Int]
        public var componentsUsed: [ComponentLabel]
        public var componentsUnused: [ComponentLabel]
        public var fractionAgree: Double?
        /// Role → histogram.
        public var histograms: [String: HistogramRecord]
        public var transposedLayout: AlternativeRecord?
        public var otherComposition: AlternativeRecord?
        /// The function-level attribution (docs/attribution.md); nil when not computed.
        public var attribution: AttributionRecord?
        enum CodingKeys: String, CodingKey {
            case accuracy, margin, neuronsPerComponent = "neurons_per_component", componentsUsed = "components_used"
            case componentsUnused = "components_unused", fractionAgree = "fraction_agree", histograms
            case transposedLayout = "transposed_layout", otherComposition = "other_composition", attribution
        }
    }
    public var schemaVersion: Int
    public var file: String
    public var group: String
    public var order: Int
    public var width: Int
    public var activation: String
    public var composition: String
    /// "frequency" (cyclic groups) or "irrep".
    public var componentKind: String
    public var components: [String]
    /// Weight roles in report order.
    public var roles: [String]
    public var layout: LayoutRecord
    public var neurons: [NeuronRecord]
    public var summary: Summary
    /// The profiled neurons, largest norm first (empty unless asked for: `--neurons K`).
    public var neuronProfiles: [NeuronProfileRecord] = []
    /// Transformers only (docs/networks.md §6).
    public var transformer: TransformerSummary?
    /// When the record was made without its neuron records (`neurons: false`: their JSON was
    /// rendered early, `AnalysisRendering.renderNeurons`), each neuron's hidden-layer
    /// attribution, which the renderer adds to them; not part of the coded record.
    public var hiddenOfRenderedNeurons: [HiddenRecord]? = nil

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", file, group, order, width, activation, composition
        case componentKind = "component_kind", components, roles, layout, neurons, summary, transformer
        case neuronProfiles = "neuron_profiles"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        file = try c.decodeIfPresent(String.self, forKey: .file) ?? ""
        group = try c.decode(String.self, forKey: .group)
        order = try c.decode(Int.self, forKey: .order)
        width = try c.decode(Int.self, forKey: .width)
        activation = try c.decodeIfPresent(String.self, forKey: .activation) ?? ""
        composition = try c.decodeIfPresent(String.self, forKey: .composition) ?? "right-to-left"
        componentKind = try c.decodeIfPresent(String.self, forKey: .componentKind) ?? "component"
        components = try c.decodeIfPresent([ComponentLabel].self, forKey: .components)?.map(\.description) ?? []
        roles = try c.decodeIfPresent([String].self, forKey: .roles) ?? ["u", "v", "w"]
        layout = try c.decode(LayoutRecord.self, forKey: .layout)
        neurons = try c.decodeIfPresent([NeuronRecord].self, forKey: .neurons) ?? []
        summary = try c.decode(Summary.self, forKey: .summary)
        neuronProfiles = try c.decodeIfPresent([NeuronProfileRecord].self, forKey: .neuronProfiles) ?? []
        transformer = try c.decodeIfPresent(TransformerSummary.self, forKey: .transformer)
    }

    /// The record of an analysis; `neurons` false leaves the per-neuron records out (when they
    /// were rendered already, while the forward pass ran).
    public init(_ a: GroupAnalysis, layout: NetworkLayout, file: String, neurons withNeurons: Bool = true) {
        schemaVersion = recordSchemaVersion
        self.file = file; group = a.groupName; order = a.order; width = a.width
        activation = a.activation.description; composition = a.composition.spelling
        componentKind = a.isCyclic ? "frequency" : "irrep"
        components = a.componentLabels; roles = a.roles
        self.layout = LayoutRecord(layout, roles: a.roles)
        transformer = a.transformer
        let label = Self.labeller(a)
        neurons = withNeurons ? a.neurons.map { NeuronRecord($0, roles: a.roles, label: label) } : []
        if let hidden = a.attribution?.hidden {
            let records = hidden.map { HiddenRecord(component: $0.component.map(label), fraction: $0.fraction, productShare: $0.productShare) }
            if withNeurons {
                for (i, h) in records.enumerated() where i < neurons.count { neurons[i].hidden = h }
            } else {
                hiddenOfRenderedNeurons = records
            }
        }
        var per: [String: Int] = [:]
        for (c, count) in a.neuronsPerComponent.enumerated() { per[a.componentLabels[c]] = count }
        let used = a.neuronsPerComponent.indices.filter { a.neuronsPerComponent[$0] > 0 }
        var histograms: [String: HistogramRecord] = [:]
        for d in a.distributions { histograms[d.role] = HistogramRecord(d.histogram, d.statistics) }
        summary = Summary(
            accuracy: a.accuracy,
            margin: MarginRecord(a.margins),
            neuronsPerComponent: per, componentsUsed: used.map(label), componentsUnused: a.unusedComponents.map(label),
            fractionAgree: a.fractionAgree, histograms: histograms,
            transposedLayout: a.transposedLayout.map {
                AlternativeRecord(composition: nil, accuracy: $0.accuracy, normalizedMargin: $0.normalizedMargin.finiteOrNil,
                                  fitsBetter: a.transposedLayoutFitsBetter)
            },
            otherComposition: AlternativeRecord(composition: a.alternative.composition.spelling, accuracy: a.alternative.accuracy,
                                                normalizedMargin: a.alternative.normalizedMargin.finiteOrNil,
                                                fitsBetter: a.alternativeFitsBetter),
            attribution: a.attribution.map { AttributionRecord($0, label: label) })
        neuronProfiles = a.profiles.map { NeuronProfileRecord($0, roles: a.roles) }
    }

    /// Component index → label (an integer frequency for cyclic groups).
    static func labeller(_ a: GroupAnalysis) -> (Int) -> ComponentLabel {
        ComponentLabel.labeller(cyclic: a.isCyclic, labels: a.componentLabels)
    }

    public var isCyclic: Bool { componentKind == "frequency" }
}

extension NeuronRecord {
    /// The record of one neuron's findings; `label` turns a component index into its label.
    public init(_ n: NeuronFindings, roles: [String], label: (Int) -> ComponentLabel) {
        var parts: [RolePart] = []
        parts.reserveCapacity(roles.count)
        for (r, role) in roles.enumerated() {
            let p = n.parts[r]
            parts.append(RolePart(role: role, part: PartRecord(dominant: p.dominant.map(label), maxNormalizedPower: p.maxNormalizedPower, ipr: p.ipr,
                                                               top: p.top.map { .init(component: label($0.component), share: $0.share) }),
                                  normShare: n.normShares[r]))
        }
        self.init(index: n.index, roles: parts, component: n.component.map(label), agree: n.agree, norm: n.norm.finiteOrNil,
                  phaseResidual: n.phaseResidual)
    }
}

/// A neuron's hidden-layer attribution (docs/attribution.md §6): its component (for C_p the
/// neuron frequency of Nanda et al.), the fraction of its variance that component's blocks
/// (ρ, 1), (1, ρ), (ρ, ρ) explain, and the share of its variance that is a function of a·b in
/// that component.
public struct HiddenRecord: Codable, Equatable, Sendable {
    public var component: ComponentLabel?
    public var fraction: Double?
    public var productShare: Double?
    enum CodingKeys: String, CodingKey { case component, fraction, productShare = "product_share" }
    public init(component: ComponentLabel?, fraction: Double?, productShare: Double?) {
        self.component = component; self.fraction = fraction; self.productShare = productShare
    }
}

/// `summary.attribution` of a group record (docs/attribution.md).
public struct AttributionRecord: Codable, Equatable, Sendable {
    public struct Component: Codable, Equatable, Sendable {
        public var label: ComponentLabel
        public var logitSimilarity: Double?
        public var key: Bool
        public var restrictedLoss: Double?
        public var excludedLoss: Double?
        public var restrictedLossOnPairs: Double?
        public var excludedLossOnPairs: Double?
        public var embeddingShare: Double?
        public var unembeddingShare: Double?
        public var neurons: Int?
        enum CodingKeys: String, CodingKey {
            case label, logitSimilarity = "logit_similarity", key, restrictedLoss = "restricted_loss", excludedLoss = "excluded_loss"
            case restrictedLossOnPairs = "restricted_loss_on_pairs", excludedLossOnPairs = "excluded_loss_on_pairs"
            case embeddingShare = "embedding_share", unembeddingShare = "unembedding_share", neurons
        }
    }
    /// The losses on the pairs of `--pairs`, and the network's loss on the pairs it leaves out
    /// (`other_count`, `other_loss`: the test loss when the file lists the training pairs; nil
    /// in files written before they existed).
    public struct OnPairs: Codable, Equatable, Sendable {
        public var count: Int
        public var loss: Double?
        public var restrictedLoss: Double?
        public var excludedLoss: Double?
        public var otherCount: Int? = nil
        public var otherLoss: Double? = nil
        enum CodingKeys: String, CodingKey {
            case count, loss, restrictedLoss = "restricted_loss", excludedLoss = "excluded_loss"
            case otherCount = "other_count", otherLoss = "other_loss"
        }
    }
    public var threshold: Double
    public var loss: Double?
    public var restrictedLoss: Double?
    public var excludedLoss: Double?
    public var keyComponents: [ComponentLabel]
    public var components: [Component]
    public var onPairs: OnPairs?
    public var note: String?
    /// The hidden neurons of largest variance with their power over G × G by blocks (ρ, σ),
    /// as fractions of their variance: `blocks[ρ][σ]` (components in `components` order).
    public var topNeurons: [TopNeuron]?
    public struct TopNeuron: Codable, Equatable, Sendable {
        public var index: Int
        public var blocks: [[Double]]
    }
    /// How many neurons `topNeurons` holds at most.
    public static let topNeuronCount = 4
    enum CodingKeys: String, CodingKey {
        case threshold, loss, restrictedLoss = "restricted_loss", excludedLoss = "excluded_loss", keyComponents = "key_components"
        case components, onPairs = "pairs", note, topNeurons = "top_neurons"
    }

    public init(_ a: Attribution, label: (Int) -> ComponentLabel) {
        threshold = a.threshold
        loss = a.loss.finiteOrNil; restrictedLoss = a.restrictedLoss.finiteOrNil; excludedLoss = a.excludedLoss.finiteOrNil
        keyComponents = a.keyComponents.map(label)
        components = a.components.map {
            Component(label: label($0.component), logitSimilarity: $0.logitSimilarity.finiteOrNil, key: $0.key,
                      restrictedLoss: $0.restrictedLoss.finiteOrNil, excludedLoss: $0.excludedLoss.finiteOrNil,
                      restrictedLossOnPairs: $0.restrictedLossOnPairs?.finiteOrNil, excludedLossOnPairs: $0.excludedLossOnPairs?.finiteOrNil,
                      embeddingShare: $0.embeddingShare?.finiteOrNil, unembeddingShare: $0.unembeddingShare?.finiteOrNil,
                      neurons: $0.neurons)
        }
        onPairs = a.onPairs.map { OnPairs(count: $0.count, loss: $0.loss.finiteOrNil, restrictedLoss: $0.restrictedLoss.finiteOrNil,
                                          excludedLoss: $0.excludedLoss.finiteOrNil, otherCount: a.otherPairs?.count,
                                          otherLoss: a.otherPairs?.loss.finiteOrNil) }
        note = a.note
        if a.blocks != nil, let h = a.hidden {
            let K = a.components.count
            let variance = (0..<h.count).map { a.blockTotal(ofNeuron: $0) ?? 0 }
            let top = variance.indices.sorted { variance[$0] > variance[$1] || (variance[$0] == variance[$1] && $0 < $1) }
                .prefix(Self.topNeuronCount).filter { variance[$0] > 0 }
            topNeurons = top.map { i in
                let b = a.blockPowers(ofNeuron: i)!
                return TopNeuron(index: i, blocks: (0..<K).map { r in (0..<K).map { s in b[r * K + s] / variance[i] } })
            }
        }
    }
}

/// One neuron of a parity analysis.
public struct ParityNeuronRecord: Codable, Equatable, Sendable {
    public var index: Int
    public var supportMass: Double?
    public var supportSpread: Double?
    public var supportToW: Double?
    public var wOffSpan: Double?
    public var signCondition: Bool
    public var norm: Double?
    enum CodingKeys: String, CodingKey {
        case index, supportMass = "support_mass", supportSpread = "support_spread", supportToW = "support_to_w"
        case wOffSpan = "w_off_span", signCondition = "sign_condition", norm
    }
}

/// The record of a sparse-parity analysis.
public struct ParityAnalysisRecord: Codable, Equatable, Sendable {
    public struct Summary: Codable, Equatable, Sendable {
        public var accuracy: Double?
        public var margin: MarginRecord
        public var fractionSupportMass090: Double?
        public var fractionSupportMass099: Double?
        public var fractionSignCondition: Double?
        public var weightedSupportMass090: Double?
        public var weightedSignCondition: Double?
        enum CodingKeys: String, CodingKey {
            case accuracy, margin, fractionSupportMass090 = "fraction_support_mass_ge_0_9"
            case fractionSupportMass099 = "fraction_support_mass_ge_0_99", fractionSignCondition = "fraction_sign_condition"
            case weightedSupportMass090 = "norm_weighted_support_mass_ge_0_9", weightedSignCondition = "norm_weighted_sign_condition"
        }
    }
    public var schemaVersion: Int
    public var file: String
    public var task: String
    public var n: Int
    public var k: Int
    public var width: Int
    public var activation: String
    public var support: [Int]
    public var supportInferred: Bool
    public var plusClass: Int
    public var layout: LayoutRecord
    public var neurons: [ParityNeuronRecord]
    public var summary: Summary

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", file, task, n, k, width, activation, support
        case supportInferred = "support_inferred", plusClass = "plus_class", layout, neurons, summary
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decodeIfPresent(Int.self, forKey: .schemaVersion) ?? 1
        file = try c.decodeIfPresent(String.self, forKey: .file) ?? ""
        task = try c.decode(String.self, forKey: .task)
        n = try c.decode(Int.self, forKey: .n); k = try c.decode(Int.self, forKey: .k)
        width = try c.decode(Int.self, forKey: .width)
        activation = try c.decodeIfPresent(String.self, forKey: .activation) ?? ""
        support = try c.decodeIfPresent([Int].self, forKey: .support) ?? []
        supportInferred = try c.decodeIfPresent(Bool.self, forKey: .supportInferred) ?? false
        plusClass = try c.decodeIfPresent(Int.self, forKey: .plusClass) ?? 0
        layout = try c.decode(LayoutRecord.self, forKey: .layout)
        neurons = try c.decodeIfPresent([ParityNeuronRecord].self, forKey: .neurons) ?? []
        summary = try c.decode(Summary.self, forKey: .summary)
    }

    public init(_ a: ParityAnalysis, layout: NetworkLayout, file: String) {
        schemaVersion = recordSchemaVersion
        self.file = file; task = "parity"; n = a.inputs; k = a.k; width = a.width
        activation = a.activation.description; support = a.support; supportInferred = a.supportInferred; plusClass = a.plusClass
        self.layout = LayoutRecord(layout, roles: ["u", "w"])
        neurons = a.neurons.map {
            ParityNeuronRecord(index: $0.index, supportMass: $0.supportMass, supportSpread: $0.supportSpread, supportToW: $0.supportToW,
                               wOffSpan: $0.wOffSpan, signCondition: $0.signCondition, norm: $0.norm.finiteOrNil)
        }
        summary = Summary(accuracy: a.accuracy,
                          margin: MarginRecord(a.margins),
                          fractionSupportMass090: a.fractionSupportMass090, fractionSupportMass099: a.fractionSupportMass099,
                          fractionSignCondition: a.fractionSignCondition, weightedSupportMass090: a.weightedSupportMass090,
                          weightedSignCondition: a.weightedSignCondition)
    }
}

/// The record of any analysis: what report.json holds.
public enum AnalysisRecord: Codable, Equatable, Sendable {
    case group(GroupAnalysisRecord)
    case parity(ParityAnalysisRecord)

    /// `neurons` false: a group record without its per-neuron records (see `GroupAnalysisRecord`).
    public init(_ result: AnalysisResult, file: String, neurons: Bool = true) {
        switch result {
        case .group(let a, let l): self = .group(GroupAnalysisRecord(a, layout: l, file: file, neurons: neurons))
        case .parity(let a, let l): self = .parity(ParityAnalysisRecord(a, layout: l, file: file))
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: RecordKey.self)
        if (try? c.decode(String.self, forKey: RecordKey("task"))) == "parity" {
            self = .parity(try ParityAnalysisRecord(from: decoder))
        } else {
            self = .group(try GroupAnalysisRecord(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self { case .group(let r): try r.encode(to: encoder); case .parity(let r): try r.encode(to: encoder) }
    }

    /// Decodes report.json (any schema version); the error names the file.
    public static func read(_ path: String) throws -> AnalysisRecord {
        let data: Data
        if let why = ByteSource.unreadableReason(path: path) { throw AnalysisError("\(path): \(why)") }
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw AnalysisError("\(path): cannot read: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(AnalysisRecord.self, from: data) } catch {
            throw AnalysisError("\(path): not an IrrepScope analysis record (\(Self.describe(error)))")
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, let ctx): return "missing \((ctx.codingPath + [k]).map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx):
            return "unexpected value at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let ctx): return ctx.debugDescription
        default: return "\(error)"
        }
    }
}

extension Double {
    /// The value when finite, else nil (what JSON writes as null).
    var finiteOrNil: Double? { isFinite ? self : nil }
}
