import Analysis
import Foundation
import Fourier
import JSONOutput

/// JSON, CSV and table renderings of analyses.
enum ReportWriter {
    static func layoutJSON(_ j: JSONWriter, _ l: NetworkLayout) {
        j.key("layout"); j.beginObject()
        j.field("kind", l.kind)
        j.field("instances", l.instances)
        for (role, t) in [("u", Optional(l.u)), ("v", l.v), ("w", Optional(l.w))] {
            j.key(role)
            guard let t else { j.value("shared with u"); continue }
            j.beginObject()
            j.field("tensor", t.name)
            j.key("shape"); j.array(t.shape)
            j.field("element_axis", t.elementAxis)
            j.field("neuron_axis", t.neuronAxis)
            j.field("instance", t.instance)
            j.endObject()
        }
        if let h = l.hidden {
            // u = W_x·W[:d], v = W_y·W[d:] (the `u` and `v` entries above are the embeddings).
            j.key("hidden"); j.beginObject()
            j.field("tensor", h.name)
            j.key("shape"); j.array(h.shape)
            j.field("input_width", h.inputWidth)
            j.field("transposed", h.transposed)
            j.endObject()
        }
        j.endObject()
    }

    static func marginJSON(_ j: JSONWriter, normalized: Double, raw: Double, norm: Double, bound: MarginBound, ratio: Double?) {
        j.key("margin"); j.beginObject()
        j.field("normalized", normalized)
        j.field("raw", raw)
        j.field("norm_power_nu", norm)
        j.field("theoretical_max", bound.value)
        j.field("ratio", ratio)
        j.field("theorem", bound.theorem)
        j.field("minimum_width", bound.minimumWidth)
        j.field("no_theoretical_max_because", bound.reason)
        j.endObject()
    }

    static func histogramJSON(_ j: JSONWriter, _ h: PowerHistogram, _ s: PowerStatistics) {
        j.beginObject()
        writeHistogramFields(j, h)
        writeStatisticsFields(j, s)
        j.endObject()
    }

    /// The `neurons` array of the analysis JSON.
    static func neuronsJSON(_ j: JSONWriter, _ neurons: [NeuronFindings], labels: [String], cyclic: Bool) {
        func label(_ c: Int?) { if let c { cyclic ? j.value(c) : j.value(labels[c]) } else { j.null() } }
        func part(_ role: String, _ p: PartSummary) {
            j.key(role); j.beginObject()
            j.key("dominant"); label(p.dominant)
            j.field("max_normalized_power", p.maxNormalizedPower)
            j.field("ipr", p.ipr)
            j.key("top"); j.beginArray()
            for t in p.top { j.beginObject(); j.key("component"); label(t.component); j.field("share", t.share); j.endObject() }
            j.endArray()
            j.endObject()
        }
        j.beginArray()
        for n in neurons {
            j.beginObject()
            j.field("index", n.index)
            part("u", n.u); part("v", n.v); part("w", n.w)
            j.key("component"); label(n.component)
            j.field("agree", n.agree)
            j.field("norm", n.norm)
            j.key("norm_shares"); j.beginObject()
            j.field("u", n.normShares.u); j.field("v", n.normShares.v); j.field("w", n.normShares.w)
            j.endObject()
            if cyclic { j.field("phase_residual", n.phaseResidual) }
            j.endObject()
        }
        j.endArray()
    }

    /// The `neurons` array rendered on its own (to be passed to `groupJSON` as `renderedNeurons`).
    static func renderNeuronsJSON(_ neurons: [NeuronFindings], labels: [String], cyclic: Bool) -> ByteSink {
        // About 1 kB per neuron: one allocation instead of a chain of doublings.
        let sink = ByteSink(collecting: (), capacity: 1024 * neurons.count + 64)
        neuronsJSON(JSONWriter(sink: sink), neurons, labels: labels, cyclic: cyclic)
        return sink
    }

