/// Direct products G × H (THEORY.md §6): element (g, h) ↔ g·|H| + h (row-major in the
/// factors); classes and irreps are pairs in row-major order, χ_{ρ⊗σ}(C × D) = χ_ρ(C)χ_σ(D)
/// (Kronecker product of the tables), indicator ι(ρ⊗σ) = ι(ρ)ι(σ). Labels: classes
/// "C×D", irreps "ρ⊗σ" (lookups also accept "x" for "⊗").
enum ProductGroupTables {
    static func characterTable(_ a: CharacterTable, _ b: CharacterTable, name: String) -> CharacterTable {
        let degA = a.classes.first?.representative.count ?? 0
        var classes: [CharacterTable.ConjugacyClass] = []
        for ca in a.classes {
            for cb in b.classes {
                classes.append(.init(label: "\(ca.label)×\(cb.label)", size: ca.size * cb.size,
                                     centralizer: ca.centralizer * cb.centralizer,
                                     representative: ca.representative + cb.representative.map { $0 + degA }, cycleType: nil))
            }
        }
        var irreps: [CharacterTable.Irrep] = []
        for ia in a.irreps {
            for ib in b.irreps {
                irreps.append(.init(label: "\(ia.label)⊗\(ib.label)", degree: ia.degree * ib.degree,
                                    indicator: ia.indicator * ib.indicator, partition: nil))
            }
        }
        let ka = a.classCount, kb = b.classCount
        if let va = a.integerValues, let vb = b.integerValues {
            var v: [Int64] = []
            v.reserveCapacity(irreps.count * classes.count)
            for i in 0..<a.irrepCount { for j in 0..<b.irrepCount {
                for c in 0..<ka { for d in 0..<kb { v.append(va[i * ka + c] * vb[j * kb + d]) } }
            } }
            return CharacterTable(groupName: name, order: a.order * b.order, classes: classes, irreps: irreps, integerValues: v)
        }
        var re: [Double] = [], im: [Double] = []
        for i in 0..<a.irrepCount { for j in 0..<b.irrepCount {
            for c in 0..<ka { for d in 0..<kb {
                let x = a.value(i, c), y = b.value(j, d)
                re.append(x.re * y.re - x.im * y.im); im.append(x.re * y.im + x.im * y.re)
            } }
        } }
        return CharacterTable(groupName: name, order: a.order * b.order, classes: classes, irreps: irreps,
                              realParts: re, imagParts: im)
    }
}
