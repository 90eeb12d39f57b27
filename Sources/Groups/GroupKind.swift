import Foundation

// The seam of the Groups module: a kind of finite group is a type conforming to
// `GroupKind` (its elements) together with a `GroupDescriptor` (the group by structure, as
// a name describes it). Adding a kind is one file plus, when it is named by a letter and
// an index, one line in `GroupRegistry.families` (GroupRegistry.swift). Nothing outside a
// kind's own file and the registry switches over kinds. Sources/Groups/README.md.

/// A group by structure, as a name describes it: cheap to make, enumerates no element, so
/// it works for S_30 (order 30! ≈ 2.7·10³²). `GroupSpec` is the public handle around one.
public protocol GroupDescriptor: Sendable {
    /// Canonical name ("C71", "D59", "S5", "A5", "S3xC2"). It identifies the group AND its
    /// default element order: two descriptors with the same name are the same `GroupSpec`.
    var name: String { get }
    /// |G| exactly.
    var order: BigUInt { get }
    /// Number of points of the faithful permutation action (`FiniteGroup.permutations`).
    var actionDegree: Int { get }
    /// The factors of a direct product, flattened; a single group is its own factor
    /// (default).
    var factors: [GroupSpec] { get }
    /// How the character table is computed from the structure alone (no element classes
    /// attached): closed forms, Murnaghan–Nakayama, the A_n construction, Kronecker products.
    var characterTableProvider: any CharacterTableProvider { get }
    /// The group with its elements enumerated (called only when |G| ≤ FiniteGroup.maximumOrder).
    func makeKind() throws -> any GroupKind
}

extension GroupDescriptor {
    public var factors: [GroupSpec] { [GroupSpec(self)] }
}

/// Computes a character table (docs/theory.md §5–§7 for the conventions every table follows:
/// irrep 0 trivial, class 0 the identity class, class representatives as permutations in
/// the group's action). The providers here: the closed forms of C_n and D_n, Murnaghan–
/// Nakayama for S_n, A_n from S_n, Kronecker products for G × H. A provider that needs the
/// elements (Dixon–Schneider on a Cayley table, docs/theory.md §10) is a value holding them.
public protocol CharacterTableProvider: Sendable {
    /// How the table is computed, in words ("closed form for C_n", "Murnaghan–Nakayama", …).
    var method: String { get }
    /// The table, without element classes (`GroupKind.elementClasses(in:)` attaches them).
    func characterTable() throws -> CharacterTable
}

/// A finite group whose elements are the indices 0..<order in the kind's default element
/// order (docs/theory.md §6), element 0 the identity. `FiniteGroup` is the public handle: it
/// caches tables and handles the composition convention, so a kind implements the
/// right-to-left product only.
///
/// Requirements with a default: `elementOrder` (by repeated products),
/// `characterTableProvider` (the descriptor's), `elementClasses(in:)` (conjugation orbits of
/// the generators matched to the table's class representatives), `multiplicationTableEntries`
/// (|G|² products), `explicitIrreps` (nil: the isotypic decomposition then uses characters
/// and says so) and `productFactors` (nil).
public protocol GroupKind: Sendable {
    /// The group by structure (canonical name, exact order, table provider).
    var spec: GroupSpec { get }
    /// |G|.
    var order: Int { get }
    /// Number of points of the faithful permutation action.
    var degree: Int { get }
    /// The identity element (0 for every named kind; a Cayley table's identity row).
    var identity: Int { get }
    /// The product a·b, right to left: (a·b)(x) = a(b(x)) in the permutation action.
    func multiply(_ a: Int, _ b: Int) -> Int
    /// a⁻¹.
    func inverse(_ a: Int) -> Int
    /// A readable name of element a ("7", "r^3 s", "(0 2 1)(3 4)", "((0 1), r s)").
    func elementLabel(_ a: Int) -> String
    /// Element a as a 0-based permutation of 0..<degree in one-line notation; faithful, and
    /// a homomorphism: permutation(a·b) = permutation(a) ∘ permutation(b).
    func permutation(_ a: Int) -> [Int]
    /// A generating set (conjugation orbits and `isAbelian` rely on it generating G).
    var generators: [Int] { get }
    /// The order of element a (the least k ≥ 1 with a^k = identity).
    func elementOrder(_ a: Int) -> Int
    /// The provider of this group's character table.
    var characterTableProvider: any CharacterTableProvider { get }
    /// The class of every element, as an index into `table.classes` (the table made by
    /// `characterTableProvider`).
    func elementClasses(in table: CharacterTable) -> [Int32]
    /// Row-major a·b as Int32 for all pairs (right to left).
    func multiplicationTableEntries() -> [Int32]
    /// Explicit unitary matrices of every irrep, when the kind has them.
    var explicitIrreps: (any ExplicitIrreps)? { get }
    /// The factors of a direct product as groups (nil for a single group).
    var productFactors: (FiniteGroup, FiniteGroup)? { get }
}

