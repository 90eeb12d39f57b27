import CKernels
import Foundation
import NeuronData

/// How the per-neuron DFTs are computed. Both give X[k] = Σ_a u[a] e^{−2πika/p}.
public enum SpectrumBackend: String, Sendable, CaseIterable {
    /// FFTW batched real-to-complex transforms (O(p log p) per neuron).
    case fftw
    /// Dense real-DFT products with BLAS on folded inputs (about p²/2 multiply-adds per neuron, at GEMM speed).
    case gemm
    /// Time both once per (p, precision) and use the faster.
    case automatic
}

/// The transformed block of one chunk: Re X_k and Im X_k of neuron j of the chunk.
struct TransformedBlock<Scalar: FFTWScalar> {
    enum Layout {
        /// FFTW's interleaved complex output, neuron-major: X_k of neuron j at 2·(j·bins + k).
        case interleaved(UnsafePointer<Scalar>)
        /// The GEMM products: Re X_k at re[j·(h+1) + k], −Im X_k at im[j·s + k − 1] (0 < k < p/2).
        case split(re: UnsafePointer<Scalar>, im: UnsafePointer<Scalar>, sineSize: Int)
    }
    let layout: Layout
    let p: Int

    /// Writes P_k (docs/theory.md §4 bin powers) of neuron j for k = 0 …< ⌊p/2⌋+1 into `out`.
    /// Squares are taken in the working precision (the transform's own rounding already
    /// bounds the accuracy; single precision runs twice as many lanes), sums later in Double.
    @inline(__always) func binPowers(_ j: Int, into out: UnsafeMutablePointer<Double>) {
        let bins = p / 2 + 1
        switch layout {
        case .interleaved(let base):
            let row = base + 2 * j * bins
            for k in 0..<bins {
                let re = row[2 * k], iv = row[2 * k + 1]
                out[k] = Double((k == 0 || 2 * k == p ? 1 : 2) * (re * re + iv * iv))
            }
        case .split(let reBase, let imBase, let s):
            let re = reBase + j * bins, im = imBase + j * s - 1
            out[0] = Double(re[0] * re[0])
            if s >= 1 {
                for k in 1...s {
                    let r = re[k], i = im[k]
                    out[k] = Double(2 * (r * r + i * i))
                }
            }
            if p % 2 == 0 && p >= 2 { let r = re[p / 2]; out[p / 2] = Double(r * r) }
        }
    }

    /// Re X_k and Im X_k of neuron j.
    @inline(__always) func value(_ j: Int, _ k: Int) -> (Double, Double) {
        let bins = p / 2 + 1
        switch layout {
        case .interleaved(let base):
            let at = base + 2 * (j * bins + k)
            return (Double(at[0]), Double(at[1]))
        case .split(let reBase, let imBase, let s):
            let re = Double(reBase[j * bins + k])
            guard k >= 1 && k <= s else { return (re, 0) }
            return (re, -Double(imBase[j * s + k - 1]))
        }
    }
}

