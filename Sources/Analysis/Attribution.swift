import CBLAS
import CKernels
import Checkpoints
import Foundation
import Fourier
import Groups

/// What to compute for the function-level attribution of docs/attribution.md.
public struct AttributionOptions: Sendable {
    /// τ: a component is key when its logit similarity exceeds it (docs/attribution.md §4).
    public var threshold = 0.005
    /// A subset of the pairs (e.g. the training pairs, `PairList.read`) on which the losses are
    /// also reported; nil for all pairs only. Elements are indices in the group's default order.
    public var pairs: PairList? = nil
    /// A pairs file to read into `pairs` once the group is known (`Analyzer` reads it).
    public var pairsFile: String? = nil
    /// Whether to compute the hidden-layer measures (docs/attribution.md §6) when the family
    /// gives neuron activations.
    public var hidden = true
    public init() {}
    /// Threshold τ and an optional pairs file (read once the group is known).
    public init(threshold: Double, pairsFile: String?) { self.threshold = threshold; self.pairsFile = pairsFile }
}

/// A list of input pairs (a, b), element indices in the group's default order.
public struct PairList: Sendable, Equatable {
    /// Flattened: pair k is (values[2k], values[2k+1]).
    public let values: [Int32]
    public var count: Int { values.count / 2 }
    public init(_ pairs: [(Int, Int)]) { values = pairs.flatMap { [Int32($0.0), Int32($0.1)] } }
    init(flat: [Int32]) { values = flat }

    /// Most pairs a file may list (|G|² ≤ 2^26 for every group attribution runs on, with repeats
    /// allowed up to this bound).
    public static let maximumCount = 1 << 26

    /// Reads a pairs file (docs/attribution.md §8): a JSON list of [a, b] pairs of integers, or a
    /// NumPy .npy integer array of shape (k, 2). Every element must lie in 0..<`order`; the error
    /// names the file and what is wrong.
    public static func read(_ path: String, order: Int) throws -> PairList {
        let url = URL(fileURLWithPath: path)
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else { throw AnalysisError("\(path): cannot read the pairs file") }
        guard size <= 1 << 30 else { throw AnalysisError("\(path): \(size) bytes is too large for a pairs file") }
        var flat: [Int32] = []
        if path.lowercased().hasSuffix(".npy") {
            let ck: Checkpoint
            do { ck = try CheckpointLoader.load(path: path) } catch { throw AnalysisError("\(path): not a readable .npy array (\(error))") }
            guard let t = ck.tensors.first, ck.tensors.count == 1 else { throw AnalysisError("\(path): expected one array") }
            guard !t.dtype.isFloatingPoint else { throw AnalysisError("\(path): the pairs must be integers (the array is \(t.dtype))") }
            guard t.rank == 2, t.shape[1] == 2 else { throw AnalysisError("\(path): the pairs array must have shape (k, 2); it has \(t.shape)") }
            guard t.shape[0] <= maximumCount else { throw AnalysisError("\(path): \(t.shape[0]) pairs exceed the limit of \(maximumCount)") }
            let values: [Double]
            do { values = try t.doubleValues() } catch { throw AnalysisError("\(path): cannot read the array (\(error))") }
            flat.reserveCapacity(values.count)
            for (k, x) in values.enumerated() {
                guard x >= 0, x < Double(order), x == x.rounded() else {
                    throw AnalysisError("\(path): pair \(k / 2) has element \(x), outside 0..<\(order)")
                }
                flat.append(Int32(x))
            }
        } else {
            let data: Data
            do { data = try Data(contentsOf: url) } catch { throw AnalysisError("\(path): cannot read the pairs file (\(error.localizedDescription))") }
            let json: Any
            do { json = try JSONSerialization.jsonObject(with: data) } catch {
                throw AnalysisError("\(path): not JSON (expected a list of [a, b] pairs, or a .npy array)")
            }
            guard let list = json as? [Any] else { throw AnalysisError("\(path): expected a JSON list of [a, b] pairs") }
            guard list.count <= maximumCount else { throw AnalysisError("\(path): \(list.count) pairs exceed the limit of \(maximumCount)") }
            flat.reserveCapacity(2 * list.count)
            for (k, item) in list.enumerated() {
                guard let p = item as? [Any], p.count == 2 else { throw AnalysisError("\(path): entry \(k) is not a pair [a, b]") }
                for x in p {
                    guard let v = x as? NSNumber, String(cString: v.objCType) != "c", let i = Int(exactly: v.doubleValue), i >= 0, i < order else {
                        throw AnalysisError("\(path): entry \(k) has \(x), not an element index in 0..<\(order)")
                    }
                    flat.append(Int32(i))
                }
            }
        }
        guard !flat.isEmpty else { throw AnalysisError("\(path): the pairs file lists no pairs") }
        return PairList(flat: flat)
    }
}

/// The attribution of one real component ρ (docs/attribution.md §3–§7).
public struct ComponentAttribution: Sendable {
    /// Index into `GroupAnalysis.componentLabels`.
    public let component: Int
    /// s_ρ = ⟨L̃, T_ρ⟩ / (‖L̃‖ ‖T_ρ‖).
    public let logitSimilarity: Double
    /// s_ρ > τ.
    public let key: Bool
    /// Mean cross-entropy over all pairs of the logits projected on T_ρ alone, and of the
    /// centered logits minus that projection.
    public let restrictedLoss: Double
    public let excludedLoss: Double
    /// The same on the given pairs (`AttributionOptions.pairs`), nil without them.
    public let restrictedLossOnPairs: Double?
    public let excludedLossOnPairs: Double?
    /// Σ_i P_ρ(x_i) / Σ_i ‖x_i‖² over the input roles (every role but "w") and over w.
    public let embeddingShare: Double?
    public let unembeddingShare: Double?
    /// Hidden neurons whose component (`HiddenNeuronAttribution.component`) is ρ; nil without
    /// hidden-layer measures.
    public let neurons: Int?
}