/// The optional capability of a group kind: explicit unitary matrices ρ(g) of every complex
/// irrep, in character-table order, with ρ(gh) = ρ(g)ρ(h) (products right to left).
/// Real-type irreps come as real orthogonal matrices (docs/theory.md §5–§6).
public protocol ExplicitIrreps: Sendable {
    /// How the matrices are made, in words ("Young's orthogonal form", …).
    var construction: String { get }
    /// ρ_irrep(g) for the group `group` (the handle, for its cached character table).
    func irrepMatrix(_ irrep: Int, _ g: Int, in group: FiniteGroup) -> RepresentationMatrix
}

extension GroupKind {
    public var identity: Int { 0 }

    public var characterTableProvider: any CharacterTableProvider { spec.descriptor.characterTableProvider }

    public func elementOrder(_ a: Int) -> Int {
        var k = 1, x = a
        while x != identity { x = multiply(x, a); k += 1 }
        return k
    }

    public func elementClasses(in table: CharacterTable) -> [Int32] {
        ConjugacyClasses.elementClasses(of: self, in: table)
    }

    public func multiplicationTableEntries() -> [Int32] {
        let o = order
        var e = [Int32](repeating: 0, count: o * o)
        for a in 0..<o { for b in 0..<o { e[a * o + b] = Int32(multiply(a, b)) } }
        return e
    }

    public var explicitIrreps: (any ExplicitIrreps)? { nil }

    public var productFactors: (FiniteGroup, FiniteGroup)? { nil }
}

/// Conjugacy classes of any group kind from its elements alone: the orbits of
/// x ↦ s x s⁻¹ over the generators s (docs/theory.md §10). The default of
/// `GroupKind.elementClasses(in:)`; the kinds with closed forms use their own (faster)
/// rules, which the tests hold against this one.
public enum ConjugacyClasses {
    /// The orbit of every element, orbits numbered in order of their smallest element
    /// (so the identity's orbit is 0).
    public static func orbits(of kind: some GroupKind) -> [Int32] {
        let o = kind.order
        let gens = kind.generators.map { ($0, kind.inverse($0)) }
        var orbit = [Int32](repeating: -1, count: o)
        var next: Int32 = 0
        var stack: [Int] = []
        for start in 0..<o where orbit[start] < 0 {
            orbit[start] = next
            stack.append(start)
            while let x = stack.popLast() {
                for (s, sInv) in gens {
                    let y = kind.multiply(kind.multiply(s, x), sInv)
                    if orbit[y] < 0 { orbit[y] = next; stack.append(y) }
                }
            }
            next += 1
        }
        return orbit
    }

    /// The class of every element in `table`'s class order: each orbit is matched to the
    /// table class whose representative (a permutation in the kind's action) lies in it.
    public static func elementClasses(of kind: some GroupKind, in table: CharacterTable) -> [Int32] {
        let orbit = orbits(of: kind)
        var index: [[Int]: Int] = [:]
        index.reserveCapacity(kind.order)
        for a in 0..<kind.order { index[kind.permutation(a)] = a }
        var classOfOrbit = [Int32](repeating: -1, count: kind.order)
        for (c, cls) in table.classes.enumerated() {
            guard let e = index[cls.representative] else {
                preconditionFailure("\(table.groupName): the representative \(cls.representative) of class \(cls.label) is not an element")
            }
            classOfOrbit[Int(orbit[e])] = Int32(c)
        }
        return orbit.map { o in
            let c = classOfOrbit[Int(o)]
            precondition(c >= 0, "\(table.groupName): a conjugacy class without a table column")
            return c
        }
    }
}

/// A value made once and kept (thread-safe); the caches of group kinds.
final class LockedCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]

    /// The cached value for `key`, made by `make` (outside the lock) on first use.
    func value(_ key: Key, _ make: () -> Value) -> Value {
        lock.lock()
        if let v = values[key] { lock.unlock(); return v }
        lock.unlock()
        let v = make()
        lock.lock(); values[key] = v; lock.unlock()
        return v
    }
}
