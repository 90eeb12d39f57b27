import CFFTW
import Foundation
import NeuronData

// FFTW planner flags (fftw3.h defines them as macros Swift does not import).
let FFTW_MEASURE_FLAG: UInt32 = 0
let FFTW_UNALIGNED_FLAG: UInt32 = 1 << 1
let FFTW_ESTIMATE_FLAG: UInt32 = 1 << 6

/// Floating-point types FFTW has a precision for: `Float` (fftwf_*) and `Double` (fftw_*).
/// Refines NeuronData's `NeuronScalar` (the weight types every module accepts) with the
/// FFTW entry points of each precision, so a `NeuronMatrix<S>` with `S: FFTWScalar` is the
/// same matrix type Groups decomposes.
public protocol FFTWScalar: NeuronScalar {
    /// Plans `howmany` real-to-complex transforms of length `n`, input element `j` of
    /// transform `t` at `input[t·idist + j·istride]`, output bin `k` of transform `t` at
    /// complex `output[t·odist + k·ostride]` (interleaved re, im). Not thread-safe: call under
    /// the planner lock.
    static func _planR2C(n: Int32, howmany: Int32, input: UnsafeMutablePointer<Self>, istride: Int32, idist: Int32,
                         output: UnsafeMutableRawPointer, ostride: Int32, odist: Int32, flags: UInt32) -> OpaquePointer?
    /// New-array execute of a plan (thread-safe).
    static func _execute(_ plan: OpaquePointer, input: UnsafeMutablePointer<Self>, output: UnsafeMutableRawPointer)
    static func _destroy(_ plan: OpaquePointer)
    static func _malloc(_ count: Int) -> UnsafeMutablePointer<Self>
    static func _free(_ p: UnsafeMutableRawPointer)
    /// Name used in plan keys and messages.
    static var precisionName: String { get }
}

extension Double: FFTWScalar {
    public static func _planR2C(n: Int32, howmany: Int32, input: UnsafeMutablePointer<Double>, istride: Int32, idist: Int32,
                                output: UnsafeMutableRawPointer, ostride: Int32, odist: Int32, flags: UInt32) -> OpaquePointer? {
        var len = n
        return fftw_plan_many_dft_r2c(1, &len, howmany, input, nil, istride, idist,
                                      output.assumingMemoryBound(to: fftw_complex.self), nil, ostride, odist, flags)
    }
    public static func _execute(_ plan: OpaquePointer, input: UnsafeMutablePointer<Double>, output: UnsafeMutableRawPointer) {
        fftw_execute_dft_r2c(plan, input, output.assumingMemoryBound(to: fftw_complex.self))
    }
    public static func _destroy(_ plan: OpaquePointer) { fftw_destroy_plan(plan) }
    public static func _malloc(_ count: Int) -> UnsafeMutablePointer<Double> {
        fftw_malloc(max(count, 1) * MemoryLayout<Double>.stride)!.assumingMemoryBound(to: Double.self)
    }
    public static func _free(_ p: UnsafeMutableRawPointer) { fftw_free(p) }
    public static var precisionName: String { "double" }
}

extension Float: FFTWScalar {
    public static func _planR2C(n: Int32, howmany: Int32, input: UnsafeMutablePointer<Float>, istride: Int32, idist: Int32,
                                output: UnsafeMutableRawPointer, ostride: Int32, odist: Int32, flags: UInt32) -> OpaquePointer? {
        var len = n
        return fftwf_plan_many_dft_r2c(1, &len, howmany, input, nil, istride, idist,
                                       output.assumingMemoryBound(to: fftwf_complex.self), nil, ostride, odist, flags)
    }
    public static func _execute(_ plan: OpaquePointer, input: UnsafeMutablePointer<Float>, output: UnsafeMutableRawPointer) {
        fftwf_execute_dft_r2c(plan, input, output.assumingMemoryBound(to: fftwf_complex.self))
    }
    public static func _destroy(_ plan: OpaquePointer) { fftwf_destroy_plan(plan) }
    public static func _malloc(_ count: Int) -> UnsafeMutablePointer<Float> {
        fftwf_malloc(max(count, 1) * MemoryLayout<Float>.stride)!.assumingMemoryBound(to: Float.self)
    }
    public static func _free(_ p: UnsafeMutableRawPointer) { fftwf_free(p) }
    public static var precisionName: String { "single" }
}

/// The shape of a batch of real-to-complex transforms a plan is made for.
public struct R2CBatchLayout: Hashable, Sendable {
    /// Transform length (p).
    public var length: Int
    /// Number of transforms executed at once.
    public var howmany: Int
    /// Distance between consecutive samples of one transform, in elements.
    public var inputStride: Int
    /// Distance between the first samples of consecutive transforms, in elements.
    public var inputDistance: Int
    /// Distance between consecutive frequency bins of one transform's output, in complex values.
    public var outputStride: Int
    /// Distance between the outputs of consecutive transforms, in complex values.
    public var outputDistance: Int

    /// Transform-major layout: transform t's sample j at `t·length + j`, bin k at `t·(length/2+1) + k`.
    public static func rows(length: Int, howmany: Int) -> R2CBatchLayout {
        R2CBatchLayout(length: length, howmany: howmany, inputStride: 1, inputDistance: length,
                       outputStride: 1, outputDistance: length / 2 + 1)
    }


