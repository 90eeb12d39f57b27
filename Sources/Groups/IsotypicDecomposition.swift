import CBLAS
import Foundation
import NeuronData

/// The group Fourier transform of a batch of real functions on G and their power in each
/// real irreducible component (docs/theory.md §5), with Plancherel normalization: the powers of
/// one function sum to ‖f‖² = Σ_g f(g)², so the shares sum to 1.
///
/// Two independent routes, which the tests hold against each other:
/// * `.characters`: with the autocorrelation c(h) = Σ_x f(x) f(h⁻¹x),
///   ‖P_ρ f‖² = (d_ρ/|G|) Σ_h conj(χ_ρ(h)) c(h); only class sums of c are needed.
/// * `.matrices`: f̂(ρ) = Σ_g f(g) ρ(g) with explicit unitary irreps, P_ρ = (d_ρ/|G|)‖f̂(ρ)‖²_F.
/// A complex-type pair {ρ, ρ̄} (C_n's k and n−k, A_4's [2,2]±) is one real component whose
/// power is P_ρ + P_ρ̄; for C_n the result is the FFT spectrum of Fourier.FourierSpectra,
/// component k = real frequency bin k (the FFT's are scaled by |G|, the shares are equal).
/// The fractions depend on which sample is which element, not on the composition rule.
public enum IsotypicDecomposition {
    public enum Method: String, Sendable, CaseIterable {
        /// Characters only (any group with a character table).
        case characters
        /// Explicit matrices (Young's orthogonal form for S_n and, restricted and split, A_n;
        /// closed forms for D_n, C_n; Kronecker products). Falls back to characters when the
        /// group's kind has none (`FiniteGroup.hasExplicitIrreps`), and says so
        /// (`route(_:for:)`, `Result.note`).
        case matrices
    }

    /// The route a request takes on `group`: `.matrices` only when the kind has explicit
    /// irreps, else `.characters` with a note saying why (nil when nothing fell back).
    public static func route(_ requested: Method, for group: FiniteGroup) -> (method: Method, note: String?) {
        if requested == .matrices && !group.hasExplicitIrreps {
            return (.characters, "\(group.name) has no explicit irreps implemented; the characters route was used")
        }
        return (requested, nil)
    }

    /// A decomposition with the route it took.
    public struct Result: Sendable {
        /// The real irreducible components, in character-table order (component 0 trivial).
        public let components: [RealComponent]
        /// Power of every neuron in every component (Plancherel normalization).
        public let table: PowerTable
        /// The route actually used.
        public let method: Method
        /// Why the requested route was not used, or nil.
        public let note: String?
    }

