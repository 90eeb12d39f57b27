import Foundation
import Groups

/// The theoretical maximum normalized margin γ* of docs/theory.md §3, with the conditions under
/// which the theorem quotes it. When a condition fails there is no γ*, and `reason` says which.
public struct MarginBound: Sendable, Equatable {
    /// γ*, or nil when a condition of the theorem fails.
    public let value: Double?
    /// The theorem used ("Theorem 7", "Theorem 8", "Theorem 9").
    public let theorem: String
    /// Minimum width m of the theorem.
    public let minimumWidth: Int?
    /// Why no γ* is quoted (nil when `value` is set).
    public let reason: String?

    /// Theorem 7: modular addition on C_p, quadratic activation, width m ≥ 4(p − 1):
    /// γ* = √(2/27) / (√p · (p − 1)).
    public static func cyclic(p: Int, width m: Int, activation: Activation) -> MarginBound {
        let minWidth = 4 * (p - 1)
        let theorem = "Theorem 7"
        if activation != .quadratic {
            return MarginBound(value: nil, theorem: theorem, minimumWidth: minWidth,
                               reason: "Theorem 7 is for the quadratic activation, not \(activation)")
        }
        if p < 3 || p % 2 == 0 {
            return MarginBound(value: nil, theorem: theorem, minimumWidth: minWidth,
                               reason: "Theorem 7 is stated for odd p ≥ 3, not p = \(p)")
        }
        if m < minWidth {
            return MarginBound(value: nil, theorem: theorem, minimumWidth: minWidth,
                               reason: "width m = \(m) is below the theorem's 4(p − 1) = \(minWidth)")
        }
        return MarginBound(value: cyclicValue(p: p), theorem: theorem, minimumWidth: minWidth, reason: nil)
    }

    /// √(2/27) / (√p · (p − 1)).
    public static func cyclicValue(p: Int) -> Double {
        (2.0 / 27.0).squareRoot() / (Double(p).squareRoot() * Double(p - 1))
    }

    /// Theorem 8: (n, k)-sparse parity, activation x^k, width m ≥ 2^{k−1}:
    /// γ* = k! · √(2 (k+1)^{−(k+1)}) for the L_{2,k+1} margin.
    public static func parity(k: Int, width m: Int, activation: Activation) -> MarginBound {
        let minWidth = 1 << max(k - 1, 0)
        let theorem = "Theorem 8"
        if activation.degree != k || activation == .relu || !activation.isHomogeneous {
            return MarginBound(value: nil, theorem: theorem, minimumWidth: minWidth,
                               reason: "Theorem 8 needs the activation x^\(k), not \(activation)")
        }
        if m < minWidth {
            return MarginBound(value: nil, theorem: theorem, minimumWidth: minWidth,
                               reason: "width m = \(m) is below the theorem's 2^(k−1) = \(minWidth)")
        }
        return MarginBound(value: parityValue(k: k), theorem: theorem, minimumWidth: minWidth, reason: nil)
    }

    public static func parityValue(k: Int) -> Double {
        var factorial = 1.0
        for i in 1...max(k, 1) { factorial *= Double(i) }
        return factorial * (2 * pow(Double(k + 1), -Double(k + 1))).squareRoot()
    }

    /// Theorem 9: finite group G, quadratic activation, all irreps real, the character
    /// condition Σ_{ρ≠1} d_ρ^{1.5} χ_ρ(C) < 0 on every non-trivial class, m ≥ 2 Σ_{ρ≠1} d_ρ³:
    /// γ* = 2 / (3 √(3|G|)) · 1 / Σ_{ρ≠1} d_ρ^{2.5}. The group's quantities and γ* come from
    /// `Theorem9Quantities` (Groups); this adds the network's conditions (activation, width).
    public static func group(_ q: Theorem9Quantities, width m: Int, activation: Activation) -> MarginBound {
        let minWidth = q.minimumWidth
        let theorem = "Theorem 9"
        func none(_ why: String) -> MarginBound {
            MarginBound(value: nil, theorem: theorem, minimumWidth: minWidth, reason: why)
        }
        if activation != .quadratic { return none("Theorem 9 is for the quadratic activation, not \(activation)") }
        if !q.allIrrepsReal { return none("not every irreducible representation is real (Frobenius–Schur indicator ≠ +1)") }
        if !q.characterConditionHolds { return none("the character condition Σ d^1.5 χ(C) < 0 fails on class \(q.failingClass ?? "?")") }
        if m < minWidth { return none("width m = \(m) is below the theorem's 2 Σ d³ = \(minWidth)") }
        return MarginBound(value: q.maximumMargin, theorem: theorem, minimumWidth: minWidth, reason: nil)
    }

    /// Theorem 9 for `group` (its quantities from the character table, docs/theory.md §3).
    public static func group(_ group: FiniteGroup, width m: Int, activation: Activation) -> MarginBound {
        .group(group.theorem9, width: m, activation: activation)
    }
}

/// Accuracy and margin of a network against its theorem: what every analysis reports.
public struct MarginFindings: Sendable {
    /// Fraction of the population classified correctly (argmax strictly the label).
    public let accuracy: Double
    /// h(θ), the minimum margin over the population.
    public let margin: Double
    /// ‖θ‖_{2,ν}^ν.
    public let normPowerNu: Double
    /// γ* and the theorem's conditions.
    public let bound: MarginBound
    /// h(θ)/‖θ‖_{2,ν}^ν.
    public var normalizedMargin: Double { margin / normPowerNu }
    /// normalizedMargin / γ* when γ* is quoted.
    public var ratio: Double? { bound.value.map { normalizedMargin / $0 } }
    public init(accuracy: Double, margin: Double, normPowerNu: Double, bound: MarginBound) {
        self.accuracy = accuracy; self.margin = margin; self.normPowerNu = normPowerNu; self.bound = bound
    }
}

/// An analysis that reports a `MarginFindings`: its fields read through.
public protocol ReportsMargins {
    var margins: MarginFindings { get }
}

extension ReportsMargins {
    public var accuracy: Double { margins.accuracy }
    /// h(θ), the minimum margin over the population.
    public var margin: Double { margins.margin }
    /// ‖θ‖_{2,ν}^ν.
    public var normPowerNu: Double { margins.normPowerNu }
    /// h(θ)/‖θ‖_{2,ν}^ν.
    public var normalizedMargin: Double { margins.normalizedMargin }
    public var bound: MarginBound { margins.bound }
    /// normalizedMargin / γ* when γ* is quoted.
    public var marginRatio: Double? { margins.ratio }
}
