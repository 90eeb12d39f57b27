import Foundation

/// Frobenius–Schur type of a complex irrep (docs/theory.md §5): real (indicator +1),
/// complex (0: χ is not real-valued), quaternionic (−1).
public enum RepresentationType: String, Sendable {
    case real, complex, quaternionic

    public init(indicator: Int) {
        self = indicator > 0 ? .real : (indicator < 0 ? .quaternionic : .complex)
    }
}

/// One real irreducible component of real functions on G (docs/theory.md §5): a real-type
/// irrep, a complex-type pair {ρ, ρ̄} merged, or a quaternionic irrep.
public struct RealComponent: Sendable, Hashable {
    /// The irrep label; a complex pair is labelled by its first member ("k1" for the
    /// pair {k1, k-1} of C_n) or "λ±" for A_n's pair λ+, λ−.
    public var label: String
    /// Real dimension of one copy: d for real type, 2d for complex and quaternionic type.
    public var degree: Int
    /// Whether this is the trivial representation (the analogue of DC).
    public var isTrivial: Bool
    /// Indices of the complex irreps merged into this component (character-table order).
    public var irreps: [Int]
    /// Frobenius–Schur type of the member irreps.
    public var type: RepresentationType
    /// Complex degree d of each member irrep.
    public var complexDegree: Int
}

/// A character table as an object with named attributes, GAP-style (labels travel with
/// the numbers): classes (label, size, centralizer order, representative, cycle type),
/// irreps (label, degree, Frobenius–Schur indicator, partition), and the values
/// χ_irrep(class), rows = irreps, columns = classes.
///
/// Order conventions: irrep 0 is the trivial one and class 0 the identity class. S_n:
/// irreps by partition in reverse lexicographic order ([n] first, [1ⁿ] last; docs/theory.md §7),
/// classes by cycle type in GAP's order ((1ⁿ) first, (n) last).
/// Values are exact integers where the whole table is integral (S_n: exact in Int64 up
/// to n = 35), otherwise Doubles (real and imaginary parts), with an exact symbolic form
/// for the irrational values where cheap (golden ratio of A_5, E(n)^k of C_n).
public struct CharacterTable: Sendable {
    public struct ConjugacyClass: Sendable {
        public let label: String
        /// |C|, exactly.
        public let size: BigUInt
        /// |C_G(g)| = |G|/|C|, exactly.
        public let centralizer: BigUInt
        /// A representative as a 0-based permutation in one-line notation (the group's
        /// permutation action of FiniteGroup.permutations).
        public let representative: [Int]
        /// Cycle type of the representative, largest part first (S_n, A_n).
        public let cycleType: [Int]?
        /// For a group given by its Cayley table: the representative's row index (then
        /// `representative` is empty), else nil (docs/groups-from-data.md).
        public var tableElement: Int? = nil
        /// |C| as an Int (the table's groups that enumerate elements always fit).
        public var sizeInt: Int { Int(exactly: size) ?? Int.max }
        public var centralizerInt: Int { Int(exactly: centralizer) ?? Int.max }
    }

    public struct Irrep: Sendable {
        public let label: String
        /// Complex degree χ(1).
        public let degree: Int
        /// Frobenius–Schur indicator (1/|G|) Σ_g χ(g²) ∈ {1, 0, −1}.
        public let indicator: Int
        /// The partition λ (S_n; for A_n the partition the irrep restricts from).
        public let partition: [Int]?
        public var type: RepresentationType { RepresentationType(indicator: indicator) }
    }

    public let groupName: String
    /// |G| exactly.
    public let order: BigUInt
    public let classes: [ConjugacyClass]
    public let irreps: [Irrep]
    /// Row-major irreps × classes, when every value is an integer.
    public let integerValues: [Int64]?
    private let realParts: [Double]?
    private let imagParts: [Double]?
    /// Symbolic forms of irrational entries, keyed by irrep · classCount + class.
    private let symbolic: [Int: String]
    /// Class of each element (groups whose elements are enumerated), else nil.
    public let elementClasses: [Int32]?
    public let realComponents: [RealComponent]
    /// Index of the complex-conjugate irrep of each irrep (itself when real-valued).
    public let conjugateIrreps: [Int]