    static func groupJSON(_ j: JSONWriter, _ a: GroupAnalysis, layout: NetworkLayout, file: String,
                          renderedNeurons: ByteSink? = nil) {
        func label(_ c: Int?) { if let c { a.isCyclic ? j.value(c) : j.value(a.componentLabels[c]) } else { j.null() } }
        j.beginObject()
        j.field("file", file)
        j.field("group", a.groupName)
        j.field("order", a.order)
        j.field("width", a.width)
        j.field("activation", a.activation.description)
        j.field("composition", a.composition == .rightToLeft ? "right-to-left" : "left-to-right")
        j.field("component_kind", a.isCyclic ? "frequency" : "irrep")
        j.key("components"); j.beginArray(); for l in a.componentLabels { j.value(l) }; j.endArray()
        layoutJSON(j, layout)
        j.key("neurons")
        if let renderedNeurons { j.rawValue(from: renderedNeurons) } else { neuronsJSON(j, a.neurons, labels: a.componentLabels, cyclic: a.isCyclic) }
        j.key("summary"); j.beginObject()
        j.field("accuracy", a.accuracy)
        marginJSON(j, normalized: a.normalizedMargin, raw: a.margin, norm: a.normPowerNu, bound: a.bound, ratio: a.marginRatio)
        j.key("neurons_per_component"); j.beginObject()
        for (c, count) in a.neuronsPerComponent.enumerated() { j.field(a.componentLabels[c], count) }
        j.endObject()
        let used = a.neuronsPerComponent.indices.filter { a.neuronsPerComponent[$0] > 0 }
        j.key("components_used"); j.beginArray(); for c in used { label(c) }; j.endArray()
        j.key("components_unused"); j.beginArray(); for c in a.unusedComponents { label(c) }; j.endArray()
        j.field("fraction_agree", Double(a.neurons.filter(\.agree).count) / Double(max(a.width, 1)))
        j.key("histograms"); j.beginObject()
        j.key("u"); histogramJSON(j, a.histogramU, a.statisticsU)
        j.key("v"); histogramJSON(j, a.histogramV, a.statisticsV)
        j.key("w"); histogramJSON(j, a.histogramW, a.statisticsW)
        j.endObject()
        if let t = a.transposedLayout {
            j.key("transposed_layout"); j.beginObject()
            j.field("accuracy", t.accuracy)
            j.field("normalized_margin", t.normalizedMargin)
            j.field("fits_better", a.transposedLayoutFitsBetter)
            j.endObject()
        }
        j.key("other_composition"); j.beginObject()
        j.field("composition", a.alternative.composition == .rightToLeft ? "right-to-left" : "left-to-right")
        j.field("accuracy", a.alternative.accuracy)
        j.field("normalized_margin", a.alternative.normalizedMargin)
        j.field("fits_better", a.alternativeFitsBetter)
        j.endObject()
        j.endObject()
        j.endObject()
    }

    static func groupCSV(_ a: GroupAnalysis) -> String {
        var s = "index,component,agree,norm,share_u,share_v,share_w,u_dominant,u_max_normalized_power,v_dominant,v_max_normalized_power,w_dominant,w_max_normalized_power,phase_residual\n"
        func lab(_ c: Int?) -> String { c.map { a.componentLabels[$0] } ?? "" }
        func num(_ x: Double?) -> String { x.map { $0.description } ?? "" }
        for n in a.neurons {
            s += "\(n.index),\(lab(n.component)),\(n.agree),\(n.norm),\(n.normShares.u),\(n.normShares.v),\(n.normShares.w),"
            s += "\(lab(n.u.dominant)),\(num(n.u.maxNormalizedPower)),\(lab(n.v.dominant)),\(num(n.v.maxNormalizedPower)),"
            s += "\(lab(n.w.dominant)),\(num(n.w.maxNormalizedPower)),\(num(n.phaseResidual))\n"
        }
        return s
    }

    static func groupTable(_ out: ByteSink, _ a: GroupAnalysis, layout: NetworkLayout, file: String) {
        out.write("\(file): group \(a.groupName) (order \(a.order)), \(a.width) neurons, \(a.activation) activation\n")
        let hidden = layout.hidden.map { ", hidden = \($0.name) \($0.shape)" } ?? ""
        out.write("layout: \(layout.kind): u = \(layout.u.name) \(layout.u.shape), v = \(layout.v.map { "\($0.name) \($0.shape)" } ?? "shared with u"), w = \(layout.w.name) \(layout.w.shape)\(hidden)\n\n")
        let kind = a.isCyclic ? "frequency" : "irrep"
        out.write("max normalized power (\(kind), trivial excluded):\n")
        for (role, s) in [("u", a.statisticsU), ("v", a.statisticsV), ("w", a.statisticsW)] {
            out.write("  \(role): mean \(fixed(s.mean, 4))  median \(fixed(s.median, 4))  ≥0.9: \(fixed(s.fractionAtLeast090.map { $0 * 100 }, 1))%  ≥0.99: \(fixed(s.fractionAtLeast099.map { $0 * 100 }, 1))%\n")
        }
        out.write("  u, v, w agree on one \(kind): \(fixed(Double(a.neurons.filter(\.agree).count) / Double(max(a.width, 1)) * 100, 1))% of neurons\n\n")
        out.write("neurons per \(kind):\n")
        var line = "  "
        for (c, count) in a.neuronsPerComponent.enumerated() where c != 0 || count > 0 {
            line += "\(a.componentLabels[c]):\(count)  "
            if line.count > 90 { out.write(line + "\n"); line = "  " }
        }
        if line.count > 2 { out.write(line + "\n") }
        out.write(a.unusedComponents.isEmpty ? "  every non-trivial \(kind) is used\n"
                  : "  unused: \(a.unusedComponents.map { a.componentLabels[$0] }.joined(separator: ", "))\n")
        out.write("\naccuracy \(fixed(a.accuracy * 100, 2))% (\(a.composition == .rightToLeft ? "right-to-left" : "left-to-right") composition)\n")
        out.write("normalized margin \(sci(a.normalizedMargin))  (h = \(sci(a.margin)), ‖θ‖_{2,\(a.activation.nu)}^\(a.activation.nu) = \(sci(a.normPowerNu)))\n")
        if let g = a.bound.value {
            out.write("theoretical maximum γ* = \(sci(g)) (\(a.bound.theorem)); margin / γ* = \(fixed(a.marginRatio, 4))\n")
        } else {
            out.write("no γ* quoted: \(a.bound.reason ?? "")\n")
        }
        if a.alternativeFitsBetter {
            out.write("note: the other composition convention fits the labels better (accuracy \(fixed(a.alternative.accuracy * 100, 2))%, normalized margin \(sci(a.alternative.normalizedMargin))); pass --composition \(a.alternative.composition == .rightToLeft ? "right-to-left" : "left-to-right")\n")
        }
        writeHistogramTable(out, a.histogramU, a.statisticsU, title: "\nhistogram of u's max normalized power")
    }

