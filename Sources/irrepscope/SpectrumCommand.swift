import ArgumentParser
import Fourier
import JSONOutput
import Reports

struct SpectrumCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectrum",
        abstract: "Per-neuron Fourier power spectrum on Z_p (dominant frequency, max normalized power, phase, IPR).",
        discussion: """
        Power per real frequency bin k = 0…⌊p/2⌋ with ±k merged: P_k = 2|X_k|² for 0 < k < p/2 \
        (docs/theory.md §4). Shares are normalized by the non-DC power unless --include-dc. A neuron \
        with no non-DC power has null values. The phase is arg X_k of the dominant bin, in radians.
        """
    )

    @OptionGroup var selection: WeightSelection
    @OptionGroup var transform: TransformOptions
    @Option(help: "Number of top frequencies listed per neuron.") var top: Int = 3
    @Option(help: "Histogram bins on [0, 1].") var bins: Int = 20
    @Option(help: "Output format: table, json or csv.") var format: ListingFormat = .table

    func validate() throws {
        if top < 0 { throw ValidationError("--top must be ≥ 0") }
        if bins < 1 { throw ValidationError("--bins must be ≥ 1") }
    }

    func run() throws {
        let m = try selection.load()
        let spectra = try m.spectra(options: transform.options(keepPowers: true))
        let out = ByteSink()
        SpectrumRendering.writeSpectrum(m, spectra, includeDC: transform.includeDC, top: top, bins: bins, format: format, out)
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
    @Option(help: "Histogram bins on [0, 1].") var bins: Int = 20
    @Option(help: "Output format: table or json.") var format: SummaryFormat = .table

    func validate() throws {
        if bins < 1 { throw ValidationError("--bins must be ≥ 1") }
    }

    func run() throws {
        let m = try selection.load()
        var options = transform.options(keepPowers: false)
        options.phases = false  // a histogram needs only the max normalized powers
        let spectra = try m.spectra(options: options)
        let out = ByteSink()
        SpectrumRendering.writeHistogram(m, spectra, bins: bins, json: format == .json, out)
        out.flush()
    }
}

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

extension SpectrumBackend: ExpressibleByArgument {}
