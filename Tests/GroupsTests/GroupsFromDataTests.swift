import Foundation
import Testing
@testable import Groups

/// A GAP fixture (scripts/gap/character_tables.g, GAP 4.12): generators, GAP's classes and
/// Irr(CharacterTable(G)) with values as GAP prints them.
struct GAPFixture: Decodable {
    struct Class: Decodable { let representative: [Int]; let size: Int; let order: Int }
    struct Irrep: Decodable { let indicator: Int; let values: [String] }
    let name: String
    let order: Int
    let degree: Int
    let generators: [[Int]]
    let classes: [Class]
    let irreps: [Irrep]

    static func load(_ name: String) -> GAPFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/gap/\(name).json")
        return try! JSONDecoder().decode(GAPFixture.self, from: Data(contentsOf: url))
    }
}

let gapGroupNames = ["Q8", "SL2_3", "GL2_3", "C3sdC4", "C5sdC4", "A4xC3", "S3wrC2", "PSL2_7", "PSL2_11", "M11",
                     "S5", "C7sdC3", "C9", "C3xC4xC5", "C8xC9"]

/// The group of the fixture's generators as a Cayley table with its elements shuffled:
/// element g of `perm` is row `shuffle[g]`.
func shuffledTable(_ perm: FiniteGroup, seed: UInt64) -> (group: ConcreteGroup, shuffle: [Int]) {
    var rng = SeededGenerator(seed: seed)
    let n = perm.order
    let shuffle = Array(0..<n).shuffled(using: &rng)
    var t = [Int](repeating: 0, count: n * n)
    for a in 0..<n { for b in 0..<n { t[shuffle[a] * n + shuffle[b]] = shuffle[perm.multiply(a, b)] } }
    return (try! ConcreteGroup.fromTable(t, n: n, name: "table:shuffled"), shuffle)
}

/// Compares a computed table with GAP's, up to the order of rows and columns: `column(c)` is
/// the computed class of GAP's class c. Values are compared as GAP's printed strings.
func expectSameTable(_ t: CharacterTable, _ fx: GAPFixture, column: (Int) -> Int, _ context: String) {
    #expect(t.classCount == fx.classes.count, "\(context): class count")
    #expect(t.irrepCount == fx.irreps.count, "\(context): irrep count")
    guard t.classCount == fx.classes.count, t.irrepCount == fx.irreps.count else { return }
    let cols = (0..<fx.classes.count).map(column)
    #expect(Set(cols).count == cols.count, "\(context): GAP's classes map to distinct classes")
    for (c, cl) in fx.classes.enumerated() {
        #expect(t.classes[cols[c]].sizeInt == cl.size, "\(context): size of class \(c)")
        #expect(t.classes[cols[c]].label.hasPrefix("\(cl.order)"), "\(context): element order of class \(c)")
    }
    var used = Set<Int>()
    for (i, ir) in fx.irreps.enumerated() {
        let match = (0..<t.irrepCount).first { r in
            !used.contains(r) && t.irreps[r].indicator == ir.indicator
                && (0..<cols.count).allSatisfy { t.exactForm(r, cols[$0]) == ir.values[$0] }
        }
        #expect(match != nil, "\(context): GAP's irrep \(i + 1) \(ir.values) has no equal row; rows: \((0..<t.irrepCount).map { r in cols.map { t.exactForm(r, $0) } })")
        if let m = match { used.insert(m) }
    }
}

@Suite("Groups from data: Cayley tables, permutation generators, Dixon–Schneider")
struct GroupsFromDataTests {
    @Test("Dixon–Schneider equals GAP's Irr(CharacterTable(G)) for groups from generators", arguments: gapGroupNames)
    func generatorsMatchGAP(_ name: String) throws {
        let fx = GAPFixture.load(name)
        let kind = try ConcreteGroup.fromGenerators(fx.generators, name: "perm:\(name)")
        let g = FiniteGroup(kind: kind)
        #expect(g.order == fx.order)
        let t = g.characterTable
        expectSameTable(t, fx, column: { t.classOf(kind.element(ofPermutation: fx.classes[$0].representative)!) }, "perm:\(name)")
    }

    @Test("…and for the same groups as Cayley tables in a shuffled element order",
          arguments: gapGroupNames.filter { $0 != "M11" && $0 != "C8xC9" && $0 != "C3xC4xC5" })
    func shuffledTablesMatchGAP(_ name: String) throws {
        let fx = GAPFixture.load(name)
        let kind = try ConcreteGroup.fromGenerators(fx.generators, name: "perm:\(name)")
        let (table, shuffle) = shuffledTable(FiniteGroup(kind: kind), seed: 14)
        let g = FiniteGroup(kind: table)
        #expect(g.identity == shuffle[0])
        let t = g.characterTable
        expectSameTable(t, fx, column: { t.classOf(shuffle[kind.element(ofPermutation: fx.classes[$0].representative)!]) }, "table:\(name)")
        #expect(t.classes.allSatisfy { $0.tableElement != nil && $0.representative.isEmpty })
    }

