import Foundation
import NeuronData

/// The character table of S_n by the Murnaghan–Nakayama rule on beta-sets, built for the
/// whole table at once (docs/theory.md §6–§7).
///
/// A partition with ℓ parts is a beta-set of ℓ beads (bit λ_i + ℓ − 1 − i of a UInt64);
/// removing a rim hook of length r moves one bead from b to b − r onto an empty position,
/// with sign (−1)^(beads strictly between). For every m ≤ n and every λ ⊢ m the removable
/// r-hooks are tabulated once (in total Σ_m m·p(m) entries). A column χ^·(μ) is then built
/// bottom-up by adding the parts of μ smallest first: v₀ = χ^∅ = 1, and
/// v_j(λ) = Σ_{r-hooks of λ, r = μ_j} ± v_{j−1}(λ − hook). Columns are enumerated as a trie
/// of part sequences, so classes sharing their small parts share the work (memoisation).
/// Values are exact Int64 with overflow checked; they fit up to n = 35.
public enum SymmetricCharacters {
    /// Largest n accepted: character values of S_n fit Int64 up to n = 35 (docs/theory.md §7).
    public static let maximumN = 35

    /// Exact table: `values[irrep * p(n) + class]`, irreps in `Partition.all(n)` order
    /// ([n] first), classes in reverse of that order ((1ⁿ) first).
    public static func table(n: Int, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws
        -> (irreps: [Partition], classes: [Partition], values: [Int64]) {
        guard n >= 0 else { throw GroupError("S_n needs n ≥ 0") }
        guard n <= maximumN else {
            throw GroupError("the character table of S_\(n) is refused: values are exact Int64 only up to n = \(maximumN), and p(\(n)) = \(Partition.count(n)) rows")
        }
        let irreps = Partition.all(n)
        let classes = Array(irreps.reversed())
        let k = irreps.count
        // Levels m = 0…n: partitions, mask → index.
        var levelIndex: [[UInt64: Int32]] = []
        var levelMasks: [[UInt64]] = []
        for m in 0...n {
            let ps = m == n ? irreps : Partition.all(m)
            var d: [UInt64: Int32] = [:]
            d.reserveCapacity(ps.count)
            var masks: [UInt64] = []
            for (i, p) in ps.enumerated() { let b = p.betaMask; d[b] = Int32(i); masks.append(b) }
            levelIndex.append(d); levelMasks.append(masks)
        }
        // hooks[m][r]: CSR over λ ⊢ m of (index in level m − r) << 1 | (sign < 0).
        struct HookList { var offsets: [Int32]; var entries: [Int32] }
        var hooks: [[HookList]] = Array(repeating: [], count: n + 1)
        for m in 0...n {
            var perR: [HookList] = [HookList(offsets: [], entries: [])]
            if m >= 1 {
                for r in 1...m {
                    var off: [Int32] = [0], ent: [Int32] = []
                    for mask in levelMasks[m] {
                        var bits = mask
                        while bits != 0 {
                            let b = bits.trailingZeroBitCount
                            bits &= bits - 1
                            if b >= r, mask & (1 << UInt64(b - r)) == 0 {
                                let between = mask & ((1 << UInt64(b)) - 1) & ~((1 << UInt64(b - r + 1)) - 1)
                                var nm = (mask & ~(1 << UInt64(b))) | (1 << UInt64(b - r))
                                while nm & 1 == 1 { nm >>= 1 }
                                let child = levelIndex[m - r][nm]!
                                ent.append(child << 1 | Int32(between.nonzeroBitCount & 1))
                            }
                        }
                        off.append(Int32(ent.count))
                    }
                    perR.append(HookList(offsets: off, entries: ent))
                }
            }
            hooks[m] = perR
        }
        var classIndexBuild: [[Int]: Int] = [:]
        for (i, c) in classes.enumerated() { classIndexBuild[c.parts] = i }
        let classIndex = classIndexBuild

        var values = [Int64](repeating: 0, count: k * k)
        let overflow = OverflowFlag()
        // The first part (the smallest) splits the trie into independent subtrees.
        let firsts = n == 0 ? [] : Array(1...n)
        if n == 0 { values[0] = 1 }
        values.withUnsafeMutableBufferPointer { vb in
            let out = SharedMutablePointer(vb.baseAddress!)
            let workers = max(1, min(threads, firsts.count))
            let sharedHooks = hooks
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                var partsStack: [Int] = []
                var vectors: [[Int64]] = [[1]]
                func extend(_ parent: [Int64], to m: Int, by r: Int) -> [Int64] {
                    let h = sharedHooks[m][r]
                    let cnt = h.offsets.count - 1
                    var v = [Int64](repeating: 0, count: cnt)
                    var bad = false
                    h.offsets.withUnsafeBufferPointer { off in
                        h.entries.withUnsafeBufferPointer { ent in
                            parent.withUnsafeBufferPointer { par in
                                for i in 0..<cnt {
                                    var s: Int64 = 0
                                    for e in Int(off[i])..<Int(off[i + 1]) {
                                        let x = ent[e]
                                        let pv = par[Int(x >> 1)]
                                        let (t, o) = (x & 1) == 0 ? s.addingReportingOverflow(pv) : s.subtractingReportingOverflow(pv)
                                        if o { bad = true }
                                        s = t
                                    }
                                    v[i] = s
                                }
                            }
                        }
                    }
                    if bad { overflow.set() }
                    return v
                }
                func rec(_ m: Int, _ minPart: Int) {
                    let remaining = n - m
                    var b = minPart
                    while b <= remaining {
                        let rest = remaining - b
                        if rest == 0 || rest >= b {
                            let v = extend(vectors[vectors.count - 1], to: m + b, by: b)
                            partsStack.append(b)
                            if rest == 0 {
                                let col = classIndex[partsStack.reversed()]!
                                v.withUnsafeBufferPointer { (out.pointer + col * k).update(from: $0.baseAddress!, count: k) }
                            } else {
                                vectors.append(v)
                                rec(m + b, b)
                                vectors.removeLast()
                            }
                            partsStack.removeLast()
                        }
                        b += 1
                    }
                }
                var idx = w
                while idx < firsts.count {
                    let b = firsts[idx]
                    let rest = n - b
                    if rest == 0 || rest >= b {
                        let v = extend(vectors[0], to: b, by: b)
                        partsStack = [b]
                        if rest == 0 {
                            let col = classIndex[[b]]!
                            v.withUnsafeBufferPointer { (out.pointer + col * k).update(from: $0.baseAddress!, count: k) }
                        } else {
                            vectors.append(v); rec(b, b); vectors.removeLast()
                        }
                    }
                    idx += workers
                }
            }
        }
        if overflow.isSet { throw GroupError("a character value of S_\(n) overflowed Int64") }
        // Columns were written contiguously (column-major); transpose in cache-sized tiles.
        var rowMajor = [Int64](repeating: 0, count: k * k)
        values.withUnsafeBufferPointer { src in
            rowMajor.withUnsafeMutableBufferPointer { dst in
                let s = SharedMutablePointer(UnsafeMutablePointer(mutating: src.baseAddress!))
                let d = SharedMutablePointer(dst.baseAddress!)
                let tile = 64, tiles = (k + tile - 1) / tile
                DispatchQueue.concurrentPerform(iterations: tiles) { ti in
                    let i0 = ti * tile, i1 = min(k, i0 + tile)
                    var j0 = 0
                    while j0 < k {
                        let j1 = min(k, j0 + tile)
                        for j in j0..<j1 { for i in i0..<i1 { d.pointer[i * k + j] = s.pointer[j * k + i] } }
                        j0 = j1
                    }
                }
            }
        }
        return (irreps, classes, rowMajor)
    }

    /// The CharacterTable of S_n: classes by cycle type, irreps by partition, indicators +1
    /// (every irrep of S_n is real, docs/theory.md §5).
    public static func characterTable(n: Int) throws -> CharacterTable {
        let t = try table(n: n)
        let order = BigUInt.factorial(n)
        let classes = t.classes.map { mu -> CharacterTable.ConjugacyClass in
            let z = mu.centralizerOrder
            return .init(label: mu.cycleTypeLabel, size: order.dividedExactly(by: z),
                         centralizer: z, representative: mu.representative, cycleType: mu.parts)
        }
        let k = t.irreps.count
        let irreps = t.irreps.enumerated().map { i, l in
            CharacterTable.Irrep(label: l.description, degree: Int(t.values[i * k]), indicator: 1, partition: l.parts)
        }
        return CharacterTable(groupName: "S\(n)", order: order, classes: classes, irreps: irreps, integerValues: t.values)
    }
}

final class OverflowFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
