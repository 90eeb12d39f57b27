import Foundation

/// Young's orthogonal form of the irrep S^λ of S_n (docs/theory.md §6): basis e_T over the
/// standard tableaux T of shape λ (entries 0…n−1), and for the adjacent transposition
/// s_i = (i i+1), with contents c = col − row and r = c_T(i+1) − c_T(i),
///     ρ(s_i) e_T = (1/r) e_T + √(1 − 1/r²) e_{s_i T},
/// the second term only when s_i T is standard (i, i+1 in one row: +1; in one column: −1).
/// Each ρ(s_i) is symmetric and orthogonal with at most two non-zeros per row; ρ(g) for any
/// g comes from a reduced word g = s_{w₀} s_{w₁} ⋯ (composition right to left,
/// (g·h)(x) = g(h(x))), so ρ(gh) = ρ(g)ρ(h). [n] is the trivial irrep, [1ⁿ] the sign.
public struct YoungOrthogonalForm: Sendable {
    public let partition: Partition
    /// Standard tableaux as the row of each entry 0…n−1 (Yamanouchi words), in
    /// lexicographic order of those words.
    public let tableaux: [[Int8]]
    /// For generator i and tableau t: diagonal entry 1/r.
    let diagonal: [[Double]]
    /// For generator i and tableau t: index of s_i T (or −1) and the off-diagonal entry.
    let partner: [[Int32]]
    let offDiagonal: [[Double]]

    public var degree: Int { tableaux.count }
    public var n: Int { partition.n }

    public init(_ partition: Partition) {
        self.partition = partition
        let n = partition.n, shape = partition.parts
        var tabs: [[Int8]] = []
        var word: [Int8] = [], lens = [Int](repeating: 0, count: shape.count)
        func rec() {
            if word.count == n { tabs.append(word); return }
            for r in 0..<shape.count where lens[r] < shape[r] && (r == 0 || lens[r - 1] > lens[r]) {
                lens[r] += 1; word.append(Int8(r)); rec(); word.removeLast(); lens[r] -= 1
            }
        }
        rec()
        tableaux = tabs
        var index: [[Int8]: Int32] = [:]
        for (i, t) in tabs.enumerated() { index[t] = Int32(i) }
        // contents of each entry in each tableau
        let contents: [[Int]] = tabs.map { t in
            var lens = [Int](repeating: 0, count: shape.count)
            return t.map { r in let c = lens[Int(r)] - Int(r); lens[Int(r)] += 1; return c }
        }
        var diag: [[Double]] = [], part: [[Int32]] = [], off: [[Double]] = []
        for i in 0..<max(0, n - 1) {
            var d = [Double](repeating: 0, count: tabs.count), p = [Int32](repeating: -1, count: tabs.count)
            var o = [Double](repeating: 0, count: tabs.count)
            for (ti, t) in tabs.enumerated() {
                let r = Double(contents[ti][i + 1] - contents[ti][i])
                d[ti] = 1 / r
                if abs(r) != 1 {
                    var s = t; s.swapAt(i, i + 1)
                    p[ti] = index[s]!
                    o[ti] = (1 - 1 / (r * r)).squareRoot()
                }
            }
            diag.append(d); part.append(p); off.append(o)
        }
        diagonal = diag; partner = part; offDiagonal = off
    }

    /// ρ(s_i) as a dense row-major d × d matrix.
    public func generator(_ i: Int) -> [Double] {
        var m = [Double](repeating: 0, count: degree * degree)
        for t in 0..<degree {
            m[t * degree + t] = diagonal[i][t]
            let p = Int(partner[i][t])
            if p >= 0 { m[t * degree + p] = offDiagonal[i][t] }
        }
        return m
    }

    /// M ← ρ(s_i) M for a row-major d × d matrix (sparse: two rows combined per row).
    func applyGenerator(_ i: Int, to m: inout [Double]) {
        let d = degree
        let old = m
        let di = diagonal[i], pi = partner[i], oi = offDiagonal[i]
        for t in 0..<d {
            let p = Int(pi[t])
            for c in 0..<d {
                var v = di[t] * old[t * d + c]
                if p >= 0 { v += oi[t] * old[p * d + c] }
                m[t * d + c] = v
            }
        }
    }

    /// ρ(g) for a permutation g of 0…n−1 in one-line notation, row-major d × d.
    public func matrix(_ g: [Int]) -> [Double] {
        let d = degree
        var m = [Double](repeating: 0, count: d * d)
        for t in 0..<d { m[t * d + t] = 1 }
        for i in Permutation.reducedWord(g).reversed() { applyGenerator(i, to: &m) }
        return m
    }
}
