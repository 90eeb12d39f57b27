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
    /// The network's loss on the pairs the given ones leave out, with their number (nil without
    /// `AttributionOptions.pairs`; the loss NaN when none is left out): the test loss when the
    /// given pairs are the training pairs (docs/attribution.md §5).
    public var otherPairs: (count: Int, loss: Double)? = nil
    /// One entry per component, in `componentLabels` order (the trivial one included: its
    /// similarity is 0 up to rounding since L̃ sums to zero over the classes).
    public let components: [ComponentAttribution]
    /// Components with s_ρ > τ, by index.
    public var keyComponents: [Int] { components.filter(\.key).map(\.component) }
    /// Per hidden neuron; nil when the family gives no activations or they were not asked for.
    public let hidden: [HiddenNeuronAttribution]?
    /// Per hidden neuron, its power over G × G by blocks (ρ, σ): `blockPowers[(i·K + ρ)·K + σ]`
    /// (K components; for C_n the 2-D DFT blocks (k, l)), of the centered activations. Formed
    /// on each use (|G|-independent but m·K² values): for one neuron, `blockPowers(ofNeuron:)`.
    public var blockPowers: [Double]? { blocks?.dense(count: hidden?.count ?? 0, K: components.count) }
    /// One neuron's K × K blocks, `[ρ·K + σ]` (the slice of `blockPowers`).
    public func blockPowers(ofNeuron i: Int) -> [Double]? {
        guard let blocks, let hidden, hidden.indices.contains(i) else { return nil }
        let K = components.count
        return (0..<(K * K)).map { blocks.value(neuron: i, K: K, r: $0 / K, s: $0 % K) }
    }
    /// The sum of one neuron's blocks: its power over G × G (‖h̃_i‖², Parseval).
    public func blockTotal(ofNeuron i: Int) -> Double? {
        guard let blocks, let hidden, hidden.indices.contains(i) else { return nil }
        return blocks.total(neuron: i, K: components.count)
    }
    /// The blocks as computed: dense, or the factors of the quadratic closed form.
    let blocks: HiddenBlocks?
    /// Why a part was not computed (too large, no activations), or nil.
    public let note: String?
}

extension Attribution {
    /// Largest |G| attribution runs on (its logits cost |G|³ per component).
    public static let maximumOrder = 1024
    /// Centered logits are kept between the two passes up to this many bytes (else recomputed).
    static let logitCacheBytes = 1 << 30
    /// The hidden-layer measures run up to |G|²·m·16 bytes: the activations a transformer's pass
    /// keeps (read a chunk of neurons at a time), and for every family a bound on their
    /// 4|G|³·m work (the paper's network and the MLPs hold no more than a chunk).
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
    /// forward pass the analysis already ran (`LogitPass`) instead of running the network again,
    /// and the parts that read no logits from `prepared`. Without a pass, the logits are kept up
    /// to `logitCache` bytes (else rows are recomputed as needed: the route of |G| > 512).
    /// A pair's exponentials e^{x_c − max x} into `z` (n values, c ascending, by
    /// `irrepscope_exp_shifted`), max x, and its own cross-entropy (max x − x_g) + log Σ_c z_c.
    /// A pair whose logits span more than 300 (or are not finite) takes the direct route
    /// instead: `direct` true, its loss by `crossEntropy` (libm's exp), z zero. The kept route of
    /// `compute` and the pass's class sums (`LogitPass.StreamedSums`) both take them here.
    static func pairExponentials(_ x: UnsafePointer<Double>, _ n: Int, target g: Int,
                                 into z: UnsafeMutablePointer<Double>) -> (mx: Double, loss: Double, direct: Bool) {
        var mx = -Double.infinity, mn = Double.infinity
        irrepscope_range(x, n, &mn, &mx)
        if !(mx - mn <= 300) {
            for c in 0..<n { z[c] = 0 }
            return (mx, crossEntropy(x, n, g), true)
        }
        let total = irrepscope_exp_shifted(x, n, mx, z)
        return (mx, (mx - x[g]) + log(total), false)
    }

