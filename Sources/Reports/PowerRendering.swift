import Foundation
import Fourier
import JSONOutput

/// JSON and text renderings of histograms and statistics of max normalized power, and of the
/// per-neuron rows that `spectrum` and `decompose` print alike.
public enum PowerRendering {
    /// `"histogram": {edges, counts, undefined}`.
    public static func writeHistogram(_ j: JSONWriter, _ h: PowerHistogram) {
        j.key("histogram"); j.beginObject()
        writeHistogramFields(j, h)
        j.endObject()
    }

    /// `edges`, `counts`, `undefined` inside an open object.
    public static func writeHistogramFields(_ j: JSONWriter, _ h: PowerHistogram) {
        j.key("edges"); j.array(h.edges)
        j.key("counts"); j.array(h.counts)
        j.field("undefined", h.undefined)
    }

    /// `"statistics": {defined, undefined, mean, median, fraction_ge_0_9, fraction_ge_0_99}`.
    public static func writeStatistics(_ j: JSONWriter, _ s: PowerStatistics) {
        j.key("statistics"); j.beginObject()
        j.field("defined", s.count)
        j.field("undefined", s.undefined)
        writeStatisticsFields(j, mean: s.mean, median: s.median, ge090: s.fractionAtLeast090, ge099: s.fractionAtLeast099)
        j.endObject()
    }

    /// `mean`, `median` and the fractions ≥ 0.9 / ≥ 0.99, inside an open object.
    public static func writeStatisticsFields(_ j: JSONWriter, mean: Double?, median: Double?, ge090: Double?, ge099: Double?) {
        j.field("mean", mean)
        j.field("median", median)
        j.field("fraction_ge_0_9", ge090)
        j.field("fraction_ge_0_99", ge099)
    }

    /// A text histogram with its statistics line.
    public static func writeHistogramTable(_ out: ByteSink, edges: [Double], counts: [Int], undefined: Int,
                                           neurons: Int, mean: Double?, median: Double?, ge090: Double?, ge099: Double?,
                                           title: String = "max normalized power histogram") {
        let fixed = TextFormat.fixed, pad = TextFormat.pad
        out.write(title + "\n")
        let most = max(counts.max() ?? 1, 1)
        for b in 0..<counts.count {
            let bar = String(repeating: "#", count: Int((Double(counts[b]) / Double(most) * 40).rounded()))
            out.write("[\(fixed(edges[b], 2)), \(fixed(edges[b + 1], 2))\(b == counts.count - 1 ? "]" : ")") "
                      + pad(String(counts[b]), 8) + bar + "\n")
        }
        if undefined > 0 { out.write("undefined (no non-DC power): \(undefined)\n") }
        out.write("\nneurons \(neurons)  mean \(fixed(mean, 4))  median \(fixed(median, 4))  "
                  + "≥0.9: \(TextFormat.percent(ge090, 1))%  ≥0.99: \(TextFormat.percent(ge099, 1))%\n")
    }

    public static func writeHistogramTable(_ out: ByteSink, _ h: PowerHistogram, _ s: PowerStatistics,
                                           title: String = "max normalized power histogram") {
        writeHistogramTable(out, edges: h.edges, counts: h.counts, undefined: h.undefined, neurons: s.count + s.undefined,
                            mean: s.mean, median: s.median, ge090: s.fractionAtLeast090, ge099: s.fractionAtLeast099, title: title)
    }
}

/// The per-neuron rows that `spectrum` and `decompose` print alike. A component is a
/// frequency (written as an integer) or a real irreducible component (written as its label).
public struct NeuronListing {
    /// "frequency" or "irrep": the field names are `dominant_<noun>` and `<noun>`.
    public let noun: String
    /// Component labels; nil when the component index itself is the label (frequencies).
    public let labels: [String]?
    public let summaries: [PowerSummary]
    /// Phase of the dominant bin per neuron (spectrum only).
    public let phases: [Double?]?
    /// Also write each neuron's total power (decompose).
    public let withTotal: Bool
    public let top: Int

    public init(noun: String, labels: [String]?, summaries: [PowerSummary], phases: [Double?]?, withTotal: Bool, top: Int) {
        self.noun = noun; self.labels = labels; self.summaries = summaries; self.phases = phases
        self.withTotal = withTotal; self.top = top
    }

    private func label(_ c: Int) -> String { labels?[c] ?? String(c) }

    private func value(_ j: JSONWriter, _ c: Int?) {
        guard let c else { j.null(); return }
        if let labels { j.value(labels[c]) } else { j.value(c) }
    }

    public func writeJSON(_ j: JSONWriter) {
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

    public func writeCSV(_ out: ByteSink) {
        let csv = TextFormat.csv as (Double?) -> String, csvLabel = TextFormat.csvLabel
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

    public func writeTable(_ out: ByteSink) {
        let fixed = TextFormat.fixed, pad = TextFormat.pad
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
