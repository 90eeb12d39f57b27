import ArgumentParser
import Foundation
import Fourier
import JSONOutput

struct SpectrumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrum",
        abstract: "Per-neuron Fourier power spectrum on Z_p (dominant frequency, max normalized power, phase, IPR).",
        discussion: """
        Power per real frequency bin k = 0…⌊p/2⌋ with ±k merged: P_k = 2|X_k|² for 0 < k < p/2 \
        (THEORY.md §4). Shares are normalized by the non-DC power unless --include-dc. A neuron \
        with no non-DC power has null values. The phase is arg X_k of the dominant bin, in radians.
        """
    )

    @OptionGroup var selection: WeightSelection

    @OptionGroup var transform: TransformOptions

    @Option(help: "Number of top frequencies listed per neuron.")
    var top: Int = 3

    @Option(help: "Histogram bins on [0, 1].")
    var bins: Int = 20

    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be ≥ 0") }
        if bins < 1 { throw ValidationError("--bins must be ≥ 1") }
    }

    func run() throws {
        let m = try selection.load()
        let spectra = try m.spectra(options: transform.options(keepPowers: true))
        let out = ByteSink()
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
            j.field("include_dc", transform.includeDC)
            listing.writeJSON(j)
            writeHistogram(j, histogram)
            j.endObject()
            out.write("\n")
        case .csv:
            listing.writeCSV(out)
        case .table:
            out.write("\(m.path)  tensor \(m.tensor.name) \(m.tensor.shape) \(m.tensor.dtype.rawValue)\n")
            out.write("p = \(spectra.p), \(spectra.neuronCount) neurons along axis \(m.neuronAxis ?? 0), DC \(transform.includeDC ? "included" : "excluded")\n\n")
            listing.writeTable(out)
            out.write("\n")
            writeHistogramTable(out, histogram, PowerStatistics(values: summaries.map(\.maxNormalizedPower)))
        }
        out.flush()
    }
}

struct HistogramCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "histogram",
        abstract: "Histogram of per-neuron max normalized Fourier power, with summary statistics."
    )

    @OptionGroup var selection: WeightSelection

    @OptionGroup var transform: TransformOptions

    @Option(help: "Histogram bins on [0, 1].")
    var bins: Int = 20

    @Option(help: "Output format: table or json.")
    var format: SummaryFormat = .table

    func validate() throws {
        if bins < 1 { throw ValidationError("--bins must be ≥ 1") }
    }

    func run() throws {
        let m = try selection.load()
        var options = transform.options(keepPowers: false)
        options.phases = false  // a histogram needs only the max normalized powers
        let spectra = try m.spectra(options: options)
        let values = spectra.maxNormalizedPowers
        let histogram = PowerHistogram(values: values, bins: bins)
        let stats = PowerStatistics(values: values)
        let out = ByteSink()
        switch format {
        case .json:
            let j = JSONWriter(sink: out)
            j.beginObject()
            j.field("file", m.path)
            j.field("tensor", m.tensor.name)
            j.field("p", spectra.p)
            j.field("neuron_axis", m.neuronAxis ?? 0)
            j.field("neurons", spectra.neuronCount)
            writeHistogram(j, histogram)
            writeStatistics(j, stats)
            j.endObject()
            out.write("\n")
        case .table:
            out.write("\(m.path)  tensor \(m.tensor.name) \(m.tensor.shape): p = \(spectra.p), \(spectra.neuronCount) neurons\n\n")
            writeHistogramTable(out, histogram, stats)
        }
        out.flush()
    }
}

/// How `spectrum` and `histogram` compute the DFT.
struct TransformOptions: ParsableArguments {
    @Flag(name: .customLong("include-dc"), help: "Count DC (frequency 0) in the normalization and the maximum.")
    var includeDC = false

    @Option(help: "DFT backend: automatic (time both once, keep the faster), fftw, or gemm (dense real-DFT matrix with BLAS).")
    var backend: SpectrumBackend = .automatic

    func options(keepPowers: Bool) -> SpectrumOptions {
        var o = SpectrumOptions(includeDC: includeDC, keepPowers: keepPowers)
        o.backend = backend
        return o
    }
}

// MARK: - shared output pieces

func writeHistogram(_ j: JSONWriter, _ h: PowerHistogram) {
    j.key("histogram"); j.beginObject()
    writeHistogramFields(j, h)
    j.endObject()
}

/// `edges`, `counts`, `undefined` of a histogram, inside an open object.
func writeHistogramFields(_ j: JSONWriter, _ h: PowerHistogram) {
    j.key("edges"); j.array(h.edges)
    j.key("counts"); j.array(h.counts)
    j.field("undefined", h.undefined)
}

func writeStatistics(_ j: JSONWriter, _ s: PowerStatistics) {
    j.key("statistics"); j.beginObject()
    j.field("defined", s.count)
    j.field("undefined", s.undefined)
    writeStatisticsFields(j, s)
    j.endObject()
}

/// `mean`, `median` and the fractions ≥ 0.9 / ≥ 0.99, inside an open object.
func writeStatisticsFields(_ j: JSONWriter, _ s: PowerStatistics) {
    j.field("mean", s.mean)
    j.field("median", s.median)
    j.field("fraction_ge_0_9", s.fractionAtLeast090)
    j.field("fraction_ge_0_99", s.fractionAtLeast099)
}

func writeHistogramTable(_ out: ByteSink, _ h: PowerHistogram, _ s: PowerStatistics,
                         title: String = "max normalized power histogram") {
    out.write(title + "\n")
    let most = max(h.counts.max() ?? 1, 1)
    for b in 0..<h.counts.count {
        let bar = String(repeating: "#", count: Int((Double(h.counts[b]) / Double(most) * 40).rounded()))
        out.write("[\(fixed(h.edges[b], 2)), \(fixed(h.edges[b + 1], 2))\(b == h.counts.count - 1 ? "]" : ")") "
                  + pad(String(h.counts[b]), 8) + bar + "\n")
    }
    if h.undefined > 0 { out.write("undefined (no non-DC power): \(h.undefined)\n") }
    out.write("\nneurons \(s.count + s.undefined)  mean \(fixed(s.mean, 4))  median \(fixed(s.median, 4))  "
              + "≥0.9: \(fixed(s.fractionAtLeast090.map { $0 * 100 }, 1))%  ≥0.99: \(fixed(s.fractionAtLeast099.map { $0 * 100 }, 1))%\n")
}

func fixed(_ v: Double?, _ digits: Int) -> String {
    guard let v, v.isFinite else { return "-" }
    return String(format: "%.\(digits)f", v)
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

func csv(_ v: Int?) -> String { v.map(String.init) ?? "" }
func csv(_ v: Double?) -> String { v.map { $0.description } ?? "" }

extension SpectrumBackend: ExpressibleByArgument {}