    /// Elements of input the batch spans.
    public var inputSpan: Int { (howmany - 1) * inputDistance + (length - 1) * inputStride + 1 }
    /// Complex values of output the batch spans.
    public var outputSpan: Int { (howmany - 1) * outputDistance + (length / 2) * outputStride + 1 }
}

/// A batched real-to-complex FFTW plan, executed with new-array execute on any arrays of the
/// layout it was made for. Plans are made on SIMD-aligned arrays, so the arrays passed to
/// `execute` must be allocated by `FFTWScalar._malloc` (FFTW's aligned allocator) unless the
/// plan was made `unaligned`. Destroys itself, under the planner lock.
public final class R2CPlan<Scalar: FFTWScalar>: @unchecked Sendable {
    public let layout: R2CBatchLayout
    private let plan: OpaquePointer
    private let planner: FFTWPlanner

    init(plan: OpaquePointer, layout: R2CBatchLayout, planner: FFTWPlanner) {
        self.plan = plan; self.layout = layout; self.planner = planner
    }

    /// Transforms the batch whose first sample is `input[0]` into `output` (`layout.outputSpan`
    /// complex values, interleaved). Thread-safe: FFTW's execute functions may run concurrently.
    /// The input is only read (out-of-place r2c preserves its input).
    public func execute(input: UnsafePointer<Scalar>, output: UnsafeMutableRawPointer) {
        Scalar._execute(plan, input: UnsafeMutablePointer(mutating: input), output: output)
    }

    deinit {
        let p = plan
        planner.withLock { Scalar._destroy(p) }
    }
}

/// Makes and caches FFTW plans. FFTW's planner is the one part of FFTW that is not
/// thread-safe, and its state is global to the process, so every planner call (and plan
/// destruction) of every `FFTWPlanner` runs under one process-wide lock; executing plans
/// needs no lock. Each planner object keeps its own cache of plans per (precision, layout).
public final class FFTWPlanner: @unchecked Sendable {
    /// The planner the library uses by default (one plan cache for the process).
    public static let shared = FFTWPlanner()

    /// FFTW keeps global planner state (wisdom): one lock for the whole process, shared by
    /// every planner object, is the only safe choice.
    private static let fftwLock = NSLock()

    /// How hard the planner works. `measure` times candidate algorithms on scratch arrays
    /// (better plans, slower planning); `estimate` picks by heuristics.
    public enum Effort: Sendable { case estimate, measure }

    /// Scratch arrays for measuring are allocated only up to this many elements; larger
    /// layouts are planned with `estimate`.
    public let measureScratchLimit: Int

    private var cache: [String: AnyObject] = [:]

    public init(measureScratchLimit: Int = 1 << 25) {
        self.measureScratchLimit = measureScratchLimit
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        Self.fftwLock.lock(); defer { Self.fftwLock.unlock() }
        return try body()
    }

    /// The cached plan for `layout`, making it on first use.
    /// `unaligned` plans accept arrays of any alignment (FFTW then uses no SIMD codelets).
    public func plan<Scalar: FFTWScalar>(_ layout: R2CBatchLayout, effort: Effort = .measure, unaligned: Bool = false,
                                         as: Scalar.Type = Scalar.self) -> R2CPlan<Scalar> {
        let key = "\(Scalar.precisionName)/\(layout)/\(effort)/\(unaligned)"
        return withLock {
            if let p = cache[key] as? R2CPlan<Scalar> { return p }
            precondition(layout.length >= 1 && layout.howmany >= 1)
            precondition(layout.length <= Int(Int32.max) && layout.howmany <= Int(Int32.max)
                         && layout.inputStride <= Int(Int32.max) && layout.inputDistance <= Int(Int32.max)
                         && layout.outputStride <= Int(Int32.max) && layout.outputDistance <= Int(Int32.max),
                         "FFTW layout exceeds 32-bit strides")
            let measure = effort == .measure && layout.inputSpan <= measureScratchLimit
            let input = Scalar._malloc(layout.inputSpan)
            let output = Scalar._malloc(2 * layout.outputSpan)
            defer { Scalar._free(input); Scalar._free(output) }
            let flags = (unaligned ? FFTW_UNALIGNED_FLAG : 0) | (measure ? FFTW_MEASURE_FLAG : FFTW_ESTIMATE_FLAG)
            guard let raw = Scalar._planR2C(n: Int32(layout.length), howmany: Int32(layout.howmany), input: input,
                                            istride: Int32(layout.inputStride), idist: Int32(layout.inputDistance),
                                            output: UnsafeMutableRawPointer(output),
                                            ostride: Int32(layout.outputStride), odist: Int32(layout.outputDistance),
                                            flags: flags) else {
                fatalError("FFTW could not plan \(layout)")
            }
            let p = R2CPlan<Scalar>(plan: raw, layout: layout, planner: self)
            cache[key] = p
            return p
        }
    }

    /// A cached object for `key`, made by `make` on first use. `make` runs outside the lock
    /// (it may itself ask for plans); if two threads race, the first stored object wins.
    func cached<T: AnyObject>(key: String, _ make: () -> T) -> T {
        if let hit = withLock({ cache[key] }) as? T { return hit }
        let made = make()
        return withLock {
            if let hit = cache[key] as? T { return hit }
            cache[key] = made
            return made
        }
    }

}
