import CBLAS
import Foundation

/// The real DFT of length p as a dense p × p matrix, for computing many short transforms with
/// one BLAS matrix product (`sgemm`/`dgemm`).
///
/// Column k (0 ≤ k ≤ ⌊p/2⌋) holds cos(2πka/p); column ⌊p/2⌋ + k (1 ≤ k < p/2) holds
/// sin(2πka/p). For a row u, (u·M)_k = Re X_k and (u·M)_{⌊p/2⌋+k} = −Im X_k with
/// X_k = Σ_a u[a] e^{−2πika/p} (THEORY.md §4). Entries are computed in Double from the exact
/// residue k·a mod p, then rounded once to the working precision.
///
/// Why: for prime p (71, 113 — the usual moduli) FFTW falls back to Rader's algorithm, which
/// costs about as much per transform as the p² multiply-adds of the dense product, while a
/// tuned GEMM runs those at close to peak FLOP rate. `FourierSpectra` measures both and keeps
/// the faster (`SpectrumOptions.backend`).
public final class RealDFTMatrix<Scalar: FFTWScalar>: @unchecked Sendable {
    public let length: Int
    /// Row-major p × p.
    public let entries: UnsafeMutablePointer<Scalar>

    public init(length p: Int) {
        length = p
        entries = UnsafeMutablePointer<Scalar>.allocate(capacity: p * p)
        let half = p / 2
        for a in 0..<p {
            for k in 0...half {
                let t = 2 * Double.pi * Double((k * a) % p) / Double(p)
                entries[a * p + k] = Scalar(cos(t))
                if k > 0 && 2 * k < p { entries[a * p + half + k] = Scalar(sin(t)) }
            }
        }
    }

    deinit { entries.deallocate() }
}

/// Matrix products in the working precision. OpenBLAS's own threads are switched off: the
/// callers run one product per worker thread.
enum GEMM {
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()

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
