import Fourier
import JSONOutput

/// The per-neuron rows that `spectrum` and `decompose` print alike. A component is a
/// frequency (written as an integer) or a real irreducible component (written as its label).
struct NeuronListing {
    /// "frequency" or "irrep": the field names are `dominant_<noun>` and `<noun>`.
    let noun: String
    /// Component labels; nil when the component index itself is the label (frequencies).
    let labels: [String]?
    let summaries: [PowerSummary]
    /// Phase of the dominant bin per neuron (spectrum only).
    let phases: [Double?]?
    /// Also write each neuron's total power (decompose).
    let withTotal: Bool
    let top: Int

    private func label(_ c: Int) -> String { labels?[c] ?? String(c) }

    private func value(_ j: JSONWriter, _ c: Int?) {
        guard let c else { j.null(); return }
        if let labels { j.value(labels[c]) } else { j.value(c) }
    }

    func writeJSON(_ j: JSONWriter) {
        j.key("neurons"); j.beginArray()
        for (i, s) in summaries.enumerated() {
            j.beginObject()
            j.field("index", i)
            j.key("dominant_" + noun); value(j, s.dominant)
            j.field("max_normalized_power", s.maxNormalizedPower)
            if let phases { j.field("phase", phases[i]) }
            j.field("ipr", s.ipr)
            if withTotal { j.field("total_power", s.total) }
            j.key("top"); j.beginArray()
            for t in s.top(top) {
                j.beginObject(); j.key(noun); value(j, t.component); j.field("share", t.share)
                j.field("cumulative", t.cumulative); j.endObject()
            }
            j.endArray()
            j.endObject()
        }
        j.endArray()
    }

    func writeCSV(_ out: ByteSink) {
        var header = "index,dominant_\(noun),max_normalized_power" + (phases == nil ? "" : ",phase") + ",ipr"
        for r in 0..<top { header += ",top\(r + 1)_\(noun),top\(r + 1)_share" }
        out.write(header + "\n")
        for (i, s) in summaries.enumerated() {
            var line = "\(i),\(csvLabel(s.dominant.map(label))),\(csv(s.maxNormalizedPower))"
            if let phases { line += ",\(csv(phases[i]))" }
            line += ",\(csv(s.ipr))"
            let t = s.top(top)
            for r in 0..<top { line += r < t.count ? ",\(csvLabel(label(t[r].component))),\(t[r].share)" : ",," }
            out.write(line + "\n")
        }
    }

    func writeTable(_ out: ByteSink) {
        let w = max(6, (labels?.map(\.count).max() ?? 0) + 2)
        out.write(pad("neuron", 8) + pad(noun == "frequency" ? "freq" : noun, w) + pad("max power", 11)
                  + (phases == nil ? "" : pad("phase", 9)) + pad("IPR", 8) + "  top shares\n")
        for (i, s) in summaries.enumerated() {
            let tops = s.top(top).map { "\(label($0.component)):\(fixed($0.share, 3))" }.joined(separator: " ")
            out.write(pad(String(i), 8) + pad(s.dominant.map(label) ?? "-", w) + pad(fixed(s.maxNormalizedPower, 4), 11)
                      + (phases.map { pad(fixed($0[i], 3), 9) } ?? "") + pad(fixed(s.ipr, 3), 8) + "  " + tops + "\n")
        }
    }
}
