import Foundation

/// A finite group by structure, parsed from names such as `C71`, `Z113`, `D59`, `S5`,
/// `A5`, `S3xC2` (docs/theory.md §6). D_n is the dihedral group of ORDER 2n (symmetries of an
/// n-gon). Products associate to the left; `x`, `×` and `*` separate factors.
///
/// A handle around a `GroupDescriptor`: the kinds are registered in `GroupRegistry`, and
/// each kind's file adds its constructor here (`GroupSpec.cyclic(71)`, `.dihedral(59)`,
/// `.symmetric(5)`, `.alternating(5)`, `.product(a, b)`). Two specs are equal when their
/// canonical names are (the name fixes the group and its element order).
public struct GroupSpec: Sendable, Hashable, CustomStringConvertible {
    /// The group's structure-level description (name, exact order, table provider).
    public let descriptor: any GroupDescriptor

    public init(_ descriptor: any GroupDescriptor) { self.descriptor = descriptor }

    /// Canonical name: "C71", "D59", "S5", "A5", "S3xC2".
    public var description: String { descriptor.name }

    /// The factors of a product, flattened (a single group is its own factor).
    public var factors: [GroupSpec] { descriptor.factors }

    /// |G| exactly.
    public var order: BigUInt { descriptor.order }

    /// Degree of the permutation action used for `FiniteGroup.permutations`.
    var actionDegree: Int { descriptor.actionDegree }

    public static func == (a: GroupSpec, b: GroupSpec) -> Bool { a.description == b.description }
    public func hash(into h: inout Hasher) { h.combine(description) }

    /// Parses a group name; throws a GroupError saying what is accepted. Each factor is a
    /// letter and an index, read by the family `GroupRegistry` lists for the letter.
    public static func parse(_ text: String) throws -> GroupSpec {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let accepted = GroupRegistry.acceptedNames
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
                if GroupRegistry.ambiguousPrefixes.contains(where: { p.lowercased().hasPrefix($0) }) {
                    throw GroupError("'\(p)' is ambiguous or not a name IrrepScope reads (conventions differ on whether a dihedral index is n or 2n); write Dn for the dihedral group of order 2n, Sn, An; \(accepted)")
                }
                throw GroupError("'\(p)' is not a group name; \(accepted)")
            }
            guard digits.count <= 7, let n = Int(digits) else { throw GroupError("'\(p)': the index is too large") }
            if digits.count > 1 && digits.first == "0" { throw GroupError("'\(p)': leading zero in the index") }
            guard let family = GroupRegistry.family(startingWith: letter) else {
                throw GroupError("'\(p)' is not a group name; \(accepted)")
            }
            specs.append(GroupSpec(try family.init(index: n, written: p)))
        }
        var g = specs[0]
        for s in specs.dropFirst() { g = .product(g, s) }
        return g
    }

    /// The exact character table, computed from the structure alone (no element list), so
    /// it works for S_30 (order 30! ≈ 2.7·10³²). Elements' classes are not attached.
    public func characterTable() throws -> CharacterTable {
        try descriptor.characterTableProvider.characterTable()
    }

    /// Theorem 9's quantities from the structure-level table (docs/theory.md §3).
    public func theorem9() throws -> Theorem9Quantities {
        Theorem9Quantities(table: try characterTable())
    }
}
