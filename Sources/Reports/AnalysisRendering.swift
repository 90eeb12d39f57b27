import Analysis
import Foundation
import JSONOutput

/// JSON, CSV and text renderings of analysis records (report.json, neurons.csv and the
/// `analyze` table). The JSON is streamed by `JSONWriter` (the record's `Codable` form holds
/// the same fields; this writer is the fast path and fixes the key order).
public enum AnalysisRendering {
    // MARK: JSON

    /// Writes the record as one JSON object. `renderedNeurons`: the `neurons` array already
    /// rendered by `renderNeurons` (while the forward pass ran); each neuron then gets the
    /// record's `hiddenOfRenderedNeurons` entry as its last field.
    public static func writeJSON(_ r: AnalysisRecord, _ j: JSONWriter, renderedNeurons: RenderedNeurons? = nil) {
        switch r {
        case .group(let g): groupJSON(g, j, renderedNeurons: renderedNeurons)
        case .parity(let p): parityJSON(p, j)
        }
    }

    /// The record as JSON bytes with a final newline (report.json).
    public static func jsonData(_ r: AnalysisRecord) -> Data {
        let s = ByteSink(collecting: ())
        writeJSON(r, JSONWriter(sink: s))
        s.write("\n")
        return Data(s.buffer)
    }

    static func label(_ j: JSONWriter, _ c: ComponentLabel?) {
        switch c {
        case .frequency(let k)?: j.value(k)
        case .irrep(let s)?: j.value(s)
        case nil: j.null()
        }
    }

    static func layoutJSON(_ j: JSONWriter, _ l: LayoutRecord) {
        j.key("layout"); j.beginObject()
        j.field("kind", l.kind)
        j.field("instances", l.instances)
        for role in l.roleOrder {
            j.key(role)
            guard let t = l.tensors[role] ?? nil else { j.value("shared with u"); continue }
            j.beginObject()
            j.field("tensor", t.tensor)
            j.key("shape"); j.array(t.shape)
            j.field("element_axis", t.elementAxis)
            j.field("neuron_axis", t.neuronAxis)
            j.field("instance", t.instance)
            if let o = t.elementOffset { j.field("element_offset", o) }
            j.endObject()
        }
        if let h = l.hidden {
            // u = W_x·W[:d], v = W_y·W[d:] (the `u` and `v` entries above are the embeddings).
            j.key("hidden"); j.beginObject()
            j.field("tensor", h.tensor)
            j.key("shape"); j.array(h.shape)
            j.field("input_width", h.inputWidth)
            j.field("transposed", h.transposed)
            j.endObject()
        }
        if let o = l.elementOrder { j.field("element_order", o) }
        if let o = l.activationSource { j.field("activation_source", o) }
        if !l.biases.isEmpty {
            j.key("biases"); j.beginObject()
            for k in l.biases.keys.sorted() { j.field(k, l.biases[k]!) }
            j.endObject()
        }
        j.endObject()
    }

    static func marginJSON(_ j: JSONWriter, _ m: MarginRecord) {
        j.key("margin"); j.beginObject()
        j.field("normalized", m.normalized)
        j.field("raw", m.raw)
        j.field("norm_power_nu", m.normPowerNu)
        j.field("theoretical_max", m.theoreticalMax)
        j.field("ratio", m.ratio)
        j.field("theorem", m.theorem)
        j.field("minimum_width", m.minimumWidth)
        j.field("no_theoretical_max_because", m.noTheoreticalMaxBecause)
        j.endObject()
    }

    /// The `neurons` array of a group analysis.
    public static func neuronsJSON(_ j: JSONWriter, _ neurons: [NeuronRecord], cyclic: Bool) {
        neuronsJSON(j, neurons, cyclic: cyclic, spans: nil)
    }