    public var classCount: Int { classes.count }
    public var irrepCount: Int { irreps.count }

    init(groupName: String, order: BigUInt, classes: [ConjugacyClass], irreps: [Irrep],
         integerValues: [Int64]? = nil, realParts: [Double]? = nil, imagParts: [Double]? = nil,
         symbolic: [Int: String] = [:], elementClasses: [Int32]? = nil, realLabel: ((Int, Int) -> String)? = nil) {
        precondition(integerValues != nil || realParts != nil)
        self.groupName = groupName; self.order = order; self.classes = classes; self.irreps = irreps
        self.integerValues = integerValues; self.realParts = integerValues == nil ? realParts : nil
        let imag = imagParts.flatMap { im in im.contains { abs($0) > 1e-13 } ? im : nil }
        self.imagParts = imag; self.symbolic = symbolic; self.elementClasses = elementClasses
        let k = irreps.count, c = classes.count
        // Complex conjugate of each irrep (identity when all values are real).
        var conj = Array(0..<k)
        if let im = imag, let re = realParts {
            for i in 0..<k {
                var found = i
                outer: for j in 0..<k where irreps[j].degree == irreps[i].degree {
                    for cl in 0..<c {
                        if abs(re[j * c + cl] - re[i * c + cl]) > 1e-9 || abs(im[j * c + cl] + im[i * c + cl]) > 1e-9 { continue outer }
                    }
                    found = j; break
                }
                conj[i] = found
            }
        }
        self.conjugateIrreps = conj
        var comps: [RealComponent] = []
        var done = [Bool](repeating: false, count: k)
        for i in 0..<k where !done[i] {
            done[i] = true
            let t = irreps[i].type
            var members = [i]
            if conj[i] != i { members.append(conj[i]); done[conj[i]] = true }
            let d = irreps[i].degree
            var label = irreps[i].label
            if members.count == 2 {
                if let rl = realLabel { label = rl(i, conj[i]) }
                else {
                    let a = irreps[i].label, b = irreps[conj[i]].label
                    if a.dropLast() == b.dropLast(), Set([a.last, b.last]) == Set([Character("+"), Character("-")]) {
                        label = String(a.dropLast()) + "±"
                    }
                }
            }
            comps.append(RealComponent(label: label, degree: t == .real ? d : 2 * d, isTrivial: i == 0,
                                       irreps: members, type: members.count == 2 ? .complex : t, complexDegree: d))
        }
        self.realComponents = comps
    }

    /// χ_irrep(class) as (real, imaginary) parts.
    @inlinable public func value(_ irrep: Int, _ cls: Int) -> (re: Double, im: Double) {
        (real(irrep, cls), imaginary(irrep, cls))
    }

    public func real(_ irrep: Int, _ cls: Int) -> Double {
        let i = irrep * classes.count + cls
        if let iv = integerValues { return Double(iv[i]) }
        return realParts![i]
    }

    public func imaginary(_ irrep: Int, _ cls: Int) -> Double {
        imagParts?[irrep * classes.count + cls] ?? 0
    }

    /// The exact integer value, or nil when χ_irrep(class) is not an integer.
    public func integerValue(_ irrep: Int, _ cls: Int) -> Int64? {
        let i = irrep * classes.count + cls
        if let iv = integerValues { return iv[i] }
        if imagParts?[i] ?? 0 != 0 { return nil }
        let r = realParts![i]
        if symbolic[i] != nil { return nil }
        return r == r.rounded() && abs(r) < 9e15 ? Int64(r) : nil
    }

