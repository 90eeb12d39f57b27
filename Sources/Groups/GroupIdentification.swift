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

    /// The single named kinds of order m, as `--group` spells them: C_m, D_{m/2} (order m,
    /// m ≥ 6), S_k (m = k!), A_k (m = k!/2), k ≤ 10.
    public static func namedKinds(order m: Int) -> [String] {
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

    /// The named groups of order n (single kinds and products of two), smallest name first.
    public static func candidates(order n: Int) -> [String] {
        let single = namedKinds(order:)
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

extension GroupIdentification {
    /// An isomorphism from a group given by data onto `target`: `map[x]` is the element of
    /// `target` (right-to-left product) of element x, with map(x·y) = map(x)·map(y). Built
    /// from images of `source`'s generators with the same element order and class size,
    /// extended breadth-first and checked on every element and generator (which proves it a
    /// homomorphism; a bijection then makes it an isomorphism). Nil when there is none or the
    /// search passes `maximumSteps` element steps.
    public static func isomorphism(from source: ConcreteGroup, to target: FiniteGroup, maximumSteps: Int = 50_000_000) -> [Int]? {
        let n = source.order
        guard n == target.order else { return nil }
        let sc = DixonSchneider.classData(source)
        let tt = target.characterTable
        let gens = source.generators
        func signature(_ order: Int, _ size: Int) -> Int { order * (n + 1) + size }
        var targetBySignature: [Int: [Int]] = [:]
        for y in 0..<n { targetBySignature[signature(target.elementOrder(y), tt.classes[tt.classOf(y)].sizeInt), default: []].append(y) }
        let candidates = gens.map { s -> [Int] in
            let c = Int(sc.classOf[s])
            return targetBySignature[signature(sc.orders[c], sc.members[c].count)] ?? []
        }
        if candidates.contains(where: \.isEmpty) { return nil }
        var steps = 0
        var images = [Int](repeating: 0, count: gens.count)
        func attempt() -> [Int]? {
            var map = [Int](repeating: -1, count: n), used = [Bool](repeating: false, count: n)
            map[source.identity] = target.identity; used[target.identity] = true
            var queue = [source.identity], i = 0
            while i < queue.count {
                let x = queue[i]; i += 1
                for (k, s) in gens.enumerated() {
                    steps += 1
                    let y = source.multiply(x, s), fy = target.multiply(map[x], images[k])
                    if map[y] < 0 {
                        if used[fy] { return nil }
                        map[y] = fy; used[fy] = true; queue.append(y)
                    } else if map[y] != fy { return nil }
                }
            }
            return queue.count == n ? map : nil
        }
        func search(_ k: Int) -> [Int]? {
            if steps > maximumSteps { return nil }
            if k == gens.count { return attempt() }
            for c in candidates[k] {
                images[k] = c
                if let m = search(k + 1) { return m }
            }
            return nil
        }
        return search(0)
    }

    /// Gives a group given by data the labels of the named group it is isomorphic to
    /// (docs/groups-from-data.md §4): when `identify` names a candidate and `isomorphism` finds
    /// an explicit isomorphism φ onto it, irrep i of `kind` takes the label (and partition) of
    /// the named irrep whose character agrees with it on φ of every class representative, and
    /// the real components those of the named group's components. Returns the named group's
    /// name when the labels were adopted; nil (labels X.1, … kept) otherwise.
    @discardableResult
    public static func adoptNamedLabels(_ kind: ConcreteGroup) -> String? {
        let provisional = FiniteGroup(kind: kind)
        guard let name = identify(provisional), let named = try? FiniteGroup.named(name),
              let phi = isomorphism(from: kind, to: named) else { return nil }
        let ct = provisional.characterTable, nt = named.characterTable
        let r = ct.classes.count
        guard nt.classes.count == r, nt.irreps.count == ct.irreps.count else { return nil }
        // A representative element of each class of `kind`, and the named class of its image.
        var rep = [Int](repeating: -1, count: r)
        for x in 0..<kind.order where rep[ct.classOf(x)] < 0 { rep[ct.classOf(x)] = x }
        let image = rep.map { named.classOf(phi[$0]) }
        var match = [Int](repeating: -1, count: ct.irreps.count), used = Set<Int>()
        for i in 0..<ct.irreps.count {
            for j in 0..<nt.irreps.count where !used.contains(j) {
                let same = (0..<r).allSatisfy { l in
                    let (a, b) = (ct.value(i, l), nt.value(j, image[l]))
                    return abs(a.0 - b.0) < 1e-9 && abs(a.1 - b.1) < 1e-9
                }
                if same { match[i] = j; used.insert(j); break }
            }
            if match[i] < 0 { return nil }
        }
        let irreps = (0..<ct.irreps.count).map { i -> CharacterTable.Irrep in
            let o = ct.irreps[i], t = nt.irreps[match[i]]
            return CharacterTable.Irrep(label: t.label, degree: o.degree, indicator: o.indicator, partition: t.partition)
        }
        let componentOf = Dictionary(nt.realComponents.flatMap { c in c.irreps.map { ($0, c.label) } }, uniquingKeysWith: { a, _ in a })
        kind.storage.labelled = try? kind.characterTableProvider.characterTable().relabelled(irreps: irreps) { c in
            componentOf[match[c.irreps[0]]] ?? irreps[c.irreps[0]].label
        }
        return kind.storage.labelled == nil ? nil : name
    }
}
