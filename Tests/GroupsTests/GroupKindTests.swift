import Foundation
import Testing
import NeuronData
@testable import Groups

/// A kind written in one file, as a later kind would be: it forwards the elements of
/// another group but has NO explicit irreps and uses the protocol's defaults for element
/// orders and classes (conjugation orbits), so the seam's defaults and the fallback of the
/// isotypic decomposition are exercised.
struct CharactersOnlyKind: GroupKind {
    let base: FiniteGroup
    var spec: GroupSpec { base.spec }
    var order: Int { base.order }
    var degree: Int { base.degree }
    func multiply(_ a: Int, _ b: Int) -> Int { base.multiply(a, b) }
    func inverse(_ a: Int) -> Int { base.inverse(a) }
    func elementLabel(_ a: Int) -> String { base.elementLabel(a) }
    func permutation(_ a: Int) -> [Int] { base.permutation(a) }
    var generators: [Int] { base.generators }
    var characterTableProvider: any CharacterTableProvider { base.kind.characterTableProvider }
}

@Suite("Group kinds: the seam, its defaults and the structural properties") struct GroupKindTests {
    @Test("isCyclic is structural: a·b = (a + b) mod n; C2xC3 is not, C6/Z6/C_6 are")
    func cyclic() {
        for name in ["C6", "Z6", "C_6", "c6", "C1", "C71"] { #expect(group(name).isCyclic, "\(name)") }
        for name in ["C2xC3", "C3xC2", "S3", "D5", "A4", "C2xC2"] { #expect(!group(name).isCyclic, "\(name)") }
        // Against the definition, on every test group.
        for name in elementGroupNames {
            let g = group(name), n = g.order
            var all = true
            for a in 0..<n { for b in 0..<n where g.multiply(a, b) != (a + b) % n { all = false } }
            #expect(g.isCyclic == all, "\(name)")
        }
    }

    @Test("isAbelian agrees with ab = ba on all pairs")
    func abelian() {
        for name in elementGroupNames {
            let g = group(name), n = g.order
            var all = true
            for a in 0..<n { for b in 0..<n where g.multiply(a, b) != g.multiply(b, a) { all = false } }
            #expect(g.isAbelian == all, "\(name)")
        }
        #expect(group("C2xC3").isAbelian && group("D2").isAbelian && !group("D3").isAbelian)
    }

    @Test("element orders: each kind's closed form equals repeated products")
    func elementOrders() {
        for name in elementGroupNames {
            let g = group(name)
            for a in 0..<g.order {
                var k = 1, x = a
                while x != g.identity { x = g.multiply(x, a); k += 1 }
                #expect(g.elementOrder(a) == k, "\(name) element \(a)")
            }
        }
        // The protocol's default (repeated products) on a kind that does not override it.
        let s4 = group("S4"), plain = CharactersOnlyKind(base: s4)
        #expect((0..<24).map { plain.elementOrder($0) } == s4.elementOrders)
        #expect(s4.elementOrders.filter { $0 == 4 }.count == 6 && s4.elementOrder(23) == 2)  // [3,2,1,0] = (0 3)(1 2)
    }

    @Test("classes: each kind's rule equals the conjugation orbits matched to the table")
    func classes() {
        for name in elementGroupNames {
            let g = group(name)
            let t = g.characterTable
            let byOrbits = ConjugacyClasses.elementClasses(of: g.kind, in: t)
            #expect(byOrbits == t.elementClasses!, "\(name)")
            #expect(Set(ConjugacyClasses.orbits(of: g.kind)).count == t.classCount, "\(name)")
        }
    }

    @Test("a kind without explicit irreps says so, and the decomposition falls back to characters")
    func noExplicitIrreps() {
        let s4 = group("S4")
        let g = FiniteGroup(kind: CharactersOnlyKind(base: s4))
        #expect(s4.hasExplicitIrreps && !g.hasExplicitIrreps)
        #expect(g.irrepMatrix(1, 3) == nil && g.realComponentMatrix(1, 3) == nil && g.explicitIrrepConstruction == nil)
        #expect(g.characterTable.elementClasses! == s4.characterTable.elementClasses!)
        // A product with such a factor has none either.
        let p = FiniteGroup(kind: ProductGroup(first: g, second: group("C2")))
        #expect(!p.hasExplicitIrreps && group("S4xC2").hasExplicitIrreps)
        let route = IsotypicDecomposition.route(.matrices, for: g)
        #expect(route.method == .characters && route.note != nil)
        #expect(IsotypicDecomposition.route(.matrices, for: s4).note == nil)
        var rng = SeededGenerator(seed: 5)
        let rows = randomVector(3 * 24, &rng)
        rows.withUnsafeBufferPointer { b in
            let m = NeuronMatrix(base: b.baseAddress!, neurons: 3, length: 24, neuronStride: 24, sampleStride: 1)
            let fallback = IsotypicDecomposition.decompose(m, group: g, includeTrivial: true, method: .matrices)
            let chars = IsotypicDecomposition.decompose(m, group: s4, includeTrivial: true, method: .characters)
            let mats = IsotypicDecomposition.decompose(m, group: s4, includeTrivial: true, method: .matrices)
            #expect(fallback.method == .characters && fallback.note!.contains("characters"))
            #expect(mats.method == .matrices && mats.note == nil)
            #expect(fallback.table.powers == chars.table.powers)
        }
    }

    @Test("the registry parses every family; constructors and parsed names agree")
    func registry() throws {
        #expect(GroupRegistry.families.count == 4)
        #expect(try GroupSpec.parse("Z5") == .cyclic(5))
        #expect(try GroupSpec.parse("d_7") == .dihedral(7))
        #expect(try GroupSpec.parse("S3xC2") == .product(.symmetric(3), .cyclic(2)))
        #expect(try GroupSpec.parse("A5").factors == [.alternating(5)])
        #expect(try GroupSpec.parse("S3xC2xD4").factors == [.symmetric(3), .cyclic(2), .dihedral(4)])
        let c5 = try GroupSpec.parse("C5")
        #expect(Set([GroupSpec.cyclic(5), c5]).count == 1)
        do { _ = try GroupSpec.parse("Q8"); Issue.record("Q8 parsed") } catch let e as GroupError {
            #expect(e.description == "'Q8' is not a group name; accepted: Cn or Zn (cyclic of order n), Dn (dihedral of order 2n), Sn (symmetric), An (alternating), and products such as S3xC2")
        }
        do { _ = try GroupSpec.parse("Dih8"); Issue.record("Dih8 parsed") } catch let e as GroupError {
            #expect(e.description.contains("ambiguous"))
        }
        do { _ = try GroupSpec.parse("C0"); Issue.record("C0 parsed") } catch let e as GroupError {
            #expect(e.description == "'C0': a cyclic group needs order n ≥ 1")
        }
        for name in ["C7", "D4", "S4", "A4", "S3xC2"] { #expect(!group(name).characterTableMethod.isEmpty) }
        #expect(group("S4").characterTableMethod.contains("Murnaghan"))
        #expect(group("S4").explicitIrrepConstruction == "Young's orthogonal form")
    }

    @Test("Composition: spellings, the parser, and the one place the opposite product is taken")
    func composition() throws {
        #expect(Composition.rightToLeft.spelling == "right-to-left" && Composition.leftToRight.description == "left-to-right")
        #expect(Composition.rightToLeft.rawValue == "rightToLeft" && Composition.leftToRight.rawValue == "leftToRight")
        for s in ["rightToLeft", "right-to-left", "right_to_left", "RIGHT-TO-LEFT", "RightToLeft", " right_to_left "] {
            #expect(Composition(spelling: s) == .rightToLeft, "\(s)")
        }
        for s in ["leftToRight", "left-to-right", "left_to_right", "Left-To-Right", "LEFTTORIGHT"] {
            #expect(try Composition.parse(s) == .leftToRight, "\(s)")
        }
        for s in ["", "right", "rtl", "right to left", "right-toleft", "left-to-left"] {
            #expect(Composition(spelling: s) == nil, "\(s)")
            #expect(throws: GroupError.self) { _ = try Composition.parse(s) }
        }
        #expect(Composition.rightToLeft.opposite == .leftToRight && Composition.leftToRight.opposite == .rightToLeft)
        let s3 = group("S3")
        for a in 0..<6 { for b in 0..<6 {
            #expect(s3.multiply(a, b, composition: .leftToRight) == s3.multiply(b, a))
        } }
    }

    @Test("Theorem 9 quantities: one struct, the FiniteGroup properties forward to it")
    func theorem9() throws {
        for name in ["S3", "S4", "S5", "D5", "S6", "A5", "C5", "A4", "S3xC2"] {
            let g = group(name), q = g.theorem9
            #expect(q.allIrrepsReal == g.allIrrepsReal && q.characterCondition.holds == g.theorem9CharacterCondition().holds)
            #expect(q.failingClass == g.theorem9CharacterCondition().failingClass)
            #expect(q.maximumMargin == g.theorem9MaximumMargin && q.minimumWidth == g.theorem9MinimumWidth)
            #expect(q.sumNonTrivialDegreePow25 == g.sumNonTrivialDegreePow25 && q.sumNonTrivialDegreeCubed == g.sumNonTrivialDegreeCubed)
            // The structure-only table gives the same quantities.
            #expect(try g.spec.theorem9() == q, "\(name)")
        }
        // S_3: degrees 1, 2, 1: Σ d^2.5 = 2^2.5 + 1, Σ d³ = 9; γ* = 2/(3√18)/Σ d^2.5.
        let s3 = group("S3").theorem9
        #expect(s3.sumNonTrivialDegreePow25 == pow(2, 2.5) + 1 && s3.sumNonTrivialDegreeCubed == 9 && s3.minimumWidth == 18)
        #expect(abs(s3.maximumMargin! - 2 / (3 * 18.0.squareRoot()) / (pow(2, 2.5) + 1)) < 1e-15)
        #expect(s3.hypothesesHold)
        let a5 = group("A5").theorem9
        #expect(!a5.hypothesesHold && a5.maximumMargin == nil && a5.failingClass != nil)
        // Structure level for a group too large to enumerate: the sums still come out.
        let s12 = try GroupSpec.parse("S12").theorem9()
        #expect(s12.allIrrepsReal && !s12.characterConditionHolds)
    }
}