    @Test("docs/theory.md §7 on every group: orthogonality, Σ d² = |G|, indicators from χ(g²), class sizes", arguments: gapGroupNames)
    func identities(_ name: String) throws {
        let fx = GAPFixture.load(name)
        let g = FiniteGroup(kind: try ConcreteGroup.fromGenerators(fx.generators, name: "perm:\(name)"))
        let t = g.characterTable, o = g.order, k = t.irrepCount
        #expect(k == t.classCount)
        #expect(t.irreps.reduce(0) { $0 + $1.degree * $1.degree } == o)
        #expect(t.classes.reduce(0) { $0 + $1.sizeInt } == o)
        var counts = [Int](repeating: 0, count: k)
        for a in 0..<o { counts[g.classOf(a)] += 1 }
        #expect(counts == t.classes.map(\.sizeInt))
        #expect(g.classOf(g.identity) == 0)
        for i in 0..<k {
            for j in 0..<k {
                var re = 0.0, im = 0.0
                for c in 0..<k {
                    let x = t.value(i, c), y = t.value(j, c), s = Double(t.classes[c].sizeInt)
                    re += s * (x.re * y.re + x.im * y.im); im += s * (x.im * y.re - x.re * y.im)
                }
                #expect(approxEqual(re / Double(o), i == j ? 1 : 0, 1e-9) && abs(im) < 1e-9 * Double(o))
            }
            var ind = 0.0
            for x in 0..<o { ind += t.real(i, g.classOf(g.multiply(x, x))) }
            #expect(approxEqual(ind / Double(o), Double(t.irreps[i].indicator), 1e-9), "\(name) indicator \(i)")
        }
        for c in 0..<k { for d in 0..<k {
            var re = 0.0
            for i in 0..<k { let x = t.value(i, c), y = t.value(i, d); re += x.re * y.re + x.im * y.im }
            #expect(approxEqual(re, c == d ? Double(t.classes[c].centralizerInt) : 0, 1e-9))
        } }
        // Real components: complex pairs merged, quaternionic irreps of twice the dimension.
        #expect(t.realComponents.reduce(0) { $0 + $1.irreps.count } == k)
        for comp in t.realComponents {
            #expect(comp.degree == (comp.type == .real ? comp.complexDegree : 2 * comp.complexDegree))
        }
    }

    @Test("Plancherel: the isotypic powers of a function on a table group sum to ‖f‖²",
          arguments: ["Q8", "SL2_3", "C5sdC4", "S3wrC2", "PSL2_7"])
    func plancherel(_ name: String) throws {
        let fx = GAPFixture.load(name)
        let kind = try ConcreteGroup.fromGenerators(fx.generators, name: "perm:\(name)")
        let (table, _) = shuffledTable(FiniteGroup(kind: kind), seed: 3)
        let g = FiniteGroup(kind: table)
        var rng = SeededGenerator(seed: 11)
        let f = randomVector(g.order, &rng)
        let p = IsotypicDecomposition.powers(of: f, group: g)
        #expect(approxEqual(p.reduce(0, +), f.reduce(0) { $0 + $1 * $1 }, 1e-9))
        // δ at the identity: shares d_ρ²/|G| on each irrep (docs/theory.md §7 for S_4, any group)
        var delta = [Double](repeating: 0, count: g.order)
        delta[g.identity] = 1
        let pd = IsotypicDecomposition.powers(of: delta, group: g)
        let t = g.characterTable
        for (c, comp) in t.realComponents.enumerated() {
            let want = comp.irreps.reduce(0.0) { $0 + Double(t.irreps[$1].degree * t.irreps[$1].degree) } / Double(g.order)
            #expect(approxEqual(pd[c], want, 1e-9), "\(name) δ_e on \(comp.label)")
        }
    }

