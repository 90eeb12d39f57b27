import CBLAS
import Foundation
import NeuronData

/// The real DFT of length p as two dense matrices, for computing many short transforms
/// with BLAS matrix products (`sgemm`/`dgemm`).
///
/// With h = ⌊p/2⌋ and the folded inputs e[0] = u[0], e[a] = u[a] + u[p−a] (0 < a < p/2),
/// e[p/2] = u[p/2] (p even) and o[a] = u[a] − u[p−a] (0 < a < p/2), the symmetries
/// cos(2πk(p−a)/p) = cos(2πka/p) and sin(2πk(p−a)/p) = −sin(2πka/p) give
/// Re X_k = Σ_{a=0…h} e[a] cos(2πka/p) and −Im X_k = Σ_{0<a<p/2} o[a] sin(2πka/p)
/// (docs/theory.md §4: X_k = Σ_a u[a] e^{−2πika/p}). `cosines` is (h+1) × (h+1) (rows a, columns
/// k = 0…h) and `sines` is s × s with s = ⌈p/2⌉ − 1 (rows a − 1, columns k − 1): about p²/2
/// multiply-adds per neuron instead of p². Entries are computed in Double from the exact
/// residue k·a mod p, then rounded once to the working precision.
///
/// Why: for prime p (71, 113 — the usual moduli) FFTW falls back to Rader's algorithm, which
/// costs more per transform than these products at GEMM speed. `FourierSpectra` measures both
/// and keeps the faster (`SpectrumOptions.backend`).
public final class RealDFTMatrix<Scalar: FFTWScalar>: @unchecked Sendable {
    public let length: Int
    /// h + 1 = ⌊p/2⌋ + 1: rows and columns of `cosines`.
    public let cosineSize: Int
    /// ⌈p/2⌉ − 1: rows and columns of `sines`.
    public let sineSize: Int
    /// Row-major (h+1) × (h+1).
    public let cosines: UnsafeMutablePointer<Scalar>
    /// Row-major s × s.
    public let sines: UnsafeMutablePointer<Scalar>

    public init(length p: Int) {
        length = p
        let h = p / 2
        cosineSize = h + 1
        sineSize = (p + 1) / 2 - 1
        cosines = UnsafeMutablePointer<Scalar>.allocate(capacity: max(cosineSize * cosineSize, 1))
        sines = UnsafeMutablePointer<Scalar>.allocate(capacity: max(sineSize * sineSize, 1))
        for a in 0...h {
            for k in 0...h {
                cosines[a * cosineSize + k] = Scalar(cos(2 * Double.pi * Double((k * a) % p) / Double(p)))
            }
        }
        for a in 0..<sineSize {
            for k in 0..<sineSize {
                sines[a * sineSize + k] = Scalar(sin(2 * Double.pi * Double(((k + 1) * (a + 1)) % p) / Double(p)))
            }
        }
    }

    deinit { cosines.deallocate(); sines.deallocate() }
}

/// Matrix products in the working precision, in the calling thread (`useSingleThreadedBLAS`).
enum GEMM {
    static var singleThreaded: Void { useSingleThreadedBLAS() }

    /// C (rows × n, row-major, ldc) = A (rows × k) · B (k × n, row-major, ldb = n). A is
    /// row-major with leading dimension `lda` (≥ k), or, when `transposed`, A's transpose is
    /// row-major with leading dimension `lda` (≥ rows).
    static func multiply<Scalar: FFTWScalar>(rows: Int, n: Int, k: Int, a: UnsafePointer<Scalar>, lda: Int, transposed: Bool,
                                             b: UnsafePointer<Scalar>, c: UnsafeMutablePointer<Scalar>, ldc: Int) {
        _ = singleThreaded
        let trans = transposed ? CblasTrans : CblasNoTrans
        if Scalar.self == Float.self {
            cblas_sgemm(CblasRowMajor, trans, CblasNoTrans, Int32(rows), Int32(n), Int32(k), 1,
                        UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), Int32(n), 0,
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), Int32(ldc))
        } else {
            cblas_dgemm(CblasRowMajor, trans, CblasNoTrans, Int32(rows), Int32(n), Int32(k), 1,
                        UnsafeRawPointer(a).assumingMemoryBound(to: Double.self), Int32(lda),
                        UnsafeRawPointer(b).assumingMemoryBound(to: Double.self), Int32(n), 0,
                        UnsafeMutableRawPointer(c).assumingMemoryBound(to: Double.self), Int32(ldc))
        }
    }
}
