import Foundation

/// D_n, the symmetries of an n-gon, of ORDER 2n (docs/theory.md §6). Element k + n·j ↔ r^k s^j
/// (0 ≤ k < n, j ∈ {0, 1}), r the rotation, s a reflection, s r s = r⁻¹; the product
/// r^a s^i · r^b s^j = r^{a + (−1)^i b} s^{i+j} is composition of maps right to left on the
/// vertices 0…n−1, where r^k s^j acts as x ↦ k + (−1)^j x mod n.
///
/// Classes: r^k for 0 ≤ k ≤ n/2 (r^0 the identity), s, and for even n also sr (the
/// reflections r^{odd} s). Irreps: A1 (trivial), A2 (det: −1 on reflections), for even n
/// B1 (r ↦ −1, s ↦ 1) and B2 (r ↦ −1, s ↦ −1), then the 2-dimensional E_j,
/// 1 ≤ j ≤ ⌊(n−1)/2⌋: ρ_j(r^k) = rotation by 2πjk/n, ρ_j(s) = diag(1, −1). All real.
enum DihedralGroupTables {
    static func classOf(_ g: Int, _ n: Int) -> Int {
        let k = g % n, j = g / n
        if j == 0 { return min(k, n - k) }
        let base = n / 2 + 1
        return (n % 2 == 1 || k % 2 == 0) ? base : base + 1
    }

    static func oneDimensionalCount(_ n: Int) -> Int { n % 2 == 0 ? 4 : 2 }

    static func characterTable(n: Int) -> CharacterTable {
        let even = n % 2 == 0
        let perm = { (g: Int) -> [Int] in DihedralGroupTables.permutation(g, n) }
        var classes: [CharacterTable.ConjugacyClass] = []
        let order = BigUInt(2 * n)
        func cls(_ label: String, _ size: Int, _ rep: Int) {
            classes.append(.init(label: label, size: BigUInt(size), centralizer: BigUInt(2 * n / size),
                                 representative: perm(rep), cycleType: nil))
        }
        for k in 0...(n / 2) { cls("r^\(k)", (k == 0 || 2 * k == n) ? 1 : 2, k) }
        if even { cls("s", n / 2, n); cls("sr", n / 2, n + n - 1) } else { cls("s", n, n) }
        let c = classes.count
        var irreps: [CharacterTable.Irrep] = []
        var vals: [Double] = []
        var sym: [Int: String] = [:]
        func row(_ label: String, _ degree: Int, _ f: (Int) -> Double) {
            irreps.append(.init(label: label, degree: degree, indicator: 1, partition: nil))
            for j in 0..<c { vals.append(f(j)) }
        }
        let rotClasses = n / 2 + 1
        row("A1", 1) { _ in 1 }
        row("A2", 1) { $0 < rotClasses ? 1 : -1 }
        if even {
            row("B1", 1) { $0 < rotClasses ? ($0 % 2 == 0 ? 1 : -1) : ($0 == rotClasses ? 1 : -1) }
            row("B2", 1) { $0 < rotClasses ? ($0 % 2 == 0 ? 1 : -1) : ($0 == rotClasses ? -1 : 1) }
        }
        if n >= 3 {
            for jj in 1...((n - 1) / 2) {
                let r = irreps.count
                row("E\(jj)", 2) { k in
                    guard k < rotClasses else { return 0 }
                    let v = CyclicGroupTables.root(jj * k, n)
                    let m = (jj * k) % n
                    if !(m == 0 || 2 * m == n || 4 * m == n || 4 * m == 3 * n || 6 * m == n || 6 * m == 5 * n
                         || 3 * m == n || 3 * m == 2 * n) {
                        sym[r * c + k] = "E(\(n))^\(m)+E(\(n))^-\(m)"
                    }
                    if 6 * m == n || 6 * m == 5 * n { return 1 }
                    if 3 * m == n || 3 * m == 2 * n { return -1 }
                    return 2 * v.re
                }
            }
        }
        return CharacterTable(groupName: "D\(n)", order: order, classes: classes, irreps: irreps,
                              realParts: vals, imagParts: nil, symbolic: sym)
    }

    static func multiply(_ a: Int, _ b: Int, _ n: Int) -> Int {
        let ka = a % n, ja = a / n, kb = b % n, jb = b / n
        let k = ja == 0 ? (ka + kb) % n : (ka - kb + n) % n
        return k + n * ((ja + jb) % 2)
    }

    static func inverse(_ a: Int, _ n: Int) -> Int {
        let k = a % n, j = a / n
        return j == 1 ? a : (n - k) % n
    }

