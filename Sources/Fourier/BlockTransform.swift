import Foundation

/// How the per-neuron DFTs are computed. Both give X[k] = Σ_a u[a] e^{−2πika/p}.
public enum SpectrumBackend: String, Sendable, CaseIterable {
    /// FFTW batched real-to-complex transforms (O(p log p) per neuron).
    case fftw
    /// The dense real-DFT matrix product with BLAS (p² multiply-adds per neuron, at GEMM speed).
    case gemm
    /// Time both once per (p, precision) and use the faster.
    case automatic
}

/// The transformed block of one chunk: Re X_k and Im X_k of neuron j of the chunk.
struct TransformedBlock<Scalar: FFTWScalar> {
    let base: UnsafePointer<Scalar>
    /// Element distance between neurons and between bins of the real parts.
    let neuronStride: Int
    let binStride: Int
    /// Offset of Im X_k from Re X_k, and its sign (GEMM stores −Im X_k).
    let imaginaryOffset: Int
    let imaginarySign: Double
    /// The GEMM layout has no imaginary column for k = 0 and k = p/2 (they are exactly 0);
    /// then this is p, else 0.
    let realOnlyLength: Int

    /// Writes P_k (THEORY.md §4 bin powers) of neuron j for k = 0 ..< ⌊p/2⌋+1 into `out`.
    @inline(__always) func binPowers(_ j: Int, p: Int, into out: UnsafeMutablePointer<Double>) {
        let row = base + j * neuronStride
        let bins = p / 2 + 1
        if realOnlyLength != 0 {
            // GEMM layout: Re in columns 0 … p/2, −Im in columns p/2+1 … (contiguous).
            let half = p / 2
            let im = row + half
            let r0 = Double(row[0])
            out[0] = r0 * r0
            let last = (p % 2 == 0) ? half - 1 : half  // bins with an imaginary column
            if last >= 1 {
                for k in 1...last {
                    let re = Double(row[k]), iv = Double(im[k])
                    out[k] = 2 * (re * re + iv * iv)
                }
            }
            if p % 2 == 0 && half >= 1 { let re = Double(row[half]); out[half] = re * re }
        } else {
            for k in 0..<bins {
                let re = Double(row[2 * k]), iv = Double(row[2 * k + 1])
                out[k] = (k == 0 || 2 * k == p ? 1 : 2) * (re * re + iv * iv)
            }
        }
    }

    @inline(__always) func value(_ j: Int, _ k: Int) -> (Double, Double) {
        let at = base + j * neuronStride + k * binStride
        let re = Double(at[0])
        if realOnlyLength != 0 && (k == 0 || 2 * k == realOnlyLength) { return (re, 0) }
        return (re, imaginarySign * Double(at[imaginaryOffset]))
    }
}

/// Per-worker buffers.
struct TransformScratch<Scalar: FFTWScalar>: @unchecked Sendable {
    let input: UnsafeMutablePointer<Scalar>?
    let output: UnsafeMutablePointer<Scalar>
    func free() {
        if let input { Scalar._free(input) }
        Scalar._free(output)
    }
}

/// One backend bound to one matrix: transforms chunks of consecutive neurons. Both backends
/// leave each neuron's bins contiguous, so the power pass walks memory in order.
struct BlockTransform<Scalar: FFTWScalar>: @unchecked Sendable {
    let backend: SpectrumBackend
    let matrix: NeuronMatrix<Scalar>
    let batch: Int
    private let plan: R2CPlan<Scalar>?
    private let dft: RealDFTMatrix<Scalar>?
    /// How GEMM reads the matrix in place (nil: gather into a block first).
    private let inPlace: (lda: Int, transposed: Bool)?

    init(backend: SpectrumBackend, matrix: NeuronMatrix<Scalar>, batch: Int, effort: FFTWPlanner.Effort, planner: FFTWPlanner) {
        self.backend = backend
        self.matrix = matrix
        let p = matrix.length
        switch backend {
        case .gemm:
            self.batch = max(batch, min(256, matrix.neurons))
            plan = nil
            dft = planner.dftMatrix(length: p, as: Scalar.self)
            let (n, ns, ss) = (matrix.neurons, matrix.neuronStride, matrix.sampleStride)
            if ss == 1 && (ns >= p || n == 1) {
                inPlace = (max(ns, p), false)        // rows are neurons
            } else if ns == 1 && (ss >= n || p == 1) {
                inPlace = (max(ss, n), true)         // columns are neurons
            } else {
                inPlace = nil
            }
        default:
            self.batch = batch
            plan = planner.plan(.rows(length: p, howmany: batch), effort: effort, as: Scalar.self)
            dft = nil
            inPlace = nil
        }
    }

