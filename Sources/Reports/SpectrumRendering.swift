import Analysis
import Foundation
import Fourier
import Groups
import JSONOutput

/// Output formats of the per-neuron commands.
public enum ListingFormat: String, CaseIterable, Sendable { case table, json, csv }

/// Renderings of per-neuron spectra (`spectrum`, `histogram`) and isotypic decompositions
/// (`decompose`) of a selected matrix.
public enum SpectrumRendering {
    /// `spectrum`: per-neuron Fourier power on Z_p (docs/theory.md §4).
    public static func writeSpectrum(_ m: SelectedMatrix, _ spectra: FourierSpectra, includeDC: Bool, top: Int, bins: Int,
                                     format: ListingFormat, _ out: ByteSink) {
        let summaries = (0..<spectra.neuronCount).map { spectra.summary(ofNeuron: $0) }
        let histogram = PowerHistogram(values: summaries.map(\.maxNormalizedPower), bins: bins)
        let listing = NeuronListing(noun: "frequency", labels: nil, summaries: summaries, phases: spectra.phases,
                                    withTotal: false, top: top)
        switch format {
        case .json:
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("file", m.path)
            j.field("tensor", m.tensor.name)
            j.field("p", spectra.p)
            j.field("neuron_axis", m.neuronAxis ?? 0)
            j.field("include_dc", includeDC)
            listing.writeJSON(j)
            PowerRendering.writeHistogram(j, histogram)
            j.endObject()
            out.write("\n")
        case .csv:
            listing.writeCSV(out)
        case .table:
            out.write("\(m.path)  tensor \(m.tensor.name) \(m.tensor.shape) \(m.tensor.dtype.rawValue)\n")
            out.write("p = \(spectra.p), \(spectra.neuronCount) neurons along axis \(m.neuronAxis ?? 0), DC \(includeDC ? "included" : "excluded")\n\n")
            listing.writeTable(out)
            out.write("\n")
            PowerRendering.writeHistogramTable(out, histogram, PowerStatistics(values: summaries.map(\.maxNormalizedPower)))
        }
    }

    /// `histogram`: the histogram of max normalized power with its statistics.
    public static func writeHistogram(_ m: SelectedMatrix, _ spectra: FourierSpectra, bins: Int, json: Bool, _ out: ByteSink) {
        let values = spectra.maxNormalizedPowers
        let histogram = PowerHistogram(values: values, bins: bins)
        let stats = PowerStatistics(values: values)
        if json {
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("file", m.path)
            j.field("tensor", m.tensor.name)
            j.field("p", spectra.p)
            j.field("neuron_axis", m.neuronAxis ?? 0)
            j.field("neurons", spectra.neuronCount)
            PowerRendering.writeHistogram(j, histogram)
            PowerRendering.writeStatistics(j, stats)
            j.endObject()
            out.write("\n")
        } else {
            out.write("\(m.path)  tensor \(m.tensor.name) \(m.tensor.shape): p = \(spectra.p), \(spectra.neuronCount) neurons\n\n")
            PowerRendering.writeHistogramTable(out, histogram, stats)
        }
    }

    /// `decompose`: per-neuron isotypic power over the real components (docs/theory.md §5).
    /// `method` and `elementOrder` are what the output states ("characters"/"matrices";
    /// "default" or the element file).
    public static func writeDecomposition(_ m: SelectedMatrix, group g: FiniteGroup, components: [RealComponent], table: PowerTable,
                                          includeTrivial: Bool, method: String, elementOrder: String, top: Int, bins: Int,
                                          format: ListingFormat, _ out: ByteSink) {
        let summaries = (0..<table.neuronCount).map { table.summary(ofNeuron: $0) }
        let histogram = PowerHistogram(values: summaries.map(\.maxNormalizedPower), bins: bins)
        let stats = PowerStatistics(values: summaries.map(\.maxNormalizedPower))
        let listing = NeuronListing(noun: "irrep", labels: components.map(\.label), summaries: summaries, phases: nil,
                                    withTotal: true, top: top)
        switch format {
        case .json:
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("file", m.path)
            j.field("tensor", m.tensor.name)
            j.field("group", g.name)
            j.field("order", g.order)
            j.field("neuron_axis", m.neuronAxis ?? 0)
            j.field("include_trivial", includeTrivial)
            j.field("method", method)
            j.field("element_order", elementOrder)
            j.key("components"); j.beginArray()
            for (i, c) in components.enumerated() {
                j.beginObject(); j.field("index", i); j.field("label", c.label); j.field("degree", c.degree)
                j.field("type", c.type.rawValue); j.field("trivial", c.isTrivial); j.endObject()
            }
            j.endArray()
            listing.writeJSON(j)
            PowerRendering.writeHistogram(j, histogram)
            PowerRendering.writeStatistics(j, stats)
            j.endObject()
            out.write("\n")
        case .csv:
            listing.writeCSV(out)
        case .table:
            out.write("\(m.path)  tensor \(m.tensor.name) \(m.tensor.shape) \(m.tensor.dtype.rawValue)\n")
            out.write("\(g.name) (order \(g.order)), \(table.neuronCount) neurons along axis \(m.neuronAxis ?? 0), trivial irrep \(includeTrivial ? "included" : "excluded"), \(components.count) real components\n\n")
            listing.writeTable(out)
            out.write("\n")
            PowerRendering.writeHistogramTable(out, histogram, stats)
        }
    }
}