    /// The permutation action: on the n vertices for n ≥ 3, else the regular action.
    static func permutation(_ g: Int, _ n: Int) -> [Int] {
        if n >= 3 {
            let k = g % n, j = g / n
            return (0..<n).map { x in ((j == 0 ? x : n - x) + k) % n }
        }
        return (0..<(2 * n)).map { multiply(g, $0, n) }
    }

    static func elementLabel(_ g: Int, _ n: Int) -> String {
        let k = g % n, j = g / n
        var s = k == 0 ? "" : (k == 1 ? "r" : "r^\(k)")
        if j == 1 { s += s.isEmpty ? "s" : " s" }
        return s.isEmpty ? "e" : s
    }

    /// Real orthogonal matrix of irrep `irrep` (table order) at element g, row-major.
    static func matrix(irrep: Int, element g: Int, n: Int) -> [Double] {
        let k = g % n, j = g / n
        let ones = oneDimensionalCount(n)
        if irrep < ones {
            let rSign: Double = irrep >= 2 && k % 2 == 1 ? -1 : 1
            let sSign: Double = j == 0 ? 1 : ((irrep == 1 || irrep == 3) ? -1 : 1)
            return [rSign * sSign]
        }
        let jj = irrep - ones + 1
        let v = CyclicGroupTables.root(jj * k, n)
        // R(θ) · diag(1, −1)^j
        let sgn: Double = j == 0 ? 1 : -1
        return [v.re, -v.im * sgn, v.im, v.re * sgn]
    }
}

/// The dihedral group D_n of ORDER 2n as a group kind (the element order, product and
/// action of `DihedralGroupTables`): element k + n·j ↔ r^k s^j; on the n vertices for n ≥ 3,
/// by its regular action for n = 1, 2; generators r, s (s alone for D_1). Explicit real
/// irreps: signs and rotation/reflection matrices.
struct DihedralGroup: GroupKind, ExplicitIrreps {
    let n: Int

    /// D_n by structure; names `Dn`, `D_n` (n ≥ 1; order 2n). "Dih…" is refused as ambiguous.
    struct Descriptor: IndexedGroupFamily {
        let n: Int
        static let letters: [Character] = ["D"]
        static let accepted = "Dn (dihedral of order 2n)"
        static let ambiguousPrefixes = ["dih"]
        init(n: Int) { self.n = n }
        init(index n: Int, written: String) throws {
            guard n >= 1 else { throw GroupError("'\(written)': D_n (order 2n) needs n ≥ 1") }
            self.n = n
        }
        var name: String { "D\(n)" }
        var order: BigUInt { BigUInt(2 * n) }
        var actionDegree: Int { n >= 3 ? n : 2 * n }
        var characterTableProvider: any CharacterTableProvider { DihedralCharacterTable(n: n) }
        func makeKind() throws -> any GroupKind { DihedralGroup(n: n) }
    }

    /// The closed form of `DihedralGroupTables.characterTable(n:)`.
    struct DihedralCharacterTable: CharacterTableProvider {
        let n: Int
        var method: String { "closed form for D_n" }
        func characterTable() throws -> CharacterTable { DihedralGroupTables.characterTable(n: n) }
    }

    var spec: GroupSpec { GroupSpec(Descriptor(n: n)) }
    var order: Int { 2 * n }
    var degree: Int { n >= 3 ? n : 2 * n }
    func multiply(_ a: Int, _ b: Int) -> Int { DihedralGroupTables.multiply(a, b, n) }
    func inverse(_ a: Int) -> Int { DihedralGroupTables.inverse(a, n) }
    func elementLabel(_ a: Int) -> String { DihedralGroupTables.elementLabel(a, n) }
    func permutation(_ a: Int) -> [Int] { DihedralGroupTables.permutation(a, n) }
    var generators: [Int] { n > 1 ? [1, n] : [n] }
    /// r^k has order n / gcd(k, n); every reflection r^k s has order 2.
    func elementOrder(_ a: Int) -> Int { a >= n ? 2 : n / gcd(a, n) }
    func elementClasses(in table: CharacterTable) -> [Int32] {
        (0..<(2 * n)).map { Int32(DihedralGroupTables.classOf($0, n)) }
    }

    var explicitIrreps: (any ExplicitIrreps)? { self }
    var construction: String { "rotation and reflection matrices of D_n" }
    func irrepMatrix(_ irrep: Int, _ g: Int, in group: FiniteGroup) -> RepresentationMatrix {
        let m = DihedralGroupTables.matrix(irrep: irrep, element: g, n: n)
        return RepresentationMatrix(dimension: m.count == 1 ? 1 : 2, real: m)
    }
}

extension GroupSpec {
    /// D_n, the dihedral group of ORDER 2n (symmetries of an n-gon).
    public static func dihedral(_ n: Int) -> GroupSpec { GroupSpec(DihedralGroup.Descriptor(n: n)) }
}
