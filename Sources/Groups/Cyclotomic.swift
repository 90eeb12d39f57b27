import Foundation

/// An element Σ_k c_k ζ_n^k of the cyclotomic field Q(ζ_n), ζ_n = e^{2πi/n}, with integer
/// coefficients (character values are algebraic integers). Normalized as GAP normalizes
/// cyclotomics (docs/groups-from-data.md §3): the smallest n (never ≡ 2 mod 4) whose field
/// holds the value, and coefficients in the Zumbroich basis of Q(ζ_n), so that `gapString`
/// is GAP's printed form ("-E(5)-E(5)^4", "-E(12)^7+E(12)^11", "E(3)^2").
public struct Cyclotomic: Sendable, Hashable {
    /// The conductor after normalization.
    public let n: Int
    /// (exponent, coefficient) pairs in the Zumbroich basis, exponents ascending, no zeros.
    public let terms: [Term]

    public struct Term: Sendable, Hashable { public let exponent: Int; public let coefficient: Int }

    /// Σ_k coefficients[k] ζ_n^k, normalized.
    public init(coefficients: [Int], n: Int) {
        precondition(n >= 1 && coefficients.count == n)
        var c = coefficients, m = n
        if m % 4 == 2 { (c, m) = Cyclotomic.halve(c, m) }
        Cyclotomic.toBasis(&c, m)
        var changed = true
        while changed && m > 1 {
            changed = false
            for (p, k) in Cyclotomic.factor(m) {
                if k >= 2 {
                    if c.indices.allSatisfy({ c[$0] == 0 || $0 % p == 0 }) {
                        var d = [Int](repeating: 0, count: m / p)
                        for i in 0..<m where c[i] != 0 { d[i / p] = c[i] }
                        m /= p; c = d
                        if m % 4 == 2 { (c, m) = Cyclotomic.halve(c, m) }
                        Cyclotomic.toBasis(&c, m)
                        changed = true; break
                    }
                } else if p > 2, let reduced = Cyclotomic.dropPrime(c, m, p) {
                    c = reduced; m /= p
                    if m % 4 == 2 { (c, m) = Cyclotomic.halve(c, m) }
                    Cyclotomic.toBasis(&c, m)
                    changed = true; break
                }
            }
        }
        self.n = m
        self.terms = c.enumerated().filter { $0.element != 0 }.map { Term(exponent: $0.offset, coefficient: $0.element) }
    }

    /// The value when it is an integer.
    public var integerValue: Int? {
        if terms.isEmpty { return 0 }
        if n == 1 { return terms[0].coefficient }
        return nil
    }

    /// The complex conjugate (ζ ↦ ζ⁻¹).
    public var conjugate: Cyclotomic {
        var c = [Int](repeating: 0, count: n)
        for t in terms { c[(n - t.exponent) % n] += t.coefficient }
        return Cyclotomic(coefficients: c, n: n)
    }

    /// Whether the value is real.
    public var isReal: Bool { conjugate == self }

    /// The complex value.
    public var value: (re: Double, im: Double) {
        var re = 0.0, im = 0.0
        for t in terms { let z = CyclicGroupTables.root(t.exponent, n); re += Double(t.coefficient) * z.re; im += Double(t.coefficient) * z.im }
        return (re, im)
    }

    /// GAP's printed form: "E(n)^k" terms, coefficient 1 omitted, "c*E(n)^k" otherwise.
    public var gapString: String {
        if let v = integerValue { return String(v) }
        var s = ""
        for t in terms {
            var term: String
            if t.exponent == 0 { term = String(t.coefficient) } else {
                let base = t.exponent == 1 ? "E(\(n))" : "E(\(n))^\(t.exponent)"
                term = t.coefficient == 1 ? base : (t.coefficient == -1 ? "-" + base : "\(t.coefficient)*" + base)
            }
            if !s.isEmpty && !term.hasPrefix("-") { s += "+" }
            s += term
        }
        return s
    }

    /// ζ_n^i = (−1)^i ζ_{n/2}^{i(n/2+1)/2} for n ≡ 2 (mod 4).
    static func halve(_ c: [Int], _ n: Int) -> ([Int], Int) {
        let h = n / 2
        var d = [Int](repeating: 0, count: h)
        for i in 0..<n where c[i] != 0 {
            let e = (i * ((h + 1) / 2)) % h
            d[e] += i % 2 == 0 ? c[i] : -c[i]
        }
        return (d, h)
    }

    static func factor(_ n: Int) -> [(Int, Int)] {
        var m = n, out: [(Int, Int)] = [], f = 2
        while f * f <= m {
            if m % f == 0 { var k = 0; while m % f == 0 { m /= f; k += 1 }; out.append((f, k)) }
            f += 1
        }
        if m > 1 { out.append((m, 1)) }
        return out
    }

    static func inverse(_ a: Int, mod q: Int) -> Int {
        if q == 1 { return 0 }
        var t = 0, nt = 1, r = q, nr = a % q
        while nr != 0 { let k = r / nr; (t, nt) = (nt, t - k * nt); (r, nr) = (nr, r - k * nr) }
        return (t % q + q) % q
    }

    /// The component j_q of exponent i for the prime power q ∥ n: i ≡ (n/q)·j_q (mod q).
    static func component(_ i: Int, n: Int, q: Int) -> Int { (i * inverse(n / q, mod: q)) % q }

    /// Rewrites Σ c_i ζ^i in the Zumbroich basis: for each prime power q = p^k ∥ n, the
    /// exponents whose component j_q is excluded (p = 2: j_q ≥ q/2; p odd: j_q within
    /// (q/p − 1)/2 of 0) are replaced by ζ^i = −ζ^{i+n/2}, resp. ζ^i = −Σ_{b=1}^{p−1} ζ^{i+bn/p}.
    static func toBasis(_ c: inout [Int], _ n: Int) {
        for (p, k) in factor(n) {
            var q = 1
            for _ in 0..<k { q *= p }
            let minv = inverse(n / q, mod: q)
            for i in 0..<n where c[i] != 0 {
                let j = (i * minv) % q
                if p == 2 {
                    if j >= q / 2 { c[(i + n / 2) % n] -= c[i]; c[i] = 0 }
                } else {
                    let h = (q / p - 1) / 2
                    if (j + h) % q <= 2 * h {
                        for b in 1..<p { c[(i + b * (n / p)) % n] -= c[i] }
                        c[i] = 0
                    }
                }
            }
        }
    }

    /// For a prime p ∥ n: the value in Q(ζ_{n/p}) when the coefficients are constant on each
    /// orbit {i + b·n/p : b = 1 … p−1} of basis exponents, else nil.
    static func dropPrime(_ c: [Int], _ n: Int, _ p: Int) -> [Int]? {
        let m = n / p
        var group: [Int: [Int]] = [:]
        for i in 0..<n where c[i] != 0 {
            let j = component(i, n: n, q: p)
            let i0 = ((i - j * m) % n + n) % n
            group[i0, default: []].append(i)
        }
        var d = [Int](repeating: 0, count: m)
        for (i0, members) in group {
            guard members.count == p - 1 else { return nil }
            let v = c[members[0]]
            guard members.allSatisfy({ c[$0] == v }) else { return nil }
            d[(i0 / p) % m] -= v
        }
        return d
    }
}