/// The hidden-layer measures of one neuron (docs/attribution.md §6).
public struct HiddenNeuronAttribution: Sendable {
    /// The component ρ ≠ trivial whose blocks (ρ, 1), (1, ρ), (ρ, ρ) of the power over G × G hold
    /// the largest share of the neuron's variance (for C_p: Nanda et al.'s neuron frequency);
    /// nil for a constant neuron.
    public let component: Int?
    /// That share.
    public let fraction: Double?
    /// Per component: |G| ‖P_ρ f_i‖² / ‖h̃_i‖², f_i the mean of h̃_i over the pairs with one
    /// product (the part of the neuron that is a function of a·b). Empty for a constant neuron.
    public let productShares: [Double]
    /// The product share in the neuron's own component.
    public var productShare: Double? { component.map { productShares[$0] } }
}

/// Function-level attribution of a network on a group task (docs/attribution.md): which
/// components its logits and hidden neurons use.
public struct Attribution: Sendable {
    public let threshold: Double
    /// Mean cross-entropy of the network's logits against the labels a·b over all pairs.
    public let loss: Double
    /// Mean cross-entropy of the restricted (key components only) and excluded logits.
    public let restrictedLoss: Double
    public let excludedLoss: Double
    /// The three losses on the given pairs (nil without `AttributionOptions.pairs`), with their number.
    public let onPairs: (count: Int, loss: Double, restrictedLoss: Double, excludedLoss: Double)?
    /// One entry per component, in `componentLabels` order (the trivial one included: its
    /// similarity is 0 up to rounding since L̃ sums to zero over the classes).
    public let components: [ComponentAttribution]
    /// Components with s_ρ > τ, by index.
    public var keyComponents: [Int] { components.filter(\.key).map(\.component) }
    /// Per hidden neuron; nil when the family gives no activations or they were not asked for.
    public let hidden: [HiddenNeuronAttribution]?
    /// Per hidden neuron, its power over G × G by blocks (ρ, σ): `blockPowers[(i·K + ρ)·K + σ]`
    /// (K components; for C_n the 2-D DFT blocks (k, l)), of the centered activations.
    public let blockPowers: [Double]?
    /// Why a part was not computed (too large, no activations), or nil.
    public let note: String?
}

extension Attribution {
    /// Largest |G| attribution runs on (its logits cost |G|³ per component).
    public static let maximumOrder = 1024
    /// Centered logits are kept between the two passes up to this many bytes (else recomputed).
    static let logitCacheBytes = 1 << 30
    /// Hidden activations are analyzed up to this many bytes (|G|²·m doubles, twice).
    static let hiddenBytes = 1 << 31

    /// The real-valued character T_ρ(g) = Σ_{members} Re χ(g) of every component (indexed like
    /// the analysis' components), the complex degree d_ρ of its members, and its labels.
    /// Cyclic groups (element k ↔ k mod n): frequencies 0 … ⌊n/2⌋, T_k(g) = 2 cos(2πkg/n)
    /// (1 for k = 0, and cos(πg) for k = n/2).
    static func characters(_ group: FiniteGroup, cyclic: Bool) -> (values: [[Double]], degrees: [Int]) {
        let n = group.order
        if cyclic {
            let F = n / 2 + 1
            let values = (0..<F).map { k -> [Double] in
                let w: Double = (k == 0 || 2 * k == n) ? 1 : 2
                return (0..<n).map { g in w * cos(2 * Double.pi * Double((k * g) % n) / Double(n)) }
            }
            return (values, [Int](repeating: 1, count: F))
        }
        let t = group.characterTable
        let classOf = t.elementClasses!
        let values = t.realComponents.map { comp in
            (0..<n).map { g in comp.irreps.reduce(0.0) { $0 + t.real($1, Int(classOf[g])) } }
        }
        return (values, t.realComponents.map(\.complexDegree))
    }

    /// Mean cross-entropy helper: log Σ_c exp(x_c) − x_y.
    @inline(__always)
    static func crossEntropy(_ x: UnsafePointer<Double>, _ n: Int, _ y: Int) -> Double {
        var mx = -Double.infinity
        for c in 0..<n { mx = max(mx, x[c]) }
        var s = 0.0
        for c in 0..<n { s += exp(x[c] - mx) }
        return mx + log(s) - x[y]
    }

    /// The same with the exponentials in the vectorized kernel (`irrepscope_exp_shifted`,
    /// about 2 ulp) into `scratch` (n values), for finite logits; else as above.
    @inline(__always)
    static func crossEntropy(_ x: UnsafePointer<Double>, _ n: Int, _ y: Int, scratch: UnsafeMutablePointer<Double>) -> Double {
        var mx = -Double.infinity
        for c in 0..<n { mx = max(mx, x[c]) }
        guard mx.isFinite else { return crossEntropy(x, n, y) }
        let s = irrepscope_exp_shifted(x, n, mx, scratch)
        return mx + log(s) - x[y]
    }

    /// Computes the attribution of `network` on `group` (docs/attribution.md): labels c = a·b
    /// under `composition`, components in the order of the analysis (frequencies for a cyclic
    /// group, real irreducible components otherwise). Deterministic: the result does not depend
    /// on `threads`.
    public static func compute(network: any GroupTaskNetwork, group: FiniteGroup, composition: Composition,
                               options: AttributionOptions, threads: Int) -> Attribution? {
        compute(network: network, group: group, composition: composition, options: options, threads: threads, pass: nil)
    }