    /// Row-major real parts of all values.
    public var values: [Double] {
        if let iv = integerValues { return iv.map(Double.init) }
        return realParts!
    }

    /// Row-major imaginary parts, nil when the table is real.
    public var imaginaryValues: [Double]? { imagParts }

    /// Whether every character is real-valued.
    public var isReal: Bool { imagParts == nil }

    /// The value as an exact expression: an integer, a symbolic form such as
    /// "(1+√5)/2" or "E(7)^3" (GAP's E(n) = e^{2πi/n}), or the decimal value.
    public func exactForm(_ irrep: Int, _ cls: Int) -> String {
        if let v = integerValue(irrep, cls) { return String(v) }
        if let s = symbolic[irrep * classes.count + cls] { return s }
        let (re, im) = value(irrep, cls)
        return im == 0 ? re.description : "\(re)\(im < 0 ? "-" : "+")\(abs(im))i"
    }

    /// The class of element `g` (groups whose elements are enumerated).
    public func classOf(_ g: Int) -> Int {
        precondition(elementClasses != nil, "classOf needs a group with enumerated elements")
        return Int(elementClasses![g])
    }

    /// The irrep with this label (also accepting "x" or "*" for "⊗"), or nil.
    public func irrepIndex(label: String) -> Int? {
        let norm = { (s: String) in s.replacingOccurrences(of: "x", with: "⊗").replacingOccurrences(of: "*", with: "⊗")
            .replacingOccurrences(of: " ", with: "") }
        let l = norm(label)
        return irreps.firstIndex { norm($0.label) == l }
    }

    /// The real component with this label (or containing the irrep with this label), or nil.
    public func realComponentIndex(label: String) -> Int? {
        let norm = { (s: String) in s.replacingOccurrences(of: "x", with: "⊗").replacingOccurrences(of: "*", with: "⊗")
            .replacingOccurrences(of: " ", with: "") }
        let l = norm(label)
        if let c = realComponents.firstIndex(where: { norm($0.label) == l }) { return c }
        if let i = irrepIndex(label: label) { return realComponents.firstIndex { $0.irreps.contains(i) } }
        return nil
    }

    /// A copy with the class of every element attached.
    /// The same table with its irreps renamed (docs/groups-from-data.md §4): `irreps[i]` for
    /// irrep i (same degree and indicator), each real component labelled by `componentLabel`.
    public func relabelled(irreps new: [Irrep], componentLabel: (RealComponent) -> String) -> CharacterTable {
        precondition(new.count == irreps.count)
        let comps = realComponents.map { c -> RealComponent in var c = c; c.label = componentLabel(c); return c }
        return CharacterTable(groupName: groupName, order: order, classes: classes, irreps: new,
                              integerValues: integerValues, realParts: realParts, imagParts: imagParts,
                              symbolic: symbolic, elementClasses: elementClasses, precomputed: (comps, conjugateIrreps))
    }

    func withElementClasses(_ ec: [Int32]) -> CharacterTable {
        CharacterTable(groupName: groupName, order: order, classes: classes, irreps: irreps,
                       integerValues: integerValues, realParts: realParts, imagParts: imagParts,
                       symbolic: symbolic, elementClasses: ec, precomputed: (realComponents, conjugateIrreps))
    }

    private init(groupName: String, order: BigUInt, classes: [ConjugacyClass], irreps: [Irrep],
                 integerValues: [Int64]?, realParts: [Double]?, imagParts: [Double]?, symbolic: [Int: String],
                 elementClasses: [Int32]?, precomputed: ([RealComponent], [Int])) {
        self.groupName = groupName; self.order = order; self.classes = classes; self.irreps = irreps
        self.integerValues = integerValues; self.realParts = realParts; self.imagParts = imagParts
        self.symbolic = symbolic; self.elementClasses = elementClasses
        self.realComponents = precomputed.0; self.conjugateIrreps = precomputed.1
    }
}