/// Per-worker buffers.
struct TransformScratch<Scalar: FFTWScalar>: @unchecked Sendable {
    let input: UnsafeMutablePointer<Scalar>
    let output: UnsafeMutablePointer<Scalar>
    /// GEMM only: the odd folded inputs and the sine products.
    let input2: UnsafeMutablePointer<Scalar>?
    let output2: UnsafeMutablePointer<Scalar>?
    func free() {
        Scalar._free(input)
        Scalar._free(output)
        if let input2 { Scalar._free(input2) }
        if let output2 { Scalar._free(output2) }
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

    init(backend: SpectrumBackend, matrix: NeuronMatrix<Scalar>, batch: Int, effort: FFTWPlanner.Effort, planner: FFTWPlanner) {
        self.backend = backend
        self.matrix = matrix
        let p = matrix.length
        switch backend {
        case .gemm:
            self.batch = max(batch, min(256, matrix.neurons))
            plan = nil
            dft = planner.dftMatrix(length: p, as: Scalar.self)
        default:
            self.batch = batch
            plan = planner.plan(.rows(length: p, howmany: batch), effort: effort, as: Scalar.self)
            dft = nil
        }
    }

    func makeScratch() -> TransformScratch<Scalar> {
        let p = matrix.length
        switch backend {
        case .gemm:
            let c = p / 2 + 1, s = (p + 1) / 2 - 1
            return TransformScratch(input: Scalar._malloc(batch * c), output: Scalar._malloc(batch * c),
                                    input2: Scalar._malloc(max(batch * s, 1)), output2: Scalar._malloc(max(batch * s, 1)))
        default:
            let input = Scalar._malloc(p * batch)
            // Zero once so that the padding lanes of a short last block hold finite values.
            input.initialize(repeating: 0, count: p * batch)
            return TransformScratch(input: input, output: Scalar._malloc(2 * (p / 2 + 1) * batch), input2: nil, output2: nil)
        }
    }

    /// Transforms neurons first ..< first+count.
    func run(first: Int, count: Int, scratch: TransformScratch<Scalar>) -> TransformedBlock<Scalar> {
        let p = matrix.length, ns = matrix.neuronStride, ss = matrix.sampleStride
        let src = matrix.base + first * ns
        switch backend {
        case .gemm:
            let dft = dft!
            let c = dft.cosineSize, sz = dft.sineSize, h = p / 2
            let even = scratch.input, odd = scratch.input2!
            // Fold through the strides: e[a] = u[a] + u[p−a], o[a] = u[a] − u[p−a].
            if ss == 1 {
                // Contiguous neurons (the usual neurons × p layout): the C kernel, vectorized
                // for the widest instruction set of the CPU (CKernels).
                if Scalar.self == Float.self {
                    irrepscope_fold_f32(UnsafeRawPointer(src).assumingMemoryBound(to: Float.self), count, ns, p,
                                        UnsafeMutableRawPointer(even).assumingMemoryBound(to: Float.self), c,
                                        UnsafeMutableRawPointer(odd).assumingMemoryBound(to: Float.self), sz)
                } else {
                    irrepscope_fold_f64(UnsafeRawPointer(src).assumingMemoryBound(to: Double.self), count, ns, p,
                                        UnsafeMutableRawPointer(even).assumingMemoryBound(to: Double.self), c,
                                        UnsafeMutableRawPointer(odd).assumingMemoryBound(to: Double.self), sz)
                }
            } else {
            for j in 0..<count {
                let u = src + j * ns
                let e = even + j * c, o = odd + j * sz
                e[0] = u[0]
                if sz >= 1 {
                    for a in 1...sz {
                        let x = u[a * ss], y = u[(p - a) * ss]
                        e[a] = x + y
                        o[a - 1] = x - y
                    }
                }
                if p % 2 == 0 && h >= 1 { e[h] = u[h * ss] }
            }
            }
            GEMM.multiply(rows: count, n: c, k: c, a: even, lda: c, transposed: false, b: dft.cosines,
                          c: scratch.output, ldc: c)
            if sz >= 1 {
                GEMM.multiply(rows: count, n: sz, k: sz, a: odd, lda: sz, transposed: false, b: dft.sines,
                              c: scratch.output2!, ldc: sz)
            }
            return TransformedBlock(layout: .split(re: scratch.output, im: scratch.output2!, sineSize: sz), p: p)
        default:
            let inBuf = scratch.input
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
            return TransformedBlock(layout: .interleaved(scratch.output), p: p)
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
            // A trial on 512 random neurons, best of 3. FFTW is first timed with an estimated
            // plan (cheap to make); only when that is within 2× of the GEMM is it timed again
            // with the plan the real run would use (made with the caller's effort and cached,
            // so never made twice). Clear cases (prime p: GEMM several times faster) thus cost
            // a few milliseconds, close ones (powers of two) are decided on the real plan.
            let neurons = 512
            var g = SystemRandomNumberGenerator()
            let data = Scalar._malloc(neurons * p)
            defer { Scalar._free(data) }
            for i in 0..<(neurons * p) { data[i] = Scalar(Double.random(in: -1...1, using: &g)) }
            let m = NeuronMatrix(base: UnsafePointer(data), neurons: neurons, length: p, neuronStride: p, sampleStride: 1)
            func time(_ backend: SpectrumBackend, _ planEffort: Effort) -> Double {
                let t = BlockTransform(backend: backend, matrix: m, batch: SpectrumOptions().batch, effort: planEffort, planner: self)
                let scratch = t.makeScratch()
                defer { scratch.free() }
                var fastest = Double.infinity
                for _ in 0..<3 {
                    let start = DispatchTime.now().uptimeNanoseconds
                    var first = 0
                    while first < neurons {
                        _ = t.run(first: first, count: min(t.batch, neurons - first), scratch: scratch)
                        first += t.batch
                    }
                    fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
                }
                return fastest
            }
            let gemm = time(.gemm, effort)
            var fftw = time(.fftw, .estimate)
            if fftw < 2 * gemm && effort != .estimate { fftw = min(fftw, time(.fftw, effort)) }
            return BackendChoice(backend: fftw < gemm ? .fftw : .gemm)
        }
        return choice.backend
    }
}

final class BackendChoice: Sendable {
    let backend: SpectrumBackend
    init(backend: SpectrumBackend) { self.backend = backend }
}