    /// The same, noting in `spans` where each neuron's object starts and where its closing
    /// brace is written (offsets in `j`'s collecting sink).
    static func neuronsJSON(_ j: JSONWriter, _ neurons: [NeuronRecord], cyclic: Bool, spans: UnsafeMutablePointer<[(start: Int, close: Int)]>?) {
        j.beginArray()
        for (k, n) in neurons.enumerated() {
            // The separator (after the first neuron) comes before the object.
            let start = j.sink.count + (k > 0 ? 1 : 0)
            j.beginObject()
            j.field("index", n.index)
            for r in n.roles {
                let p = r.part
                j.key(r.role); j.beginObject()
                j.key("dominant"); label(j, p.dominant)
                j.field("max_normalized_power", p.maxNormalizedPower)
                j.field("ipr", p.ipr)
                j.key("top"); j.beginArray()
                for t in p.top { j.beginObject(); j.key("component"); label(j, t.component); j.field("share", t.share); j.endObject() }
                j.endArray()
                j.endObject()
            }
            j.key("component"); label(j, n.component)
            j.field("agree", n.agree)
            j.field("norm", n.norm)
            j.key("norm_shares"); j.beginObject()
            for r in n.roles { j.field(r.role, r.normShare) }
            j.endObject()
            if cyclic { j.field("phase_residual", n.phaseResidual) }
            if let h = n.hidden { AttributionRendering.neuronJSON(j, h) }
            spans?.pointee.append((start, j.sink.count))
            j.endObject()
        }
        j.endArray()
    }

    /// The `neurons` array rendered on its own, from the findings handed to
    /// `AnalysisRequest.whileMarginsCompute` (to be passed to `writeJSON` as `renderedNeurons`).
    public static func renderNeurons(_ draft: GroupAnalysisDraft) -> RenderedNeurons {
        let records = draft.neuronRecords()
        // About 1 kB per neuron: one allocation instead of a chain of doublings.
        let sink = ByteSink(collecting: (), capacity: 1024 * records.count + 64)
        var spans: [(start: Int, close: Int)] = []
        spans.reserveCapacity(records.count)
        neuronsJSON(JSONWriter(sink: sink), records, cyclic: draft.isCyclic, spans: &spans)
        return RenderedNeurons(sink: sink, spans: spans)
    }

    static func histogramJSON(_ j: JSONWriter, _ h: HistogramRecord) {
        j.beginObject()
        j.key("edges"); j.array(h.edges)
        j.key("counts"); j.array(h.counts)
        j.field("undefined", h.undefined)
        PowerRendering.writeStatisticsFields(j, mean: h.mean, median: h.median, ge090: h.fractionAtLeast090, ge099: h.fractionAtLeast099)
        j.endObject()
    }

    static func alternativeJSON(_ j: JSONWriter, _ key: String, _ a: AlternativeRecord) {
        j.key(key); j.beginObject()
        if let c = a.composition { j.field("composition", c) }
        j.field("accuracy", a.accuracy)
        j.field("normalized_margin", a.normalizedMargin)
        j.field("fits_better", a.fitsBetter)
        j.endObject()
    }

    static func groupJSON(_ a: GroupAnalysisRecord, _ j: JSONWriter, renderedNeurons: RenderedNeurons?) {
        j.beginObject()
        j.field("schema_version", a.schemaVersion)
        j.field("file", a.file)
        j.field("group", a.group)
        j.field("order", a.order)
        j.field("width", a.width)
        j.field("activation", a.activation)
        j.field("composition", a.composition)
        j.field("component_kind", a.componentKind)
        j.key("components"); j.beginArray(); for l in a.components { j.value(l) }; j.endArray()
        j.key("roles"); j.beginArray(); for r in a.roles { j.value(r) }; j.endArray()
        layoutJSON(j, a.layout)
        j.key("neurons")
        if let renderedNeurons { j.rawValue(from: renderedNeurons.array(hidden: a.hiddenOfRenderedNeurons)) } else { neuronsJSON(j, a.neurons, cyclic: a.isCyclic) }
        let s = a.summary
        j.key("summary"); j.beginObject()
        j.field("accuracy", s.accuracy)
        marginJSON(j, s.margin)
        j.key("neurons_per_component"); j.beginObject()
        for c in a.components { if let count = s.neuronsPerComponent[c] { j.field(c, count) } }
        j.endObject()
        j.key("components_used"); j.beginArray(); for c in s.componentsUsed { label(j, c) }; j.endArray()
        j.key("components_unused"); j.beginArray(); for c in s.componentsUnused { label(j, c) }; j.endArray()
        j.field("fraction_agree", s.fractionAgree)
        j.key("histograms"); j.beginObject()
        for role in a.roles { if let h = s.histograms[role] { j.key(role); histogramJSON(j, h) } }
        j.endObject()
        if let t = s.transposedLayout { alternativeJSON(j, "transposed_layout", t) }
        if let o = s.otherComposition { alternativeJSON(j, "other_composition", o) }
        if let t = s.attribution { AttributionRendering.json(j, t) }
        j.endObject()
        if let t = a.transformer { TransformerRendering.json(j, t) }
        if !a.neuronProfiles.isEmpty { profilesJSON(j, a.neuronProfiles, roles: a.roles) }
        j.endObject()
    }

