import Foundation
import NeuronData

/// How a product of two elements is read (THEORY.md §6).
public enum Composition: String, Sendable {
    /// (g·h)(x) = g(h(x)): apply h first. The default everywhere.
    case rightToLeft
    /// (g·h)(x) = h(g(x)): apply g first (the opposite group).
    case leftToRight
}

/// A finite group whose elements are the indices 0..<order, in the default order of
/// THEORY.md §6: C_n: k ↔ k mod n; D_n: k + n·j ↔ r^k s^j; S_n, A_n: permutations of
/// 0…n−1 in lexicographic one-line order (itertools.permutations); G × H: (g, h) ↔ g·|H| + h.
/// Element 0 is the identity. Products compose right to left unless asked otherwise.
///
/// Every group also acts faithfully by permutations (`permutations`): C_n and D_n (n ≥ 3)
/// on the n vertices of the n-gon, S_n and A_n on n points, D_1 and D_2 by their regular
/// action, products on the disjoint union of the factors' points.
public struct FiniteGroup: Sendable {
    public let spec: GroupSpec
    let storage: GroupStorage

    /// Largest order whose elements are enumerated (10! = |S_10|).
    public static let maximumOrder = 3_628_800

    /// Parses `name` ("C71", "Z113", "D59", "S5", "A5", "S3xC2") and builds the group.
    public static func named(_ name: String) throws -> FiniteGroup {
        try FiniteGroup(spec: GroupSpec.parse(name))
    }

    public init(spec: GroupSpec) throws {
        let order = spec.order
        guard let o = order.intValue, o <= FiniteGroup.maximumOrder else {
            throw GroupError("\(spec) has order \(order), too large to enumerate its elements (at most \(FiniteGroup.maximumOrder) = |S_10|); `irrepscope characters` still gives its character table")
        }
        self.spec = spec
        self.storage = try GroupStorage(spec: spec, order: o)
    }

    /// Canonical name, e.g. "D59", "S3xC2".
    public var name: String { spec.description }
    public var order: Int { storage.order }
    /// The identity element (index 0 in every default order).
    public var identity: Int { 0 }
    /// Number of points of the permutation action.
    public var degree: Int { storage.degree }

    /// The product a·b: with `.rightToLeft` (default), (a·b)(x) = a(b(x)); with
    /// `.leftToRight`, (a·b)(x) = b(a(x)), i.e. the right-to-left product b·a.
    public func multiply(_ a: Int, _ b: Int, composition: Composition = .rightToLeft) -> Int {
        composition == .rightToLeft ? storage.multiply(a, b) : storage.multiply(b, a)
    }

    public func inverse(_ a: Int) -> Int { storage.inverse(a) }

    /// The multiplication table (right to left), built once and cached: row-major
    /// `entries[a · order + b] = a·b` as Int32. For |G| = 5040 that is 97 MiB.
    public var multiplicationTable: MultiplicationTable { storage.multiplicationTable() }

    /// All inverses, `inverses[a] = a⁻¹`.
    public var inverses: [Int32] { storage.inverseTable() }

    /// A readable name of element a: "7" (C_n), "r^3 s" (D_n), "(0 2 1)(3 4)" (S_n, A_n,
    /// cycle notation on 0-based points), "((0 1), r s)" (products).
    public func elementLabel(_ a: Int) -> String { storage.label(a) }

    /// Element a as a 0-based permutation in one-line notation (the faithful action).
    public func permutation(_ a: Int) -> [Int] { storage.permutation(a) }

    /// Every element as a 0-based permutation in one-line notation, in element order.
    public var permutations: [[Int]] { (0..<order).map { storage.permutation($0) } }