    /// As `powers(_:group:sampleElements:includeTrivial:method:threads:)`, also telling which
    /// route was used and why when it is not the requested one.
    public static func decompose<S: NeuronScalar>(_ matrix: NeuronMatrix<S>, group: FiniteGroup, sampleElements: [Int]? = nil,
                                                includeTrivial: Bool = false, method: Method = .characters,
                                                threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> Result {
        let r = route(method, for: group)
        let (components, table) = powers(matrix, group: group, sampleElements: sampleElements, includeTrivial: includeTrivial,
                                         method: r.method, threads: threads)
        return Result(components: components, table: table, method: r.method, note: r.note)
    }

    /// Per-neuron power in each real irreducible component of `group`. Sample a of the
    /// matrix is element a (docs/theory.md §6 default order). Component 0 is the trivial one,
    /// excluded from the normalization and the maximum unless `includeTrivial`.
    public static func powers<S: NeuronScalar>(_ matrix: NeuronMatrix<S>, group: FiniteGroup, includeTrivial: Bool = false,
                                            method: Method = .characters) -> (components: [RealComponent], table: PowerTable) {
        powers(matrix, group: group, sampleElements: nil, includeTrivial: includeTrivial, method: method)
    }

    /// As above, with `sampleElements[a]` the element of sample a (from
    /// `FiniteGroup.reorder(byPermutations:oneBased:)`); nil for the default order.
    public static func powers<S: NeuronScalar>(_ matrix: NeuronMatrix<S>, group: FiniteGroup, sampleElements: [Int]?,
                                            includeTrivial: Bool = false, method: Method = .characters,
                                            threads: Int = ProcessInfo.processInfo.activeProcessorCount)
        -> (components: [RealComponent], table: PowerTable) {
        let t = group.characterTable
        let comps = t.realComponents
        let ip = irrepPowers(matrix, group: group, sampleElements: sampleElements, method: method, threads: threads)
        let k = t.irrepCount, n = matrix.neurons
        var out = [Double](repeating: 0, count: n * comps.count)
        for j in 0..<n {
            for (c, comp) in comps.enumerated() {
                var s = 0.0
                for i in comp.irreps { s += ip[j * k + i] }
                out[j * comps.count + c] = max(s, 0)
            }
        }
        let tol: Double = S.self == Float.self ? 1e-10 : 1e-24
        return (comps, PowerTable(neuronCount: n, componentCount: comps.count, trivialComponent: 0,
                                  includeTrivial: includeTrivial, zeroTolerance: tol, powers: out))
    }

    /// Power of every neuron in every complex irrep (character-table order), row-major
    /// neurons × irreps, Plancherel-normalized (Σ over irreps = ‖f‖²).
    public static func irrepPowers<S: NeuronScalar>(_ matrix: NeuronMatrix<S>, group: FiniteGroup, sampleElements: [Int]? = nil,
                                                 method: Method = .characters,
                                                 threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [Double] {
        precondition(matrix.length == group.order, "the matrix has \(matrix.length) samples per neuron; |G| = \(group.order)")
        if let se = sampleElements { precondition(se.count == group.order) }
        let useMatrices = route(method, for: group).method == .matrices
        return useMatrices ? matrixRoute(matrix, group, sampleElements, threads)
                           : characterRoute(matrix, group, sampleElements, threads)
    }

    /// Component powers of one function f (f[g] = value at element g).
    public static func powers(of f: [Double], group: FiniteGroup, method: Method = .characters) -> [Double] {
        f.withUnsafeBufferPointer { b in
            let m = NeuronMatrix(base: b.baseAddress!, neurons: 1, length: f.count, neuronStride: f.count, sampleStride: 1)
            return powers(m, group: group, includeTrivial: true, method: method).table.powers
        }
    }

    // MARK: - gathering

    /// Copies neurons first..<first+count into dst element-major (dst[x · count + j]), with
    /// sample a stored at element elem[a].
    static func gather<S: NeuronScalar>(_ m: NeuronMatrix<S>, first: Int, count: Int, elements: [Int]?,
                                      into dst: UnsafeMutablePointer<Double>) {
        let o = m.length
        if m.neuronStride == 1 {
            // Neurons contiguous per sample (an element-major weight matrix): read row by row,
            // with the conversion to Double in concrete types (not through the protocol).
            let raw = UnsafeRawPointer(m.base)
            for a in 0..<o {
                let offset = a * m.sampleStride + first
                let d = dst + (elements?[a] ?? a) * count
                if S.self == Double.self {
                    d.update(from: raw.assumingMemoryBound(to: Double.self) + offset, count: count)
                } else if S.self == Float.self {
                    let src = raw.assumingMemoryBound(to: Float.self) + offset
                    for j in 0..<count { d[j] = Double(src[j]) }
                } else {
                    for j in 0..<count { d[j] = Double(m.base[offset + j]) }
                }
            }
            return
        }
        for j in 0..<count {
            let src = m.base + (first + j) * m.neuronStride
            for a in 0..<o { dst[(elements?[a] ?? a) * count + j] = Double(src[a * m.sampleStride]) }
        }
    }

    // MARK: - characters route

    static func characterRoute<S: NeuronScalar>(_ m: NeuronMatrix<S>, _ group: FiniteGroup, _ elements: [Int]?, _ threads: Int) -> [Double] {
        let t = group.characterTable
        let o = group.order, n = m.neurons, k = t.irrepCount, cc = t.classCount
        var out = [Double](repeating: 0, count: n * k)
        if n == 0 { return out }
        let inv = group.inverses
        let classOf = t.elementClasses!
        // Row h of the left translation x ↦ h⁻¹x, from the multiplication table when it is
        // cheap to hold, else computed per row.
        let table: MultiplicationTable? = o <= 6000 ? group.multiplicationTable : nil
        // Weights w[ρ][C] = (d_ρ/|G|) Re χ_ρ(C).
        var wBuild = [Double](repeating: 0, count: k * cc)
        for i in 0..<k { for c in 0..<cc { wBuild[i * cc + c] = Double(t.irreps[i].degree) / Double(o) * t.real(i, c) } }
        let w = wBuild
        let block = max(8, min(256, 32768 / max(o, 1) * 8))
        let blocks = (n + block - 1) / block
        let workers = max(1, min(threads, blocks))
        out.withUnsafeMutableBufferPointer { ob in
            let shared = SharedMutablePointer(ob.baseAddress!)
            parallelWorkers(workers) { wk in
                let T = UnsafeMutablePointer<Double>.allocate(capacity: o * block)
                let S = UnsafeMutablePointer<Double>.allocate(capacity: cc * block)
                var row = [Int32](repeating: 0, count: o)
                defer { T.deallocate(); S.deallocate() }
                var bi = wk
                while bi < blocks {
                    let first = bi * block, cnt = min(block, n - first)
                    gather(m, first: first, count: cnt, elements: elements, into: T)
                    S.initialize(repeating: 0, count: cc * cnt)
                    for h in 0..<o {
                        let hinv = Int(inv[h])
                        let acc = S + Int(classOf[h]) * cnt
                        if let table {
                            table.entries.withUnsafeBufferPointer { e in
                                correlate(T, e.baseAddress! + hinv * o, o, cnt, acc)
                            }
                        } else {
                            for x in 0..<o { row[x] = Int32(group.multiply(hinv, x)) }
                            row.withUnsafeBufferPointer { correlate(T, $0.baseAddress!, o, cnt, acc) }
                        }
                    }
                    for j in 0..<cnt {
                        for i in 0..<k {
                            var p = 0.0
                            for c in 0..<cc { p += w[i * cc + c] * S[c * cnt + j] }
                            shared.pointer[(first + j) * k + i] = p
                        }
                    }
                    bi += workers
                }
            }
        }
        return out
    }

    /// acc[j] += Σ_x T[x][j] · T[π(x)][j], vectorised over the neurons j.
    @inline(__always)
    static func correlate(_ T: UnsafeMutablePointer<Double>, _ perm: UnsafePointer<Int32>, _ o: Int, _ cnt: Int,
                          _ acc: UnsafeMutablePointer<Double>) {
        for x in 0..<o {
            let a = T + x * cnt, b = T + Int(perm[x]) * cnt
            for j in 0..<cnt { acc[j] += a[j] * b[j] }
        }
    }

    // MARK: - matrix route

    static func matrixRoute<S: NeuronScalar>(_ m: NeuronMatrix<S>, _ group: FiniteGroup, _ elements: [Int]?, _ threads: Int) -> [Double] {
        let t = group.characterTable
        let o = group.order, n = m.neurons, k = t.irrepCount
        let (basis, columnsOf) = (group.storage.cachedIsotypicBasis { IsotypicBasis(group) }).parts
        let K = basis.count / max(o, 1)
        let weight = (0..<k).map { Double(t.irreps[$0].degree) / Double(o) }
        var out = [Double](repeating: 0, count: n * k)
        if n == 0 { return out }
        // Blocks of neurons: Fᵀ (F stored |G| × block, element-major) times the basis (|G| × K) in one
        // dgemm, then the sum of squares of each irrep's columns.
        let block = max(16, min(256, (1 << 17) / max(o, 1)))
        let chunks = (n + block - 1) / block
        let workers = max(1, min(threads, chunks))
        let cols = columnsOf
        useSingleThreadedBLAS()
        basis.withUnsafeBufferPointer { bb in
            let shared = SharedMutablePointer(UnsafeMutablePointer(mutating: bb.baseAddress!))
            out.withUnsafeMutableBufferPointer { ob in
                let so = SharedMutablePointer(ob.baseAddress!)
                parallelWorkers(workers) { wk in
                    let B = UnsafePointer(shared.pointer)
                    let F = UnsafeMutablePointer<Double>.allocate(capacity: block * o)
                    let Y = UnsafeMutablePointer<Double>.allocate(capacity: block * K)
                    defer { F.deallocate(); Y.deallocate() }
                    var ci = wk
                    while ci < chunks {
                        let first = ci * block, cnt = min(block, n - first)
                        gather(m, first: first, count: cnt, elements: elements, into: F)
                        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cnt), Int32(K), Int32(o), 1,
                                    F, Int32(cnt), B, Int32(K), 0, Y, Int32(K))
                        for j in 0..<cnt {
                            for i in 0..<k {
                                var s = 0.0
                                for c in cols[i] { let v = Y[j * K + c]; s += v * v }
                                so.pointer[(first + j) * k + i] = weight[i] * s
                            }
                        }
                        ci += workers
                    }
                }
            }
        }
        return out
    }
}

