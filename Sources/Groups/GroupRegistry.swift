/// A family of groups named by a letter and an index ("C71", "D59", "S5"): the descriptor
/// type of a group kind, registered in `GroupRegistry.families` so that `GroupSpec.parse`
/// reads its names.
public protocol IndexedGroupFamily: GroupDescriptor {
    /// The letters that begin the names, upper case (matched case-insensitively): ["C", "Z"].
    static var letters: [Character] { get }
    /// The family in the list of accepted names: "Cn or Zn (cyclic of order n)".
    static var accepted: String { get }
    /// Lower-case spellings refused as ambiguous ("dih": is D8 of order 8 or 16?).
    static var ambiguousPrefixes: [String] { get }
    /// The group with index n; `written` is the factor as the user wrote it (for messages).
    /// Throws a GroupError when n is out of range.
    init(index n: Int, written: String) throws
}

extension IndexedGroupFamily {
    public static var ambiguousPrefixes: [String] { [] }
}

/// The registry of named group kinds: the one place that lists them. A new kind named by a
/// letter and an index is registered by adding its descriptor type here; products of any
/// registered kinds (`S3xC2`) then parse too. Kinds not named this way (a group given by its
/// Cayley table or by generators) need no entry: they are built with
/// `FiniteGroup(kind:)` / `GroupSpec(_:)` directly.
public enum GroupRegistry {
    /// In the order the accepted names are listed in messages.
    public static var families: [any IndexedGroupFamily.Type] {
        [CyclicGroup.Descriptor.self, DihedralGroup.Descriptor.self,
         SymmetricGroup.Descriptor.self, AlternatingGroup.Descriptor.self]
    }

    /// The family whose names begin with `letter` (case-insensitive), or nil.
    public static func family(startingWith letter: Character) -> (any IndexedGroupFamily.Type)? {
        let l = String(letter).uppercased()
        return families.first { $0.letters.contains { String($0) == l } }
    }

    /// "accepted: Cn or Zn (cyclic of order n), …, and products such as S3xC2".
    static var acceptedNames: String {
        "accepted: " + families.map { $0.accepted }.joined(separator: ", ") + ", and products such as S3xC2"
    }

    static var ambiguousPrefixes: [String] { families.flatMap { $0.ambiguousPrefixes } }
}