    /// `neuron_profiles`: written only when the analysis profiled neurons (`--neurons K`).
    static func profilesJSON(_ j: JSONWriter, _ profiles: [NeuronProfileRecord], roles: [String]) {
        j.key("neuron_profiles"); j.beginArray()
        for p in profiles {
            j.beginObject()
            j.field("index", p.index)
            j.field("norm", p.norm)
            for (key, table) in [("values", p.values), ("power", p.power)] {
                j.key(key); j.beginObject()
                for role in roles { if let xs = table[role] { j.key(role); j.beginArray(); for x in xs { j.value(x) }; j.endArray() } }
                j.endObject()
            }
            j.endObject()
        }
        j.endArray()
    }

    static func parityJSON(_ a: ParityAnalysisRecord, _ j: JSONWriter) {
        j.beginObject()
        j.field("schema_version", a.schemaVersion)
        j.field("file", a.file)
        j.field("task", "parity")
        j.field("n", a.n)
        j.field("k", a.k)
        j.field("width", a.width)
        j.field("activation", a.activation)
        j.key("support"); j.array(a.support)
        j.field("support_inferred", a.supportInferred)
        j.field("plus_class", a.plusClass)
        layoutJSON(j, a.layout)
        j.key("neurons"); j.beginArray()
        for n in a.neurons {
            j.beginObject()
            j.field("index", n.index)
            j.field("support_mass", n.supportMass)
            j.field("support_spread", n.supportSpread)
            j.field("support_to_w", n.supportToW)
            j.field("w_off_span", n.wOffSpan)
            j.field("sign_condition", n.signCondition)
            j.field("norm", n.norm)
            j.endObject()
        }
        j.endArray()
        let s = a.summary
        j.key("summary"); j.beginObject()
        j.field("accuracy", s.accuracy)
        marginJSON(j, s.margin)
        j.field("fraction_support_mass_ge_0_9", s.fractionSupportMass090)
        j.field("fraction_support_mass_ge_0_99", s.fractionSupportMass099)
        j.field("fraction_sign_condition", s.fractionSignCondition)
        j.field("norm_weighted_support_mass_ge_0_9", s.weightedSupportMass090)
        j.field("norm_weighted_sign_condition", s.weightedSignCondition)
        j.endObject()
        j.endObject()
    }

    // MARK: CSV

    /// neurons.csv: one row per neuron.
    public static func csv(_ r: AnalysisRecord) -> String {
        let num = TextFormat.csv as (Double?) -> String
        switch r {
        case .group(let a):
            var s = "index,component,agree,norm"
            for role in a.roles { s += ",share_\(role)" }
            for role in a.roles { s += ",\(role)_dominant,\(role)_max_normalized_power" }
            s += ",phase_residual\n"
            // Irrep labels such as [3,1] hold commas: quoted (RFC 4180).
            let label = { (c: ComponentLabel?) in TextFormat.csvLabel(c?.description) }
            for n in a.neurons {
                s += "\(n.index),\(label(n.component)),\(n.agree),\(num(n.norm))"
                for role in a.roles { s += ",\(num(n.normShare(role)))" }
                for role in a.roles { s += ",\(label(n.part(role)?.dominant)),\(num(n.part(role)?.maxNormalizedPower))" }
                s += ",\(num(n.phaseResidual))\n"
            }
            return s
        case .parity(let a):
            var s = "index,support_mass,support_spread,support_to_w,w_off_span,sign_condition,norm\n"
            for n in a.neurons {
                s += "\(n.index),\(num(n.supportMass)),\(num(n.supportSpread)),\(num(n.supportToW)),\(num(n.wOffSpan)),\(n.signCondition),\(num(n.norm))\n"
            }
            return s
        }
    }

    // MARK: text

