import CKernels
import Foundation
import NeuronData

/// Options of the per-neuron Fourier spectrum.
public struct SpectrumOptions: Sendable {
    /// Include DC (frequency 0) in the normalization and the maximum (docs/theory.md §4: excluded by default).
    public var includeDC = false
    /// Keep every bin's power per neuron (needed for top-K shares; not for histograms).
    public var keepPowers = true
    /// Compute the phase of each neuron's dominant bin (not needed for histograms).
    public var phases = true
    /// Worker threads (default: all cores).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Transforms per FFTW call (neurons gathered into one aligned block).
    public var batch = 64
    /// FFTW planning effort.
    public var effort: FFTWPlanner.Effort = .measure
    /// Which transform computes the DFT (default: the faster one, measured once per p).
    public var backend: SpectrumBackend = .automatic

    public init(includeDC: Bool = false, keepPowers: Bool = true) {
        self.includeDC = includeDC
        self.keepPowers = keepPowers
    }
}

/// Per-neuron Fourier power spectra on Z_p (docs/theory.md §4).
///
/// With X = DFT(u), X[k] = Σ_a u[a] e^{−2πika/p}, the power of real frequency bin k is
/// P₀ = |X₀|², P_k = 2|X_k|² for 0 < k < p/2 and P_{p/2} = |X_{p/2}|² (p even), so that
/// Σ_k P_k = p‖u‖² (Parseval). Bin k is the 2-dimensional real irrep of C_p.
///
/// Normalized power of bin k is P_k / Σ_{j≠0} P_j (DC excluded, the default) or P_k / Σ_j P_j
/// (DC included); the max normalized power and the dominant frequency run over k ≠ 0 (or all k).
/// A neuron whose normalizer is numerically zero has no defined value (nil, never NaN).
public struct FourierSpectra: Sendable {
    /// Transform length p.
    public let p: Int
    /// Number of real frequency bins, ⌊p/2⌋ + 1.
    public var binCount: Int { p / 2 + 1 }
    /// Whether DC counts in the normalization and the maximum.
    public let includeDC: Bool
    /// Powers per neuron and bin (component 0 is DC); nil unless `SpectrumOptions.keepPowers`.
    public let table: PowerTable?
    /// Max normalized power per neuron (nil where undefined).
    public let maxNormalizedPowers: [Double?]
    /// Dominant frequency per neuron: the first bin attaining the maximum (nil where undefined).
    public let dominantFrequencies: [Int?]
    /// Inverse participation ratio Σ s_k² of the normalized shares (nil where undefined).
    public let iprs: [Double?]
    /// Phase arg X_k ∈ (−π, π] of each neuron's dominant bin (nil where undefined, and for
    /// every neuron when `SpectrumOptions.phases` is off). For u(a) = λ cos(θ + 2πζa/p) it is θ.
    public let phases: [Double?]

    public var neuronCount: Int { maxNormalizedPowers.count }

