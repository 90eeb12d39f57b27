import Foundation

/// Closed-form character table of C_n (docs/theory.md §6): element a ↔ a mod n, irrep k
/// (k = 0 … n−1) with χ_k(a) = e^{2πika/n}, labelled "k0", "k1", …, with k > n/2 written
/// "k-(n−k)". Irreps k and n−k are complex conjugates (indicator 0) and merge into the
/// real component "k" of real dimension 2, which is real frequency bin k of docs/theory.md §4.
enum CyclicGroupTables {
    static func irrepLabel(_ k: Int, _ n: Int) -> String { 2 * k <= n ? "k\(k)" : "k-\(n - k)" }

    /// e^{2πim/n} with exact values at multiples of a quarter turn.
    static func root(_ m: Int, _ n: Int) -> (re: Double, im: Double) {
        let m = ((m % n) + n) % n
        if m == 0 { return (1, 0) }
        if 2 * m == n { return (-1, 0) }
        if 4 * m == n { return (0, 1) }
        if 4 * m == 3 * n { return (0, -1) }
        // sixths and eighths of a turn, from exact constants (so that e.g. 2cos(2π/3) = −1)
        let h3 = 3.0.squareRoot() / 2, h2 = 2.0.squareRoot() / 2
        if 12 * m % n == 0 {
            switch 12 * m / n {
            case 2: return (0.5, h3)
            case 4: return (-0.5, h3)
            case 8: return (-0.5, -h3)
            case 10: return (0.5, -h3)
            default: break
            }
        }
        if 8 * m % n == 0 {
            switch 8 * m / n {
            case 1: return (h2, h2)
            case 3: return (-h2, h2)
            case 5: return (-h2, -h2)
            case 7: return (h2, -h2)
            default: break
            }
        }
        let t = 2 * Double.pi * Double(m) / Double(n)
        return (cos(t), sin(t))
    }

    static func characterTable(n: Int) -> CharacterTable {
        var re = [Double](repeating: 0, count: n * n), im = re
        var sym: [Int: String] = [:]
        for k in 0..<n {
            for a in 0..<n {
                let m = (k * a) % n
                let v = root(m, n)
                re[k * n + a] = v.re; im[k * n + a] = v.im
                if m != 0 && 2 * m != n { sym[k * n + a] = "E(\(n))^\(m)" }
            }
        }
        let classes = (0..<n).map { a in
            CharacterTable.ConjugacyClass(label: "\(a)", size: 1, centralizer: BigUInt(n),
                                          representative: (0..<n).map { ($0 + a) % n }, cycleType: nil)
        }
        let irreps = (0..<n).map { k in
            CharacterTable.Irrep(label: irrepLabel(k, n), degree: 1, indicator: (2 * k) % n == 0 ? 1 : 0, partition: nil)
        }
        return CharacterTable(groupName: "C\(n)", order: BigUInt(n), classes: classes, irreps: irreps,
                              realParts: re, imagParts: im, symbolic: sym, realLabel: { i, _ in irrepLabel(i, n) })
    }
}

/// The cyclic group C_n (also written Z_n) as a group kind: element a ↔ a mod n, a·b =
/// (a + b) mod n, acting on the n vertices of the n-gon by rotation (x ↦ x + a); generator 1.
/// Explicit irreps e^{2πika/n} (1 × 1, realified as rotations by `realComponentMatrix`).
struct CyclicGroup: GroupKind, ExplicitIrreps {
    let n: Int

    /// C_n by structure; names `Cn`, `Zn`, `C_n` (n ≥ 1).
    struct Descriptor: IndexedGroupFamily {
        let n: Int
        static let letters: [Character] = ["C", "Z"]
        static let accepted = "Cn or Zn (cyclic of order n)"
        init(n: Int) { self.n = n }
        init(index n: Int, written: String) throws {
            guard n >= 1 else { throw GroupError("'\(written)': a cyclic group needs order n ≥ 1") }
            self.n = n
        }
        var name: String { "C\(n)" }
        var order: BigUInt { BigUInt(n) }
        var actionDegree: Int { n }
        var characterTableProvider: any CharacterTableProvider { CyclicCharacterTable(n: n) }
        func makeKind() throws -> any GroupKind { CyclicGroup(n: n) }
    }

    /// The closed form of `CyclicGroupTables.characterTable(n:)`.
    struct CyclicCharacterTable: CharacterTableProvider {
        let n: Int
        var method: String { "closed form for C_n (χ_k(a) = e^{2πika/n})" }
        func characterTable() throws -> CharacterTable { CyclicGroupTables.characterTable(n: n) }
    }

    var spec: GroupSpec { GroupSpec(Descriptor(n: n)) }
    var order: Int { n }
    var degree: Int { n }
    func multiply(_ a: Int, _ b: Int) -> Int { (a + b) % n }
    func inverse(_ a: Int) -> Int { (n - a) % n }
    func elementLabel(_ a: Int) -> String { String(a) }
    func permutation(_ a: Int) -> [Int] { (0..<n).map { ($0 + a) % n } }
    var generators: [Int] { n > 1 ? [1] : [] }
    func elementOrder(_ a: Int) -> Int { n / gcd(a, n) }
    /// Abelian: every element is its own class, in element order (class a = element a).
    func elementClasses(in table: CharacterTable) -> [Int32] { (0..<n).map { Int32($0) } }

    var explicitIrreps: (any ExplicitIrreps)? { self }
    var construction: String { "characters e^{2πika/n} of C_n" }
    func irrepMatrix(_ irrep: Int, _ g: Int, in group: FiniteGroup) -> RepresentationMatrix {
        let v = CyclicGroupTables.root(irrep * g, n)
        return RepresentationMatrix(dimension: 1, real: [v.re], imaginary: v.im == 0 ? nil : [v.im])
    }
}

extension GroupSpec {
    /// C_n, the cyclic group of order n.
    public static func cyclic(_ n: Int) -> GroupSpec { GroupSpec(CyclicGroup.Descriptor(n: n)) }
}

/// Greatest common divisor (gcd(0, n) = n).
func gcd(_ a: Int, _ b: Int) -> Int {
    var (x, y) = (abs(a), abs(b))
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