    func makeScratch() -> TransformScratch<Scalar> {
        let p = matrix.length
        switch backend {
        case .gemm:
            return TransformScratch(input: inPlace != nil ? nil : Scalar._malloc(batch * p), output: Scalar._malloc(batch * p))
        default:
            let input = Scalar._malloc(p * batch)
            // Zero once so that the padding lanes of a short last block hold finite values.
            input.initialize(repeating: 0, count: p * batch)
            return TransformScratch(input: input, output: Scalar._malloc(2 * (p / 2 + 1) * batch))
        }
    }

    /// Transforms neurons first ..< first+count.
    func run(first: Int, count: Int, scratch: TransformScratch<Scalar>) -> TransformedBlock<Scalar> {
        let p = matrix.length, ns = matrix.neuronStride, ss = matrix.sampleStride
        let src = matrix.base + first * ns
        switch backend {
        case .gemm:
            let dft = dft!
            if let (lda, transposed) = inPlace {
                GEMM.multiply(rows: count, n: p, k: p, a: src, lda: lda, transposed: transposed, b: dft.entries,
                              c: scratch.output, ldc: p)
            } else {
                let buf = scratch.input!
                for j in 0..<count { for a in 0..<p { buf[j * p + a] = src[j * ns + a * ss] } }
                GEMM.multiply(rows: count, n: p, k: p, a: buf, lda: p, transposed: false, b: dft.entries,
                              c: scratch.output, ldc: p)
            }
            let half = p / 2
            return TransformedBlock(base: scratch.output, neuronStride: p, binStride: 1, imaginaryOffset: half,
                                    imaginarySign: -1, realOnlyLength: p)
        default:
            let inBuf = scratch.input!
            // Gather through the strides into an aligned block: inBuf[j·p + a] = u_{first+j}[a].
            if ss == 1 {
                for j in 0..<count { (inBuf + j * p).update(from: src + j * ns, count: p) }
            } else {
                for a in 0..<p {
                    let col = src + a * ss
                    for j in 0..<count { inBuf[j * p + a] = col[j * ns] }
                }
            }
            plan!.execute(input: inBuf, output: UnsafeMutableRawPointer(scratch.output))
            return TransformedBlock(base: scratch.output, neuronStride: 2 * (p / 2 + 1), binStride: 2, imaginaryOffset: 1,
                                    imaginarySign: 1, realOnlyLength: 0)
        }
    }
}

extension FFTWPlanner {
    /// The cached dense real-DFT matrix of length p.
    public func dftMatrix<Scalar: FFTWScalar>(length p: Int, as: Scalar.Type = Scalar.self) -> RealDFTMatrix<Scalar> {
        cached(key: "dft/\(Scalar.precisionName)/\(p)") { RealDFTMatrix<Scalar>(length: p) }
    }

    /// The faster backend for length p in this precision, timed once on a block of random
    /// neurons and remembered (like FFTW's own measuring planner).
    public func fastestBackend<Scalar: FFTWScalar>(length p: Int, as: Scalar.Type = Scalar.self,
                                                   effort: Effort = .measure) -> SpectrumBackend {
        let key = "backend/\(Scalar.precisionName)/\(p)"
        let choice: BackendChoice = cached(key: key) {
            // A quick trial: 256 neurons, FFTW planned by estimate (a measured plan is only
            // made if FFTW wins), best of 2.
            let neurons = 256
            var g = SystemRandomNumberGenerator()
            let data = Scalar._malloc(neurons * p)
            defer { Scalar._free(data) }
            for i in 0..<(neurons * p) { data[i] = Scalar(Double.random(in: -1...1, using: &g)) }
            let m = NeuronMatrix(base: UnsafePointer(data), neurons: neurons, length: p, neuronStride: p, sampleStride: 1)
            var best = (SpectrumBackend.fftw, Double.infinity)
            for backend in [SpectrumBackend.fftw, .gemm] {
                let t = BlockTransform(backend: backend, matrix: m, batch: 64, effort: .estimate, planner: self)
                let scratch = t.makeScratch()
                defer { scratch.free() }
                var fastest = Double.infinity
                for _ in 0..<2 {
                    let start = DispatchTime.now().uptimeNanoseconds
                    var first = 0
                    while first < neurons {
                        _ = t.run(first: first, count: min(t.batch, neurons - first), scratch: scratch)
                        first += t.batch
                    }
                    fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
                }
                if fastest < best.1 { best = (backend, fastest) }
            }
            return BackendChoice(backend: best.0)
        }
        return choice.backend
    }
}

final class BackendChoice: Sendable {
    let backend: SpectrumBackend
    init(backend: SpectrumBackend) { self.backend = backend }
}