    /// `analyze`'s output in `format`: the JSON record (with neurons rendered ahead of time,
    /// when given) and a newline, the per-neuron CSV, or the table; flushed.
    public static func write(_ r: AnalysisRecord, format: ListingFormat, renderedNeurons: RenderedNeurons? = nil, to sink: ByteSink) {
        switch format {
        case .json:
            writeJSON(r, JSONWriter(sink: sink), renderedNeurons: renderedNeurons)
            sink.write("\n")
        case .csv: sink.write(csv(r))
        case .table: writeTable(r, sink)
        }
        sink.flush()
    }

    /// The `analyze` table.
    public static func writeTable(_ r: AnalysisRecord, _ out: ByteSink) {
        switch r {
        case .group(let a): groupTable(a, out)
        case .parity(let p): parityTable(p, out)
        }
    }

    static func tensorText(_ l: LayoutRecord, _ role: String) -> String {
        guard let t = l.tensors[role] ?? nil else { return "shared with u" }
        let part = t.elementOffset.map { " from element index \($0)" } ?? ""
        return "\(t.tensor) \(t.shape)\(part)"
    }

    static func nu(_ activation: String) -> String { Activation(name: activation).map { String($0.nu) } ?? "ν" }

    static func groupTable(_ a: GroupAnalysisRecord, _ out: ByteSink) {
        let fixed = TextFormat.fixed, sci = TextFormat.sci
        let s = a.summary
        out.write("\(a.file): group \(a.group) (order \(a.order)), \(a.width) neurons, \(a.activation) activation\(a.layout.activationSource.map { " (from \($0))" } ?? "")\n")
        let hidden = (a.layout.hidden.map { ", hidden = \($0.tensor) \($0.shape)" } ?? "")
            + (a.layout.biases.isEmpty ? "" : "; biases: " + a.layout.biases.keys.sorted().map { "\($0) = \(a.layout.biases[$0]!)" }.joined(separator: ", "))
            + (a.layout.elementOrder.map { "; element order from \($0)" } ?? "")
        let tensors = a.roles.map { "\($0) = \(tensorText(a.layout, $0))" }.joined(separator: ", ")
        out.write("layout: \(a.layout.kind): \(tensors)\(hidden)\n\n")
        if let t = a.transformer { TransformerRendering.text(t, componentKind: a.componentKind, out) }
        let kind = a.componentKind
        out.write("max normalized power (\(kind), trivial excluded):\n")
        for role in a.roles {
            guard let h = s.histograms[role] else { continue }
            out.write("  \(role): mean \(fixed(h.mean, 4))  median \(fixed(h.median, 4))  ≥0.9: \(TextFormat.percent(h.fractionAtLeast090, 1))%  ≥0.99: \(TextFormat.percent(h.fractionAtLeast099, 1))%\n")
        }
        out.write("  \(a.roles.joined(separator: ", ")) agree on one \(kind): \(TextFormat.percent(s.fractionAgree, 1))% of neurons\n\n")
        out.write("neurons per \(kind):\n")
        var line = "  "
        for (c, label) in a.components.enumerated() {
            let count = s.neuronsPerComponent[label] ?? 0
            guard c != 0 || count > 0 else { continue }
            line += "\(label):\(count)  "
            if line.count > 90 { out.write(line + "\n"); line = "  " }
        }
        if line.count > 2 { out.write(line + "\n") }
        out.write(s.componentsUnused.isEmpty ? "  every non-trivial \(kind) is used\n"
                  : "  unused: \(s.componentsUnused.map(\.description).joined(separator: ", "))\n")
        out.write("\naccuracy \(TextFormat.percent(s.accuracy, 2))% (\(a.composition) composition)\n")
        let m = s.margin
        out.write("normalized margin \(sci(m.normalized))  (h = \(sci(m.raw)), ‖θ‖_{2,\(nu(a.activation))}^\(nu(a.activation)) = \(sci(m.normPowerNu)))\n")
        if let g = m.theoreticalMax {
            out.write("theoretical maximum γ* = \(sci(g)) (\(m.theorem)); margin / γ* = \(fixed(m.ratio, 4))\n")
        } else {
            out.write("no γ* quoted: \(m.noTheoreticalMaxBecause ?? "")\n")
        }
        if let o = s.otherComposition, o.fitsBetter {
            let other = o.composition ?? ""
            out.write("note: the other composition convention fits the labels better (accuracy \(TextFormat.percent(o.accuracy, 2))%, normalized margin \(sci(o.normalizedMargin))); pass --composition \(other)\n")
        }
        if let role = a.roles.first, let h = s.histograms[role] {
            PowerRendering.writeHistogramTable(out, edges: h.edges, counts: h.counts, undefined: h.undefined,
                                               neurons: h.counts.reduce(0, +) + h.undefined, mean: h.mean, median: h.median,
                                               ge090: h.fractionAtLeast090, ge099: h.fractionAtLeast099,
                                               title: "\nhistogram of \(role)'s max normalized power")
        }
        AttributionRendering.table(a, out)
    }