    /// Maps a trainer's row order to element indices: `list[row]` is the permutation of
    /// row `row` (0- or 1-based one-line notation, in this group's action, see
    /// `permutations`); returns the element of each row. Throws unless the list is exactly
    /// the group: right count, right degree, every entry an element, no repeats.
    public func reorder(byPermutations list: [[Int]], oneBased: Bool) throws -> [Int] {
        guard list.count == order else {
            throw GroupError("the element list has \(list.count) permutations; \(name) has \(order) elements")
        }
        let index = storage.permutationIndex()
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

    /// The exact character table with the class of every element attached (cached).
    public var characterTable: CharacterTable { storage.characterTable() }

    /// The class of element g.
    public func classOf(_ g: Int) -> Int { characterTable.classOf(g) }

    /// Generators (for `irreps --elements generators`): C_n: 1; D_n: r, s; S_n: the
    /// adjacent transpositions s_i; A_n: the 3-cycles (0 1 i); products: each factor's.
    public var generators: [Int] { storage.generators() }

    /// The factors of a direct product as groups (nil for a single group).
    public var productFactors: (FiniteGroup, FiniteGroup)? {
        if case .product(let a, let b) = storage.structure { return (a, b) }
        return nil
    }
}

/// A multiplication table, right to left: `self[a, b]` = a·b.
public struct MultiplicationTable: Sendable {
    public let order: Int
    public let entries: [Int32]
    @inlinable public subscript(a: Int, b: Int) -> Int { Int(entries[a * order + b]) }
}

enum GroupStructure: Sendable {
    case cyclic(Int)
    case dihedral(Int)
    /// n, alternating?, permutations flat (order × n)
    case permutations(Int, Bool, [UInt8])
    case product(FiniteGroup, FiniteGroup)
}

final class GroupStorage: @unchecked Sendable {
    let spec: GroupSpec
    let order: Int
    let degree: Int
    let structure: GroupStructure
    private let lock = NSLock()
    private var table: MultiplicationTable?
    private var inv: [Int32]?
    private var characters: CharacterTable?
    private var permIndex: [[Int16]: Int]?
    private var youngForms: [Int: YoungOrthogonalForm] = [:]
    private var alternatingBases: [Int: AlternatingSplitBasis] = [:]

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

    func cachedAlternatingBasis(_ i: Int) -> AlternatingSplitBasis? {
        lock.lock(); defer { lock.unlock() }
        return alternatingBases[i]
    }

    func storeAlternatingBasis(_ i: Int, _ b: AlternatingSplitBasis) {
        lock.lock(); alternatingBases[i] = b; lock.unlock()
    }

    init(spec: GroupSpec, order: Int) throws {
        self.spec = spec; self.order = order; self.degree = spec.actionDegree
        switch spec {
        case .cyclic(let n): structure = .cyclic(n)
        case .dihedral(let n): structure = .dihedral(n)
        case .symmetric(let n), .alternating(let n):
            let alt: Bool
            if case .alternating = spec { alt = true } else { alt = false }
            var flat: [UInt8] = []
            flat.reserveCapacity(order * n)
            for p in Permutation.all(n) where !alt || Permutation.sign(p) == 1 {
                for v in p { flat.append(UInt8(v)) }
            }
            structure = .permutations(n, alt, flat)
        case .product(let a, let b):
            structure = .product(try FiniteGroup(spec: a), try FiniteGroup(spec: b))
        }
    }

    @inline(__always) static func lexRank(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var avail: UInt64 = (1 << UInt64(n)) &- 1, r = 0
        for i in 0..<n {
            let v = UInt64(p[i])
            r = r * (n - i) + (avail & ((1 << v) &- 1)).nonzeroBitCount
            avail &= ~(1 << v)
        }
        return r
    }

    func multiply(_ a: Int, _ b: Int) -> Int {
        switch structure {
        case .cyclic(let n): return (a + b) % n
        case .dihedral(let n): return DihedralGroupTables.multiply(a, b, n)
        case .permutations(let n, let alt, let flat):
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(n, 1)) { buf in
                flat.withUnsafeBufferPointer { f in
                    for x in 0..<n { buf[x] = f[a * n + Int(f[b * n + x])] }
                }
                let r = GroupStorage.lexRank(UnsafePointer(buf.baseAddress!), n)
                return alt ? r / 2 : r
            }
        case .product(let g, let h):
            let m = h.order
            return g.multiply(a / m, b / m) * m + h.multiply(a % m, b % m)
        }
    }

    func inverse(_ a: Int) -> Int {
        switch structure {
        case .cyclic(let n): return (n - a) % n
        case .dihedral(let n): return DihedralGroupTables.inverse(a, n)
        case .permutations(let n, let alt, _):
            let r = Permutation.rank(Permutation.inverse(permutation(a)))
            _ = n
            return alt ? r / 2 : r
        case .product(let g, let h):
            let m = h.order
            return g.inverse(a / m) * m + h.inverse(a % m)
        }
    }

    func permutation(_ a: Int) -> [Int] {
        switch structure {
        case .cyclic(let n): return (0..<n).map { ($0 + a) % n }
        case .dihedral(let n): return DihedralGroupTables.permutation(a, n)
        case .permutations(let n, _, let flat): return (0..<n).map { Int(flat[a * n + $0]) }
        case .product(let g, let h):
            let m = h.order
            return g.permutation(a / m) + h.permutation(a % m).map { $0 + g.degree }
        }
    }

    func label(_ a: Int) -> String {
        switch structure {
        case .cyclic: return String(a)
        case .dihedral(let n): return DihedralGroupTables.elementLabel(a, n)
        case .permutations: return Permutation.cycleNotation(permutation(a))
        case .product(let g, let h): return "(\(g.elementLabel(a / h.order)), \(h.elementLabel(a % h.order)))"
        }
    }

