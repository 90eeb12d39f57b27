import Foundation

/// The quantities of Theorem 9 (docs/theory.md §3), in one place: for a finite group whose
/// irreps are all real and which satisfies the character condition
/// Σ_{ρ≠1} d_ρ^{1.5} χ_ρ(C) < 0 on every non-trivial class C, a quadratic network of width
/// m ≥ 2 Σ_{ρ≠1} d_ρ³ has maximum normalized margin γ* = 2/(3√(3|G|)) / Σ_{ρ≠1} d_ρ^{2.5}.
/// Sums run over the complex irreps in character-table order, the trivial one (irrep 0)
/// left out; the condition is tested with a margin of 1e-9 (Σ < −1e-9).
public struct Theorem9Quantities: Sendable, Equatable {
    /// |G| as a Double (exact for every group whose elements are enumerated).
    public let order: Double
    /// Whether every irrep is of real type (Frobenius–Schur indicator +1).
    public let allIrrepsReal: Bool
    /// Whether Σ_{ρ≠1} d_ρ^{1.5} χ_ρ(C) < 0 on every non-trivial class.
    public let characterConditionHolds: Bool
    /// The label of the first non-trivial class where the condition fails (nil when it holds).
    public let failingClass: String?
    /// Σ_{ρ non-trivial} d_ρ^{2.5}.
    public let sumNonTrivialDegreePow25: Double
    /// Σ_{ρ non-trivial} d_ρ³.
    public let sumNonTrivialDegreeCubed: Int

    /// From a character table (structure-level or with element classes alike).
    public init(table t: CharacterTable) {
        order = Double(t.order)
        allIrrepsReal = t.irreps.allSatisfy { $0.indicator == 1 }
        var failing: String? = nil
        for c in 1..<max(1, t.classCount) {
            var s = 0.0
            for i in 1..<t.irrepCount {
                s += pow(Double(t.irreps[i].degree), 1.5) * t.real(i, c)
            }
            if !(s < -1e-9) { failing = t.classes[c].label; break }
        }
        characterConditionHolds = failing == nil
        failingClass = failing
        sumNonTrivialDegreePow25 = t.irreps.dropFirst().reduce(0) { $0 + pow(Double($1.degree), 2.5) }
        sumNonTrivialDegreeCubed = t.irreps.dropFirst().reduce(0) { $0 + $1.degree * $1.degree * $1.degree }
    }

    /// The character condition as (holds, label of the first failing class).
    public var characterCondition: (holds: Bool, failingClass: String?) { (characterConditionHolds, failingClass) }

    /// Both hypotheses on the group (all irreps real, the character condition).
    public var hypothesesHold: Bool { allIrrepsReal && characterConditionHolds }

    /// Minimum width 2 Σ_{ρ≠1} d_ρ³.
    public var minimumWidth: Int { 2 * sumNonTrivialDegreeCubed }

    /// γ* = 2/(3√(3|G|)) / Σ_{ρ≠1} d_ρ^{2.5}, or nil when a hypothesis fails.
    public var maximumMargin: Double? {
        guard hypothesesHold else { return nil }
        return 2 / (3 * (3 * order).squareRoot()) / sumNonTrivialDegreePow25
    }
}

/// Thin forwards to `theorem9` (kept for the callers written before it).
extension FiniteGroup {
    /// Theorem 9's quantities for this group (from its character table).
    public var theorem9: Theorem9Quantities { Theorem9Quantities(table: characterTable) }

    /// Whether every irrep is of real type (Frobenius–Schur indicator +1).
    public var allIrrepsReal: Bool { theorem9.allIrrepsReal }

    /// The character condition Σ_{ρ non-trivial} d_ρ^{1.5} χ_ρ(C) < 0 for every non-trivial
    /// class; on failure the label of the first class where it fails.
    public func theorem9CharacterCondition() -> (holds: Bool, failingClass: String?) { theorem9.characterCondition }

    /// Σ_{ρ non-trivial} d_ρ^{2.5} over the complex irreps.
    public var sumNonTrivialDegreePow25: Double { theorem9.sumNonTrivialDegreePow25 }

    /// Σ_{ρ non-trivial} d_ρ³ (the minimum width is twice this).
    public var sumNonTrivialDegreeCubed: Int { theorem9.sumNonTrivialDegreeCubed }

    /// γ* of Theorem 9, or nil when its hypotheses (all irreps real, the character
    /// condition) fail.
    public var theorem9MaximumMargin: Double? { theorem9.maximumMargin }

    /// Minimum width 2 Σ_{ρ≠1} d_ρ³ of Theorem 9.
    public var theorem9MinimumWidth: Int { theorem9.minimumWidth }
}