    static func compute(network: any GroupTaskNetwork, group: FiniteGroup, composition: Composition,
                        options: AttributionOptions, threads: Int, pass: consuming LogitPass?,
                        prepared: Preparation? = nil, logitCache: Int = logitCacheBytes) -> Attribution? {
        let n = network.order, m = network.width
        guard n >= 1, n <= maximumOrder, n == group.order else { return nil }
        let cyclic = group.isCyclic
        let workers = max(1, min(threads, n))
        guard let prep = prepared ?? Preparation(network: network, group: group, composition: composition, options: options,
                                                 threads: workers) else { return nil }
        let T = prep.T, degrees = prep.degrees, label = prep.label, quot = prep.quot
        let K = T.count

        // Pass 1 (unless the pass took them): the centered logits, kept up to `logitCache` bytes, their norm and M(g, c).
        // The pass may have taken the excluded losses' class sums instead of keeping the logits.
        let streamed = pass?.streamed
        let given = streamed != nil || (pass.map { $0.centered.count == n * n * n } ?? false)
        let keep = given || n * n * n * 8 <= logitCache
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
        // A given pass took these sums as it wrote the logits.
        let rowsPerTask = max(1, min(block, (n + 15) / 16))
        let tasks1 = given ? 0 : (n + rowsPerTask - 1) / rowsPerTask
        var partialM = [Double](repeating: 0, count: max(1, tasks1 * n * n))
        source.withUnsafeBufferPointer { sb in store.withUnsafeMutableBufferPointer { cb in partialM.withUnsafeMutableBufferPointer { pm in
        rowNormSq.withUnsafeMutableBufferPointer { rn in
            let cache = SharedMutablePointer(cb.baseAddress!)
            nonisolated(unsafe) let kept = sb.baseAddress
            let part = SharedMutablePointer(pm.baseAddress!), norms = SharedMutablePointer(rn.baseAddress!)
            let lab = label
            let w1 = max(1, min(workers, tasks1))
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
        if given { M = pass!.labelSums }
        let normL = (given ? pass!.normSquared : rowNormSq.reduce(0, +)).squareRoot()

        // Similarities and projection coefficients α_ρ = ⟨L̃, T_ρ⟩ / ‖T_ρ‖².
        // ⟨L̃, T_ρ⟩ = Σ_h T_ρ(h) D(h) with D(h) = Σ_{g·c⁻¹ = h} M(g, c): the sums over the n²
        // entries of M once, then n terms per component.
        var similarity = [Double](repeating: 0, count: K), alpha = [Double](repeating: 0, count: K)
        var D = [Double](repeating: 0, count: n)
        for q in 0..<(n * n) { D[Int(quot[q])] += M[q] }
        for r in 0..<K {
            var inner = 0.0
            for h in 0..<n { inner += D[h] * T[r][h] }
            let tt = Double(n) * Double(n) * T[r].reduce(0) { $0 + $1 * $1 }
            similarity[r] = normL > 0 && tt > 0 ? inner / (normL * tt.squareRoot()) : 0
            alpha[r] = tt > 0 ? inner / tt : 0
        }
        let key = (0..<K).map { similarity[$0] > options.threshold }
        // Restricted logits as functions of h = g·c⁻¹: v[ρ·n + h] = α_ρ T_ρ(h) for each
        // component, and v[K·n + h] = Σ_{ρ key} α_ρ T_ρ(h) for the key set (R(g, c) = v_K(g c⁻¹)).
        let slots = K + 1
        var v = [Double](repeating: 0, count: slots * n)
        for r in 0..<K {
            for h in 0..<n { v[r * n + h] = alpha[r] * T[r][h] }
            if key[r] { for h in 0..<n { v[K * n + h] += v[r * n + h] } }
        }
        let identity = Int(quot[0])   // 0·0⁻¹
        var pairWeight: [Int32]? = nil
        if let p = options.pairs {
            var w = [Int32](repeating: 0, count: n * n)
            for k in 0..<p.count { w[Int(p.values[2 * k]) * n + Int(p.values[2 * k + 1])] += 1 }
            pairWeight = w
        }
        // Restricted losses: a pair of label g has the logits v_ρ(g c⁻¹) over c, target c = g,
        // i.e. the values v_ρ(h) over all h with target h = e whatever g is (c ↦ g c⁻¹ is a
        // bijection): one cross-entropy per component.
        var restricted = [Double](repeating: 0, count: slots)
        var scratch = [Double](repeating: 0, count: n)
        v.withUnsafeBufferPointer { vb in scratch.withUnsafeMutableBufferPointer { sb in
            for r in 0..<slots { restricted[r] = crossEntropy(vb.baseAddress! + r * n, n, identity, scratch: sb.baseAddress!) }
        } }

        // Pass 2: excluded losses per pair, on the workers (by label, or by blocks of rows).
        var excludedAll = [Double](repeating: 0, count: n * slots), excludedSub = [Double](repeating: 0, count: n * slots)
        // e^{−(v_ρ(h) − v_ρ(e))}: a pair's excluded loss, the log-sum-exp of its excluded logits
        // x_c − v_ρ(g c⁻¹) less the one at c = g, is then (max x − x_g) +
        // log Σ_c e^{x_c − max x} e^{−(v_ρ(g c⁻¹) − v_ρ(e))}: one exp per class for all components
        // together, and no large terms that cancel when the loss is small. Components (or pairs)
        // whose range could overflow or underflow take the direct route.
        var expV = [Double](repeating: 0, count: slots * n)
        var direct = [Bool](repeating: false, count: slots)
        for r in 0..<slots {
            var inRange = true
            let ve = v[r * n + identity]
            for h in 0..<n {
                let x = v[r * n + h] - ve
                if !(abs(x) <= 300) { inRange = false }
                expV[r * n + h] = exp(-x)
            }
            direct[r] = !inRange
        }
        // The network's own loss per pair is taken here too, from the same e^{x_c − max x} (the
        // sums of `crossEntropy`, in its order).
        //
        // With the logits kept, the pairs are taken by label g (the n pairs (a, b) with a·b = g):
        // their e^{x − max x} rows form an n × n matrix Z_g and all their sums are one dgemm
        // Z_g · E_gᵀ with the (K+1) × n matrix E_g[ρ, c] = e^{−v_ρ(g c⁻¹)} of the label; per
        // label and component, the sum over its pairs of log Σ is the log of the product of the
        // sums (kept as significand and exponent: one log per label and component, not per pair).
        // Otherwise rows a are recomputed block by block, one dgemv per pair; partial sums per
        // row a. Either way the result does not depend on the number of threads.
        let pairOfLabel = prep.pairOfLabel
        if let st = streamed { ownLoss = st.ownLoss }
        excludedAll.withUnsafeMutableBufferPointer { eab in excludedSub.withUnsafeMutableBufferPointer { esb in
        ownLoss.withUnsafeMutableBufferPointer { ol in
            let ea = SharedMutablePointer(eab.baseAddress!), es = SharedMutablePointer(esb.baseAddress!)
            let own = SharedMutablePointer(ol.baseAddress!)
            let cachedCopy = cached, pw = pairWeight, lab = label, qu = quot, vc = v
            let ex = expV, dr = direct, byLabel = pairOfLabel
            /// The pair's excluded loss for component (or key set) r by the direct route, its
            /// logits minus v_r(g c⁻¹), with the exponentials in `eb` (2n values).
            @Sendable func directLoss(_ x: UnsafePointer<Double>, g: Int, r: Int, scratch eb: UnsafeMutablePointer<Double>) -> Double {
                let base = r * n
                for c in 0..<n { eb[c] = x[c] - vc[base + Int(qu[g * n + c])] }
                return crossEntropy(eb, n, g, scratch: eb + n)
            }
            /// The pair's K + 1 excluded losses, added to row `slot` of the partial sums; `sums`
            /// holds Σ_c e^{x_c − mx} e^{−r_c} unless the pair takes the direct route.
            @Sendable func finish(_ x: UnsafePointer<Double>, a: Int, b: Int, g: Int, mx: Double, pairDirect: Bool,
                        sums: UnsafePointer<Double>, scratch eb: UnsafeMutablePointer<Double>, slot: Int) {
                let weight = Double(pw?[a * n + b] ?? 0)
                for r in 0...K {
                    let ce = pairDirect || dr[r] ? directLoss(x, g: g, r: r, scratch: eb) : (mx - x[g]) + log(sums[r])
                    ea.pointer[slot * slots + r] += ce
                    if weight > 0 { es.pointer[slot * slots + r] += weight * ce }
                }
            }
            /// e^{x_c − max x} into z and the pair's own loss; whether it takes the direct route.
            @Sendable func exponentials(_ x: UnsafePointer<Double>, a: Int, b: Int, g: Int, z: UnsafeMutablePointer<Double>) -> (mx: Double, direct: Bool) {
                let e = pairExponentials(x, n, target: g, into: z)
                own.pointer[a * n + b] = e.loss
                return (e.mx, e.direct)
            }
            if let st = streamed {
                // The pass's class sums (`LogitPass.StreamedSums`): v_ρ is constant on each class
                // of h = g·c⁻¹, so Σ_c e^{x_c − max x} e^{−(v_ρ(g c⁻¹) − v_ρ(e))} = Σ_K F_K E[ρ, K], with
                // E[ρ, K] = e^{−(v_ρ(h) − v_ρ(e))} for any h of class K (the same whatever g is).
                let R = st.classes.count, rep = st.classes.representative
                var EK = [Double](repeating: 0, count: slots * R)
                for r in 0..<slots { for k in 0..<R { EK[r * R + k] = ex[r * n + rep[k]] } }
                let table = EK
                st.classSums.withUnsafeBufferPointer { fb in st.shifts.withUnsafeBufferPointer { shb in table.withUnsafeBufferPointer { tb in
                    nonisolated(unsafe) let Fp = fb.baseAddress!, shift = shb.baseAddress!, E = tb.baseAddress!
                    let rows = st.directRows
                    /// The pair's excluded loss for a component whose values span more than 300 (no pair
                    /// of its logits does): (max x − x_g) + log Σ_K e^{log F_K − (v_ρ(K) − v_ρ(e))}, the
                    /// log-sum-exp over the classes shifted by its largest term.
                    @Sendable func classLoss(_ q: Int, r: Int, scratch t: UnsafeMutablePointer<Double>) -> Double {
                        let ve = vc[r * n + identity]
                        var best = -Double.infinity
                        for k in 0..<R {
                            t[k] = log(Fp[q * R + k]) - (vc[r * n + rep[k]] - ve)
                            best = max(best, t[k])
                        }
                        var sum = 0.0
                        for k in 0..<R { sum += exp(t[k] - best) }
                        return shift[q] + best + log(sum)
                    }
                    let next = BlockTicket()
                    parallelWorkers(min(workers, n)) { _ in
                        var S = [Double](repeating: 0, count: slots * n), e = [Double](repeating: 0, count: 2 * max(n, R))
                        var isDirect = [Bool](repeating: false, count: n)
                        S.withUnsafeMutableBufferPointer { sb in e.withUnsafeMutableBufferPointer { eb in
                            let St = sb.baseAddress!
                            while let g = next.take(below: n) {
                                var anyDirect = false
                                // Σ over the label's pairs of max x − x_g.
                                var shifts = 0.0
                                for a in 0..<n {
                                    let q = a * n + Int(byLabel[g * n + a])
                                    let d = !rows.isEmpty && rows[q] != nil
                                    isDirect[a] = d
                                    anyDirect = anyDirect || d
                                    shifts += shift[q]
                                    let Fq = Fp + q * R
                                    for r in 0...K {
                                        let Er = E + r * R
                                        var s = 0.0
                                        for k in 0..<R { s += Fq[k] * Er[k] }
                                        St[r * n + a] = s
                                    }
                                }
                                for r in 0...K {
                                    var all = anyDirect || dr[r] ? Double.nan : shifts + irrepscope_sum_log(St + r * n, n)
                                    if pw != nil || all.isNaN {
                                        // Pair by pair, as on the kept route.
                                        var add = 0.0, addSub = 0.0
                                        for a in 0..<n {
                                            let q = a * n + Int(byLabel[g * n + a])
                                            let ce: Double
                                            if isDirect[a] {
                                                ce = rows[q]!.withUnsafeBufferPointer { directLoss($0.baseAddress!, g: g, r: r, scratch: eb.baseAddress!) }
                                            } else if dr[r] {
                                                ce = classLoss(q, r: r, scratch: eb.baseAddress!)
                                            } else {
                                                ce = shift[q] + log(St[r * n + a])
                                            }
                                            add += ce
                                            if let w = pw?[q], w > 0 { addSub += Double(w) * ce }
                                        }
                                        if all.isNaN { all = add }
                                        es.pointer[g * slots + r] = addSub
                                    }
                                    ea.pointer[g * slots + r] = all
                                }
                            }
                        } }
                    }
                } } }
            } else if keep {
                cachedCopy.withUnsafeBufferPointer { cb in ex.withUnsafeBufferPointer { exb in
                    nonisolated(unsafe) let L = cb.baseAddress!, EV = exb.baseAddress!
                    let next = BlockTicket()
                    parallelWorkers(min(workers, n)) { _ in
                        var Z = [Double](repeating: 0, count: n * n), S = [Double](repeating: 0, count: slots * n)
                        var E = [Double](repeating: 0, count: slots * n)
                        var e = [Double](repeating: 0, count: 2 * n), info = [(mx: Double, direct: Bool)](repeating: (0, false), count: n)
                        Z.withUnsafeMutableBufferPointer { zb in S.withUnsafeMutableBufferPointer { sb in e.withUnsafeMutableBufferPointer { eb in
                        E.withUnsafeMutableBufferPointer { Eb in
                            let Eg = Eb.baseAddress!, St = sb.baseAddress!
                            while let g = next.take(below: n) {
                                // E_g[ρ, c] = e^{−v_ρ(g c⁻¹)}.
                                let qg = g * n
                                for r in 0..<slots { for c in 0..<n { Eg[r * n + c] = EV[r * n + Int(qu[qg + c])] } }
                                var anyDirect = false
                                // Σ over the label's pairs of max x − x_g.
                                var shifts = 0.0
                                for a in 0..<n {
                                    let b = Int(byLabel[g * n + a])
                                    let x = L + (a * n + b) * n
                                    info[a] = exponentials(x, a: a, b: b, g: g, z: zb.baseAddress! + a * n)
                                    anyDirect = anyDirect || info[a].direct
                                    shifts += info[a].mx - x[g]
                                }
                                // Sᵀ[r, a] = Σ_c E_g[r, c] Z[a, c].
                                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(slots), Int32(n), Int32(n), 1,
                                            Eg, Int32(n), zb.baseAddress, Int32(n), 0, St, Int32(n))
                                // Per component, Σ over the label's pairs of (max x − x_g) + log S: the
                                // shifts summed, the logs as one log of their product.
                                for r in 0...K {
                                    var all = anyDirect || dr[r] ? Double.nan : shifts + irrepscope_sum_log(St + r * n, n)
                                    if pw != nil || all.isNaN {
                                        // Pair by pair: a direct route, a sum that is not a positive
                                        // normal number, or the weighted sums over the given pairs.
                                        var add = 0.0, addSub = 0.0
                                        for a in 0..<n {
                                            let b = Int(byLabel[g * n + a])
                                            let x = L + (a * n + b) * n
                                            let ce = info[a].direct || dr[r] ? directLoss(x, g: g, r: r, scratch: eb.baseAddress!)
                                                : (info[a].mx - x[g]) + log(St[r * n + a])
                                            add += ce
                                            if let w = pw?[a * n + b], w > 0 { addSub += Double(w) * ce }
                                        }
                                        if all.isNaN { all = add }
                                        es.pointer[g * slots + r] = addSub
                                    }
                                    ea.pointer[g * slots + r] = all
                                }
                            }
                        } } } }
                    }
                } }
            } else {
                let tasks = (n + block - 1) / block
                parallelWorkers(min(workers, tasks)) { wk in
                    var e = [Double](repeating: 0, count: 2 * n), z = [Double](repeating: 0, count: n)
                    var zp = [Double](repeating: 0, count: n), sums = [Double](repeating: 0, count: slots)
                    var t = wk
                    while t < tasks {
                        let rows = (t * block)..<min(n, (t + 1) * block)
                        let f = centeredRows(rows)
                        f.withUnsafeBufferPointer { fb in e.withUnsafeMutableBufferPointer { eb in z.withUnsafeMutableBufferPointer { zb in
                        zp.withUnsafeMutableBufferPointer { zpb in sums.withUnsafeMutableBufferPointer { sb in ex.withUnsafeBufferPointer { exb in
                            for a in rows { for b in 0..<n {
                                let x = fb.baseAddress! + ((a - rows.lowerBound) * n + b) * n
                                let g = Int(lab[a * n + b])
                                let (mx, pairDirect) = exponentials(x, a: a, b: b, g: g, z: zb.baseAddress!)
                                if !pairDirect {
                                    // sums[r] = Σ_c e^{x_c − max x} e^{−v_r(g c⁻¹)} = Σ_h z'[h] e^{−v_r(h)},
                                    // z'[g c⁻¹] = z[c]: every component at once.
                                    for c in 0..<n { zpb[Int(qu[g * n + c])] = zb[c] }
                                    cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(slots), Int32(n), 1, exb.baseAddress!,
                                                Int32(n), zpb.baseAddress, 1, 0, sb.baseAddress, 1)
                                }
                                finish(x, a: a, b: b, g: g, mx: mx, pairDirect: pairDirect, sums: sb.baseAddress!, scratch: eb.baseAddress!,
                                       slot: a)
                            } }
                        } } } } } }
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
        func restrictedOnPairs(_ r: Int) -> Double? { pairWeight == nil ? nil : restricted[r] }
        func mean(_ r: Int) -> Double { restricted[r] }

        let embedding = prep.embedding, unembedding = prep.unembedding
        // Hidden layer.
        var hidden: [HiddenNeuronAttribution]? = nil
        var blocks: HiddenBlocks? = nil
        var note: String? = nil
        if options.hidden {
            if n * n * m * 16 > hiddenBytes {
                note = "the hidden-layer measures were skipped: |G|²·m = \(n * n * m) activations exceed the limit"
            } else if let r = prep.quadraticHidden {
                hidden = r.neurons; blocks = r.blocks
            } else if network.writesNeuronActivationsByChunk {
                let r = hiddenLayer(network: network, group: group, cyclic: cyclic, T: T, degrees: degrees, label: label,
                                    threads: workers)
                hidden = r.neurons; blocks = r.blocks
            } else if let h = pass?.takeActivations() ?? network.neuronActivations(rows: 0..<n) {
                let r = hiddenLayer(activations: h, n: n, m: m, group: group, cyclic: cyclic, T: T, degrees: degrees, label: label,
                                    threads: workers)
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
        var result = Attribution(threshold: options.threshold, loss: loss, restrictedLoss: mean(K),
                                 excludedLoss: columnSum(excludedAll, K) / pairs, onPairs: sub, components: components,
                                 hidden: hidden, blocks: blocks, note: note)
        if let w = pairWeight {
            var count = 0, sum = 0.0
            for p in 0..<(n * n) where w[p] == 0 { count += 1; sum += ownLoss[p] }
            result.otherPairs = (count, count > 0 ? sum / Double(count) : .nan)
        }
        return result
    }

    /// The parts of the attribution that do not read the logits: the components' characters,
    /// the labels a·b and the quotients g·c⁻¹, the embedding and unembedding shares (§7) and, for
    /// quadratic neurons, the hidden-layer measures in closed form (§6). `GroupAnalysis` makes it
    /// while the forward pass runs.
    struct Preparation: Sendable {
        let T: [[Double]], degrees: [Int]
        /// `label[a·n + b]` = a·b under the composition; `quot[g·n + c]` = g·c⁻¹;
        /// `pairOfLabel[g·n + a]` = the b with a·b = g.
        let label: [Int32], quot: [Int32], pairOfLabel: [Int32]
        let embedding: [Double]?, unembedding: [Double]?
        let quadraticHidden: (neurons: [HiddenNeuronAttribution], blocks: HiddenBlocks)?

        /// nil when the attribution does not run on this network and group (`compute` returns nil).
        init?(network: any GroupTaskNetwork, group: FiniteGroup, composition: Composition, options: AttributionOptions,
              threads: Int) {
            let n = network.order, m = network.width
            guard n >= 1, n <= maximumOrder, n == group.order else { return nil }
            (T, degrees) = characters(group, cyclic: group.isCyclic)
            let table = group.multiplicationTable
            let inv = group.inverses
            var label = [Int32](repeating: 0, count: n * n), quot = [Int32](repeating: 0, count: n * n)
            for a in 0..<n { for b in 0..<n {
                label[a * n + b] = Int32(composition == .rightToLeft ? table[a, b] : table[b, a])
                quot[a * n + b] = Int32(table[a, Int(inv[b])])
            } }
            var pairOfLabel = [Int32](repeating: 0, count: n * n)
            for a in 0..<n { for b in 0..<n { pairOfLabel[Int(label[a * n + b]) * n + a] = Int32(b) } }
            self.label = label; self.quot = quot; self.pairOfLabel = pairOfLabel
            let roles = network.roles
            embedding = Attribution.rolePowers(roles.filter { $0.name != "w" }, group: group, m: m, T: T, degrees: degrees)
            unembedding = Attribution.rolePowers(roles.filter { $0.name == "w" }, group: group, m: m, T: T, degrees: degrees)
            if options.hidden, n * n * m * 16 <= hiddenBytes, let quad = network.quadraticNeuronTerms,
               quad.p.count == n * m, quad.q.count == n * m {
                quadraticHidden = quadraticHiddenLayer(p: quad.p, q: quad.q, n: n, m: m, group: group, T: T, degrees: degrees,
                                                       pairOfLabel: pairOfLabel, threads: threads)
            } else {
                quadraticHidden = nil
            }
        }
    }

    /// The share of each component in the rows of the roles `names` together (docs/attribution.md
    /// §7): Σ_i P_ρ(x_i) / Σ_i ‖x_i‖² from their summed autocorrelations; nil without roles.
    static func rolePowers(_ names: [WeightRole], group: FiniteGroup, m: Int, T: [[Double]], degrees: [Int]) -> [Double]? {
        guard !names.isEmpty else { return nil }
        let n = group.order, K = T.count
        let table = group.multiplicationTable
        useSingleThreadedBLAS()
        var C = [Double](repeating: 0, count: n)
        // C(h) = Σ_y ⟨x_y, x_{y·h}⟩ from the Gram matrix X Xᵀ of the role's rows: its upper
        // triangle by one dsyrk (half the products of a dgemm), G[y, y'] read as G[min, max].
        var gram = [Double](repeating: 0, count: n * n)
        for role in names where role.values.count == n * m && m > 0 {
            role.values.withUnsafeBufferPointer { xb in gram.withUnsafeMutableBufferPointer { gb in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(m), 1, xb.baseAddress, Int32(m), 0,
                            gb.baseAddress, Int32(n))
            } }
            gram.withUnsafeBufferPointer { gb in
                for h in 0..<n {
                    var s = 0.0
                    for y in 0..<n { let z = table[y, h]; s += y <= z ? gb[y * n + z] : gb[z * n + y] }
                    C[h] += s
                }
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

    /// Writes the activations of a chunk of neurons at every pair: `fill(neurons, buffer)` sets
    /// `buffer[(a·n + b)·neurons.count + j]` = h_{neurons.lowerBound + j}(a, b).
    typealias NeuronChunkSource = @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> Void

    /// The hidden-layer measures from activations kept for every pair (the layout of
    /// `neuronActivations`, `h[(a·n + b)·m + i]`), read a chunk of neurons at a time.
    static func hiddenLayer(activations h: [Double], n: Int, m: Int, group: FiniteGroup, cyclic: Bool, T: [[Double]],
                            degrees: [Int], label: [Int32], threads: Int, transforms: Bool? = nil, chunk: Int? = nil)
        -> (neurons: [HiddenNeuronAttribution], blocks: HiddenBlocks) {
        precondition(h.count == n * n * m)
        return h.withUnsafeBufferPointer { hb in
            // nil only when there are no activations, and then no chunk is asked for.
            let kept = hb.baseAddress.map { SharedMutablePointer(UnsafeMutablePointer(mutating: $0)) }
            return hiddenLayer(n: n, m: m, group: group, cyclic: cyclic, T: T, degrees: degrees, label: label, threads: threads,
                               transforms: transforms, chunk: chunk) { neurons, buffer in
                let c = neurons.count
                for p in 0..<(n * n) { (buffer + p * c).update(from: kept!.pointer + p * m + neurons.lowerBound, count: c) }
            }
        }
    }

    /// The hidden-layer measures from a network that writes its activations a chunk of neurons
    /// at a time (`GroupTaskNetwork.writeNeuronActivations`): no |G|²·m activations are kept.
    static func hiddenLayer(network: any GroupTaskNetwork, group: FiniteGroup, cyclic: Bool, T: [[Double]], degrees: [Int],
                            label: [Int32], threads: Int, transforms: Bool? = nil)
        -> (neurons: [HiddenNeuronAttribution], blocks: HiddenBlocks) {
        hiddenLayer(n: network.order, m: network.width, group: group, cyclic: cyclic, T: T, degrees: degrees, label: label,
                    threads: threads, transforms: transforms) { neurons, buffer in
            let wrote = network.writeNeuronActivations(neurons: neurons, into: buffer)
            precondition(wrote, "the network stopped writing its activations by chunk")
        }
    }

    /// Neurons per chunk of the hidden-layer measures: about 4 MiB of activations (|G|² doubles
    /// per neuron) per worker, at most 64, a multiple of 8; with the 2-D transforms a multiple of
    /// their batch of 16, so that every neuron goes through the plan it has in one call over all
    /// neurons.
    static func hiddenChunk(n: Int, transforms: Bool) -> Int {
        let c = max(8, min(64, (4 << 20) / max(1, n * n * 8)) / 8 * 8)
        return transforms ? max(16, c / 16 * 16) : c
    }

    /// The hidden-layer measures (docs/attribution.md §6), chunk of neurons by chunk: each chunk's
    /// activations are centered (mean over the |G|² pairs), give the variance, the means f_i over
    /// the pairs of one product and the blocks (ρ, σ) — FFTW's 2-D transforms on cyclic groups
    /// above |G| = 160, else ‖Q_ρᵀ H̃_i Q_σ‖²_F with Q the isotypic basis (two dgemms per chunk:
    /// over a, then over b). Chunks depend on |G| and m only, and every neuron's sums run in the
    /// same order whatever its chunk, so the numbers do not depend on `threads`.
    static func hiddenLayer(n: Int, m: Int, group: FiniteGroup, cyclic: Bool, T: [[Double]], degrees: [Int], label: [Int32],
                            threads: Int, transforms: Bool?, chunk chunkSize: Int? = nil, source: NeuronChunkSource)
        -> (neurons: [HiddenNeuronAttribution], blocks: HiddenBlocks) {
        let K = T.count
        // Cyclic groups: FFTW's 2-D transforms; up to |G| = 160 the two products with the
        // isotypic basis (dgemm) cost less (the p = 113 transformer of Benchmarks/transformer.sh,
        // 512 MLP neurons: analyze 0.24 s instead of 0.40 s, measured once side by side on 2026-12-02).
        let useTransforms = cyclic && (transforms ?? (n > 160))
        let basis = isotypicBasis(group, T: T, degrees: degrees)
        let cols = basis.componentOfColumn.count, owner = basis.componentOfColumn
        let chunk = max(1, chunkSize ?? hiddenChunk(n: n, transforms: useTransforms))
        // A chunk's activations are stored with a row stride of a multiple of 8 neurons (zeros
        // beyond the chunk), so that every dgemm below has a multiple of 8 columns: OpenBLAS then
        // computes every column with its full-width kernel, and a neuron's sums do not depend on
        // where its chunk ends (its edge kernels round differently when |G| is odd).
        let rowWidth = (chunk + 7) / 8 * 8
        let chunks = m == 0 ? 0 : (m + chunk - 1) / chunk
        // The batch of the 2-D transforms: that of one call over all m neurons.
        let fftBatch = max(1, min(m, 16))
        let pairs = n * n
        var variance = [Double](repeating: 0, count: m)
        var f = [Double](repeating: 0, count: n * m)
        var blocks = [Double](repeating: 0, count: m * K * K)
        useSingleThreadedBLAS()
        variance.withUnsafeMutableBufferPointer { vb in f.withUnsafeMutableBufferPointer { fb in
        blocks.withUnsafeMutableBufferPointer { bb in basis.q.withUnsafeBufferPointer { qb in label.withUnsafeBufferPointer { lb in
            let V = SharedMutablePointer(vb.baseAddress!), Fm = SharedMutablePointer(fb.baseAddress!)
            let O = SharedMutablePointer(bb.baseAddress!)
            let Q = SharedMutablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            let L = SharedMutablePointer(UnsafeMutablePointer(mutating: lb.baseAddress!))
            let next = BlockTicket()
            parallelWorkers(max(1, min(threads, chunks))) { _ in
                let H = UnsafeMutablePointer<Double>.allocate(capacity: max(1, pairs * rowWidth))
                let scratch = useTransforms ? 0 : cols * n * rowWidth
                let Z = UnsafeMutablePointer<Double>.allocate(capacity: max(1, scratch))
                let Zt = UnsafeMutablePointer<Double>.allocate(capacity: max(1, scratch))
                let Y = UnsafeMutablePointer<Double>.allocate(capacity: max(1, useTransforms ? 0 : cols * cols * rowWidth))
                let mean = UnsafeMutablePointer<Double>.allocate(capacity: rowWidth)
                let fc = UnsafeMutablePointer<Double>.allocate(capacity: n * rowWidth)
                defer { H.deallocate(); Z.deallocate(); Zt.deallocate(); Y.deallocate(); mean.deallocate(); fc.deallocate() }
                while let k = next.take(below: chunks) {
                    let i0 = k * chunk, count = min(chunk, m - i0)
                    source(i0..<(i0 + count), H)
                    // Rows of `count` values spread to rows of c (a multiple of 8), from the last
                    // row back (each row moves up or stays), the columns beyond zeroed.
                    let c = (count + 7) / 8 * 8
                    if c != count {
                        for p in stride(from: pairs - 1, through: 0, by: -1) {
                            memmove(H + p * c, H + p * count, count * 8)
                            (H + p * c + count).initialize(repeating: 0, count: c - count)
                        }
                    }
                    // Center over the pairs; variance; f_i(g) = mean over the n pairs with product g.
                    mean.initialize(repeating: 0, count: count)
                    for p in 0..<pairs { let row = H + p * c; for j in 0..<count { mean[j] += row[j] } }
                    for j in 0..<count { mean[j] /= Double(pairs) }
                    let v = V.pointer + i0
                    for p in 0..<pairs {
                        let row = H + p * c
                        for j in 0..<count { let x = row[j] - mean[j]; row[j] = x; v[j] += x * x }
                    }
                    fc.initialize(repeating: 0, count: n * count)
                    for p in 0..<pairs {
                        let row = H + p * c, out = fc + Int(L.pointer[p]) * count
                        for j in 0..<count { out[j] += row[j] }
                    }
                    for g in 0..<n { for j in 0..<count { Fm.pointer[g * m + i0 + j] = fc[g * count + j] / Double(n) } }
                    if useTransforms {
                        let b = TwoDimensionalSpectra.blockPowers(H, order: n, count: count, stride: c, batch: fftBatch)
                        b.withUnsafeBufferPointer { (O.pointer + i0 * K * K).update(from: $0.baseAddress!, count: count * K * K) }
                        continue
                    }
                    // Z[c1, (b, j)] = Σ_a Q[a, c1] H̃[a, (b, j)].
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(n * c), Int32(n), 1,
                                Q.pointer, Int32(cols), H, Int32(n * c), 0, Z, Int32(n * c))
                    // Zt[b, (c1, j)], then Y[c2, (c1, j)] = Σ_b Q[b, c2] Z[c1, (b, j)].
                    for c1 in 0..<cols { for b in 0..<n { (Zt + (b * cols + c1) * c).update(from: Z + (c1 * n + b) * c, count: c) } }
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(cols * c), Int32(n), 1,
                                Q.pointer, Int32(cols), Zt, Int32(cols * c), 0, Y, Int32(cols * c))
                    for c1 in 0..<cols {
                        let rho = owner[c1]
                        for c2 in 0..<cols {
                            let sigma = owner[c2], y = Y + (c2 * cols + c1) * c
                            for j in 0..<count { let x = y[j]; O.pointer[((i0 + j) * K + rho) * K + sigma] += x * x }
                        }
                    }
                }
            }
        } } } } }
        let stored = HiddenBlocks.dense(blocks)
        // ‖P_ρ f_i‖² of every neuron (one dgemm per chunk of neurons).
        let fPower = f.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: m, basis: basis, K: K, threads: threads) }
        return (neuronMeasures(variance: variance, fPower: fPower, blocks: stored, n: n, m: m, K: K), stored)
    }

    /// The hidden-layer measures of quadratic neurons h_i(a, b) = (p_i[a] + q_i[b])²
    /// (`GroupTaskNetwork.quadraticNeuronTerms`) without the |G|²·m activations: the blocks in
    /// closed form (`quadraticBlocks`), each neuron's variance as their sum (Parseval), and the
    /// means f_i over the pairs of one product accumulated pair by pair (cyclic groups: their
    /// powers in closed form from those of p_i and q_i).
    static func quadraticHiddenLayer(p: [Double], q: [Double], n: Int, m: Int, group: FiniteGroup, T: [[Double]], degrees: [Int],
                                     pairOfLabel: [Int32], threads: Int = 1)
        -> (neurons: [HiddenNeuronAttribution], blocks: HiddenBlocks) {
        let K = T.count
        let basis = isotypicBasis(group, T: T, degrees: degrees)
        let blocks = quadraticBlocks(p: p, q: q, n: n, m: m, T: T, degrees: degrees, basis: basis, threads: threads)
        // Each neuron's variance: its blocks summed (Parseval).
        let variance = (0..<m).map { blocks.total(neuron: $0, K: K) }
        if group.isCyclic, case .quadratic(let powers, _) = blocks {
            // C_n: the centered f_i is (2/n)(p_i ⋆ q_i) less its mean, whose transform is
            // (2/n) p̂_i(k) q̂_i(k), so ‖P_k f_i‖² = (2/n) P_k(p_i) P_k(q_i) for 0 < k < n/2 (4/n at
            // k = n/2, 0 at k = 0): from the powers of p and q, without f (docs/attribution.md §6).
            var fPower = [Double](repeating: 0, count: K * m)
            for r in 1..<max(1, K) {
                let c = 2 * r == n ? 4 / Double(n) : 2 / Double(n)
                for i in 0..<m { fPower[r * m + i] = c * powers[i * 4 * K + r] * powers[i * 4 * K + K + r] }
            }
            return (neuronMeasures(variance: variance, fPower: fPower, blocks: blocks, n: n, m: m, K: K), blocks)
        }
        var f = [Double](repeating: 0, count: n * m)
        // Σ over the pairs of product g of h_i, pair by pair in the order of a (the n pairs (a, b)
        // with a·b = g), on the workers by chunks of 256 neurons (disjoint outputs).
        let chunk = 256, chunks = (m + chunk - 1) / chunk
        p.withUnsafeBufferPointer { pb in q.withUnsafeBufferPointer { qb in f.withUnsafeMutableBufferPointer { fb in
        pairOfLabel.withUnsafeBufferPointer { lb in
            let P = SharedMutablePointer(UnsafeMutablePointer(mutating: pb.baseAddress!))
            let Q = SharedMutablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!)), F = SharedMutablePointer(fb.baseAddress!)
            let L = SharedMutablePointer(UnsafeMutablePointer(mutating: lb.baseAddress!))
            let next = BlockTicket()
            parallelWorkers(max(1, min(threads, chunks))) { _ in
                while let k = next.take(below: chunks) {
                    let i0 = k * chunk
                    irrepscope_label_squares_f64(P.pointer, Q.pointer, m, n, L.pointer, i0, min(chunk, m - i0), F.pointer)
                }
            }
        } } } }
        // f_i(g) = (raw sum)/|G| − mean of h_i (each g is the product of |G| pairs).
        var mean = [Double](repeating: 0, count: m)
        for g in 0..<n { for i in 0..<m { mean[i] += f[g * m + i] } }
        for i in 0..<m { mean[i] /= Double(n * n) }
        for g in 0..<n { for i in 0..<m { f[g * m + i] = f[g * m + i] / Double(n) - mean[i] } }
        // ‖P_ρ f_i‖² of every neuron (one dgemm per chunk of neurons).
        let fPower = f.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: m, basis: basis, K: K, threads: threads) }
        return (neuronMeasures(variance: variance, fPower: fPower, blocks: blocks, n: n, m: m, K: K), blocks)
    }

    /// Each neuron's component, fraction and product shares from its variance, the powers
    /// ‖P_ρ f_i‖² of its means f_i over the pairs of one product (`fPower[ρ·m + i]`) and its blocks.
    static func neuronMeasures(variance: [Double], fPower: [Double], blocks: HiddenBlocks, n: Int, m: Int, K: Int) -> [HiddenNeuronAttribution] {
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
            func share(_ r: Int) -> Double {
                blocks.value(neuron: i, K: K, r: r, s: 0) + blocks.value(neuron: i, K: K, r: 0, s: r) + blocks.value(neuron: i, K: K, r: r, s: r)
            }
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
                                basis: (q: [Double], componentOfColumn: [Int]), threads: Int = 1) -> HiddenBlocks {
        let K = T.count
        guard m > 0, K > 0 else { return .quadratic(powers: [], order: n) }
        var pMean = [Double](repeating: 0, count: m), qMean = [Double](repeating: 0, count: m)
        // The two derived functions per neuron, element-major with stride 2m: p² + 2q̄p, q² + 2p̄q
        // (every entry written: no zeroing); p and q themselves are read in place.
        let s2 = 2 * m
        let x = [Double](unsafeUninitializedCapacity: n * s2) { xb, initialized in
            p.withUnsafeBufferPointer { pb in q.withUnsafeBufferPointer { qb in
            pMean.withUnsafeMutableBufferPointer { pm in qMean.withUnsafeMutableBufferPointer { qm in
                for y in 0..<n { for i in 0..<m { pm[i] += pb[y * m + i]; qm[i] += qb[y * m + i] } }
                for i in 0..<m { pm[i] /= Double(n); qm[i] /= Double(n) }
                for y in 0..<n {
                    let row = xb.baseAddress! + y * s2, pr = pb.baseAddress! + y * m, qr = qb.baseAddress! + y * m
                    for i in 0..<m {
                        let a = pr[i], b = qr[i]
                        row[i] = a * a + 2 * qm[i] * a
                        row[m + i] = b * b + 2 * pm[i] * b
                    }
                }
            } } } }
            initialized = n * s2
        }
        // P_ρ of the four functions of every neuron.
        let powerP = p.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: m, basis: basis, K: K, threads: threads) }
        let powerQ = q.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: m, basis: basis, K: K, threads: threads) }
        let powerX = x.withUnsafeBufferPointer { componentPowers($0.baseAddress!, n: n, s: s2, basis: basis, K: K, threads: threads) }
        // Neuron-major copies of the four powers (`byNeuron[(i·4 + k)·K + ρ]`): the blocks are
        // products of them (`HiddenBlocks.value`), formed only where asked for.
        var byNeuron = [Double](repeating: 0, count: 4 * m * K)
        byNeuron.withUnsafeMutableBufferPointer { out in
            for (k, source, stride, offset) in [(0, powerP, m, 0), (1, powerQ, m, 0), (2, powerX, s2, 0), (3, powerX, s2, m)] {
                source.withUnsafeBufferPointer { pw in
                    for r in 0..<K {
                        let from = pw.baseAddress! + r * stride + offset, to = out.baseAddress! + k * K + r
                        for i in 0..<m { to[i * 4 * K] = from[i] }
                    }
                }
            }
        }
        return .quadratic(powers: byNeuron, order: n)
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
}

/// The blocks (ρ, σ) of every hidden neuron's power over G × G (docs/attribution.md §6).
enum HiddenBlocks: Sendable {
    /// `values[(i·K + ρ)·K + σ]`.
    case dense([Double])
    /// Quadratic neurons (`Attribution.quadraticBlocks`): `powers[(i·4 + k)·K + ρ]` is P_ρ of
    /// p_i, q_i, p_i² + 2q̄_i p_i and q_i² + 2p̄_i q_i (k = 0 … 3); the block (ρ, σ) with ρ, σ ≠ 1 is
    /// 4 P_ρ(p_i) P_σ(q_i), (ρ, 1) is |G| P_ρ(p_i² + 2q̄_i p_i), (1, σ) is |G| P_σ(q_i² + 2p̄_i q_i),
    /// (1, 1) is 0.
    case quadratic(powers: [Double], order: Int)

