import Foundation

/// The alternating group A_n as a group kind: the even permutations of 0…n−1 in
/// lexicographic one-line order (docs/theory.md §6), acting on the n points; generators the
/// 3-cycles (0 1 i). Character table from that of S_n with the split classes μ± and irreps
/// λ± (`AlternatingCharacters`); explicit irreps by restricting Young's orthogonal form,
/// self-conjugate λ split by the transpose intertwiner (`AlternatingSplitBasis`).
final class AlternatingGroup: GroupKind, ExplicitIrreps, @unchecked Sendable {
    let n: Int
    let elements: LexicographicPermutations
    private let youngForms = LockedCache<Int, YoungOrthogonalForm>()
    private let splitBases = LockedCache<Int, AlternatingSplitBasis>()

    init(n: Int) {
        self.n = n
        elements = LexicographicPermutations(n: n, evenOnly: true)
    }

    /// A_n by structure; names `An`, `A_n` (n ≥ 1). "Alt…" is refused as ambiguous.
    struct Descriptor: IndexedGroupFamily {
        let n: Int
        static let letters: [Character] = ["A"]
        static let accepted = "An (alternating)"
        static let ambiguousPrefixes = ["alt"]
        init(n: Int) { self.n = n }
        init(index n: Int, written: String) throws {
            guard n >= 1 else { throw GroupError("'\(written)': A_n needs n ≥ 1") }
            self.n = n
        }
        var name: String { "A\(n)" }
        var order: BigUInt { n < 2 ? 1 : BigUInt.factorial(n).dividedExactly(by: 2) }
        var actionDegree: Int { n }
        var characterTableProvider: any CharacterTableProvider { FromSymmetric(n: n) }
        func makeKind() throws -> any GroupKind { AlternatingGroup(n: n) }
    }

    /// `AlternatingCharacters.characterTable(n:)`: restriction from S_n, split classes and irreps.
    struct FromSymmetric: CharacterTableProvider {
        let n: Int
        var method: String { "from S_n (Murnaghan–Nakayama) with the split classes μ± and irreps λ±" }
        func characterTable() throws -> CharacterTable { try AlternatingCharacters.characterTable(n: n) }
    }

    var spec: GroupSpec { GroupSpec(Descriptor(n: n)) }
    var order: Int { elements.count }
    var degree: Int { n }
    func multiply(_ a: Int, _ b: Int) -> Int { elements.multiply(a, b) }
    func inverse(_ a: Int) -> Int { elements.inverse(a) }
    func elementLabel(_ a: Int) -> String { Permutation.cycleNotation(permutation(a)) }
    func permutation(_ a: Int) -> [Int] { elements.permutation(a) }
    var generators: [Int] {
        guard n >= 3 else { return [] }
        return (2..<n).map { i in var p = Array(0..<n); p[0] = 1; p[1] = i; p[i] = 0; return Permutation.rank(p) / 2 }
    }
    func elementOrder(_ a: Int) -> Int { elements.elementOrder(a) }
    func multiplicationTableEntries() -> [Int32] { elements.multiplicationTableEntries() }

    /// Cycle types, with μ+ / μ− told apart for the split ones.
    func elementClasses(in table: CharacterTable) -> [Int32] {
        (0..<order).map { Int32(AlternatingCharacters.classIndex(of: permutation($0), classes: table.classes)) }
    }

    var explicitIrreps: (any ExplicitIrreps)? { self }
    var construction: String { "Young's orthogonal form restricted from S_n, self-conjugate λ split" }

    func irrepMatrix(_ irrep: Int, _ g: Int, in group: FiniteGroup) -> RepresentationMatrix {
        if n <= 1 { return .identity(1) }
        let t = group.characterTable
        let ir = t.irreps[irrep]
        let lambda = Partition(ir.partition!)
        let y = youngForms.value(irrep) { YoungOrthogonalForm(lambda) }
        let m = y.matrix(permutation(g))
        guard ir.label.hasSuffix("+") || ir.label.hasSuffix("-") else {
            return RepresentationMatrix(dimension: y.degree, real: m)
        }
        let basis = splitBases.value(irrep) {
            let (a, b) = AlternatingSplitBasis.eigenspaces(y)
            // λ+ is the constituent whose character on the class μ+ has the "+" value.
            let plusIrrep = ir.label.hasSuffix("+") ? irrep : irrep - 1
            let hooks = lambda.diagonalHooks
            let cls = t.classes.firstIndex { $0.cycleType == hooks && $0.label.hasSuffix("+") }!
            let rep = try! group.element(ofPermutation: t.classes[cls].representative)
            let tr = a.compress(y.matrix(permutation(rep))).trace
            let want = t.value(plusIrrep, cls)
            let aIsPlus = abs(tr.re - want.re) < 1e-9 && abs(tr.im - want.im) < 1e-9
            let isPlus = ir.label.hasSuffix("+")
            return (aIsPlus == isPlus) ? a : b
        }
        return basis.compress(m)
    }
}

extension GroupSpec {
    /// A_n, the alternating group on n points.
    public static func alternating(_ n: Int) -> GroupSpec { GroupSpec(AlternatingGroup.Descriptor(n: n)) }
}