    /// Computes the spectra of every neuron of `matrix`, in the input's own precision
    /// (fftwf/sgemm for Float), on `options.threads` threads.
    ///
    /// The neurons are processed `options.batch` at a time; each worker transforms a block
    /// and accumulates bin powers and the per-neuron maxima in one pass over it, so memory
    /// beyond the results is O(threads · batch · p). Two transforms are available
    /// (`SpectrumBackend`): FFTW (a cached batched r2c plan on a SIMD-aligned block gathered
    /// through the strides) and the dense real-DFT products (`RealDFTMatrix`: the block is
    /// folded into u[a] ± u[p−a] through the strides, then two BLAS GEMMs). Neither copies the
    /// whole matrix. `.automatic` times both once per (p, precision) and keeps the faster.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public static func compute<Scalar: FFTWScalar>(_ matrix: NeuronMatrix<Scalar>, options: SpectrumOptions = .init(),
                                                  planner: FFTWPlanner = .shared) -> FourierSpectra {
        let p = matrix.length, bins = p / 2 + 1, n = matrix.neurons
        let tol: Double = Scalar.self == Float.self ? 1e-10 : 1e-24
        let keep = options.keepPowers, includeDC = options.includeDC, wantPhases = options.phases
        // Results are written by the workers into buffers owned here, then wrapped as arrays.
        let outMax = SharedMutablePointer(UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1)))
        let outDom = SharedMutablePointer(UnsafeMutablePointer<Int32>.allocate(capacity: max(n, 1)))
        let outIPR = SharedMutablePointer(UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1)))
        let outPhase = SharedMutablePointer(UnsafeMutablePointer<Double>.allocate(capacity: max(n, 1)))
        defer {
            outMax.pointer.deallocate(); outDom.pointer.deallocate()
            outIPR.pointer.deallocate(); outPhase.pointer.deallocate()
        }
        for buffer in [outMax.pointer, outIPR.pointer, outPhase.pointer] { irrepscope_prefault(buffer, n * 8, 1) }
        outDom.pointer.initialize(repeating: -1, count: n)
        // The bin powers are written straight into the array that the table keeps.
        let powers = [Double](unsafeUninitializedCapacity: keep ? n * bins : 0) { buffer, initialized in
        irrepscope_prefault(buffer.baseAddress, (keep ? n * bins : 0) * 8, 1)
        let outPowers = SharedMutablePointer(buffer.baseAddress ?? UnsafeMutablePointer<Double>.allocate(capacity: 0))
        initialized = keep ? n * bins : 0
        if n > 0 {
            let backend = options.backend == .automatic
                ? planner.fastestBackend(length: p, as: Scalar.self, effort: options.effort)
                : options.backend
            let transform = BlockTransform<Scalar>(backend: backend, matrix: matrix, batch: max(1, min(options.batch, n)),
                                                   effort: options.effort, planner: planner)
            let batch = transform.batch
            let chunks = (n + batch - 1) / batch
            let workers = max(1, min(options.threads, chunks))
            parallelWorkers(workers) { w in
                let scratch = transform.makeScratch()
                // Bin powers of a chunk (when not kept), and the per-neuron reductions.
                let scratchPowers = UnsafeMutablePointer<Double>.allocate(capacity: keep ? 1 : batch * bins)
                let sums = UnsafeMutablePointer<Double>.allocate(capacity: 3 * batch)
                let args = UnsafeMutablePointer<Int32>.allocate(capacity: batch)
                defer { scratch.free(); scratchPowers.deallocate(); sums.deallocate(); args.deallocate() }
                let squaresOf = sums + batch, bests = sums + 2 * batch
                let pw = outPowers.pointer, mx = outMax.pointer, dm = outDom.pointer, ip = outIPR.pointer, ph = outPhase.pointer
                var chunk = w
                while chunk < chunks {
                    let first = chunk * batch
                    let count = min(batch, n - first)
                    let out = transform.run(first: first, count: count, scratch: scratch)
                    let rows = keep ? pw + first * bins : scratchPowers
                    for j in 0..<count { out.binPowers(j, into: rows + j * bins) }
                    // Sums, sums of squares, maximum and first argmax over the non-DC bins
                    // (CKernels: vectorized, the same bits on every CPU).
                    irrepscope_row_summaries(rows, count, bins, bins, sums, squaresOf, bests, args)
                    for j in 0..<count {
                        let row = rows + j * bins
                        let nonDC = sums[j], sq = squaresOf[j]
                        var best = bests[j], bestK = Int(args[j])
                        let dc = row[0]
                        let total = nonDC + dc
                        let squares = includeDC ? sq + dc * dc : sq
                        if includeDC && dc >= best { (best, bestK) = (dc, 0) }
                        let norm = includeDC ? total : nonDC
                        guard norm > 0, norm > tol * total else { continue }
                        let i = first + j
                        mx[i] = best / norm
                        ip[i] = squares / (norm * norm)
                        dm[i] = Int32(bestK)
                        if wantPhases {
                            let (re, im) = out.value(j, bestK)
                            ph[i] = atan2(im, re)
                        }
                    }
                    chunk += workers
                }
            }
        }
        }
        let dominant = UnsafeBufferPointer(start: outDom.pointer, count: n)
        func opt(_ xs: UnsafeMutablePointer<Double>) -> [Double?] { (0..<n).map { dominant[$0] >= 0 ? xs[$0] : nil } }
        return FourierSpectra(
            p: p, includeDC: includeDC,
            table: keep ? PowerTable(neuronCount: n, componentCount: bins, trivialComponent: 0, includeTrivial: includeDC,
                                     zeroTolerance: tol,
                                     powers: powers) : nil,
            maxNormalizedPowers: opt(outMax.pointer), dominantFrequencies: dominant.map { $0 >= 0 ? Int($0) : nil },
            iprs: opt(outIPR.pointer), phases: wantPhases ? opt(outPhase.pointer) : [Double?](repeating: nil, count: n))
    }

    /// Summary of neuron `n` from the kept bin powers: dominant frequency, max normalized
    /// power, IPR, top shares. Requires `SpectrumOptions.keepPowers`.
    public func summary(ofNeuron n: Int) -> PowerSummary {
        guard let table else { preconditionFailure("bin powers were not kept (SpectrumOptions.keepPowers)") }
        return table.summary(ofNeuron: n)
    }
}

extension FourierSpectra {
    /// Convenience: spectra of a row-major (neurons × p) array.
    public static func compute<Scalar: FFTWScalar>(rows: [Scalar], neurons: Int, p: Int,
                                                  options: SpectrumOptions = .init()) -> FourierSpectra {
        precondition(rows.count == neurons * p)
        if neurons == 0 {
            let empty = UnsafeMutablePointer<Scalar>.allocate(capacity: 1)
            defer { empty.deallocate() }
            return compute(NeuronMatrix(base: empty, neurons: 0, length: p, neuronStride: p, sampleStride: 1), options: options)
        }
        return rows.withUnsafeBufferPointer { b in
            compute(NeuronMatrix(base: b.baseAddress!, neurons: neurons, length: p, neuronStride: p, sampleStride: 1),
                    options: options)
        }
    }
}