    static func parityJSON(_ j: JSONWriter, _ a: ParityAnalysis, layout: NetworkLayout, file: String) {
        j.beginObject()
        j.field("file", file)
        j.field("task", "parity")
        j.field("n", a.inputs)
        j.field("k", a.k)
        j.field("width", a.width)
        j.field("activation", a.activation.description)
        j.key("support"); j.array(a.support)
        j.field("support_inferred", a.supportInferred)
        j.field("plus_class", a.plusClass)
        layoutJSON(j, layout)
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
        j.key("summary"); j.beginObject()
        j.field("accuracy", a.accuracy)
        marginJSON(j, normalized: a.normalizedMargin, raw: a.margin, norm: a.normPowerNu, bound: a.bound, ratio: a.marginRatio)
        j.field("fraction_support_mass_ge_0_9", a.fractionSupportMass090)
        j.field("fraction_support_mass_ge_0_99", a.fractionSupportMass099)
        j.field("fraction_sign_condition", a.fractionSignCondition)
        j.field("norm_weighted_support_mass_ge_0_9", a.weightedSupportMass090)
        j.field("norm_weighted_sign_condition", a.weightedSignCondition)
        j.endObject()
        j.endObject()
    }

    static func parityCSV(_ a: ParityAnalysis) -> String {
        var s = "index,support_mass,support_spread,support_to_w,w_off_span,sign_condition,norm\n"
        func num(_ x: Double?) -> String { x.map { $0.description } ?? "" }
        for n in a.neurons {
            s += "\(n.index),\(num(n.supportMass)),\(num(n.supportSpread)),\(num(n.supportToW)),\(num(n.wOffSpan)),\(n.signCondition),\(n.norm)\n"
        }
        return s
    }

    static func parityTable(_ out: ByteSink, _ a: ParityAnalysis, layout: NetworkLayout, file: String) {
        out.write("\(file): (\(a.inputs), \(a.k))-sparse parity, \(a.width) neurons, \(a.activation) activation\n")
        out.write("layout: u = \(layout.u.name) \(layout.u.shape), w = \(layout.w.name) \(layout.w.shape); class \(a.plusClass) stands for y = +1\n")
        out.write("support S = \(a.support)\(a.supportInferred ? " (inferred from the weights)" : "")\n\n")
        out.write("neurons with ≥ 90% of ‖u‖² on S: \(fixed(a.fractionSupportMass090 * 100, 1))%, ≥ 99%: \(fixed(a.fractionSupportMass099 * 100, 1))%\n")
        out.write("sign condition (Π u[S])·(w₊ − w₋) ≥ 0: \(fixed(a.fractionSignCondition * 100, 1))% of neurons\n")
        out.write("weighted by each neuron's share of ‖θ‖^\(a.activation.nu): \(fixed(a.weightedSupportMass090 * 100, 1))% of the norm on neurons with ≥ 90% on S, \(fixed(a.weightedSignCondition * 100, 1))% satisfies the sign condition\n")
        out.write("accuracy \(fixed(a.accuracy * 100, 2))%\n")
        out.write("normalized margin \(sci(a.normalizedMargin))  (L_{2,\(a.activation.nu)})\n")
        if let g = a.bound.value {
            out.write("theoretical maximum γ* = \(sci(g)) (\(a.bound.theorem)); margin / γ* = \(fixed(a.marginRatio, 4))\n")
        } else {
            out.write("no γ* quoted: \(a.bound.reason ?? "")\n")
        }
    }
}

func sci(_ v: Double) -> String { v.isFinite ? String(format: "%.5g", v) : "-" }
