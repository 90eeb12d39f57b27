import Foundation
import Testing
@testable import Groups

@Suite("Theorem 9 reference values (docs/theory.md §3)") struct Theorem9Tests {
    @Test("γ*, Σ d^2.5 and minimum width for S_3, S_4, S_5, D_5")
    func pinned() {
        let cases: [(String, Double, Double?, Int)] = [
            ("S3", 2.3605e-2, 6.657, 18), ("S4", 2.0766e-3, 37.834, 126), ("S5", 1.32598e-4, 264.985, 1190), ("D5", 9.8846e-3, nil, 34),
        ]
        for (name, gamma, sum, width) in cases {
            let g = group(name)
            #expect(g.allIrrepsReal)
            #expect(g.theorem9CharacterCondition().holds, "\(name)")
            let value = g.theorem9MaximumMargin!
            #expect(abs(value / gamma - 1) < 5e-5, "\(name): \(value)")
            if let sum { #expect(abs(g.sumNonTrivialDegreePow25 - sum) < 1e-3) }
            #expect(g.theorem9MinimumWidth == width)
            #expect(2 * g.sumNonTrivialDegreeCubed == width)
        }
    }

    @Test("the condition holds for odd dihedral groups and fails for S_6 and A_5")
    func condition() {
        for n in [3, 5, 7, 9, 11] { #expect(group("D\(n)").theorem9CharacterCondition().holds) }
        let s6 = group("S6").theorem9CharacterCondition(), a5 = group("A5").theorem9CharacterCondition()
        #expect(!s6.holds && s6.failingClass != nil)
        #expect(!a5.holds && a5.failingClass != nil)
        #expect(group("S6").theorem9MaximumMargin == nil && group("A5").theorem9MaximumMargin == nil)
        #expect(!group("C5").allIrrepsReal && !group("A4").allIrrepsReal)
    }
}
