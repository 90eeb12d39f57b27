import Foundation
import Testing
@testable import Groups

@Suite("Groups and elements") struct GroupTests {
    @Test("names parse; bad and ambiguous names are refused with a message")
    func names() throws {
        #expect(try FiniteGroup.named("C71").order == 71)
        #expect(try FiniteGroup.named("Z113").name == "C113")
        #expect(try FiniteGroup.named("D59").order == 118)
        #expect(try FiniteGroup.named("S5").order == 120)
        #expect(try FiniteGroup.named("A5").order == 60)
        #expect(try FiniteGroup.named("S3xC2").order == 12)
        #expect(try GroupSpec.parse("S30").order.description == "265252859812191058636308480000000")
        for bad in ["", "Q8", "D", "S-3", "C0", "Dih8", "S3x", "SL2", "C7.5", "C07"] {
            #expect(throws: GroupError.self, "\(bad)") { _ = try FiniteGroup.named(bad) }
        }
        #expect(throws: GroupError.self) { _ = try FiniteGroup.named("S11") }
    }

    @Test("exact orders (attaswift/BigInt's BigUInt): printed digits, the enumeration limit, class sizes")
    func exactOrders() throws {
        #expect(try GroupSpec.parse("A30").order.description == "132626429906095529318154240000000")
        #expect(try GroupSpec.parse("S3xA5xC7").order == 2520)
        #expect(BigUInt.factorial(0) == 1 && BigUInt.factorial(20) == BigUInt(2_432_902_008_176_640_000))
        #expect(Int(exactly: try GroupSpec.parse("S21").order) == nil)
        #expect(try GroupSpec.parse("S12xA6").theorem9().order == 172_440_576_000)
        do {
            _ = try FiniteGroup.named("S11")
            Issue.record("S11 was enumerated")
        } catch let e as GroupError {
            #expect(e.description.hasPrefix("S11 has order 39916800, too large to enumerate its elements (at most 3628800 = |S_10|)"))
        }
        for name in ["S22", "A22", "S12xA6"] {
            let t = try GroupSpec.parse(name).characterTable()
            #expect(t.classes.reduce(BigUInt(0)) { $0 + $1.size } == t.order, "\(name): Σ |C| = |G|")
            #expect(t.classes.allSatisfy { $0.size * $0.centralizer == t.order }, "\(name): |C| · |C_G(g)| = |G|")
        }
    }

    @Test("default element orders and permutations (docs/theory.md §6)")
    func elementOrder() {
        let s3 = group("S3")
        #expect(s3.permutations == [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
        let a4 = group("A4")
        #expect(a4.permutations.allSatisfy { Permutation.sign($0) == 1 })
        #expect(a4.permutations == Permutation.all(4).filter { Permutation.sign($0) == 1 })
        let d5 = group("D5")
        #expect(d5.elementLabel(0) == "e" && d5.elementLabel(1) == "r" && d5.elementLabel(5) == "s" && d5.elementLabel(8) == "r^3 s")
        // s r s = r⁻¹
        #expect(d5.multiply(d5.multiply(5, 1), 5) == 4)
        #expect(group("S3xC2").elementLabel(3) == "((1 2), 1)")
    }

    @Test("group axioms on every group: identity, inverses, associativity on random triples, faithful action")
    func axioms() {
        var rng = SeededGenerator(seed: 11)
        for name in elementGroupNames {
            let g = group(name), o = g.order
            #expect(Set(g.permutations).count == o, "\(name) action is faithful")
            for _ in 0..<60 {
                let a = Int.random(in: 0..<o, using: &rng), b = Int.random(in: 0..<o, using: &rng), c = Int.random(in: 0..<o, using: &rng)
                #expect(g.multiply(g.multiply(a, b), c) == g.multiply(a, g.multiply(b, c)))
                #expect(g.multiply(a, g.inverse(a)) == g.identity && g.multiply(g.identity, a) == a)
                // the product is composition of the permutations, right to left
                #expect(g.permutation(g.multiply(a, b)) == Permutation.compose(g.permutation(a), g.permutation(b)), "\(name)")
                #expect(g.multiply(a, b, composition: .leftToRight) == g.multiply(b, a))
            }
        }
        let s4 = group("S4"), mt = s4.multiplicationTable
        for a in 0..<24 { for b in 0..<24 { #expect(mt[a, b] == s4.multiply(a, b)) } }
    }

    @Test("reorder maps a trainer's permutation list to elements and rejects anything else")
    func reorder() throws {
        var rng = SeededGenerator(seed: 3)
        for name in ["D5", "S4", "A4", "S3xC2", "C6"] {
            let g = group(name)
            let shuffled = Array(0..<g.order).shuffled(using: &rng)
            let list = shuffled.map { g.permutation($0) }
            #expect(try g.reorder(byPermutations: list, oneBased: false) == shuffled)
            #expect(try g.reorder(byPermutations: list.map { $0.map { $0 + 1 } }, oneBased: true) == shuffled)
            var dup = list; dup[1] = dup[0]
            #expect(throws: GroupError.self) { _ = try g.reorder(byPermutations: dup, oneBased: false) }
            #expect(throws: GroupError.self) { _ = try g.reorder(byPermutations: Array(list.dropLast()), oneBased: false) }
        }
        // an odd permutation is not in A_4
        let a4 = group("A4")
        var list = a4.permutations; list[3] = [1, 0, 2, 3]
        #expect(throws: GroupError.self) { _ = try a4.reorder(byPermutations: list, oneBased: false) }
    }

    @Test("A_n split classes: conjugation by an odd permutation swaps μ+ and μ−")
    func splitClasses() {
        let a5 = group("A5"), t = a5.characterTable
        let tau = [1, 0, 2, 3, 4]
        // conjugation by τ: element classes (5)+ ↔ (5)−
        let index = Dictionary(uniqueKeysWithValues: a5.permutations.enumerated().map { ($1, $0) })
        for a in 0..<60 {
            let p = a5.permutation(a)
            let q = Permutation.compose(Permutation.compose(tau, p), tau)
            let ca = t.classes[a5.classOf(a)].label, cb = t.classes[a5.classOf(index[q]!)].label
            if ca.hasSuffix("+") { #expect(cb == String(ca.dropLast()) + "-") } else if !ca.hasSuffix("-") { #expect(ca == cb) }
        }
    }
}
