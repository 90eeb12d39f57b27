import CFFTW
import Foundation

/// Power of functions on C_n × C_n in the real blocks (k, l) of the two-dimensional DFT
/// (docs/attribution.md §6): block (k, l), 0 ≤ k, l ≤ ⌊n/2⌋, holds the DFT bins (±k, ±l), and
/// with Parseval's normalization the blocks of one function sum to Σ_{a,b} h(a, b)².
///
/// The transforms are FFTW's two-dimensional real-to-complex plans (`fftw_plan_many_dft_r2c`
/// of rank 2), planned with `FFTW_ESTIMATE` so that the numbers do not depend on timing.
public enum TwoDimensionalSpectra {
    /// Number of real frequencies of C_n: ⌊n/2⌋ + 1.
    public static func frequencies(_ n: Int) -> Int { n / 2 + 1 }

    /// Block powers of `count` functions h_i on C_n × C_n, function i's value at (a, b) at
    /// `values[(a·n + b)·stride + i]` (the layout of `GroupTaskNetwork.neuronActivations`).
    /// Returns `count × F × F` values (F = ⌊n/2⌋ + 1), row-major: `out[(i·F + k)·F + l]` is the
    /// power of h_i in block (k, l) — k the frequency in a, l in b.
    ///
    /// The functions are transformed `batch` at a time (one plan of that many transforms; the
    /// last batch padded with zeros), by default min(count, 16). A caller that splits one set of
    /// functions into pieces passes the batch of the whole set, so that every function goes
    /// through the same plan as in one call.
    public static func blockPowers(_ values: UnsafePointer<Double>, order n: Int, count: Int, stride: Int,
                                   batch batchSize: Int? = nil) -> [Double] {
        precondition(n >= 1 && count >= 0 && stride >= count && (batchSize ?? 1) >= 1)
        let F = frequencies(n), half = n / 2 + 1
        var out = [Double](repeating: 0, count: count * F * F)
        if count == 0 { return out }
        // Small batches of functions (the gather from the interleaved layout stays in cache),
        // contiguous n × n inputs (FFTW-aligned), n × (n/2+1) outputs.
        let batch = batchSize ?? max(1, min(count, 16))
        let input = Double._malloc(batch * n * n)
        let output = UnsafeMutableRawPointer(Double._malloc(2 * batch * n * half)).assumingMemoryBound(to: Double.self)
        defer { Double._free(input); Double._free(UnsafeMutableRawPointer(output)) }
        let plan2D: OpaquePointer = FFTWPlanner.shared.withLock {
            var dims: [Int32] = [Int32(n), Int32(n)]
            return fftw_plan_many_dft_r2c(2, &dims, Int32(batch), input, nil, 1, Int32(n * n),
                                          UnsafeMutableRawPointer(output).assumingMemoryBound(to: fftw_complex.self), nil, 1,
                                          Int32(n * half), FFTW_ESTIMATE_FLAG)!
        }
        defer { FFTWPlanner.shared.withLock { fftw_destroy_plan(plan2D) } }
        let scale = 1 / Double(n * n)
        var first = 0
        while first < count {
            let cnt = min(batch, count - first)
            for a in 0..<n { for b in 0..<n {
                let src = values + (a * n + b) * stride + first
                let p = a * n + b
                for j in 0..<cnt { input[j * n * n + p] = src[j] }
                for j in cnt..<batch { input[j * n * n + p] = 0 }
            } }
            fftw_execute_dft_r2c(plan2D, input, UnsafeMutableRawPointer(output).assumingMemoryBound(to: fftw_complex.self))
            for j in 0..<cnt {
                let base = (first + j) * F * F
                for k1 in 0..<n {
                    let k = min(k1, n - k1)
                    for k2 in 0..<half {
                        let o = (j * n * half + k1 * half + k2) * 2
                        let re = output[o], im = output[o + 1]
                        // Bins (k1, k2) with 0 < k2 < n/2 stand for their conjugates (−k1, −k2) too.
                        let w: Double = (k2 == 0 || (n % 2 == 0 && k2 == n / 2)) ? 1 : 2
                        out[base + k * F + k2] += w * (re * re + im * im) * scale
                    }
                }
            }
            first += cnt
        }
        return out
    }
}
