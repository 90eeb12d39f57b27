import Foundation
import NeuronData

/// A finite group whose elements are the indices 0..<order, in the default order of
/// docs/theory.md §6: C_n: k ↔ k mod n; D_n: k + n·j ↔ r^k s^j; S_n, A_n: permutations of
/// 0…n−1 in lexicographic one-line order (itertools.permutations); G × H: (g, h) ↔ g·|H| + h.
/// Element 0 is the identity. Products compose right to left unless asked otherwise.
///
/// Every group also acts faithfully by permutations (`permutations`): C_n and D_n (n ≥ 3)
/// on the n vertices of the n-gon, S_n and A_n on n points, D_1 and D_2 by their regular
/// action, products on the disjoint union of the factors' points.
///
/// The public handle around a `GroupKind` (the kind's elements and rules; GroupKind.swift):
/// it caches what is built once (multiplication table, inverses, character table with the
/// class of every element, the permutation index) and applies the composition convention.
public struct FiniteGroup: Sendable {
    public let spec: GroupSpec
    /// The implementation of this group's kind.
    public let kind: any GroupKind
    let storage: GroupStorage

    /// Largest order whose elements are enumerated (10! = |S_10|).
    public static let maximumOrder = 3_628_800

    /// Parses `name` ("C71", "Z113", "D59", "S5", "A5", "S3xC2") and builds the group.
    public static func named(_ name: String) throws -> FiniteGroup {
        try FiniteGroup(spec: GroupSpec.parse(name))
    }

    public init(spec: GroupSpec) throws {
        let order = spec.order
        guard let o = Int(exactly: order), o <= FiniteGroup.maximumOrder else {
            throw GroupError("\(spec) has order \(order), too large to enumerate its elements (at most \(FiniteGroup.maximumOrder) = |S_10|); `irrepscope characters` still gives its character table")
        }
        let kind = try spec.descriptor.makeKind()
        precondition(kind.order == o, "\(spec): the kind has \(kind.order) elements, the structure says \(o)")
        self.spec = spec
        self.kind = kind
        self.storage = GroupStorage()
    }

    /// A group of any kind, e.g. one not named through `GroupRegistry`.
    public init(kind: any GroupKind) {
        self.spec = kind.spec
        self.kind = kind
        self.storage = GroupStorage()
    }

    /// Canonical name, e.g. "D59", "S3xC2".
    public var name: String { spec.description }
    public var order: Int { kind.order }
    /// The identity element (index 0 in every default order; for a Cayley table given as
    /// data, the identity's row, docs/groups-from-data.md).
    public var identity: Int { kind.identity }
    /// Number of points of the permutation action.
    public var degree: Int { kind.degree }

    /// The product a·b: with `.rightToLeft` (default), (a·b)(x) = a(b(x)); with
    /// `.leftToRight`, (a·b)(x) = b(a(x)), i.e. the right-to-left product b·a.
    public func multiply(_ a: Int, _ b: Int, composition: Composition = .rightToLeft) -> Int {
        let (x, y) = composition.operands(a, b)
        return kind.multiply(x, y)
    }

    public func inverse(_ a: Int) -> Int { kind.inverse(a) }

    /// The multiplication table (right to left), built once and cached: row-major
    /// `entries[a · order + b] = a·b` as Int32. For |G| = 5040 that is 97 MiB.
    public var multiplicationTable: MultiplicationTable { storage.multiplicationTable(kind) }

    /// All inverses, `inverses[a] = a⁻¹`.
    public var inverses: [Int32] { storage.inverseTable(kind) }

    /// A readable name of element a: "7" (C_n), "r^3 s" (D_n), "(0 2 1)(3 4)" (S_n, A_n,
    /// cycle notation on 0-based points), "((0 1), r s)" (products).
    public func elementLabel(_ a: Int) -> String { kind.elementLabel(a) }

    /// Element a as a 0-based permutation in one-line notation (the faithful action).
    public func permutation(_ a: Int) -> [Int] { kind.permutation(a) }

    /// Every element as a 0-based permutation in one-line notation, in element order.
    public var permutations: [[Int]] { (0..<order).map { kind.permutation($0) } }

    /// Maps a trainer's row order to element indices: `list[row]` is the permutation of
    /// row `row` (0- or 1-based one-line notation, in this group's action, see
    /// `permutations`); returns the element of each row. Throws unless the list is exactly
    /// the group: right count, right degree, every entry an element, no repeats.
    public func reorder(byPermutations list: [[Int]], oneBased: Bool) throws -> [Int] {
        guard list.count == order else {
            throw GroupError("the element list has \(list.count) permutations; \(name) has \(order) elements")
        }
        let index = storage.permutationIndex(kind)
        var seen = [Int](repeating: -1, count: order)
        var out: [Int] = []
        out.reserveCapacity(order)
        for (row, p0) in list.enumerated() {
            let p = oneBased ? p0.map { $0 - 1 } : p0
            guard p.count == degree else {
                throw GroupError("row \(row): a permutation of \(p.count) points; \(name) acts on \(degree) points (see `irrepscope irreps \(name) --elements all --format json` for its permutations)")
            }
            guard Permutation.isPermutation(p) else {
                throw GroupError("row \(row): \(p0) is not a permutation of \(oneBased ? "1…\(degree)" : "0…\(degree - 1)")")
            }
            guard let e = index[p.map { Int16($0) }] else {
                throw GroupError("row \(row): \(p0) is not an element of \(name) in its action on \(degree) points")
            }
            if seen[e] >= 0 { throw GroupError("rows \(seen[e]) and \(row) are the same element \(elementLabel(e))") }
            seen[e] = row
            out.append(e)
        }
        return out
    }

