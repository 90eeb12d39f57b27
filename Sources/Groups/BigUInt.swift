/// A non-negative integer of any size, for group orders and class sizes that overflow
/// `Int` (|S_21| = 21! > 2⁶³; THEORY.md §7). Only what counting needs: products,
/// exact division by small numbers, decimal printing.
public struct BigUInt: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// Base-2³² digits, least significant first, no trailing zeros (zero is `[]`).
    public private(set) var limbs: [UInt32]

    public init(_ value: Int) {
        precondition(value >= 0, "BigUInt is non-negative")
        var v = UInt64(value)
        limbs = []
        while v > 0 { limbs.append(UInt32(truncatingIfNeeded: v)); v >>= 32 }
    }

    init(limbs: [UInt32]) {
        self.limbs = limbs
        while let l = self.limbs.last, l == 0 { self.limbs.removeLast() }
    }

    public static let one = BigUInt(1)

    public var isZero: Bool { limbs.isEmpty }

    /// The value as an `Int`, or nil when it does not fit.
    public var intValue: Int? {
        if limbs.count > 2 { return nil }
        var v: UInt64 = 0
        for (i, l) in limbs.enumerated() { v |= UInt64(l) << (32 * UInt64(i)) }
        return v <= UInt64(Int.max) ? Int(v) : nil
    }

    /// The nearest `Double` (rounded by limbs; relative error ≲ 1e-16).
    public var doubleValue: Double {
        var d = 0.0
        for l in limbs.reversed() { d = d * 4294967296.0 + Double(l) }
        return d
    }

    public static func * (a: BigUInt, b: BigUInt) -> BigUInt {
        if a.isZero || b.isZero { return BigUInt(0) }
        var r = [UInt32](repeating: 0, count: a.limbs.count + b.limbs.count)
        for i in 0..<a.limbs.count {
            var carry: UInt64 = 0
            let ai = UInt64(a.limbs[i])
            for j in 0..<b.limbs.count {
                let t = ai * UInt64(b.limbs[j]) + UInt64(r[i + j]) + carry
                r[i + j] = UInt32(truncatingIfNeeded: t)
                carry = t >> 32
            }
            var k = i + b.limbs.count
            while carry > 0 {
                let t = UInt64(r[k]) + carry
                r[k] = UInt32(truncatingIfNeeded: t); carry = t >> 32; k += 1
            }
        }
        var x = BigUInt(0); x.limbs = r; x.normalize(); return x
    }

    public static func * (a: BigUInt, b: Int) -> BigUInt { a * BigUInt(b) }

    /// Quotient and remainder by a small positive divisor.
    public func quotientAndRemainder(dividingBy d: Int) -> (quotient: BigUInt, remainder: Int) {
        precondition(d > 0 && d <= Int(UInt32.max))
        var q = limbs
        var rem: UInt64 = 0
        for i in stride(from: q.count - 1, through: 0, by: -1) {
            let cur = (rem << 32) | UInt64(q[i])
            q[i] = UInt32(cur / UInt64(d)); rem = cur % UInt64(d)
        }
        var x = BigUInt(0); x.limbs = q; x.normalize()
        return (x, Int(rem))
    }

    /// Exact quotient a / b where b divides a (b given as a BigUInt of at most one limb, or any Int).
    public static func / (a: BigUInt, b: Int) -> BigUInt {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        precondition(r == 0, "inexact BigUInt division")
        return q
    }

    /// n! exactly.
    public static func factorial(_ n: Int) -> BigUInt {
        var r = BigUInt.one
        if n >= 2 { for k in 2...n { r = r * k } }
        return r
    }

    private mutating func normalize() { while let l = limbs.last, l == 0 { limbs.removeLast() } }

    public var description: String {
        if isZero { return "0" }
        var chunks: [Int] = []
        var x = self
        while !x.isZero { let (q, r) = x.quotientAndRemainder(dividingBy: 1_000_000_000); chunks.append(r); x = q }
        var s = String(chunks.last!)
        for c in chunks.dropLast().reversed() {
            let t = String(c)
            s += String(repeating: "0", count: 9 - t.count) + t
        }
        return s
    }

    public static func < (a: BigUInt, b: BigUInt) -> Bool {
        if a.limbs.count != b.limbs.count { return a.limbs.count < b.limbs.count }
        for i in stride(from: a.limbs.count - 1, through: 0, by: -1) where a.limbs[i] != b.limbs[i] {
            return a.limbs[i] < b.limbs[i]
        }
        return false
    }
}