    /// A group isomorphic to a named one takes the named group's irrep labels through an
    /// explicit isomorphism; the characters agree label by label on φ of each class (the
    /// published tables of S_4 and A_5, as the named kinds hold them); Q_8 keeps X.1, … .
    @Test("identified groups carry the named group's labels", arguments: [("(0 1 2 3),(0 1)", "S4"), ("(0 1 2 3 4),(0 1 2)", "A5"),
                                                                         ("(0 1 2 3 4 5),(0 5)(1 4)(2 3)", "D6")])
    func namedLabelsThroughAnIsomorphism(generators: String, name: String) throws {
        let kind = try ConcreteGroup.fromGenerators(Permutation.parseCycleGenerators(generators), name: "perm:" + generators)
        #expect(GroupIdentification.adoptNamedLabels(kind) == name)
        let g = FiniteGroup(kind: kind), named = try FiniteGroup.named(name)
        let t = g.characterTable, nt = named.characterTable
        #expect(Set(t.irreps.map(\.label)) == Set(nt.irreps.map(\.label)))
        #expect(Set(t.realComponents.map(\.label)) == Set(nt.realComponents.map(\.label)))
        let phi = try #require(GroupIdentification.isomorphism(from: kind, to: named))
        for (i, irrep) in t.irreps.enumerated() {
            let j = try #require(nt.irrepIndex(label: irrep.label))
            for x in 0..<g.order {
                let (a, b) = (t.value(i, t.classOf(x)), nt.value(j, nt.classOf(phi[x])))
                #expect(abs(a.0 - b.0) < 1e-9 && abs(a.1 - b.1) < 1e-9, "\(irrep.label) at element \(x)")
            }
        }
    }

    @Test("a group that matches no named group keeps the labels X.1, …")
    func quaternionKeepsItsLabels() throws {
        // Q_8 as permutations of its 8 elements (left multiplication by i and j).
        let kind = try ConcreteGroup.fromGenerators(Permutation.parseCycleGenerators("(0 2 1 3)(4 6 5 7),(0 4 1 5)(2 7 3 6)"), name: "Q8")
        #expect(kind.order == 8)
        #expect(GroupIdentification.adoptNamedLabels(kind) == nil)
        #expect(FiniteGroup(kind: kind).characterTable.irreps.allSatisfy { $0.label.hasPrefix("X.") })
    }

    @Test("GAP's normal form of cyclotomics (Zumbroich basis, smallest conductor)")
    func cyclotomicNormalForm() {
        func cyc(_ n: Int, _ terms: [Int: Int]) -> String {
            var c = [Int](repeating: 0, count: n)
            for (k, v) in terms { c[k % n] += v }
            return Cyclotomic(coefficients: c, n: n).gapString
        }
        // GAP 4.12 prints these (gap -q: Print(E(12)); …)
        #expect(cyc(12, [1: 1]) == "-E(12)^7")
        #expect(cyc(12, [7: 1]) == "E(12)^7")
        #expect(cyc(9, [2: 1]) == "E(9)^2")
        #expect(cyc(5, [1: 1, 4: 1]) == "E(5)+E(5)^4")
        #expect(cyc(5, [0: 1, 1: 2, 4: 2]) == "E(5)-E(5)^2-E(5)^3+E(5)^4")     // √5
        #expect(cyc(6, [1: 1, 5: -1]) == "E(3)-E(3)^2")                        // √−3 from sixth roots
        #expect(cyc(4, [1: -1]) == "-E(4)")
        #expect(cyc(3, [1: 2, 2: 1]) == "2*E(3)+E(3)^2")
        #expect(cyc(12, [1: 1, 11: 1]) == "-E(12)^7+E(12)^11")               // √3
        #expect(cyc(8, [0: 3]) == "3")
        #expect(cyc(7, [1: 1, 2: 1, 4: 1]) == "E(7)+E(7)^2+E(7)^4")
        #expect(cyc(2, [1: 1]) == "-1")
        #expect(cyc(15, [0: 1, 5: 1, 10: 1]) == "0")
    }

    @Test("Zumbroich bases: the exponents left by the rewriting are GAP's ZumbroichBase(n, 1)")
    func zumbroich() {
        // GAP 4.12: ZumbroichBase(n, 1)
        let gap: [Int: [Int]] = [4: [0, 1], 8: [0, 1, 2, 3], 9: [2, 3, 4, 5, 6, 7], 12: [4, 7, 8, 11],
                                 15: [1, 2, 4, 7, 8, 11, 13, 14], 18: [4, 6, 8, 10, 12, 14], 20: [1, 4, 8, 9, 12, 13, 16, 17],
                                 24: [1, 8, 11, 14, 16, 17, 19, 22], 36: [1, 8, 12, 16, 17, 20, 21, 24, 25, 28, 29, 33]]
        for (n, base) in gap {
            var kept = Set<Int>()
            for i in 0..<n {
                var c = [Int](repeating: 0, count: n)
                c[i] = 1
                Cyclotomic.toBasis(&c, n)
                for (e, v) in c.enumerated() where v != 0 { kept.insert(e) }
                if base.contains(i) { #expect(c.enumerated().allSatisfy { $0.element == ($0.offset == i ? 1 : 0) }, "n = \(n): \(i) is a basis exponent") }
            }
            if n % 4 != 2 { #expect(kept == Set(base), "n = \(n)") }
        }
    }
}
