/// Permutations of {0, …, n−1} in one-line notation: `p[x]` is the image of x.
///
/// Composition (docs/theory.md §6): `compose(g, h)[x] = g[h[x]]`, i.e. (g·h)(x) = g(h(x)).
/// Element order of S_n: lexicographic in one-line notation (Python's
/// `itertools.permutations`), so `rank` is the position in that order.
public enum Permutation {
    /// (g·h)(x) = g(h(x)).
    @inlinable public static func compose(_ g: [Int], _ h: [Int]) -> [Int] {
        var r = [Int](repeating: 0, count: h.count)
        for x in 0..<h.count { r[x] = g[h[x]] }
        return r
    }

    public static func inverse(_ g: [Int]) -> [Int] {
        var r = [Int](repeating: 0, count: g.count)
        for x in 0..<g.count { r[g[x]] = x }
        return r
    }

    public static func identity(_ n: Int) -> [Int] { Array(0..<n) }

    /// Whether `p` is a permutation of 0..<p.count.
    public static func isPermutation(_ p: [Int]) -> Bool {
        var seen = [Bool](repeating: false, count: p.count)
        for v in p {
            guard v >= 0, v < p.count, !seen[v] else { return false }
            seen[v] = true
        }
        return true
    }

    /// Cycle lengths, largest first (fixed points included as 1-cycles).
    public static func cycleType(_ p: [Int]) -> [Int] {
        var seen = [Bool](repeating: false, count: p.count)
        var lengths: [Int] = []
        for s in 0..<p.count where !seen[s] {
            var x = s, l = 0
            while !seen[x] { seen[x] = true; x = p[x]; l += 1 }
            lengths.append(l)
        }
        return lengths.sorted(by: >)
    }

    /// The cycles of `p` (each starting at its smallest point), in order of that point.
    public static func cycles(_ p: [Int]) -> [[Int]] {
        var seen = [Bool](repeating: false, count: p.count)
        var out: [[Int]] = []
        for s in 0..<p.count where !seen[s] {
            var c: [Int] = [], x = s
            while !seen[x] { seen[x] = true; c.append(x); x = p[x] }
            out.append(c)
        }
        return out
    }

    /// +1 for even, −1 for odd permutations.
    public static func sign(_ p: [Int]) -> Int {
        let t = cycleType(p)
        return (p.count - t.count) % 2 == 0 ? 1 : -1
    }

    /// Cycle notation with 0-based points, e.g. "(0 2 1)(3 4)"; the identity is "()".
    public static func cycleNotation(_ p: [Int]) -> String {
        let cs = cycles(p).filter { $0.count > 1 }
        if cs.isEmpty { return "()" }
        return cs.map { "(" + $0.map(String.init).joined(separator: " ") + ")" }.joined()
    }

    /// Position of `p` in the lexicographic order of S_n (Lehmer code).
    public static func rank(_ p: [Int]) -> Int {
        let n = p.count
        var r = 0
        var used = [Bool](repeating: false, count: n)
        for i in 0..<n {
            var smaller = 0
            for v in 0..<p[i] where !used[v] { smaller += 1 }
            used[p[i]] = true
            r = r * (n - i) + smaller
        }
        return r
    }

    /// The permutation at position `rank` of the lexicographic order of S_n.
    public static func unrank(_ rank: Int, n: Int) -> [Int] {
        var digits = [Int](repeating: 0, count: n)
        var r = rank
        for i in stride(from: n - 1, through: 0, by: -1) {
            let base = n - i
            digits[i] = r % base; r /= base
        }
        var avail = Array(0..<n), out: [Int] = []
        for i in 0..<n { out.append(avail.remove(at: digits[i])) }
        return out
    }

    /// All permutations of 0..<n in lexicographic order.
    public static func all(_ n: Int) -> [[Int]] {
        var out: [[Int]] = []
        var p = Array(0..<n)
        out.append(p)
        if n < 2 { return out }
        while true {
            var i = n - 2
            while i >= 0 && p[i] > p[i + 1] { i -= 1 }
            if i < 0 { break }
            var j = n - 1
            while p[j] < p[i] { j -= 1 }
            p.swapAt(i, j)
            p[(i + 1)...].reverse()
            out.append(p)
        }
        return out
    }

    /// A reduced word of g: indices i of adjacent transpositions s_i = (i i+1) with
    /// g = s_{w[0]} · s_{w[1]} ⋯ (composition right to left), of length = number of inversions.
    public static func reducedWord(_ g: [Int]) -> [Int] {
        // Bubble sort on positions: g ∘ s_i swaps entries i, i+1 of g. Sorting g to the
        // identity by g ∘ s_{a1} ∘ … ∘ s_{ak} = e gives g = s_{ak} ∘ … ∘ s_{a1}.
        var p = g, applied: [Int] = []
        var swapped = true
        while swapped {
            swapped = false
            if p.count < 2 { break }
            for i in 0..<(p.count - 1) where p[i] > p[i + 1] {
                p.swapAt(i, i + 1); applied.append(i); swapped = true
            }
        }
        return applied.reversed()
    }
}
