import Foundation

/// The character table of A_n from that of S_n (docs/theory.md §6), with the split classes.
///
/// Classes: the even cycle types μ; one whose parts are distinct and odd splits into μ+
/// (containing the representative (0 1 … μ₁−1)(μ₁ …)⋯) and μ− (its conjugate by the
/// transposition (0 1)). Irreps: for λ ≠ λ' the restriction of χ^λ (labelled by the larger
/// of λ, λ'); for λ = λ' two irreps λ+ and λ− with χ^λ/2 everywhere except on the classes
/// μ± of the diagonal hook lengths μ = h(λ), where χ^{λ±}(μ±) = (ε ± √(εq))/2 and
/// χ^{λ±}(μ∓) = (ε ∓ √(εq))/2, q = Π μ_i, ε = (−1)^{(n − ℓ(μ))/2}. For ε = −1 the pair is
/// complex (indicator 0, merged into one real component "λ±"); otherwise real.
public enum AlternatingCharacters {
    public static func characterTable(n: Int) throws -> CharacterTable {
        let s = try SymmetricCharacters.table(n: n)
        let order: BigUInt = n < 2 ? 1 : BigUInt.factorial(n).dividedExactly(by: 2)
        let k = s.irreps.count
        if n < 2 {
            return CharacterTable(groupName: "A\(n)", order: order,
                                  classes: [.init(label: "(1)", size: 1, centralizer: 1, representative: Array(0..<n), cycleType: [1])],
                                  irreps: [.init(label: "[\(n)]", degree: 1, indicator: 1, partition: [n])], integerValues: [1])
        }
        // Classes: (S_n class index, split sign 0 / +1 / −1).
        var cols: [(src: Int, split: Int)] = []
        var classes: [CharacterTable.ConjugacyClass] = []
        for (ci, mu) in s.classes.enumerated() where mu.sign == 1 {
            let z = mu.centralizerOrder
            let sizeS = BigUInt.factorial(n).dividedExactly(by: z)
            if splits(mu) {
                let rep = mu.representative
                let tau = [1, 0] + Array(2..<n)
                let rep2 = Permutation.compose(Permutation.compose(tau, rep), tau)
                classes.append(.init(label: mu.cycleTypeLabel + "+", size: sizeS.dividedExactly(by: 2), centralizer: z, representative: rep, cycleType: mu.parts))
                classes.append(.init(label: mu.cycleTypeLabel + "-", size: sizeS.dividedExactly(by: 2), centralizer: z, representative: rep2, cycleType: mu.parts))
                cols.append((ci, 1)); cols.append((ci, -1))
            } else {
                classes.append(.init(label: mu.cycleTypeLabel, size: sizeS, centralizer: z.dividedExactly(by: 2), representative: mu.representative, cycleType: mu.parts))
                cols.append((ci, 0))
            }
        }
        let c = cols.count
        var irreps: [CharacterTable.Irrep] = []
        var re: [Double] = [], im: [Double] = []
        var sym: [Int: String] = [:]
        var allInteger = true
        for (li, lambda) in s.irreps.enumerated() {
            let conj = lambda.conjugate
            if conj != lambda {
                // keep the lexicographically larger one (it comes first in S_n's irrep order)
                guard lambda.parts.lexicographicallyPrecedes(conj.parts) == false else { continue }
                irreps.append(.init(label: lambda.description, degree: Int(s.values[li * k]), indicator: 1, partition: lambda.parts))
                for col in cols { re.append(Double(s.values[li * k + col.src])); im.append(0) }
                continue
            }
            let h = lambda.diagonalHooks
            let eps = ((n - h.count) / 2) % 2 == 0 ? 1.0 : -1.0
            let q = h.reduce(1, *)
            let root = sqrt(Double(q))
            for pm in [1.0, -1.0] {
                let r = irreps.count
                irreps.append(.init(label: lambda.description + (pm > 0 ? "+" : "-"), degree: Int(s.values[li * k]) / 2,
                                    indicator: eps > 0 ? 1 : 0, partition: lambda.parts))
                for (j, col) in cols.enumerated() {
                    if col.split != 0 && s.classes[col.src].parts == h {
                        let sgn = pm * Double(col.split)
                        let sgnText = sgn > 0 ? "+" : "-"
                        if eps > 0 {
                            re.append((eps + sgn * root) / 2); im.append(0)
                            if Int(root) * Int(root) != q { sym[r * c + j] = "(1\(sgnText)√\(q))/2"; allInteger = false }
                        } else {
                            re.append(-0.5); im.append(sgn * root / 2)
                            sym[r * c + j] = "(-1\(sgnText)√-\(q))/2"; allInteger = false
                        }
                        if Int(root) * Int(root) == q && eps > 0 { /* integral */ } else if eps > 0 { allInteger = false }
                    } else {
                        re.append(Double(s.values[li * k + col.src]) / 2); im.append(0)
                    }
                }
            }
        }
        for v in re where v != v.rounded() { allInteger = false; break }
        if allInteger && !im.contains(where: { $0 != 0 }) {
            return CharacterTable(groupName: "A\(n)", order: order, classes: classes, irreps: irreps,
                                  integerValues: re.map { Int64($0) })
        }
        return CharacterTable(groupName: "A\(n)", order: order, classes: classes, irreps: irreps,
                              realParts: re, imagParts: im, symbolic: sym)
    }

    /// Whether the S_n class of cycle type μ splits in A_n (n ≥ 2): distinct odd parts.
    static func splits(_ mu: Partition) -> Bool {
        guard mu.n >= 2 else { return false }
        return mu.parts.allSatisfy { $0 % 2 == 1 } && Set(mu.parts).count == mu.parts.count
    }

    /// Index of the class of permutation g in the table's class list (classes as built above).
    static func classIndex(of g: [Int], classes: [CharacterTable.ConjugacyClass]) -> Int {
        let ct = Permutation.cycleType(g)
        let mu = Partition(ct)
        guard splits(mu) else {
            return classes.firstIndex { $0.cycleType! == ct }!
        }
        let plus = classes.firstIndex { $0.cycleType! == ct }!
        // σ mapping the representative's cycles onto g's cycles: σ r σ⁻¹ = g; the class is
        // μ+ iff σ is even.
        let rep = classes[plus].representative
        let rc = Permutation.cycles(rep).sorted { $0.count > $1.count }
        let gc = Permutation.cycles(g).sorted { $0.count > $1.count }
        var sigma = [Int](repeating: 0, count: g.count)
        for (a, b) in zip(rc, gc) { for i in 0..<a.count { sigma[a[i]] = b[i] } }
        return Permutation.sign(sigma) == 1 ? plus : plus + 1
    }
}
