// Times the core per-neuron spectrum computation (FFT, bin powers, max normalized power) on
// a float32 .npy matrix, best of N runs after one warm-up (which also makes the FFTW plans).
// Usage: spectrum-benchmark FILE.npy [repeats] [threads] [keep|nokeep] [batch|0] [automatic|fftw|gemm]
// Prints one JSON line: {"file", "neurons", "p", "seconds", "neurons_per_second"}.
import Checkpoints
import Foundation
import Fourier

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: spectrum-benchmark FILE.npy [repeats] [threads]\n".utf8))
    exit(2)
}
let repeats = args.count > 2 ? Int(args[2]) ?? 5 : 5
var options = SpectrumOptions()
if args.count > 3, let t = Int(args[3]) { options.threads = t }
if args.count > 4 { options.keepPowers = args[4] == "keep"; options.phases = options.keepPowers }
if args.count > 5, let b = Int(args[5]), b > 0 { options.batch = b }
if args.count > 6, let b = SpectrumBackend(rawValue: args[6]) { options.backend = b }
do {
    let t = try CheckpointLoader.load(path: args[1]).tensors[0]
    guard t.dtype == .float32, t.rank == 2, let base = t.baseAddress else {
        throw CheckpointError(path: args[1], "expected a 2-D float32 matrix")
    }
    let m = NeuronMatrix(base: base.assumingMemoryBound(to: Float.self), neurons: t.shape[0], length: t.shape[1],
                         neuronStride: t.strides[0], sampleStride: t.strides[1])
    var best = Double.infinity
    var checksum = 0.0
    for r in 0...repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        let s = FourierSpectra.compute(m, options: options)
        let values = s.maxNormalizedPowers
        let h = PowerHistogram(values: values, bins: 20)
        let secs = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        checksum = Double(h.counts.last!)
        if r > 0 { best = min(best, secs) }
    }
    print("{\"file\":\"\(args[1])\",\"neurons\":\(m.neurons),\"p\":\(m.length),\"threads\":\(options.threads),\"backend\":\"\(options.backend == .automatic ? FFTWPlanner.shared.fastestBackend(length: m.length, as: Float.self).rawValue : options.backend.rawValue)\",\"keep_powers\":\(options.keepPowers),\"seconds\":\(best),\"neurons_per_second\":\(Double(m.neurons) / best),\"last_bin\":\(checksum)}")
} catch {
    FileHandle.standardError.write(Data("spectrum-benchmark: \(error)\n".utf8))
    exit(1)
}
