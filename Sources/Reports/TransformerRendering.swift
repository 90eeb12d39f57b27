import Analysis
import JSONOutput

/// The `transformer` part of an analysis (docs/networks.md §6), in JSON and as text.
enum TransformerRendering {
    static func json(_ j: JSONWriter, _ t: TransformerSummary) {
        j.key("transformer"); j.beginObject()
        j.field("layout", t.layout.rawValue)
        j.field("prefix", t.prefix)
        j.field("blocks", t.blocks); j.field("heads", t.heads); j.field("d_head", t.dHead)
        j.field("d_model", t.dModel); j.field("d_mlp", t.dMLP); j.field("vocabulary", t.vocabulary); j.field("outputs", t.outputs)
        j.field("equals_token", t.equalsToken)
        j.field("layer_norm", t.layerNorm)
        j.field("activation", t.activation); j.field("activation_source", t.activationSource)
        j.key("tensors"); j.beginArray()
        for u in t.tensors { j.beginObject(); j.field("tensor", u.tensor); j.key("shape"); j.array(u.shape); j.field("use", u.use); j.endObject() }
        j.endArray()
        j.key("ignored"); j.beginArray()
        for u in t.ignored { j.beginObject(); j.field("tensor", u.tensor); j.key("shape"); j.array(u.shape); j.field("why", u.why); j.endObject() }
        j.endArray()
        j.field("loss", t.loss)
        j.key("head_attention"); j.beginArray()
        for h in t.headAttention {
            j.beginObject(); j.field("head", h.head)
            j.field("to_a_mean", h.toAMean); j.field("to_a_sd", h.toASD); j.field("to_b_mean", h.toBMean); j.field("to_b_sd", h.toBSD)
            j.endObject()
        }
        j.endArray()
        for (key, p) in [("embedding", t.embedding), ("unembedding", t.unembedding)] {
            guard let p else { continue }
            j.key(key); j.beginObject()
            j.key("components"); j.beginArray(); for l in p.labels { j.value(l) }; j.endArray()
            j.key("power"); j.array(p.power)
            j.key("shares"); j.array(p.shares)
            j.key("key"); j.beginArray(); for l in p.key { j.value(l) }; j.endArray()
            j.endObject()
        }
        j.endObject()
    }

    static func text(_ t: TransformerSummary, componentKind: String, _ out: ByteSink) {
        let fixed = TextFormat.fixed
        out.write("transformer: \(t.layout.rawValue) layout, \(t.blocks) block(s), \(t.heads) heads × \(t.dHead), d_model \(t.dModel), d_mlp \(t.dMLP), vocabulary \(t.vocabulary)\n")
        out.write("  tensors read: " + t.tensors.map { "\($0.tensor) \($0.shape)" }.joined(separator: ", ") + "\n")
        if !t.ignored.isEmpty {
            out.write("  ignored: " + t.ignored.map { "\($0.tensor) (\($0.why))" }.joined(separator: ", ") + "\n")
        }
        if let l = t.loss { out.write("  loss (mean cross-entropy over all pairs, group outputs) \(TextFormat.sci(l))\n") }
        for h in t.headAttention {
            out.write("  head \(h.head): attention of the last position to a \(fixed(h.toAMean, 3)) ± \(fixed(h.toASD, 3)), to b \(fixed(h.toBMean, 3)) ± \(fixed(h.toBSD, 3))\n")
        }
        for (name, p) in [("W_E (group tokens)", t.embedding), ("W_U (group outputs)", t.unembedding)] {
            guard let p else { continue }
            let s = p.shares
            let key = p.key.map { l in "\(l) (\(fixed(p.labels.firstIndex(of: l).map { s[$0] * 100 }, 1))%)" }
            out.write("  \(name): key \(componentKind == "frequency" ? "frequencies" : "components") \(key.joined(separator: ", ")) hold ≥ 90% of the non-trivial power\n")
        }
        out.write("\n")
    }
}