    @inline(__always)
    func value(neuron i: Int, K: Int, r: Int, s: Int) -> Double {
        switch self {
        case .dense(let b): return b[(i * K + r) * K + s]
        case .quadratic(let p, let n):
            let w = i * 4 * K
            if r == 0 { return s == 0 ? 0 : Double(n) * p[w + 3 * K + s] }
            if s == 0 { return Double(n) * p[w + 2 * K + r] }
            return 4 * p[w + r] * p[w + K + s]
        }
    }

    /// The sum of a neuron's K² blocks. Dense: in index order. Quadratic: by the closed form
    /// |G| Σ_ρ P_ρ(p² + 2q̄p) + |G| Σ_σ P_σ(q² + 2p̄q) + 4 Σ_ρ P_ρ(p) · Σ_σ P_σ(q) (ρ, σ ≠ 1).
    func total(neuron i: Int, K: Int) -> Double {
        switch self {
        case .dense(let b):
            var v = 0.0
            for j in 0..<(K * K) { v += b[i * K * K + j] }
            return v
        case .quadratic(let p, let n):
            let w = i * 4 * K
            var a = 0.0, b = 0.0, pp = 0.0, pq = 0.0
            for r in 1..<max(1, K) { a += p[w + 2 * K + r]; b += p[w + 3 * K + r]; pp += p[w + r]; pq += p[w + K + r] }
            return Double(n) * a + Double(n) * b + 4 * pp * pq
        }
    }

    /// Every neuron's blocks, `[(i·K + ρ)·K + σ]`.
    func dense(count m: Int, K: Int) -> [Double] {
        if case .dense(let b) = self { return b }
        var out = [Double](repeating: 0, count: m * K * K)
        for i in 0..<m { for r in 0..<K { for s in 0..<K { out[(i * K + r) * K + s] = value(neuron: i, K: K, r: r, s: s) } } }
        return out
    }
}
