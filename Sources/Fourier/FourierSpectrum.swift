import Foundation

/// A matrix of neuron weights seen through strides, never copied: neuron `n`, sample `a`
/// (the group element / residue a ∈ Z_p) is at `base[n·neuronStride + a·sampleStride]`.
///
/// A (neurons × p) row-major matrix has `neuronStride = p, sampleStride = 1`; a (p × neurons)
/// one has `neuronStride = 1, sampleStride = neurons`. Any strides ≥ 1 work (Fortran order,
/// views of a larger tensor).
public struct NeuronMatrix<Scalar: FFTWScalar>: @unchecked Sendable {
    public let base: UnsafePointer<Scalar>
    public let neurons: Int
    public let length: Int
    public let neuronStride: Int
    public let sampleStride: Int

    public init(base: UnsafePointer<Scalar>, neurons: Int, length: Int, neuronStride: Int, sampleStride: Int) {
        precondition(neurons >= 0 && length >= 1 && neuronStride >= 1 && sampleStride >= 1)
        self.base = base; self.neurons = neurons; self.length = length
        self.neuronStride = neuronStride; self.sampleStride = sampleStride
    }
}

/// Options of the per-neuron Fourier spectrum.
public struct SpectrumOptions: Sendable {
    /// Include DC (frequency 0) in the normalization and the maximum (THEORY.md §4: excluded by default).
    public var includeDC = false
    /// Worker threads (default: all cores).
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Transforms per FFTW call.
    public var batch = 256
    /// FFTW planning effort.
    public var effort: FFTWPlanner.Effort = .measure

    public init(includeDC: Bool = false) { self.includeDC = includeDC }
}

/// Per-neuron Fourier power spectra on Z_p (THEORY.md §4).
///
/// With X = DFT(u), X[k] = Σ_a u[a] e^{−2πika/p}, the power of real frequency bin k is
/// P₀ = |X₀|², P_k = 2|X_k|² for 0 < k < p/2 and P_{p/2} = |X_{p/2}|² (p even), so that
/// Σ_k P_k = p‖u‖² (Parseval). Bin k is the 2-dimensional real irrep of C_p.
public struct FourierSpectra: Sendable {
    /// Transform length p.
    public let p: Int
    /// Number of real frequency bins, ⌊p/2⌋ + 1.
    public var binCount: Int { p / 2 + 1 }
    /// Powers per neuron and bin; component 0 is DC.
    public var table: PowerTable
    /// Phase arg X_k ∈ (−π, π] of each neuron's dominant bin (nil where undefined).
    /// For u(a) = λ cos(θ + 2πζa/p) it is θ.
    public var phases: [Double?]

    public var neuronCount: Int { table.neuronCount }

    /// Computes the spectra of every neuron of `matrix`, in the input's own precision, on
    /// `options.threads` threads, with cached FFTW plans from `planner`.
    public static func compute<Scalar: FFTWScalar>(_ matrix: NeuronMatrix<Scalar>, options: SpectrumOptions = .init(),
                                                  planner: FFTWPlanner = .shared) -> FourierSpectra {
        let p = matrix.length, bins = p / 2 + 1, n = matrix.neurons
        let tol: Double = Scalar.self == Float.self ? 1e-10 : 1e-24
        if n == 0 {
            return FourierSpectra(table: PowerTable(neuronCount: 0, componentCount: bins, includeTrivial: options.includeDC,
                                                    zeroTolerance: tol, powers: []), phases: [], p: p)
        }
        var powers = [Double](repeating: 0, count: n * bins)
        var phases = [Double](repeating: .nan, count: n)
        let batch = max(1, min(options.batch, n))
        let chunks = n == 0 ? 0 : (n + batch - 1) / batch
        let full = planner.plan(R2CBatchLayout(length: p, howmany: batch, inputStride: matrix.sampleStride,
                                               inputDistance: matrix.neuronStride), effort: options.effort, as: Scalar.self)
        let rest = n % batch
        let tail: R2CPlan<Scalar>? = rest == 0 ? nil :
            planner.plan(R2CBatchLayout(length: p, howmany: rest, inputStride: matrix.sampleStride,
                                        inputDistance: matrix.neuronStride), effort: options.effort, as: Scalar.self)
        let includeDC = options.includeDC
        powers.withUnsafeMutableBufferPointer { pw in
            phases.withUnsafeMutableBufferPointer { ph in
                let pwShared = SharedMutablePointer(pw.baseAddress!), phShared = SharedMutablePointer(ph.baseAddress!)
                let workers = max(1, min(options.threads, chunks))
                parallelWorkers(workers) { w in
                    let pwBase = pwShared.pointer, phBase = phShared.pointer
                    let out = Scalar._malloc(2 * batch * bins)
                    defer { Scalar._free(out) }
                    var chunk = w
                    while chunk < chunks {
                        let first = chunk * batch
                        let count = min(batch, n - first)
                        let plan = count == batch ? full : tail!
                        plan.execute(input: matrix.base + first * matrix.neuronStride, output: UnsafeMutableRawPointer(out))
                        for j in 0..<count {
                            let x = out + 2 * j * bins
                            let row = pwBase + (first + j) * bins
                            var best = -1.0, bestK = 0
                            for k in 0..<bins {
                                let re = Double(x[2 * k]), im = Double(x[2 * k + 1])
                                let m = re * re + im * im
                                let pk = (k == 0 || 2 * k == p) ? m : 2 * m
                                row[k] = pk
                                if (k > 0 || includeDC) && pk > best { best = pk; bestK = k }
                            }
                            phBase[first + j] = atan2(Double(x[2 * bestK + 1]), Double(x[2 * bestK]))
                        }
                        chunk += workers
                    }
                }
            }
        }
        let table = PowerTable(neuronCount: n, componentCount: bins, trivialComponent: 0, includeTrivial: includeDC,
                               zeroTolerance: tol, powers: powers)
        var ph: [Double?] = []
        ph.reserveCapacity(n)
        for i in 0..<n {
            let s = table.summary(ofNeuron: i)
            // The phase is reported for the summary's dominant bin; both pick the first maximum.
            ph.append(s.dominant == nil ? nil : phases[i])
        }
        return FourierSpectra(table: table, phases: ph, p: p)
    }

    init(table: PowerTable, phases: [Double?], p: Int) {
        self.table = table; self.phases = phases; self.p = p
    }

    /// Summary of neuron `n`: dominant frequency, max normalized power, IPR, top shares.
    public func summary(ofNeuron n: Int) -> PowerSummary { table.summary(ofNeuron: n) }

    /// Max normalized power per neuron (nil where undefined).
    public var maxNormalizedPowers: [Double?] { table.maxNormalizedPowers }
}

extension FourierSpectra {
    /// Convenience: spectra of a row-major (neurons × p) array.
    public static func compute<Scalar: FFTWScalar>(rows: [Scalar], neurons: Int, p: Int,
                                                  options: SpectrumOptions = .init()) -> FourierSpectra {
        precondition(rows.count == neurons * p)
        if neurons == 0 {
            return FourierSpectra(table: PowerTable(neuronCount: 0, componentCount: p / 2 + 1, includeTrivial: options.includeDC,
                                                    powers: []), phases: [], p: p)
        }
        return rows.withUnsafeBufferPointer { b in
            compute(NeuronMatrix(base: b.baseAddress!, neurons: neurons, length: p, neuronStride: p, sampleStride: 1),
                    options: options)
        }
    }
}
