import Foundation

/// The quantities of Theorem 9 (THEORY.md §3): for a finite group whose irreps are all
/// real and which satisfies the character condition Σ_{ρ≠1} d_ρ^{1.5} χ_ρ(C) < 0 on every
/// non-trivial class C, a quadratic network of width m ≥ 2 Σ_{ρ≠1} d_ρ³ has maximum
/// normalized margin γ* = 2/(3√(3|G|)) / Σ_{ρ≠1} d_ρ^{2.5}.
extension FiniteGroup {
    /// Whether every irrep is of real type (Frobenius–Schur indicator +1).
    public var allIrrepsReal: Bool { characterTable.irreps.allSatisfy { $0.indicator == 1 } }

    /// The character condition Σ_{ρ non-trivial} d_ρ^{1.5} χ_ρ(C) < 0 for every non-trivial
    /// class; on failure the label of the first class where it fails.
    public func theorem9CharacterCondition() -> (holds: Bool, failingClass: String?) {
        let t = characterTable
        for c in 1..<max(1, t.classCount) {
            var s = 0.0
            for i in 1..<t.irrepCount {
                s += pow(Double(t.irreps[i].degree), 1.5) * t.real(i, c)
            }
            if !(s < -1e-9) { return (false, t.classes[c].label) }
        }
        return (true, nil)
    }

    /// Σ_{ρ non-trivial} d_ρ^{2.5} over the complex irreps.
    public var sumNonTrivialDegreePow25: Double {
        characterTable.irreps.dropFirst().reduce(0) { $0 + pow(Double($1.degree), 2.5) }
    }

    /// Σ_{ρ non-trivial} d_ρ³ (the minimum width is twice this).
    public var sumNonTrivialDegreeCubed: Int {
        characterTable.irreps.dropFirst().reduce(0) { $0 + $1.degree * $1.degree * $1.degree }
    }

    /// γ* of Theorem 9, or nil when its hypotheses (all irreps real, the character
    /// condition) fail.
    public var theorem9MaximumMargin: Double? {
        guard allIrrepsReal, theorem9CharacterCondition().holds else { return nil }
        return 2 / (3 * (3 * Double(order)).squareRoot()) / sumNonTrivialDegreePow25
    }

    /// Minimum width 2 Σ_{ρ≠1} d_ρ³ of Theorem 9.
    public var theorem9MinimumWidth: Int { 2 * sumNonTrivialDegreeCubed }
}
