import Foundation

/// Recognises a group given by data as one of the named kinds (docs/groups-from-data.md §4):
/// C_n, D_n, S_n, A_n and direct products of two of them, of the same order. The test is a
/// fingerprint — the class sizes with their element orders and the character table up to the
/// order of rows and columns — which the two groups must share; it separates D_4 from Q_8
/// (element orders) but is a necessary condition, not a proof of isomorphism, and the
/// output says "identified_as" in that sense.
public enum GroupIdentification {
    /// Orders above this are not compared (the candidates' elements are enumerated).
    public static let maximumOrder = 50_000

    /// The fingerprint of a group with enumerated elements.
    public static func fingerprint(_ g: FiniteGroup) -> [String] {
        let t = g.characterTable
        var orderOfClass = [Int](repeating: 0, count: t.classCount)
        var seen = [Bool](repeating: false, count: t.classCount)
        for a in 0..<g.order {
            let c = t.classOf(a)
            if !seen[c] { seen[c] = true; orderOfClass[c] = g.elementOrder(a) }
        }
        func r(_ x: Double) -> String { String(format: "%.6f", abs(x) < 5e-7 ? 0 : x) }
        var rows = (0..<t.irrepCount).map { i in
            (0..<t.classCount).map { c in "\(orderOfClass[c]):\(t.classes[c].sizeInt):\(r(t.real(i, c))):\(r(t.imaginary(i, c)))" }
                .sorted().joined(separator: ",")
        }
        rows.sort()
        return rows
    }

    /// The named groups of order n (single kinds and products of two), smallest name first.
    public static func candidates(order n: Int) -> [String] {
        func single(_ m: Int) -> [String] {
            var out = ["C\(m)"]
            if m % 2 == 0 && m >= 6 { out.append("D\(m / 2)") }
            var f = 1
            for k in 1...10 {
                f *= k
                if f == m && k >= 3 { out.append("S\(k)") }
                if f / 2 == m && k >= 4 { out.append("A\(k)") }
            }
            return out
        }
        var out = single(n)
        var a = 2
        while a * a <= n {
            if n % a == 0 {
                for x in single(a) { for y in single(n / a) { out.append("\(x)x\(y)") } }
            }
            a += 1
        }
        return out
    }

    /// The number of classes of a named group from its structure (no element enumerated).
    static func classCount(_ name: String) -> Int? {
        guard let spec = try? GroupSpec.parse(name) else { return nil }
        var k = 1
        for f in spec.factors {
            let d = f.description
            guard let m = Int(d.dropFirst()) else { return nil }
            switch d.first {
            case "C": k *= m
            case "D": k *= m % 2 == 1 ? (m + 3) / 2 : (m + 6) / 2
            default:
                guard let t = try? f.characterTable() else { return nil }
                k *= t.classCount
            }
        }
        return k
    }

    /// The name of a named group sharing `g`'s fingerprint, or nil.
    public static func identify(_ g: FiniteGroup) -> String? {
        guard g.order <= maximumOrder else { return nil }
        let fp = fingerprint(g)
        let k = g.characterTable.classCount
        for name in candidates(order: g.order) where classCount(name) == k {
            guard let h = try? FiniteGroup.named(name), h.order == g.order else { continue }
            if fingerprint(h) == fp { return name }
        }
        return nil
    }
}