    static func parityTable(_ a: ParityAnalysisRecord, _ out: ByteSink) {
        let fixed = TextFormat.fixed, sci = TextFormat.sci
        let s = a.summary
        out.write("\(a.file): (\(a.n), \(a.k))-sparse parity, \(a.width) neurons, \(a.activation) activation\(a.layout.activationSource.map { " (from \($0))" } ?? "")\n")
        out.write("layout: u = \(tensorText(a.layout, "u")), w = \(tensorText(a.layout, "w")); class \(a.plusClass) stands for y = +1\n")
        out.write("support S = \(a.support)\(a.supportInferred ? " (inferred from the weights)" : "")\n\n")
        out.write("neurons with ≥ 90% of ‖u‖² on S: \(TextFormat.percent(s.fractionSupportMass090, 1))%, ≥ 99%: \(TextFormat.percent(s.fractionSupportMass099, 1))%\n")
        out.write("sign condition (Π u[S])·(w₊ − w₋) ≥ 0: \(TextFormat.percent(s.fractionSignCondition, 1))% of neurons\n")
        out.write("weighted by each neuron's share of ‖θ‖^\(nu(a.activation)): \(TextFormat.percent(s.weightedSupportMass090, 1))% of the norm on neurons with ≥ 90% on S, \(TextFormat.percent(s.weightedSignCondition, 1))% satisfies the sign condition\n")
        out.write("accuracy \(TextFormat.percent(s.accuracy, 2))%\n")
        out.write("normalized margin \(sci(s.margin.normalized))  (L_{2,\(nu(a.activation))})\n")
        if let g = s.margin.theoreticalMax {
            out.write("theoretical maximum γ* = \(sci(g)) (\(s.margin.theorem)); margin / γ* = \(fixed(s.margin.ratio, 4))\n")
        } else {
            out.write("no γ* quoted: \(s.margin.noTheoreticalMaxBecause ?? "")\n")
        }
    }
}

extension GroupAnalysisDraft {
    /// The findings as records (labels as the analysis record writes them).
    public func neuronRecords() -> [NeuronRecord] {
        let label = ComponentLabel.labeller(cyclic: isCyclic, labels: componentLabels)
        return neurons.map { NeuronRecord($0, roles: roles, label: label) }
    }
}

/// The `neurons` array of a group analysis rendered early (`AnalysisRendering.renderNeurons`,
/// while the forward pass runs), with where each neuron's object starts and closes, so that the
/// attribution's `hidden` object, the last field of a neuron, can be added once it is known.
public final class RenderedNeurons: @unchecked Sendable {
    let sink: ByteSink
    let spans: [(start: Int, close: Int)]
    init(sink: ByteSink, spans: [(start: Int, close: Int)]) { self.sink = sink; self.spans = spans }

    /// The array as rendered (`hidden` nil), or with `,"hidden":{…}` before the closing brace of
    /// each neuron: byte for byte what `AnalysisRendering.neuronsJSON` writes for records that
    /// carry these entries.
    func array(hidden: [HiddenRecord]?) -> ByteSink {
        guard let hidden, !hidden.isEmpty else { return sink }
        let out = ByteSink(collecting: (), capacity: sink.count + 96 * spans.count + 2)
        sink.withBytes { all in
            out.write(byte: UInt8(ascii: "["))
            for (k, span) in spans.enumerated() {
                if k > 0 { out.write(byte: UInt8(ascii: ",")) }
                out.write(buffer: UnsafeBufferPointer(rebasing: all[span.start..<span.close]))
                if k < hidden.count {
                    // A neuron's object always has fields before this one: the separator is due.
                    out.write(byte: UInt8(ascii: ","))
                    AttributionRendering.neuronJSON(JSONWriter(sink: out), hidden[k])
                }
                out.write(byte: UInt8(ascii: "}"))
            }
            out.write(byte: UInt8(ascii: "]"))
        }
        return out
    }
}