    /// The element whose permutation (0-based one-line notation) is `p`.
    func element(ofPermutation p: [Int]) throws -> Int {
        guard let e = storage.permutationIndex(kind)[p.map { Int16($0) }] else { throw GroupError("not an element") }
        return e
    }

    /// The exact character table with the class of every element attached (cached).
    public var characterTable: CharacterTable { storage.characterTable(kind) }

    /// How the character table is computed (the kind's `CharacterTableProvider`).
    public var characterTableMethod: String { kind.characterTableProvider.method }

    /// The class of element g.
    public func classOf(_ g: Int) -> Int { characterTable.classOf(g) }

    /// Generators (for `irreps --elements generators`): C_n: 1; D_n: r, s; S_n: the
    /// adjacent transpositions s_i; A_n: the 3-cycles (0 1 i); products: each factor's.
    public var generators: [Int] { kind.generators }

    /// The order of element a (least k ≥ 1 with a^k = identity).
    public func elementOrder(_ a: Int) -> Int { kind.elementOrder(a) }

    /// The order of every element, in element order.
    public var elementOrders: [Int] { (0..<order).map { kind.elementOrder($0) } }

    /// The factors of a direct product as groups (nil for a single group).
    public var productFactors: (FiniteGroup, FiniteGroup)? { kind.productFactors }

    /// Whether the element order is that of Z_n under addition: a·b = (a + b) mod n for all
    /// a, b (docs/theory.md §4's order, which the FFT route needs). Structural, not by name:
    /// `C6`, `Z6`, `C_6` are; `C2xC3` is cyclic as a group but its element (g, h) ↔ 3g + h
    /// is not k ↔ k mod 6, so it is not. (D_1 and S_2, whose two elements are 0 = e, 1,
    /// are.) Checks 1·b = b + 1 mod n for every b: then element k is 1^k and
    /// a·b = 1^{a+b} = (a + b) mod n.
    public var isCyclic: Bool {
        let n = order
        if n == 1 { return kind.multiply(0, 0) == 0 }
        for b in 0..<n where kind.multiply(1, b) != (b + 1) % n { return false }
        return true
    }

    /// Whether ab = ba for all a, b (checked on the generators, which generate G).
    public var isAbelian: Bool {
        let g = kind.generators
        for (i, a) in g.enumerated() {
            for b in g[(i + 1)...] where kind.multiply(a, b) != kind.multiply(b, a) { return false }
        }
        return true
    }
}

/// A multiplication table, right to left: `self[a, b]` = a·b.
public struct MultiplicationTable: Sendable {
    public let order: Int
    public let entries: [Int32]
    @inlinable public subscript(a: Int, b: Int) -> Int { Int(entries[a * order + b]) }
}

/// What a FiniteGroup builds once, for any kind (the kinds keep their own specific caches).
final class GroupStorage: @unchecked Sendable {
    private let lock = NSLock()
    private var table: MultiplicationTable?
    private var inv: [Int32]?
    private var characters: CharacterTable?
    private var permIndex: [[Int16]: Int]?
    private var isotypicBasis: IsotypicBasis?

    /// The explicit-irrep basis of the matrix route, built once per group.
    func cachedIsotypicBasis(_ build: () -> IsotypicBasis) -> IsotypicBasis {
        lock.lock()
        if let b = isotypicBasis { lock.unlock(); return b }
        lock.unlock()
        let b = build()
        lock.lock(); isotypicBasis = b; lock.unlock()
        return b
    }

    func multiplicationTable(_ kind: any GroupKind) -> MultiplicationTable {
        lock.lock(); defer { lock.unlock() }
        if let t = table { return t }
        let t = MultiplicationTable(order: kind.order, entries: kind.multiplicationTableEntries())
        table = t
        return t
    }

    func inverseTable(_ kind: any GroupKind) -> [Int32] {
        lock.lock()
        if let i = inv { lock.unlock(); return i }
        lock.unlock()
        let i = (0..<kind.order).map { Int32(kind.inverse($0)) }
        lock.lock(); inv = i; lock.unlock()
        return i
    }

    func permutationIndex(_ kind: any GroupKind) -> [[Int16]: Int] {
        lock.lock()
        if let p = permIndex { lock.unlock(); return p }
        lock.unlock()
        var d: [[Int16]: Int] = [:]
        d.reserveCapacity(kind.order)
        for a in 0..<kind.order { d[kind.permutation(a).map { Int16($0) }] = a }
        lock.lock(); permIndex = d; lock.unlock()
        return d
    }

    func characterTable(_ kind: any GroupKind) -> CharacterTable {
        lock.lock()
        if let c = characters { lock.unlock(); return c }
        lock.unlock()
        let base: CharacterTable
        do { base = try kind.characterTableProvider.characterTable() } catch {
            preconditionFailure("\(kind.spec): the character table of a group with enumerated elements failed: \(error)")
        }
        let t = base.withElementClasses(kind.elementClasses(in: base))
        lock.lock(); characters = t; lock.unlock()
        return t
    }
}