    func generators() -> [Int] {
        switch structure {
        case .cyclic(let n): return n > 1 ? [1] : []
        case .dihedral(let n): return n > 1 ? [1, n] : [n]
        case .permutations(let n, let alt, _):
            if !alt { return (0..<max(0, n - 1)).map { i in var p = Array(0..<n); p.swapAt(i, i + 1); return Permutation.rank(p) } }
            guard n >= 3 else { return [] }
            return (2..<n).map { i in var p = Array(0..<n); p[0] = 1; p[1] = i; p[i] = 0; return Permutation.rank(p) / 2 }
        case .product(let g, let h):
            return g.generators.map { $0 * h.order } + h.generators
        }
    }

    func multiplicationTable() -> MultiplicationTable {
        lock.lock(); defer { lock.unlock() }
        if let t = table { return t }
        let o = order
        var e = [Int32](repeating: 0, count: o * o)
        switch structure {
        case .permutations(let n, let alt, let flat):
            e.withUnsafeMutableBufferPointer { eb in
                let out = SharedMutablePointer(eb.baseAddress!)
                flat.withUnsafeBufferPointer { fb in
                    let f = SharedMutablePointer(UnsafeMutablePointer(mutating: fb.baseAddress!))
                    let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, o))
                    DispatchQueue.concurrentPerform(iterations: workers) { w in
                        var buf = [UInt8](repeating: 0, count: max(n, 1))
                        var a = w
                        while a < o {
                            for b in 0..<o {
                                for x in 0..<n { buf[x] = f.pointer[a * n + Int(f.pointer[b * n + x])] }
                                let r = buf.withUnsafeBufferPointer { GroupStorage.lexRank($0.baseAddress!, n) }
                                out.pointer[a * o + b] = Int32(alt ? r / 2 : r)
                            }
                            a += workers
                        }
                    }
                }
            }
        default:
            for a in 0..<o { for b in 0..<o { e[a * o + b] = Int32(multiply(a, b)) } }
        }
        let t = MultiplicationTable(order: o, entries: e)
        table = t
        return t
    }

    func inverseTable() -> [Int32] {
        lock.lock()
        if let i = inv { lock.unlock(); return i }
        lock.unlock()
        let i = (0..<order).map { Int32(inverse($0)) }
        lock.lock(); inv = i; lock.unlock()
        return i
    }

    func permutationIndex() -> [[Int16]: Int] {
        lock.lock()
        if let p = permIndex { lock.unlock(); return p }
        lock.unlock()
        var d: [[Int16]: Int] = [:]
        d.reserveCapacity(order)
        for a in 0..<order { d[permutation(a).map { Int16($0) }] = a }
        lock.lock(); permIndex = d; lock.unlock()
        return d
    }

    func characterTable() -> CharacterTable {
        lock.lock()
        if let c = characters { lock.unlock(); return c }
        lock.unlock()
        let t: CharacterTable
        switch structure {
        case .cyclic(let n):
            t = CyclicGroupTables.characterTable(n: n).withElementClasses((0..<n).map { Int32($0) })
        case .dihedral(let n):
            t = DihedralGroupTables.characterTable(n: n).withElementClasses((0..<(2 * n)).map { Int32(DihedralGroupTables.classOf($0, n)) })
        case .permutations(let n, let alt, _):
            let base = alt ? try! AlternatingCharacters.characterTable(n: n) : try! SymmetricCharacters.characterTable(n: n)
            var ec = [Int32](repeating: 0, count: order)
            if alt {
                for a in 0..<order { ec[a] = Int32(AlternatingCharacters.classIndex(of: permutation(a), classes: base.classes)) }
            } else {
                var idx: [[Int]: Int32] = [:]
                for (i, c) in base.classes.enumerated() { idx[c.cycleType!] = Int32(i) }
                for a in 0..<order { ec[a] = idx[Permutation.cycleType(permutation(a))]! }
            }
            t = base.withElementClasses(ec)
        case .product(let g, let h):
            let a = g.characterTable, b = h.characterTable
            let base = ProductGroupTables.characterTable(a, b, name: spec.description)
            let kb = b.classCount, m = h.order
            t = base.withElementClasses((0..<order).map { Int32(a.classOf($0 / m) * kb + b.classOf($0 % m)) })
        }
        lock.lock(); characters = t; lock.unlock()
        return t
    }

    func youngForm(_ irrep: Int, partition: Partition) -> YoungOrthogonalForm {
        lock.lock()
        if let y = youngForms[irrep] { lock.unlock(); return y }
        lock.unlock()
        let y = YoungOrthogonalForm(partition)
        lock.lock(); youngForms[irrep] = y; lock.unlock()
        return y
    }
}

