import Foundation

/// The symmetric group S_n as a group kind: permutations of 0…n−1 in lexicographic one-line
/// order (docs/theory.md §6), (g·h)(x) = g(h(x)), acting on the n points; generators the
/// adjacent transpositions s_i = (i i+1). Character table by Murnaghan–Nakayama
/// (`SymmetricCharacters`), classes by cycle type, explicit real irreps by Young's
/// orthogonal form.
final class SymmetricGroup: GroupKind, ExplicitIrreps, @unchecked Sendable {
    let n: Int
    let elements: LexicographicPermutations
    private let youngForms = LockedCache<Int, YoungOrthogonalForm>()

    init(n: Int) {
        self.n = n
        elements = LexicographicPermutations(n: n, evenOnly: false)
    }

    /// S_n by structure; names `Sn`, `S_n` (n ≥ 1). The table needs no element list, so
    /// `S30` works here (up to n = 35). "Sym…" is refused as ambiguous.
    struct Descriptor: IndexedGroupFamily {
        let n: Int
        static let letters: [Character] = ["S"]
        static let accepted = "Sn (symmetric)"
        static let ambiguousPrefixes = ["sym"]
        init(n: Int) { self.n = n }
        init(index n: Int, written: String) throws {
            guard n >= 1 else { throw GroupError("'\(written)': S_n needs n ≥ 1") }
            self.n = n
        }
        var name: String { "S\(n)" }
        var order: BigUInt { BigUInt.factorial(n) }
        var actionDegree: Int { n }
        var characterTableProvider: any CharacterTableProvider { MurnaghanNakayama(n: n) }
        func makeKind() throws -> any GroupKind { SymmetricGroup(n: n) }
    }

    /// `SymmetricCharacters.characterTable(n:)`: Murnaghan–Nakayama on beta-sets, exact Int64.
    struct MurnaghanNakayama: CharacterTableProvider {
        let n: Int
        var method: String { "Murnaghan–Nakayama rule (exact, S_n up to n = \(SymmetricCharacters.maximumN))" }
        func characterTable() throws -> CharacterTable { try SymmetricCharacters.characterTable(n: n) }
    }

    var spec: GroupSpec { GroupSpec(Descriptor(n: n)) }
    var order: Int { elements.count }
    var degree: Int { n }
    func multiply(_ a: Int, _ b: Int) -> Int { elements.multiply(a, b) }
    func inverse(_ a: Int) -> Int { elements.inverse(a) }
    func elementLabel(_ a: Int) -> String { Permutation.cycleNotation(permutation(a)) }
    func permutation(_ a: Int) -> [Int] { elements.permutation(a) }
    var generators: [Int] {
        (0..<max(0, n - 1)).map { i in var p = Array(0..<n); p.swapAt(i, i + 1); return Permutation.rank(p) }
    }
    func elementOrder(_ a: Int) -> Int { elements.elementOrder(a) }
    func multiplicationTableEntries() -> [Int32] { elements.multiplicationTableEntries() }

    /// Classes of S_n are cycle types.
    func elementClasses(in table: CharacterTable) -> [Int32] {
        var idx: [[Int]: Int32] = [:]
        for (i, c) in table.classes.enumerated() { idx[c.cycleType!] = Int32(i) }
        return (0..<order).map { idx[Permutation.cycleType(permutation($0))]! }
    }

    var explicitIrreps: (any ExplicitIrreps)? { self }
    var construction: String { "Young's orthogonal form" }

    /// Young's orthogonal form of irrep `irrep` (partition from the table), made once.
    func youngForm(_ irrep: Int, in group: FiniteGroup) -> YoungOrthogonalForm {
        youngForms.value(irrep) { YoungOrthogonalForm(Partition(group.characterTable.irreps[irrep].partition!)) }
    }

    func irrepMatrix(_ irrep: Int, _ g: Int, in group: FiniteGroup) -> RepresentationMatrix {
        let y = youngForm(irrep, in: group)
        return RepresentationMatrix(dimension: y.degree, real: y.matrix(permutation(g)))
    }
}

extension GroupSpec {
    /// S_n, the symmetric group on n points.
    public static func symmetric(_ n: Int) -> GroupSpec { GroupSpec(SymmetricGroup.Descriptor(n: n)) }
}

extension FiniteGroup {
    /// Young's orthogonal form of S_n's irrep `irrep` (nil for other groups).
    public func youngForm(_ irrep: Int) -> YoungOrthogonalForm? {
        (kind as? SymmetricGroup)?.youngForm(irrep, in: self)
    }
}
