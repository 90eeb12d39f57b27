// Using IrrepScope as a library (no command line): a trained checkpoint analyzed through the
// Analysis module, the Fourier spectrum of a weight matrix, and the character table of S_5.
// Build and run from the repository root:  swift run -c release library-example
import Analysis
import Foundation
import Fourier
import Groups

// 0. The trained C_71 network in data/: found in the checkpoint by its network family,
//    analyzed exactly (accuracy and margin of the double-precision forward pass).
do {
    let file = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "data/c71-quadratic-final.pt"
    let result = try Analyzer.analyze(path: file, AnalysisRequest(task: .group("C71")))
    if case .group(let a, let layout) = result {
        print("\(file): \(a.width) neurons found as \(layout.kind)")
        print("  accuracy \(String(format: "%.2f", a.accuracy * 100))% on all \(a.order * a.order) pairs")
        print("  normalized margin \(String(format: "%.6g", a.normalizedMargin)), γ* = \(a.bound.value.map { String(format: "%.6g", $0) } ?? "not quoted")"
              + (a.marginRatio.map { ", margin / γ* = \(String(format: "%.4f", $0))" } ?? ""))
        let used = a.neuronsPerComponent.indices.filter { $0 != 0 && a.neuronsPerComponent[$0] > 0 }
        print("  components used: \(used.count) of \(a.componentLabels.count - 1) frequencies; unused: \(a.unusedComponents.isEmpty ? "none" : a.unusedComponents.map { a.componentLabels[$0] }.joined(separator: ", "))\n")
    }
} catch {
    print("error: \(error)")
}

// 1. Per-neuron Fourier spectra of a (neurons × p) matrix: four neurons on Z_71, each a
//    cosine at its own frequency, the last one with a second, weaker frequency mixed in.
let p = 71
let frequencies = [3, 17, 35, 8]
var weights = [Double](repeating: 0, count: frequencies.count * p)
for (i, f) in frequencies.enumerated() {
    for a in 0..<p {
        let t = 2 * Double.pi * Double(f * a % p) / Double(p)
        weights[i * p + a] = cos(t + 0.4) + (i == 3 ? 0.5 * cos(4 * t) : 0)
    }
}
// Rows are neurons: neuronStride = p, sampleStride = 1 (a (p × neurons) matrix would use 1 and
// the neuron count). Nothing is copied; FFTW (or BLAS) reads through the strides.
let spectra = weights.withUnsafeBufferPointer { buffer in
    FourierSpectra.compute(NeuronMatrix(base: buffer.baseAddress!, neurons: frequencies.count, length: p,
                                        neuronStride: p, sampleStride: 1))
}
print("Fourier spectra on Z_\(p) (power per real frequency bin, DC excluded; docs/theory.md §4):")
for i in 0..<spectra.neuronCount {
    let s = spectra.summary(ofNeuron: i)
    let top = s.top(2).map { "\($0.component): \(String(format: "%.3f", $0.share))" }.joined(separator: ", ")
    print("  neuron \(i): dominant frequency \(s.dominant!), max normalized power \(String(format: "%.4f", s.maxNormalizedPower!)), top shares [\(top)]")
}
let histogram = PowerHistogram(values: spectra.maxNormalizedPowers, bins: 10)
print("  histogram of max normalized power (10 bins on [0, 1]): \(histogram.counts)")

// 2. The character table of S_5: classes by cycle type, irreps by partition (trivial first).
do {
    let s5 = try FiniteGroup.named("S5")
    let table = s5.characterTable
    print("\nCharacter table of S_5 (order \(s5.order)):")
    let header = table.classes.map { $0.label.padding(toLength: 13, withPad: " ", startingAt: 0) }.joined()
    print("  " + "irrep".padding(toLength: 12, withPad: " ", startingAt: 0) + header)
    for (r, irrep) in table.irreps.enumerated() {
        let row = (0..<table.classes.count).map { c in
            String(table.integerValue(r, c) ?? 0).padding(toLength: 13, withPad: " ", startingAt: 0)
        }.joined()
        print("  " + irrep.label.padding(toLength: 12, withPad: " ", startingAt: 0) + row)
    }
    print("  Theorem 9 γ* for S_5: \(s5.theorem9MaximumMargin.map { String(format: "%.6g", $0) } ?? "not quoted")")
} catch {
    print("error: \(error)")
}
