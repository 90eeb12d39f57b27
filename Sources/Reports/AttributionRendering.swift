import Analysis
import Foundation
import JSONOutput

/// JSON and text of the function-level attribution (docs/attribution.md): `summary.attribution`,
/// each neuron's `hidden`, and the table's lines per key component.
public enum AttributionRendering {
    /// `summary.attribution` (the key included).
    static func json(_ j: JSONWriter, _ a: AttributionRecord) {
        j.key("attribution"); j.beginObject()
        j.field("threshold", a.threshold)
        j.field("loss", a.loss)
        j.field("restricted_loss", a.restrictedLoss)
        j.field("excluded_loss", a.excludedLoss)
        j.key("key_components"); j.beginArray(); for c in a.keyComponents { AnalysisRendering.label(j, c) }; j.endArray()
        if let p = a.onPairs {
            j.key("pairs"); j.beginObject()
            j.field("count", p.count)
            j.field("loss", p.loss)
            j.field("restricted_loss", p.restrictedLoss)
            j.field("excluded_loss", p.excludedLoss)
            if let c = p.otherCount {
                j.field("other_count", c)
                j.field("other_loss", p.otherLoss)
            }
            j.endObject()
        }
        j.key("components"); j.beginArray()
        for c in a.components {
            j.beginObject()
            j.key("label"); AnalysisRendering.label(j, c.label)
            j.field("logit_similarity", c.logitSimilarity)
            j.field("key", c.key)
            j.field("restricted_loss", c.restrictedLoss)
            j.field("excluded_loss", c.excludedLoss)
            if a.onPairs != nil {
                j.field("restricted_loss_on_pairs", c.restrictedLossOnPairs)
                j.field("excluded_loss_on_pairs", c.excludedLossOnPairs)
            }
            j.field("embedding_share", c.embeddingShare)
            j.field("unembedding_share", c.unembeddingShare)
            j.field("neurons", c.neurons)
            j.endObject()
        }
        j.endArray()
        if let note = a.note { j.field("note", note) }
        if let top = a.topNeurons {
            j.key("top_neurons"); j.beginArray()
            for t in top {
                j.beginObject()
                j.field("index", t.index)
                j.key("blocks"); j.beginArray(); for row in t.blocks { j.array(row) }; j.endArray()
                j.endObject()
            }
            j.endArray()
        }
        j.endObject()
    }

    /// A neuron's `hidden` (the key included).
    static func neuronJSON(_ j: JSONWriter, _ h: HiddenRecord) {
        j.key("hidden"); j.beginObject()
        j.key("component"); AnalysisRendering.label(j, h.component)
        j.field("fraction", h.fraction)
        j.field("product_share", h.productShare)
        j.endObject()
    }

    /// Components used by function (key) but by no neuron's dominant component, and the reverse.
    public static func differences(_ r: GroupAnalysisRecord) -> (onlyByFunction: [ComponentLabel], onlyByDominance: [ComponentLabel])? {
        guard let a = r.summary.attribution else { return nil }
        let key = Set(a.keyComponents), used = Set(r.summary.componentsUsed)
        let trivial = r.components.first.map { r.isCyclic ? ComponentLabel.frequency(Int($0) ?? 0) : .irrep($0) }
        return (a.keyComponents.filter { !used.contains($0) },
                r.summary.componentsUsed.filter { !key.contains($0) && $0 != trivial })
    }

    /// The table's attribution section: one line per key component, the losses, and a note
    /// where the components used by function and by neuron dominance differ.
    static func table(_ r: GroupAnalysisRecord, _ out: ByteSink) {
        guard let a = r.summary.attribution else { return }
        let fixed = TextFormat.fixed, loss = TextFormat.loss
        out.write("\nfunction-level attribution (docs/attribution.md; key: logit similarity > \(a.threshold)):\n")
        out.write("  loss \(loss(a.loss))  restricted loss \(loss(a.restrictedLoss))  excluded loss \(loss(a.excludedLoss))\n")
        if let p = a.onPairs {
            out.write("  on the \(p.count) given pairs: loss \(loss(p.loss))  restricted \(loss(p.restrictedLoss))  excluded \(loss(p.excludedLoss))\n")
            if let c = p.otherCount, c > 0 {
                out.write("  on the \(c) other pairs: loss \(loss(p.otherLoss))\n")
            }
        }
        let kind = r.componentKind
        for c in a.components where c.key {
            let neurons = c.neurons.map { "  neurons \($0)" } ?? ""
            out.write("  key \(kind) \(c.label): similarity \(fixed(c.logitSimilarity, 4))  restricted loss \(loss(c.restrictedLoss))  excluded loss \(loss(c.excludedLoss))  embedding \(TextFormat.percent(c.embeddingShare, 1))%  unembedding \(TextFormat.percent(c.unembeddingShare, 1))%\(neurons)\n")
        }
        if a.keyComponents.isEmpty { out.write("  no key \(kind)\n") }
        if let d = differences(r), !(d.onlyByFunction.isEmpty && d.onlyByDominance.isEmpty) {
            var parts: [String] = []
            if !d.onlyByFunction.isEmpty { parts.append("key but no neuron's dominant \(kind): \(d.onlyByFunction.map(\.description).joined(separator: ", "))") }
            if !d.onlyByDominance.isEmpty { parts.append("some neuron's dominant \(kind) but not key: \(d.onlyByDominance.map(\.description).joined(separator: ", "))") }
            out.write("  note: components used by function and by neuron dominance differ: " + parts.joined(separator: "; ") + "\n")
        }
        if let note = a.note { out.write("  note: \(note)\n") }
    }
}
