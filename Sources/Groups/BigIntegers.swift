// Group orders, class sizes and centralizer orders overflow `Int` (|S_21| = 21! > 2⁶³;
// docs/theory.md §7). They are attaswift/BigInt's `BigUInt`, re-exported so that `import Groups`
// is enough to name the type of `GroupSpec.order` or `CharacterTable.order`.
@_exported import BigInt

extension BigUInt {
    /// n! exactly (1 for n < 2).
    public static func factorial(_ n: Int) -> BigUInt {
        var r: BigUInt = 1
        if n >= 2 { for k in 2...n { r *= BigUInt(k) } }
        return r
    }

    /// The quotient by `d`, which must divide `self` (class sizes |G|/z, halves of S_n
    /// classes and orders); traps on an inexact division.
    func dividedExactly(by d: BigUInt) -> BigUInt {
        let (q, r) = quotientAndRemainder(dividingBy: d)
        precondition(r == 0, "inexact BigUInt division")
        return q
    }
}
