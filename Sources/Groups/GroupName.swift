/// A finite group by structure, parsed from names such as `C71`, `Z113`, `D59`, `S5`,
/// `A5`, `S3xC2` (THEORY.md §6). D_n is the dihedral group of ORDER 2n (symmetries of an
/// n-gon). Products associate to the left; `x`, `×` and `*` separate factors.
public indirect enum GroupSpec: Sendable, Hashable, CustomStringConvertible {
    case cyclic(Int)
    case dihedral(Int)
    case symmetric(Int)
    case alternating(Int)
    case product(GroupSpec, GroupSpec)

    /// Canonical name: "C71", "D59", "S5", "A5", "S3xC2".
    public var description: String {
        switch self {
        case .cyclic(let n): return "C\(n)"
        case .dihedral(let n): return "D\(n)"
        case .symmetric(let n): return "S\(n)"
        case .alternating(let n): return "A\(n)"
        case .product(let a, let b): return "\(a)x\(b)"
        }
    }

    /// The factors of a product, flattened (a single group is its own factor).
    public var factors: [GroupSpec] {
        if case .product(let a, let b) = self { return a.factors + b.factors }
        return [self]
    }

    /// |G| exactly.
    public var order: BigUInt {
        switch self {
        case .cyclic(let n): return BigUInt(n)
        case .dihedral(let n): return BigUInt(2 * n)
        case .symmetric(let n): return BigUInt.factorial(n)
        case .alternating(let n): return n < 2 ? .one : BigUInt.factorial(n) / 2
        case .product(let a, let b): return a.order * b.order
        }
    }

    /// Parses a group name; throws a GroupError saying what is accepted.
    public static func parse(_ text: String) throws -> GroupSpec {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let accepted = "accepted: Cn or Zn (cyclic of order n), Dn (dihedral of order 2n), Sn (symmetric), An (alternating), and products such as S3xC2"
        guard !trimmed.isEmpty else { throw GroupError("empty group name; \(accepted)") }
        var separators = Set<Character>(["×", "*"])
        separators.insert("x")
        var parts: [String] = [], cur = ""
        for ch in trimmed {
            if separators.contains(ch) || ch == "X" { parts.append(cur); cur = "" } else { cur.append(ch) }
        }
        parts.append(cur)
        var specs: [GroupSpec] = []
        for raw in parts {
            let p = raw.trimmingCharacters(in: .whitespaces)
            guard let letter = p.first else { throw GroupError("'\(text)': an empty factor; \(accepted)") }
            var digits = String(p.dropFirst())
            if digits.hasPrefix("_") { digits.removeFirst() }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                if p.lowercased().hasPrefix("dih") || p.lowercased().hasPrefix("sym") || p.lowercased().hasPrefix("alt") {
                    throw GroupError("'\(p)' is ambiguous or not a name IrrepScope reads (conventions differ on whether a dihedral index is n or 2n); write Dn for the dihedral group of order 2n, Sn, An; \(accepted)")
                }
                throw GroupError("'\(p)' is not a group name; \(accepted)")
            }
            guard digits.count <= 7, let n = Int(digits) else { throw GroupError("'\(p)': the index is too large") }
            if digits.count > 1 && digits.first == "0" { throw GroupError("'\(p)': leading zero in the index") }
            switch letter {
            case "C", "Z", "c", "z":
                guard n >= 1 else { throw GroupError("'\(p)': a cyclic group needs order n ≥ 1") }
                specs.append(.cyclic(n))
            case "D", "d":
                guard n >= 1 else { throw GroupError("'\(p)': D_n (order 2n) needs n ≥ 1") }
                specs.append(.dihedral(n))
            case "S", "s":
                guard n >= 1 else { throw GroupError("'\(p)': S_n needs n ≥ 1") }
                specs.append(.symmetric(n))
            case "A", "a":
                guard n >= 1 else { throw GroupError("'\(p)': A_n needs n ≥ 1") }
                specs.append(.alternating(n))
            default:
                throw GroupError("'\(p)' is not a group name; \(accepted)")
            }
        }
        var g = specs[0]
        for s in specs.dropFirst() { g = .product(g, s) }
        return g
    }

    /// The exact character table, computed from the structure alone (no element list), so
    /// it works for S_30 (order 30! ≈ 2.7·10³²). Elements' classes are not attached.
    public func characterTable() throws -> CharacterTable {
        switch self {
        case .cyclic(let n): return CyclicGroupTables.characterTable(n: n)
        case .dihedral(let n): return DihedralGroupTables.characterTable(n: n)
        case .symmetric(let n): return try SymmetricCharacters.characterTable(n: n)
        case .alternating(let n): return try AlternatingCharacters.characterTable(n: n)
        case .product(let a, let b): return ProductGroupTables.characterTable(try a.characterTable(), try b.characterTable(),
                                                                                name: description)
        }
    }

    /// Degree of the permutation action used for `FiniteGroup.permutations`.
    var actionDegree: Int {
        switch self {
        case .cyclic(let n): return n
        case .dihedral(let n): return n >= 3 ? n : 2 * n
        case .symmetric(let n), .alternating(let n): return n
        case .product(let a, let b): return a.actionDegree + b.actionDegree
        }
    }
}

import Foundation