    /// The same, reading the logits (and the hidden activations, when it kept them) from a
    /// forward pass the analysis already ran (`LogitPass`) instead of running the network again.
    static func compute(network: any GroupTaskNetwork, group: FiniteGroup, composition: Composition,
                        options: AttributionOptions, threads: Int, pass: consuming LogitPass?) -> Attribution? {
        let n = network.order, m = network.width
        guard n >= 1, n <= maximumOrder, n == group.order else { return nil }
        let cyclic = group.isCyclic
        let (T, degrees) = characters(group, cyclic: cyclic)
        let K = T.count
        let table = group.multiplicationTable
        let inv = group.inverses
        // Labels a·b and the index of g·c⁻¹.
        var label = [Int32](repeating: 0, count: n * n), quot = [Int32](repeating: 0, count: n * n)
        for a in 0..<n { for b in 0..<n {
            label[a * n + b] = Int32(composition == .rightToLeft ? table[a, b] : table[b, a])
            quot[a * n + b] = Int32(table[a, Int(inv[b])])
        } }
        let workers = max(1, min(threads, n))

        // Pass 1: centered logits, their norm, M(g, c) and the network's own loss per pair.
        let given = pass.map { $0.centered.count == n * n * n } ?? false
        let keep = given || n * n * n * 8 <= logitCacheBytes
        // A given pass's logits are read in place; otherwise they are kept here as computed.
        let source = given ? pass!.centered : []
        var store = [Double](repeating: 0, count: keep && !given ? n * n * n : 1)
        var M = [Double](repeating: 0, count: n * n)
        var ownLoss = [Double](repeating: 0, count: n * n)
        var rowNormSq = [Double](repeating: 0, count: n)
        let block = max(1, min(n, (1 << 20) / max(1, n * n)))
        @Sendable func centeredRows(_ rows: Range<Int>) -> [Double] {
            var f = network.logits(rows: rows)
            for p in 0..<(rows.count * n) {
                var mean = 0.0
                for c in 0..<n { mean += f[p * n + c] }
                mean /= Double(n)
                for c in 0..<n { f[p * n + c] -= mean }
            }
            return f
        }
        // Blocks of rows on the workers; M is summed from per-task parts in task order, so the
        // result does not depend on the number of threads.
        let rowsPerTask = max(1, min(block, (n + 15) / 16))
        let tasks1 = (n + rowsPerTask - 1) / rowsPerTask
        var partialM = [Double](repeating: 0, count: tasks1 * n * n)
        source.withUnsafeBufferPointer { sb in store.withUnsafeMutableBufferPointer { cb in partialM.withUnsafeMutableBufferPointer { pm in
        rowNormSq.withUnsafeMutableBufferPointer { rn in
            let cache = SharedMutablePointer(cb.baseAddress!)
            nonisolated(unsafe) let kept = sb.baseAddress
            let part = SharedMutablePointer(pm.baseAddress!), norms = SharedMutablePointer(rn.baseAddress!)
            let lab = label
            let w1 = min(workers, tasks1)
            parallelWorkers(w1) { wk in
                var t = wk
                while t < tasks1 {
                    let rows = (t * rowsPerTask)..<min(n, (t + 1) * rowsPerTask)
                    let Mt = part.pointer + t * n * n
                    // The kept logits of a given pass, or this block's from the network.
                    let own = given ? [] : centeredRows(rows)
                    let view = given ? UnsafeBufferPointer(start: kept! + rows.lowerBound * n * n, count: rows.count * n * n) : nil
                    own.withUnsafeBufferPointer { ob in
                        let fb = view ?? ob
                        for a in rows { for b in 0..<n {
                            let x = fb.baseAddress! + ((a - rows.lowerBound) * n + b) * n
                            let g = Int(lab[a * n + b])
                            var s = 0.0
                            for c in 0..<n { s += x[c] * x[c]; Mt[g * n + c] += x[c] }
                            norms.pointer[a] += s
                        } }
                        if keep && !given { (cache.pointer + rows.lowerBound * n * n).update(from: fb.baseAddress!, count: fb.count) }
                    }
                    t += w1
                }
            }
        } } } }
        let cached = given ? source : store
        for t in 0..<tasks1 { for q in 0..<(n * n) { M[q] += partialM[t * n * n + q] } }
        let normL = rowNormSq.reduce(0, +).squareRoot()

        // Similarities and projection coefficients α_ρ = ⟨L̃, T_ρ⟩ / ‖T_ρ‖².
        var similarity = [Double](repeating: 0, count: K), alpha = [Double](repeating: 0, count: K)
        for r in 0..<K {
            var inner = 0.0
            for q in 0..<(n * n) { inner += M[q] * T[r][Int(quot[q])] }
            let tt = Double(n) * Double(n) * T[r].reduce(0) { $0 + $1 * $1 }
            similarity[r] = normL > 0 && tt > 0 ? inner / (normL * tt.squareRoot()) : 0
            alpha[r] = tt > 0 ? inner / tt : 0
        }
        let key = (0..<K).map { similarity[$0] > options.threshold }
        // Restricted logits R(g, c) (key set) and R_ρ(g, c) = α_ρ T_ρ(g c⁻¹).
        var R = [Double](repeating: 0, count: n * n)
        for r in 0..<K where key[r] { for q in 0..<(n * n) { R[q] += alpha[r] * T[r][Int(quot[q])] } }
        var pairWeight: [Int32]? = nil
        if let p = options.pairs {
            var w = [Int32](repeating: 0, count: n * n)
            for k in 0..<p.count { w[Int(p.values[2 * k]) * n + Int(p.values[2 * k + 1])] += 1 }
            pairWeight = w
        }
        // Restricted losses depend on the pair through its label only.
        var restrictedByLabel = [Double](repeating: 0, count: (K + 1) * n)   // [ρ or K (key set)][g]
        var row = [Double](repeating: 0, count: n), scratch = [Double](repeating: 0, count: n)
        for g in 0..<n {
            for r in 0...K {
                if r < K {
                    for c in 0..<n { row[c] = alpha[r] * T[r][Int(quot[g * n + c])] }
                } else {
                    for c in 0..<n { row[c] = R[g * n + c] }
                }
                restrictedByLabel[r * n + g] = row.withUnsafeBufferPointer { rb in
                    scratch.withUnsafeMutableBufferPointer { crossEntropy(rb.baseAddress!, n, g, scratch: $0.baseAddress!) }
                }
            }
        }

        // Pass 2: excluded losses per pair, on the workers (by label, or by blocks of rows).
        let slots = K + 1
        var excludedAll = [Double](repeating: 0, count: n * slots), excludedSub = [Double](repeating: 0, count: n * slots)
        let Tflat = T.flatMap { $0 }
        // exp(−α_ρ T_ρ(g c⁻¹)) and exp(−R(g, c)) per label g: the log-sum-exp of a pair's
        // excluded logits x_c − r_c is then log Σ_c e^{x_c − max x} e^{−r_c} + max x, one exp per
        // class for all components together. Components (or pairs) whose range could overflow or
        // underflow take the direct route.
        // Label-major, `expRows[(g·(K+1) + r)·n + c]`: one pair's K + 1 sums are then one
        // matrix–vector product with the contiguous (K+1) × n block of its label.
        var expRows = [Double](repeating: 0, count: (K + 1) * n * n)
        var direct = [Bool](repeating: false, count: K + 1)
        for r in 0...K {
            var big = 0.0
            for g in 0..<n { for c in 0..<n {
                let q = g * n + c
                let v = r < K ? alpha[r] * T[r][Int(quot[q])] : R[q]
                big = max(big, abs(v))
                expRows[(g * slots + r) * n + c] = exp(-v)
            } }
            direct[r] = big > 300
        }
        // The network's own loss per pair is taken here too, from the same e^{x_c − max x} (the
        // sums of `crossEntropy`, in its order).
        //
        // With the logits kept, the pairs are taken by label g (the n pairs (a, b) with a·b = g):
        // their e^{x − max x} rows form an n × n matrix Z_g and all their sums are one dgemm
        // Z_g · E_gᵀ with the (K+1) × n block E_g of the label; partial sums per label, added in
        // label order. Otherwise rows a are recomputed block by block, one dgemv per pair; partial
        // sums per row a. Either way the result does not depend on the number of threads.
        var pairOfLabel = [Int32](repeating: 0, count: keep ? n * n : 0)   // [g·n + a] = b with label(a, b) = g
        if keep { for a in 0..<n { for b in 0..<n { pairOfLabel[Int(label[a * n + b]) * n + a] = Int32(b) } } }
        excludedAll.withUnsafeMutableBufferPointer { eab in excludedSub.withUnsafeMutableBufferPointer { esb in
        ownLoss.withUnsafeMutableBufferPointer { ol in
            let ea = SharedMutablePointer(eab.baseAddress!), es = SharedMutablePointer(esb.baseAddress!)
            let own = SharedMutablePointer(ol.baseAddress!)
            let cachedCopy = cached, pw = pairWeight, lab = label, qu = quot, al = alpha, Rc = R, Tc = Tflat
            let ex = expRows, dr = direct, byLabel = pairOfLabel
            /// The pair's K + 1 excluded losses, added to row `slot` of the partial sums; `sums`
            /// holds Σ_c e^{x_c − mx} e^{−r_c} unless the pair takes the direct route.
            @Sendable func finish(_ x: UnsafePointer<Double>, a: Int, b: Int, g: Int, mx: Double, pairDirect: Bool,
                        sums: UnsafePointer<Double>, scratch eb: UnsafeMutablePointer<Double>, slot: Int) {
                let weight = Double(pw?[a * n + b] ?? 0)
                for r in 0...K {
                    // r_c at the label c = g: T_ρ(e) (or R(g, g)).
                    let rg = r < K ? al[r] * Tc[r * n + Int(qu[g * n + g])] : Rc[g * n + g]
                    let ce: Double
                    if pairDirect || dr[r] {
                        if r < K {
                            let tr = r * n
                            for c in 0..<n { eb[c] = x[c] - al[r] * Tc[tr + Int(qu[g * n + c])] }
                        } else {
                            for c in 0..<n { eb[c] = x[c] - Rc[g * n + c] }
                        }
                        ce = crossEntropy(eb, n, g, scratch: eb + n)
                    } else {
                        ce = mx + log(sums[r]) - (x[g] - rg)
                    }
                    ea.pointer[slot * slots + r] += ce
                    if weight > 0 { es.pointer[slot * slots + r] += weight * ce }
                }
            }
            /// e^{x_c − max x} into z and the pair's own loss; whether it takes the direct route.
            @Sendable func exponentials(_ x: UnsafePointer<Double>, a: Int, b: Int, g: Int, z: UnsafeMutablePointer<Double>) -> (mx: Double, direct: Bool) {
                var mx = -Double.infinity, mn = Double.infinity
                for c in 0..<n { mx = max(mx, x[c]); mn = min(mn, x[c]) }
                if !(mx - mn <= 300) {
                    // A wide range (or a non-finite logit): the direct route, libm's exp.
                    own.pointer[a * n + b] = crossEntropy(x, n, g)
                    for c in 0..<n { z[c] = 0 }
                    return (mx, true)
                }
                let total = irrepscope_exp_shifted(x, n, mx, z)
                own.pointer[a * n + b] = mx + log(total) - x[g]
                return (mx, false)
            }
            if keep {
                cachedCopy.withUnsafeBufferPointer { cb in ex.withUnsafeBufferPointer { exb in
                    nonisolated(unsafe) let L = cb.baseAddress!, E = exb.baseAddress!
                    let next = BlockTicket()
                    parallelWorkers(min(workers, n)) { _ in
                        var Z = [Double](repeating: 0, count: n * n), S = [Double](repeating: 0, count: n * slots)
                        var e = [Double](repeating: 0, count: 2 * n), info = [(mx: Double, direct: Bool)](repeating: (0, false), count: n)
                        Z.withUnsafeMutableBufferPointer { zb in S.withUnsafeMutableBufferPointer { sb in e.withUnsafeMutableBufferPointer { eb in
                            while let g = next.take(below: n) {
                                for a in 0..<n {
                                    let b = Int(byLabel[g * n + a])
                                    info[a] = exponentials(L + (a * n + b) * n, a: a, b: b, g: g, z: zb.baseAddress! + a * n)
                                }
                                // S[a, r] = Σ_c Z[a, c] E_g[r, c].
                                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(slots), Int32(n), 1,
                                            zb.baseAddress, Int32(n), E + g * slots * n, Int32(n), 0, sb.baseAddress, Int32(slots))
                                for a in 0..<n {
                                    let b = Int(byLabel[g * n + a])
                                    finish(L + (a * n + b) * n, a: a, b: b, g: g, mx: info[a].mx, pairDirect: info[a].direct,
                                           sums: sb.baseAddress! + a * slots, scratch: eb.baseAddress!, slot: g)
                                }
                            }
                        } } }
                    }
                } }
            } else {
                let tasks = (n + block - 1) / block
                parallelWorkers(min(workers, tasks)) { wk in
                    var e = [Double](repeating: 0, count: 2 * n), z = [Double](repeating: 0, count: n)
                    var sums = [Double](repeating: 0, count: slots)
                    var t = wk
                    while t < tasks {
                        let rows = (t * block)..<min(n, (t + 1) * block)
                        let f = centeredRows(rows)
                        f.withUnsafeBufferPointer { fb in e.withUnsafeMutableBufferPointer { eb in z.withUnsafeMutableBufferPointer { zb in
                        sums.withUnsafeMutableBufferPointer { sb in ex.withUnsafeBufferPointer { exb in
                            for a in rows { for b in 0..<n {
                                let x = fb.baseAddress! + ((a - rows.lowerBound) * n + b) * n
                                let g = Int(lab[a * n + b])
                                let (mx, pairDirect) = exponentials(x, a: a, b: b, g: g, z: zb.baseAddress!)
                                if !pairDirect {
                                    // sums[r] = Σ_c e^{x_c − max x} e^{−r_c}, every component at once.
                                    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(slots), Int32(n), 1, exb.baseAddress! + g * slots * n,
                                                Int32(n), zb.baseAddress, 1, 0, sb.baseAddress, 1)
                                }
                                finish(x, a: a, b: b, g: g, mx: mx, pairDirect: pairDirect, sums: sb.baseAddress!, scratch: eb.baseAddress!,
                                       slot: a)
                            } }
                        } } } } }
                        t += min(workers, tasks)
                    }
                }
            }
        } } }
        let pairs = Double(n * n)
        func columnSum(_ v: [Double], _ r: Int) -> Double { (0..<n).reduce(0.0) { $0 + v[$1 * slots + r] } }
        let subCount = Double(options.pairs?.count ?? 0)
        func onPairs(_ perPair: (Int) -> Double) -> Double? {
            guard let w = pairWeight else { return nil }
            var s = 0.0
            for p in 0..<(n * n) where w[p] > 0 { s += Double(w[p]) * perPair(p) }
            return s / subCount
        }
        func restrictedOnPairs(_ r: Int) -> Double? { onPairs { restrictedByLabel[r * n + Int(label[$0])] } }
        func mean(_ r: Int) -> Double { (0..<n).reduce(0.0) { $0 + restrictedByLabel[r * n + $1] } / Double(n) }

        // Embedding and unembedding shares from the roles' summed autocorrelations.
        let roles = network.roles
        func rolePowers(_ names: [WeightRole]) -> [Double]? {
            guard !names.isEmpty else { return nil }
            var C = [Double](repeating: 0, count: n)
            // C(h) = Σ_y ⟨x_y, x_{y·h}⟩ from the Gram matrix X Xᵀ of the role's rows (one dgemm).
            var gram = [Double](repeating: 0, count: n * n)
            for role in names where role.values.count == n * m && m > 0 {
                role.values.withUnsafeBufferPointer { xb in gram.withUnsafeMutableBufferPointer { gb in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(m), 1,
                                xb.baseAddress, Int32(m), xb.baseAddress, Int32(m), 0, gb.baseAddress, Int32(n))
                } }
                for h in 0..<n {
                    var s = 0.0
                    for y in 0..<n { s += gram[y * n + table[y, h]] }
                    C[h] += s
                }
            }
            let total = C[0]
            guard total > 0 else { return [Double](repeating: 0, count: K) }
            return (0..<K).map { r in
                var s = 0.0
                for h in 0..<n { s += T[r][h] * C[h] }
                return max(0, Double(degrees[r]) / Double(n) * s / total)
            }
        }
        let embedding = rolePowers(roles.filter { $0.name != "w" })
        let unembedding = rolePowers(roles.filter { $0.name == "w" })

        // Hidden layer.
        var hidden: [HiddenNeuronAttribution]? = nil
        var blocks: [Double]? = nil
        var note: String? = nil
        if options.hidden {
            if n * n * m * 16 > hiddenBytes {
                note = "the hidden-layer measures were skipped: |G|²·m = \(n * n * m) activations exceed the limit"
            } else if let quad = network.quadraticNeuronTerms, quad.p.count == n * m, quad.q.count == n * m {
                let r = quadraticHiddenLayer(p: quad.p, q: quad.q, n: n, m: m, group: group, T: T, degrees: degrees, label: label,
                                             threads: workers)
                hidden = r.neurons; blocks = r.blocks
            } else if var h = pass?.takeActivations() ?? network.neuronActivations(rows: 0..<n) {
                let r = hiddenLayer(&h, n: n, m: m, group: group, cyclic: cyclic, T: T, degrees: degrees, label: label,
                                    table: table, threads: workers)
                hidden = r.neurons; blocks = r.blocks
            } else {
                note = "this network family gives no hidden activations: no hidden-layer measures"
            }
        }
        var perComponentNeurons: [Int]? = nil
        if let hidden {
            var c = [Int](repeating: 0, count: K)
            for h in hidden { if let k = h.component { c[k] += 1 } }
            perComponentNeurons = c
        }

        let components = (0..<K).map { r in
            ComponentAttribution(component: r, logitSimilarity: similarity[r], key: key[r],
                                 restrictedLoss: mean(r), excludedLoss: columnSum(excludedAll, r) / pairs,
                                 restrictedLossOnPairs: restrictedOnPairs(r),
                                 excludedLossOnPairs: pairWeight == nil ? nil : columnSum(excludedSub, r) / subCount,
                                 embeddingShare: embedding?[r], unembeddingShare: unembedding?[r],
                                 neurons: perComponentNeurons?[r])
        }
        let loss = ownLoss.reduce(0, +) / pairs
        var sub: (count: Int, loss: Double, restrictedLoss: Double, excludedLoss: Double)? = nil
        if let p = options.pairs {
            sub = (p.count, onPairs { ownLoss[$0] }!, restrictedOnPairs(K)!, columnSum(excludedSub, K) / subCount)
        }
        return Attribution(threshold: options.threshold, loss: loss, restrictedLoss: mean(K),
                           excludedLoss: columnSum(excludedAll, K) / pairs, onPairs: sub, components: components,
                           hidden: hidden, blockPowers: blocks, note: note)
    }

    /// The hidden-layer measures from the activations h (layout of `neuronActivations`),
    /// centered in place.
    static func hiddenLayer(_ h: inout [Double], n: Int, m: Int, group: FiniteGroup, cyclic: Bool, T: [[Double]], degrees: [Int],
                            label: [Int32], table: MultiplicationTable, threads: Int, transforms: Bool? = nil)
        -> (neurons: [HiddenNeuronAttribution], blocks: [Double]) {
        let K = T.count
        var mean = [Double](repeating: 0, count: m)
        for p in 0..<(n * n) { for i in 0..<m { mean[i] += h[p * m + i] } }
        for i in 0..<m { mean[i] /= Double(n * n) }
        var variance = [Double](repeating: 0, count: m)
        for p in 0..<(n * n) { for i in 0..<m { let x = h[p * m + i] - mean[i]; h[p * m + i] = x; variance[i] += x * x } }
        // f_i(g) = mean over the pairs with product g (each g is the product of n pairs).
        var f = [Double](repeating: 0, count: n * m)
        for p in 0..<(n * n) { let g = Int(label[p]); for i in 0..<m { f[g * m + i] += h[p * m + i] } }
        for q in 0..<(n * m) { f[q] /= Double(n) }
        // Blocks (ρ, σ) of the power over G × G.
        let basis = isotypicBasis(group, T: T, degrees: degrees)
        let blocks: [Double]
        // Cyclic groups: FFTW's 2-D transforms, one neuron after another; up to |G| = 160 the
        // two products with the isotypic basis (4|G|³ per neuron, dgemm on every core) cost
        // less (the p = 113 transformer of Benchmarks/transformer.sh, 512 MLP neurons: analyze 0.24 s
        // instead of 0.40 s, measured once side by side on 2026-12-02).
        if cyclic && (transforms ?? (n > 160)) {
            blocks = h.withUnsafeBufferPointer { TwoDimensionalSpectra.blockPowers($0.baseAddress!, order: n, count: m, stride: m) }
        } else {
            blocks = productGroupBlocks(h, n: n, m: m, basis: basis, K: K, threads: threads)
        }
        return (neuronMeasures(variance: variance, f: f, blocks: blocks, n: n, m: m, K: K, basis: basis, threads: threads), blocks)
    }

    /// The hidden-layer measures of quadratic neurons h_i(a, b) = (p_i[a] + q_i[b])²
    /// (`GroupTaskNetwork.quadraticNeuronTerms`) without the |G|²·m activations: the blocks in
    /// closed form (`quadraticBlocks`), each neuron's variance as their sum (Parseval), and the
    /// means f_i over the pairs of one product accumulated pair by pair.
    static func quadraticHiddenLayer(p: [Double], q: [Double], n: Int, m: Int, group: FiniteGroup, T: [[Double]], degrees: [Int],
                                     label: [Int32], threads: Int = 1)
        -> (neurons: [HiddenNeuronAttribution], blocks: [Double]) {
        let K = T.count
        let basis = isotypicBasis(group, T: T, degrees: degrees)
        let blocks = quadraticBlocks(p: p, q: q, n: n, m: m, T: T, degrees: degrees, basis: basis, threads: threads)
        var variance = [Double](repeating: 0, count: m)
        for i in 0..<m { for j in 0..<(K * K) { variance[i] += blocks[i * K * K + j] } }
        var f = [Double](repeating: 0, count: n * m)
        // Neurons split over the workers (disjoint outputs, the same order of sums per neuron).
        let w = max(1, min(threads, m / 64))
        p.withUnsafeBufferPointer { pb in q.withUnsafeBufferPointer { qb in f.withUnsafeMutableBufferPointer { fb in
            let P = SharedMutablePointer(UnsafeMutablePointer(mutating: pb.baseAddress!))
            let Q = SharedMutablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!)), F = SharedMutablePointer(fb.baseAddress!)
            parallelWorkers(w) { wk in
                let i0 = wk * m / w, i1 = (wk + 1) * m / w
                for a in 0..<n { for b in 0..<n {
                    let row = F.pointer + Int(label[a * n + b]) * m
                    let pa = P.pointer + a * m, qv = Q.pointer + b * m
                    for i in i0..<i1 { let x = pa[i] + qv[i]; row[i] += x * x }
                } }
            }
        } } }
        // f_i(g) = (raw sum)/|G| − mean of h_i (each g is the product of |G| pairs).
        var mean = [Double](repeating: 0, count: m)
        for g in 0..<n { for i in 0..<m { mean[i] += f[g * m + i] } }
        for i in 0..<m { mean[i] /= Double(n * n) }
        for g in 0..<n { for i in 0..<m { f[g * m + i] = f[g * m + i] / Double(n) - mean[i] } }
        return (neuronMeasures(variance: variance, f: f, blocks: blocks, n: n, m: m, K: K, basis: basis, threads: threads), blocks)
    }

    /// Each neuron's component, fraction and product shares from its variance, its means f over
    /// the pairs of one product (`f[g·m + i]`) and its blocks.
    static func neuronMeasures(variance: [Double], f: [Double], blocks: [Double], n: Int, m: Int, K: Int,
                               basis: (q: [Double], componentOfColumn: [Int]), threads: Int = 1) -> [HiddenNeuronAttribution] {
        // ‖P_ρ f_i‖² of every neuron (one dgemm per chunk of neurons).
        let fPower = f.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: m, basis: basis, K: K, threads: threads) }
        var neurons: [HiddenNeuronAttribution] = []
        neurons.reserveCapacity(m)
        for i in 0..<m {
            let v = variance[i]
            guard v > 1e-300 * Double(n * n) else {
                neurons.append(HiddenNeuronAttribution(component: nil, fraction: nil, productShares: []))
                continue
            }
            let shares = (0..<K).map { r in max(0, Double(n) * fPower[r * m + i] / v) }
            // The largest share; components within 1e-9 (relative) of it count as tied, and a
            // tie goes to the first of them, so that rounding (which route computed the blocks,
            // in which order) cannot pick another component for a neuron of flat spectrum.
            let base = i * K * K
            func share(_ r: Int) -> Double { blocks[base + r * K] + blocks[base + r] + blocks[base + r * K + r] }
            var top = -1.0
            for r in 1..<max(1, K) { top = max(top, share(r)) }
            var best: Int? = nil, bestValue = -1.0
            for r in 1..<max(1, K) where share(r) >= top - 1e-9 * abs(top) { best = r; bestValue = share(r); break }
            neurons.append(HiddenNeuronAttribution(component: best, fraction: best.map { _ in bestValue / v }, productShares: shares))
        }
        return neurons
    }

    /// The blocks (ρ, σ) of the power over G × G of h̃_i = h_i − mean, h_i(a, b) = (p_i[a] + q_i[b])²,
    /// in closed form (docs/attribution.md §6). With Q_ρ an orthonormal basis of the isotypic
    /// subspace of ρ (Q_1 = 1/√|G| for the trivial one), Q_ρᵀ 1 = 0 for ρ ≠ 1, so of
    /// h = p²1ᵀ + 2pqᵀ + 1(q²)ᵀ only 2pqᵀ reaches the blocks with ρ, σ ≠ 1:
    /// ‖Q_ρᵀ h̃ Q_σ‖² = 4 P_ρ(p) P_σ(q); the block (ρ, 1) is |G| P_ρ(p² + 2 q̄ p) and (1, σ) is
    /// |G| P_σ(q² + 2 p̄ q) (p̄, q̄ the means); (1, 1) is 0 since h̃ sums to zero. P_ρ(x) = ‖Q_ρᵀx‖²
    /// = (d_ρ/|G|) Σ_h T_ρ(h) Σ_y x(y) x(y·h). The same numbers as the 2-D transforms or the
    /// products with the isotypic basis, up to rounding, at O(|G|²·m) instead of O(|G|³·m).
    /// Component 0 must be the trivial one (as everywhere here).
    static func quadraticBlocks(p: [Double], q: [Double], n: Int, m: Int, T: [[Double]], degrees: [Int],
                                basis: (q: [Double], componentOfColumn: [Int]), threads: Int = 1) -> [Double] {
        let K = T.count
        var out = [Double](repeating: 0, count: m * K * K)
        guard m > 0, K > 0 else { return out }
        var pMean = [Double](repeating: 0, count: m), qMean = [Double](repeating: 0, count: m)
        for y in 0..<n { for i in 0..<m { pMean[i] += p[y * m + i]; qMean[i] += q[y * m + i] } }
        for i in 0..<m { pMean[i] /= Double(n); qMean[i] /= Double(n) }
        // The four functions per neuron, element-major with stride 4m: p, q, p² + 2q̄p, q² + 2p̄q.
        let s = 4 * m
        var x = [Double](repeating: 0, count: n * s)
        for y in 0..<n { for i in 0..<m {
            let a = p[y * m + i], b = q[y * m + i]
            x[y * s + i] = a; x[y * s + m + i] = b
            x[y * s + 2 * m + i] = a * a + 2 * qMean[i] * a
            x[y * s + 3 * m + i] = b * b + 2 * pMean[i] * b
        } }
        // P_ρ of the four functions of every neuron at once.
        let power = x.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: s, basis: basis, K: K, threads: threads) }
        let nn = Double(n)
        for i in 0..<m {
            let base = i * K * K
            for r in 1..<K {
                out[base + r * K] = nn * power[r * s + 2 * m + i]
                out[base + r] = nn * power[r * s + 3 * m + i]
                let pu = 4 * power[r * s + i]
                for sg in 1..<K { out[base + r * K + sg] = pu * power[sg * s + m + i] }
            }
        }
        return out
    }

    /// P_ρ(x_j) = ‖Q_ρᵀ x_j‖² for every column j of the element-major |G| × s matrix x
    /// (`x[y·s + j]`) and every component ρ: `power[ρ·s + j]`. Q is `isotypicBasis`, so
    /// P_ρ(x) = (d_ρ/|G|) Σ_h T_ρ(h) Σ_y x(y) x(y·h) (docs/attribution.md §6), here as one dgemm
    /// Qᵀx per fixed chunk of columns (the chunks, not the number of threads, fix the sums).
    static func componentPowers(_ x: UnsafePointer<Double>, n: Int, s: Int, basis: (q: [Double], componentOfColumn: [Int]), K: Int,
                                threads: Int) -> [Double] {
        let cols = basis.componentOfColumn.count
        var power = [Double](repeating: 0, count: K * s)
        guard cols > 0, s > 0 else { return power }
        useSingleThreadedBLAS()
        let chunk = 256
        let chunks = (s + chunk - 1) / chunk
        let X = SharedMutablePointer(UnsafeMutablePointer(mutating: x))
        basis.q.withUnsafeBufferPointer { qb in power.withUnsafeMutableBufferPointer { pb in
            let Q = SharedMutablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!)), P = SharedMutablePointer(pb.baseAddress!)
            let owner = basis.componentOfColumn
            let next = BlockTicket()
            parallelWorkers(max(1, min(threads, chunks))) { _ in
                var Y = [Double](repeating: 0, count: cols * chunk)
                Y.withUnsafeMutableBufferPointer { yb in
                    while let k = next.take(below: chunks) {
                        let j0 = k * chunk, width = min(chunk, s - j0)
                        // Y = Qᵀ x[:, j0 ..< j0 + width]  (cols × width).
                        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(width), Int32(n), 1,
                                    Q.pointer, Int32(cols), X.pointer + j0, Int32(s), 0, yb.baseAddress, Int32(width))
                        for c in 0..<cols {
                            let row = P.pointer + owner[c] * s + j0, y = yb.baseAddress! + c * width
                            for j in 0..<width { row[j] += y[j] * y[j] }
                        }
                    }
                }
            }
        } }
        return power
    }

    /// An orthonormal basis of real functions on G, its columns grouped by component (the
    /// isotypic subspaces): Gram–Schmidt, twice, on the columns of each projection
    /// P_ρ[x, y] = (d_ρ/|G|) T_ρ(y⁻¹x). Works for any group with a character table.
    static func isotypicBasis(_ group: FiniteGroup, T: [[Double]], degrees: [Int]) -> (q: [Double], componentOfColumn: [Int]) {
        let n = group.order, K = T.count
        let table = group.multiplicationTable, inv = group.inverses
        var columns: [[Double]] = []
        var owner: [Int] = []
        for r in 0..<K {
            let rank = Int((Double(degrees[r]) * T[r][0]).rounded())
            var found = 0
            var y = 0
            while found < rank && y < n {
                // Column y of P_ρ.
                var v = (0..<n).map { x in Double(degrees[r]) / Double(n) * T[r][table[Int(inv[y]), x]] }
                let start = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for _ in 0..<2 {
                    for q in columns.suffix(found) {
                        var d = 0.0
                        for x in 0..<n { d += q[x] * v[x] }
                        for x in 0..<n { v[x] -= d * q[x] }
                    }
                }
                let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if start > 0, norm > 1e-6 * start {
                    columns.append(v.map { $0 / norm }); owner.append(r); found += 1
                }
                y += 1
            }
        }
        // Column-major n × n' → row-major Q[x·n' + c].
        let cols = columns.count
        var q = [Double](repeating: 0, count: n * cols)
        for (c, col) in columns.enumerated() { for x in 0..<n { q[x * cols + c] = col[x] } }
        return (q, owner)
    }

    /// Power of each neuron in the blocks (ρ, σ): ‖Q_ρᵀ H_i Q_σ‖²_F with Q the isotypic basis.
    static func productGroupBlocks(_ h: [Double], n: Int, m: Int, basis: (q: [Double], componentOfColumn: [Int]), K: Int,
                                   threads: Int) -> [Double] {
        let cols = basis.componentOfColumn.count
        var out = [Double](repeating: 0, count: m * K * K)
        guard cols > 0, m > 0 else { return out }
        // Z = Qᵀ H: (cols × n)·(n × n·m), the columns (b, i) split over the workers by b; then
        // per column c of Q, Y = Qᵀ Z_c over chunks of neurons (disjoint outputs per worker).
        var Z = [Double](repeating: 0, count: cols * n * m)
        useSingleThreadedBLAS()
        let w = max(1, min(threads, n))
        basis.q.withUnsafeBufferPointer { qb in h.withUnsafeBufferPointer { hb in Z.withUnsafeMutableBufferPointer { zb in
        out.withUnsafeMutableBufferPointer { ob in
            let Q = SharedMutablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            let H = SharedMutablePointer(UnsafeMutablePointer(mutating: hb.baseAddress!))
            let Zp = SharedMutablePointer(zb.baseAddress!), O = SharedMutablePointer(ob.baseAddress!)
            let owner = basis.componentOfColumn
            parallelWorkers(w) { wk in
                let b0 = wk * n / w, b1 = (wk + 1) * n / w
                guard b1 > b0 else { return }
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32((b1 - b0) * m), Int32(n), 1,
                            Q.pointer, Int32(cols), H.pointer + b0 * m, Int32(n * m), 0, Zp.pointer + b0 * m, Int32(n * m))
            }
            parallelWorkers(min(w, m)) { wk in
                let i0 = wk * m / min(w, m), i1 = (wk + 1) * m / min(w, m)
                let chunk = i1 - i0
                guard chunk > 0 else { return }
                var Y = [Double](repeating: 0, count: cols * chunk)
                Y.withUnsafeMutableBufferPointer { yb in
                    for c in 0..<cols {
                        // Y[c', i] = Σ_b Q[b, c'] Z[c, b, i0 + i].
                        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(chunk), Int32(n), 1,
                                    Q.pointer, Int32(cols), Zp.pointer + c * n * m + i0, Int32(m), 0, yb.baseAddress, Int32(chunk))
                        let rho = owner[c]
                        for c2 in 0..<cols {
                            let sigma = owner[c2]
                            for i in 0..<chunk { let y = yb[c2 * chunk + i]; O.pointer[((i0 + i) * K + rho) * K + sigma] += y * y }
                        }
                    }
                }
            }
        } } } }
        return out
    }
}

