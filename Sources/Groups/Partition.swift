/// An integer partition λ = (λ₁ ≥ λ₂ ≥ … > 0) of n: labels the irreps of S_n and, as a
/// cycle type, its conjugacy classes (docs/theory.md §6).
public struct Partition: Hashable, Sendable, CustomStringConvertible {
    /// Parts, non-increasing, all positive.
    public let parts: [Int]

    public init(_ parts: [Int]) {
        self.parts = parts.filter { $0 > 0 }.sorted(by: >)
    }

    public var n: Int { parts.reduce(0, +) }
    public var length: Int { parts.count }

    /// "[3,1,1]" (the irrep label).
    public var description: String { "[" + parts.map(String.init).joined(separator: ",") + "]" }

    /// "(3,1,1)" (the conjugacy-class label when read as a cycle type).
    public var cycleTypeLabel: String { "(" + parts.map(String.init).joined(separator: ",") + ")" }

    /// The conjugate (transposed) partition λ'.
    public var conjugate: Partition {
        guard let first = parts.first else { return self }
        var c: [Int] = []
        for j in 0..<first { c.append(parts.filter { $0 > j }.count) }
        return Partition(c)
    }

    /// Hook lengths of the boxes, row by row.
    public var hookLengths: [[Int]] {
        let c = conjugate.parts
        return parts.enumerated().map { i, row in (0..<row).map { j in row - j + c[j] - i - 1 } }
    }

    /// Lengths of the diagonal hooks (distinct odd numbers when λ = λ').
    public var diagonalHooks: [Int] {
        let h = hookLengths
        return (0..<parts.count).compactMap { i in i < parts[i] ? h[i][i] : nil }
    }

    /// The degree f^λ = n!/Π hooks (hook length formula), computed on prime exponents so
    /// that nothing overflows before the result does; nil if the degree exceeds Int64.
    public var degree: Int? {
        let n = self.n
        var exps = [Int](repeating: 0, count: n + 1)
        func add(_ m: Int, _ s: Int) {
            var m = m, p = 2
            while m > 1 {
                while m % p == 0 { exps[p] += s; m /= p }
                p += 1
            }
        }
        if n >= 2 { for k in 2...n { add(k, 1) } }
        for row in hookLengths { for h in row { add(h, -1) } }
        var r = 1
        for p in 2..<max(2, n + 1) where exps[p] > 0 {
            for _ in 0..<exps[p] {
                let (v, o) = r.multipliedReportingOverflow(by: p)
                if o { return nil }
                r = v
            }
        }
        return r
    }

    /// z_μ = Π_i i^{m_i} m_i! (centralizer order of the class of cycle type μ).
    public var centralizerOrder: BigUInt {
        var r: BigUInt = 1
        var mult: [Int: Int] = [:]
        for p in parts { mult[p, default: 0] += 1 }
        for (i, m) in mult {
            for k in 1...m { r *= BigUInt(i * k) }
        }
        return r
    }

    /// Sign of any permutation with this cycle type.
    public var sign: Int { (n - length) % 2 == 0 ? 1 : -1 }

    /// A permutation of 0..<n with this cycle type: cycles (0 1 … λ₁−1)(λ₁ …) in order.
    public var representative: [Int] {
        var p = [Int](repeating: 0, count: n), start = 0
        for l in parts {
            for k in 0..<l { p[start + k] = start + (k + 1) % l }
            start += l
        }
        return p
    }

    /// All partitions of n in reverse lexicographic order: [n] first, [1ⁿ] last
    /// (the irrep order of docs/theory.md §7: [4], [3,1], [2,2], [2,1,1], [1⁴]).
    public static func all(_ n: Int) -> [Partition] {
        var out: [Partition] = []
        var cur: [Int] = []
        func rec(_ remaining: Int, _ maxPart: Int) {
            if remaining == 0 { out.append(Partition(cur)); return }
            for p in stride(from: min(remaining, maxPart), through: 1, by: -1) {
                cur.append(p); rec(remaining - p, p); cur.removeLast()
            }
        }
        rec(n, n)
        return out
    }

    /// The number of partitions p(n) (Euler's recurrence; exact up to n = 400).
    public static func count(_ n: Int) -> Int {
        var p = [Int](repeating: 0, count: n + 1)
        p[0] = 1
        if n == 0 { return 1 }
        for m in 1...n {
            var s = 0, k = 1
            while true {
                let g1 = k * (3 * k - 1) / 2, g2 = k * (3 * k + 1) / 2
                if g1 > m { break }
                let sgn = k % 2 == 1 ? 1 : -1
                s += sgn * p[m - g1]
                if g2 <= m { s += sgn * p[m - g2] }
                k += 1
            }
            p[m] = s
        }
        return p[n]
    }

    /// Beta-set of λ with `length` beads: bit λ_i + ℓ − 1 − i set (0-based i).
    var betaMask: UInt64 {
        var m: UInt64 = 0
        let l = parts.count
        for (i, p) in parts.enumerated() { m |= 1 << UInt64(p + l - 1 - i) }
        return m
    }

    init(betaMask mask: UInt64) {
        var parts: [Int] = []
        var m = mask, beads = 0, pos = 0
        // count beads below each bead
        var positions: [Int] = []
        while m != 0 {
            if m & 1 == 1 { positions.append(pos) }
            m >>= 1; pos += 1
        }
        beads = positions.count
        for (j, b) in positions.enumerated().reversed() { parts.append(b - j) }
        _ = beads
        self.init(parts)
    }
}
