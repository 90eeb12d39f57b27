/// Direct products G × H (docs/theory.md §6): element (g, h) ↔ g·|H| + h (row-major in the
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

/// The direct product G × H as a group kind: element (g, h) ↔ g·|H| + h, componentwise
/// product, acting on the disjoint union of the factors' points (G's first); generators
/// each factor's, embedded. Table: the Kronecker product of the factors' tables; explicit
/// irreps: Kronecker products of the factors' matrices, when both factors have them.
struct ProductGroup: GroupKind {
    let first: FiniteGroup
    let second: FiniteGroup

    /// G × H by structure (`S3xC2`; products associate to the left).
    struct Descriptor: GroupDescriptor {
        let first: GroupSpec
        let second: GroupSpec
        var name: String { "\(first)x\(second)" }
        var order: BigUInt { first.order * second.order }
        var actionDegree: Int { first.actionDegree + second.actionDegree }
        var factors: [GroupSpec] { first.factors + second.factors }
        var characterTableProvider: any CharacterTableProvider {
            KroneckerProduct(first: first.descriptor.characterTableProvider,
                             second: second.descriptor.characterTableProvider, name: name)
        }
        func makeKind() throws -> any GroupKind {
            ProductGroup(first: try FiniteGroup(spec: first), second: try FiniteGroup(spec: second))
        }
    }

    /// `ProductGroupTables.characterTable`: χ_{ρ⊗σ}(C × D) = χ_ρ(C)χ_σ(D).
    struct KroneckerProduct: CharacterTableProvider {
        let first: any CharacterTableProvider
        let second: any CharacterTableProvider
        let name: String
        var method: String { "Kronecker product of (\(first.method)) and (\(second.method))" }
        func characterTable() throws -> CharacterTable {
            ProductGroupTables.characterTable(try first.characterTable(), try second.characterTable(), name: name)
        }
    }

    /// A factor group's own (cached) table, so that the product's table reuses it.
    struct FactorTable: CharacterTableProvider {
        let group: FiniteGroup
        var method: String { group.characterTableMethod }
        func characterTable() throws -> CharacterTable { group.characterTable }
    }

    /// ρ⊗σ (irrep i·k_H + j ↔ (i, j)) at (g, h): ρ(g) ⊗ σ(h).
    struct KroneckerIrreps: ExplicitIrreps {
        let first: FiniteGroup
        let second: FiniteGroup
        var construction: String { "Kronecker products of the factors' irreps" }
        func irrepMatrix(_ irrep: Int, _ g: Int, in group: FiniteGroup) -> RepresentationMatrix {
            let kb = second.characterTable.irrepCount
            let x = first.irrepMatrix(irrep / kb, g / second.order)!, y = second.irrepMatrix(irrep % kb, g % second.order)!
            return x.kronecker(y)
        }
    }

    var spec: GroupSpec { .product(first.spec, second.spec) }
    var order: Int { first.order * second.order }
    var degree: Int { first.degree + second.degree }
    func multiply(_ a: Int, _ b: Int) -> Int {
        let m = second.order
        return first.multiply(a / m, b / m) * m + second.multiply(a % m, b % m)
    }
    func inverse(_ a: Int) -> Int {
        let m = second.order
        return first.inverse(a / m) * m + second.inverse(a % m)
    }
    func elementLabel(_ a: Int) -> String {
        "(\(first.elementLabel(a / second.order)), \(second.elementLabel(a % second.order)))"
    }
    func permutation(_ a: Int) -> [Int] {
        let m = second.order
        return first.permutation(a / m) + second.permutation(a % m).map { $0 + first.degree }
    }
    var generators: [Int] { first.generators.map { $0 * second.order } + second.generators }
    /// lcm of the factors' element orders.
    func elementOrder(_ a: Int) -> Int {
        let x = first.elementOrder(a / second.order), y = second.elementOrder(a % second.order)
        return x / gcd(x, y) * y
    }
    var characterTableProvider: any CharacterTableProvider {
        KroneckerProduct(first: FactorTable(group: first), second: FactorTable(group: second), name: spec.description)
    }
    /// Class (C, D) ↔ C·k_H + D, row-major like the table's classes.
    func elementClasses(in table: CharacterTable) -> [Int32] {
        let a = first.characterTable, b = second.characterTable
        let kb = b.classCount, m = second.order
        return (0..<order).map { Int32(a.classOf($0 / m) * kb + b.classOf($0 % m)) }
    }
    var explicitIrreps: (any ExplicitIrreps)? {
        first.hasExplicitIrreps && second.hasExplicitIrreps ? KroneckerIrreps(first: first, second: second) : nil
    }
    var productFactors: (FiniteGroup, FiniteGroup)? { (first, second) }
}

extension GroupSpec {
    /// G × H, elements (g, h) ↔ g·|H| + h.
    public static func product(_ a: GroupSpec, _ b: GroupSpec) -> GroupSpec {
        GroupSpec(ProductGroup.Descriptor(first: a, second: b))
    }
}