/// The matrix route's basis: row g holds the real and imaginary parts of every entry of every
/// irrep's ρ(g) (|G| × K, row-major), columns grouped by irrep.
struct IsotypicBasis: Sendable {
    let basis: [Double]
    let columns: [Range<Int>]
    var parts: ([Double], [Range<Int>]) { (basis, columns) }

    init(_ group: FiniteGroup) {
        let o = group.order, k = group.characterTable.irrepCount
        var columnsOf: [Range<Int>] = []
        var columnCount = 0
        var mats: [[RepresentationMatrix]] = []
        for i in 0..<k {
            let ms = (0..<o).map { group.irrepMatrix(i, $0)! }
            let d = ms[0].dimension
            let complex = ms.contains { $0.imaginary != nil }
            let cols = d * d * (complex ? 2 : 1)
            columnsOf.append(columnCount..<(columnCount + cols)); columnCount += cols
            mats.append(ms)
        }
        let K = columnCount
        var basis = [Double](repeating: 0, count: o * K)
        for i in 0..<k {
            let r = columnsOf[i], dd = mats[i][0].dimension * mats[i][0].dimension
            for g in 0..<o {
                let mg = mats[i][g]
                for e in 0..<dd { basis[g * K + r.lowerBound + e] = mg.real[e] }
                if r.count > dd { for e in 0..<dd { basis[g * K + r.lowerBound + dd + e] = mg.imaginary?[e] ?? 0 } }
            }
        }
        self.basis = basis
        columns = columnsOf
    }
}
