import Foundation

/// Explicit irreps of A_n by restricting Young's orthogonal form (docs/theory.md §6).
///
/// For λ ≠ λ' the restriction of S^λ is irreducible. For λ = λ' it splits: transposing
/// tableaux gives J e_T = ε_T e_{Tᵗ} with ε_T the sign of T read row by row, and with the
/// contents of Tᵗ the negatives of those of T one checks J ρ(s_i) = −ρ(s_i) J, so
/// J ρ(g) = sgn(g) ρ(g) J and J commutes with A_n. J² = ±1; its eigenspaces (±1, or ±i
/// for the complex pairs) are λ+ and λ−, with orthonormal bases (e_T ± ε_T e_{Tᵗ})/√2
/// (resp. (e_T ∓ iε_T e_{Tᵗ})/√2) and e_T for Tᵗ = T. Which eigenspace is λ+ is decided by
/// the trace at the representative of the class μ+ (the character table's convention).
struct AlternatingSplitBasis: Sendable {
    /// d × h matrix (columns orthonormal), row-major; imaginary part nil when real.
    let real: [Double]
    let imaginary: [Double]?
    let rows: Int
    let columns: Int

    /// The two eigenspaces of J for the self-conjugate partition λ (first: eigenvalue +1 or +i).
    static func eigenspaces(_ y: YoungOrthogonalForm) -> (AlternatingSplitBasis, AlternatingSplitBasis) {
        let lambda = y.partition
        let d = y.degree
        var index: [[Int8]: Int] = [:]
        for (i, t) in y.tableaux.enumerated() { index[t] = i }
        // Boxes in reading order (row by row); entry of T at each box.
        func entries(_ t: [Int8]) -> [[Int]] {
            var rows = lambda.parts.map { _ in [Int]() }
            for (e, r) in t.enumerated() { rows[Int(r)].append(e) }
            return rows
        }
        var transposeOf = [Int](repeating: 0, count: d), eps = [Double](repeating: 0, count: d)
        for (i, t) in y.tableaux.enumerated() {
            let rows = entries(t)
            let reading = rows.flatMap { $0 }
            eps[i] = Double(Permutation.sign(reading))
            // column j of T becomes row j of Tᵗ: the row of entry e in Tᵗ is its column in T
            var word = [Int8](repeating: 0, count: t.count)
            for row in rows { for (col, e) in row.enumerated() { word[e] = Int8(col) } }
            transposeOf[i] = index[word]!
        }
        let firstNonFixed = (0..<d).first { transposeOf[$0] != $0 }
        let jSquared = firstNonFixed.map { eps[$0] * eps[transposeOf[$0]] } ?? 1
        let h = d / 2
        var pr = [Double](repeating: 0, count: d * h), mr = pr
        var pi: [Double]? = jSquared < 0 ? pr : nil, mi: [Double]? = jSquared < 0 ? pr : nil
        var pc = 0, mc = 0
        let s = 1 / 2.0.squareRoot()
        for i in 0..<d {
            let j = transposeOf[i]
            if j == i {
                if eps[i] > 0 { pr[i * h + pc] = 1; pc += 1 } else { mr[i * h + mc] = 1; mc += 1 }
                continue
            }
            guard i < j else { continue }
            if jSquared > 0 {
                pr[i * h + pc] = s; pr[j * h + pc] = eps[i] * s; pc += 1
                mr[i * h + mc] = s; mr[j * h + mc] = -eps[i] * s; mc += 1
            } else {
                // eigenvalue +i: e_T − iε_T e_{Tᵗ}; −i: e_T + iε_T e_{Tᵗ}
                pr[i * h + pc] = s; pi![j * h + pc] = -eps[i] * s; pc += 1
                mr[i * h + mc] = s; mi![j * h + mc] = eps[i] * s; mc += 1
            }
        }
        precondition(pc == h && mc == h, "J eigenspaces of \(lambda) are not halves")
        return (AlternatingSplitBasis(real: pr, imaginary: pi, rows: d, columns: h),
                AlternatingSplitBasis(real: mr, imaginary: mi, rows: d, columns: h))
    }

    /// U^† M U for a real d × d matrix M.
    func compress(_ m: [Double]) -> RepresentationMatrix {
        let d = rows, h = columns
        // MU
        var ar = [Double](repeating: 0, count: d * h), ai: [Double]? = imaginary == nil ? nil : ar
        for r in 0..<d { for k in 0..<d {
            let v = m[r * d + k]
            if v == 0 { continue }
            for c in 0..<h {
                ar[r * h + c] += v * real[k * h + c]
                if let im = imaginary { ai![r * h + c] += v * im[k * h + c] }
            }
        } }
        var br = [Double](repeating: 0, count: h * h), bi: [Double]? = imaginary == nil ? nil : br
        for a in 0..<h { for c in 0..<h {
            var sr = 0.0, si = 0.0
            for k in 0..<d {
                let ur = real[k * h + a], ui = imaginary?[k * h + a] ?? 0
                let xr = ar[k * h + c], xi = ai?[k * h + c] ?? 0
                // conj(u) · x
                sr += ur * xr + ui * xi; si += ur * xi - ui * xr
            }
            br[a * h + c] = sr
            if bi != nil { bi![a * h + c] = si }
        } }
        return RepresentationMatrix(dimension: h, real: br, imaginary: bi)
    }
}
